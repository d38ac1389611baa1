//! The `outbox-dispatcher` Lambda function (SPEC §9, §12): the table's stream hands it each
//! new mail to deliver; a schedule (`{"sweep":true}`) has it sweep up every mail still due.

use std::sync::Arc;

use lambda_runtime::{Error, LambdaEvent, service_fn};
use madoguchi_core::mail::{DEFAULT_FROM, MailSender, SesSender, SmtpSender, sender_address};
use madoguchi_core::store::Store;
use madoguchi_core::store::dynamodb::DynamoStore;
use madoguchi_core::{Context, Settings, SystemClock};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    // JSON lines when the function's log format is JSON (`AWS_LAMBDA_LOG_FORMAT`).
    lambda_runtime::tracing::init_default_subscriber();
    let (ctx, sender) = start()
        .await
        .inspect_err(|error| tracing::error!(%error, "the function cannot start"))?;
    tracing::info!(function = "outbox-dispatcher", "ready");
    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| {
        let (ctx, sender) = (ctx.clone(), sender.clone());
        async move {
            madoguchi_core::mail::stream::dispatch(&ctx, sender.as_ref(), event.payload)
                .await
                .map_err(Error::from)
        }
    }))
    .await
}

/// Reads the configuration once per cold start (SPEC §12); a missing or malformed
/// variable stops the start with its name.
async fn start() -> Result<(Context, Arc<dyn MailSender>), Error> {
    let table = variable("MADOGUCHI_TABLE")?.ok_or("MADOGUCHI_TABLE is not set")?;
    let from = variable("MADOGUCHI_MAIL_FROM")?;
    let sender: Arc<dyn MailSender> = match variable("MADOGUCHI_SMTP_URL")? {
        Some(url) => {
            let from = mail_from(from.as_deref().unwrap_or(DEFAULT_FROM))?;
            let sender = SmtpSender::new(&url, from)
                .map_err(|e| format!("MADOGUCHI_SMTP_URL is malformed: {e}"))?;
            tracing::info!(server = sender.server(), "mail is delivered over SMTP");
            Arc::new(sender)
        }
        None => {
            // SES sends only from an identity verified in it: no default would do.
            let from =
                from.ok_or("MADOGUCHI_MAIL_FROM is not set (SES needs a verified sender)")?;
            Arc::new(SesSender::from_env(&mail_from(&from)?).await)
        }
    };
    let store = DynamoStore::from_env(table.clone()).await;
    // One cheap read warms the client up (credentials, the TLS handshake), and a table
    // that cannot be read stops the start here, named. Session keys are SHA-256 hex: this
    // one never exists.
    store
        .session("warm-up")
        .await
        .map_err(|e| format!("MADOGUCHI_TABLE `{table}` cannot be read: {e}"))?;
    let ctx = Context::new(Arc::new(store), Arc::new(SystemClock), Settings::default());
    Ok((ctx, sender))
}

/// A variable's value; set to nothing counts as unset, as a template's empty parameter.
fn variable(name: &'static str) -> Result<Option<String>, Error> {
    match std::env::var(name) {
        Ok(value) if value.trim().is_empty() => Ok(None),
        Ok(value) => Ok(Some(value.trim().to_owned())),
        Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(_)) => Err(format!("{name} is not UTF-8").into()),
    }
}

fn mail_from(text: &str) -> Result<madoguchi_core::mail::Mailbox, Error> {
    sender_address(text).map_err(|e| format!("MADOGUCHI_MAIL_FROM is malformed: {e}").into())
}
