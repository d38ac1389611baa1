//! docs/api.md: a submission with an `Idempotency-Key` never runs without its key claimed.

use std::net::SocketAddr;
use std::sync::atomic::Ordering;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Method, Request, StatusCode, header};
use serde_json::json;
use tower::ServiceExt;

use crate::http::{AppState, all_operations, app};
use crate::secret::SealingKey;
use crate::service::admin;
use crate::service::tests::Counter;
use crate::service::tests::failing_store::throttled_store;

/// When the caller's session cannot be looked up (the store throttles), the key cannot be
/// claimed: the request is refused with 503 instead of running unguarded, so that its
/// retry with the same key still has one effect.
#[tokio::test]
async fn a_submission_whose_session_cannot_be_looked_up_is_refused_not_run_unguarded() {
    let plain = Counter::open().await;
    let (store, ctx) = throttled_store(&plain, 0);
    admin::seed_providers(&ctx).await.expect("providers seeded");
    let counter = Counter {
        ctx: ctx.clone(),
        clock: plain.clock.clone(),
    };
    let member = counter.member(Vec::new()).await;
    let token = counter.token(&member).await;
    let router = app(
        all_operations(),
        AppState::new(ctx, None, SealingKey::generate()),
    );
    let order = || {
        let body = json!({"type": "usb_windows", "payment_method": "chocom"});
        Request::builder()
            .method(Method::POST)
            .uri("/v1/readers")
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(header::CONTENT_TYPE, "application/json")
            .header("idempotency-key", "order-1")
            .extension(ConnectInfo(SocketAddr::from(([192, 0, 2, 1], 50_000))))
            .body(Body::from(body.to_string()))
            .expect("a request")
    };
    let rentals = || async {
        let stored = counter.stored(&member).await;
        stored.readers.iter().filter(|r| r.rental).count()
    };

    store.session_failures_left.store(1, Ordering::SeqCst);
    let refused = router.clone().oneshot(order()).await.expect("an answer");
    assert_eq!(refused.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(refused.headers().contains_key(header::RETRY_AFTER));
    assert_eq!(rentals().await, 0, "nothing was ordered");

    let first = router.clone().oneshot(order()).await.expect("an answer");
    assert_eq!(first.status(), StatusCode::CREATED);
    let again = router.oneshot(order()).await.expect("an answer");
    assert_eq!(again.status(), StatusCode::CREATED);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(rentals().await, 1, "one order for one key");
}
