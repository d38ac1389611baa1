//! What the bench binaries measure against: madoguchi over a fresh redb file, and a bare
//! axum route beside it for comparison, each on its own loopback port.

use std::sync::Arc;

use axum::Router;
use axum::routing::get;
use madoguchi_core::http::{AppState, all_operations, app};
use madoguchi_core::service::admin::{CreatedCustomer, NewCustomer, NewLicense, create_customer};
use madoguchi_core::store::redb::RedbStore;
use madoguchi_core::{Context, Settings, SystemClock};
use madoguchi_tests::serve;

pub struct Servers {
    pub ctx: Context,
    /// The store behind `ctx`, for what only redb has (its session views kept or not).
    pub redb: RedbStore,
    /// madoguchi's base URL.
    pub madoguchi: String,
    /// The bare route's base URL (`/hello`).
    pub hello: String,
    /// Holds the redb file (and room for other files of a run) until the servers are done.
    pub dir: tempfile::TempDir,
}

pub async fn start() -> Servers {
    let dir = tempfile::tempdir().expect("a temp dir");
    let store = RedbStore::open(&dir.path().join("bench.redb")).expect("a redb file");
    let ctx = Context::new(
        Arc::new(store.clone()),
        Arc::new(SystemClock),
        Settings::default(),
    );
    let state = AppState::new(
        ctx.clone(),
        None,
        madoguchi_core::secret::SealingKey::generate(),
    );
    let madoguchi = serve(app(all_operations(), state)).await;
    let hello = serve(Router::new().route("/hello", get(|| async { "hello" }))).await;
    Servers {
        ctx,
        redb: store,
        madoguchi,
        hello,
        dir,
    }
}

/// A member on a flets_next line, made directly through the service.
pub async fn new_member(
    ctx: &Context,
    name: &str,
    email: &str,
    licenses: Vec<NewLicense>,
) -> CreatedCustomer {
    let member = NewCustomer {
        name: madoguchi_core::domain::PersonName::parse(name).expect("a name"),
        email: madoguchi_core::domain::Email::parse(email).expect("an address"),
        line: madoguchi_core::domain::Line::FletsNext,
        licenses,
        services: Vec::new(),
    };
    create_customer(ctx, member, None).await.expect("a member")
}
