//! The outbox-dispatcher function (docs/mail.md, docs/cloud.md): the table's stream hands it each new
//! mail to deliver and each order to hand to the back office's bus (docs/orders.md); its
//! schedule (`{"sweep":true}`) has it sweep up every mail and order still due.

use std::sync::Arc;

use lambda_runtime::{LambdaEvent, service_fn};
use serde_json::Value;

use super::order_bus::OrderBus;
use super::{Error, start};
use crate::config::{Config, MailConfig};
use crate::mail::{DEFAULT_FROM, MailSender, SesSender, SmtpSender, configured_sender};
use crate::service::outbox::BackOffice;
use crate::support::Support;

/// Runs the dispatcher: configuration, the sender and the store once per cold start, then
/// every invocation through `mail::stream::dispatch`.
pub async fn run_outbox_dispatcher() -> Result<(), Error> {
    start::init_logs();
    let (ctx, sender, bus) = start::init(async {
        let config = Config::from_env()?;
        let sender = sender(&MailConfig::from_env()?, &config.support).await?;
        let bus = crate::config::order_bus(|name| std::env::var(name))?;
        let sdk = crate::config::aws().await?;
        let bus: Arc<dyn BackOffice> = Arc::new(OrderBus::new(&sdk, bus));
        Ok((start::context(&config, &sdk).await?, sender, bus))
    })
    .await?;
    let metrics = super::emf::install("outbox-dispatcher");
    tracing::info!(function = "outbox-dispatcher", "ready");
    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| {
        let (ctx, sender, bus) = (ctx.clone(), sender.clone(), bus.clone());
        async move {
            let dispatched = crate::service::outbox::stream::dispatch(
                &ctx,
                sender.as_ref(),
                bus.as_ref(),
                event.payload,
            )
            .await
            .map_err(Error::from);
            super::emf::flush(metrics, std::io::stdout().lock());
            dispatched
        }
    }))
    .await
}

/// SMTP when a URL is configured (the local emulator, or a relay), else SES.
async fn sender(mail: &MailConfig, support: &Support) -> Result<Arc<dyn MailSender>, Error> {
    let from = support.sender(&configured_sender(
        mail.from.as_deref().unwrap_or(DEFAULT_FROM),
    )?);
    Ok(match &mail.smtp_url {
        Some(url) => Arc::new(SmtpSender::configured(url, from)?),
        None => Arc::new(SesSender::from_env(&from).await),
    })
}
