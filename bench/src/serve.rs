//! The read path's servers for an external load generator (`bench/read-path`): a bare axum
//! "hello" route and madoguchi over a fresh redb file with one member, each on its own
//! loopback port, until stopped. Prints, one per line, `HELLO=<url>`, `MADOGUCHI=<url>`
//! and `TOKEN=<a logged-in member's bearer token>`.
//!
//! `cargo run --release -p madoguchi-bench --bin serve`

use std::sync::Arc;

use axum::Router;
use axum::routing::get;
use madoguchi_core::http::{AppState, all_operations, app};
use madoguchi_core::service::admin::{NewCustomer, create_customer};
use madoguchi_core::store::redb::RedbStore;
use madoguchi_core::{Context, Settings, SystemClock};
use madoguchi_tests::serve;
use serde_json::json;

#[tokio::main]
async fn main() {
    // Listening for the stop before anything else, so that a stop during start-up is heard.
    let mut stop = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .expect("a SIGTERM handler");
    let dir = tempfile::tempdir().expect("a temp dir");
    let store = RedbStore::open(&dir.path().join("read-path.redb")).expect("a redb file");
    let ctx = Context::new(Arc::new(store), Arc::new(SystemClock), Settings::default());
    let member = NewCustomer {
        name: madoguchi_core::domain::PersonName::parse("山田 太郎").expect("a name"),
        email: madoguchi_core::domain::Email::parse("read@example.jp").expect("an address"),
        line: madoguchi_core::domain::Line::FletsNext,
        licenses: Vec::new(),
        services: Vec::new(),
    };
    let created = create_customer(&ctx, member, None).await.expect("a member");
    let state = AppState {
        ctx,
        admin_token: None,
        sealing_key: madoguchi_core::secret::SealingKey::generate(),
    };
    let madoguchi = serve(app(all_operations(), state)).await;
    let hello = serve(Router::new().route("/hello", get(|| async { "hello" }))).await;
    let login: serde_json::Value = reqwest::Client::new()
        .post(format!("{madoguchi}/v1/sessions"))
        .json(&json!({
            "customer_id": created.customer_id.to_string(),
            "access_key": created.access_key,
        }))
        .send()
        .await
        .expect("a login")
        .json()
        .await
        .expect("its answer");
    println!("HELLO={hello}");
    println!("MADOGUCHI={madoguchi}");
    println!("TOKEN={}", login["token"].as_str().expect("a token"));
    tokio::select! {
        _ = stop.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
}
