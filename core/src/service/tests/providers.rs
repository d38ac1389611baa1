//! docs/operators.md: registering a provider. Only a code already registered is 409
//! `provider_exists`; any other refused commit (DynamoDB throttling a transaction, or one
//! conflicting with another) is retried like every other write.

use super::Counter;
use super::failing_store::throttled;
use crate::domain::{Provider, ProviderCode};
use crate::service::Error;
use crate::service::admin::{register_provider, seed_providers};

fn provider(code: &str) -> Provider {
    Provider {
        provider_code: ProviderCode::parse(code).expect("a provider code"),
        provider_name: "試験プロバイダ".into(),
        service_name: "試験サービス".into(),
    }
}

#[tokio::test]
async fn a_throttled_registration_is_retried_not_answered_as_a_duplicate() {
    let counter = Counter::open().await;
    let ctx = throttled(&counter, 2);
    let registered = register_provider(&ctx, provider("W0100"), None).await;
    assert!(registered.is_ok(), "{:?}", registered.err());
    let listed = ctx.store.providers().await.expect("a read");
    assert!(listed.iter().any(|p| p.provider_code.as_str() == "W0100"));
    // A code that is taken is still 409.
    assert_refused!(
        register_provider(&ctx, provider("W0100"), None).await,
        Error::ProviderExists
    );
}

#[tokio::test]
async fn seeding_through_throttling_still_registers_every_seeded_provider() {
    let counter = Counter::open().await;
    let ctx = throttled(&counter, 1);
    seed_providers(&ctx).await.expect("seeded");
    let codes: Vec<String> = ctx
        .store
        .providers()
        .await
        .expect("a read")
        .iter()
        .map(|p| p.provider_code.to_string())
        .collect();
    assert_eq!(codes, ["060000", "W0099"]);
}
