//! Service providers (SPEC §10): the seeded ones, and `POST /admin/v1/providers`.

use crate::domain::{Provider, ProviderCode};
use crate::service::{AnswerLog, Context, Error, keep_answer};
use crate::store::{StoreError, Write};

/// SPEC §10: the providers every deployment starts with. Registering them again is a no-op,
/// so every start may call this.
pub async fn seed_providers(ctx: &Context) -> Result<(), Error> {
    let seeds = [
        ("W0099", "NTT西日本(試験用)", "試験用"),
        ("060000", "IP電話サービス提供者", "IP電話"),
    ];
    let registered = ctx.store.providers().await?;
    for (code, name, service) in seeds {
        let provider_code = ProviderCode::parse(code).expect("a valid seeded code");
        if registered.iter().any(|p| p.provider_code == provider_code) {
            continue;
        }
        let provider = Provider {
            provider_code,
            provider_name: name.to_owned(),
            service_name: service.to_owned(),
        };
        match ctx.store.commit(vec![Write::PutProvider(provider)]).await {
            Ok(()) | Err(StoreError::Conflict(_)) => {}
            Err(other) => return Err(other.into()),
        }
    }
    Ok(())
}

/// `POST /admin/v1/providers`.
pub async fn register_provider(
    ctx: &Context,
    provider: Provider,
    answer_log: Option<&dyn AnswerLog>,
) -> Result<Provider, Error> {
    let mut writes = vec![Write::PutProvider(provider.clone())];
    writes.extend(keep_answer(answer_log, &provider));
    match ctx.store.commit(writes).await {
        Ok(()) => {
            tracing::info!(provider_code = %provider.provider_code, "provider registered");
            Ok(provider)
        }
        Err(StoreError::Conflict(_)) => Err(Error::ProviderExists),
        Err(other) => Err(other.into()),
    }
}
