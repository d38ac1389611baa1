//! Operators' reference data: the service providers (docs/operators.md), the seeded ones and
//! `POST /admin/v1/providers`; and the service catalogue (docs/services.md).

use crate::domain::{Provider, ProviderCode};
use crate::service::{AnswerLog, Context, Error, keep_answer, retry_on_conflict};
use crate::store::Write;

/// docs/operators.md: the providers every deployment starts with. Registering them again is a no-op,
/// so every start may call this.
pub async fn seed_providers(ctx: &Context) -> Result<(), Error> {
    let seeds = [
        ("W0099", "NTT西日本(試験用)", "試験用"),
        ("060000", "IP電話サービス提供者", "IP電話"),
    ];
    for (code, name, service) in seeds {
        let provider = Provider {
            provider_code: ProviderCode::parse(code).expect("a valid seeded code"),
            provider_name: name.to_owned(),
            service_name: service.to_owned(),
        };
        match register(ctx, &provider, None).await {
            Ok(()) | Err(Error::ProviderExists) => {}
            Err(other) => return Err(other),
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
    register(ctx, &provider, answer_log).await?;
    tracing::info!(provider_code = %provider.provider_code, "provider registered");
    Ok(provider)
}

/// Registers a provider unless its code is taken. A failed commit is "already registered"
/// only when the code is then found registered; any other conflict (a throttled or
/// conflicting transaction) is retried from a fresh read like every other write.
async fn register(
    ctx: &Context,
    provider: &Provider,
    answer_log: Option<&dyn AnswerLog>,
) -> Result<(), Error> {
    retry_on_conflict(|| async {
        let registered = ctx.store.providers().await?;
        if registered
            .iter()
            .any(|p| p.provider_code == provider.provider_code)
        {
            return Err(Error::ProviderExists);
        }
        let mut writes = vec![Write::PutProvider(provider.clone())];
        writes.extend(keep_answer(answer_log, provider));
        ctx.store.commit(writes).await?;
        Ok(())
    })
    .await
}

/// docs/services.md: an operator sets a service's catalogue entry; the last one set stands.
pub async fn put_catalogue_entry(
    ctx: &Context,
    entry: crate::domain::catalogue::CatalogueEntry,
) -> Result<crate::domain::catalogue::CatalogueEntry, Error> {
    ctx.store
        .commit(vec![crate::store::Write::PutCatalogueEntry(entry.clone())])
        .await?;
    tracing::info!(service = ?entry.service, "service catalogue entry set");
    Ok(entry)
}
