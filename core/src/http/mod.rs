//! The HTTP contract (docs/api.md, and each operation's page): one router per operation,
//! mounted together by local-dev and one at a time by each Lambda function.

pub mod activation;
pub mod admin;
pub mod applicant;
pub mod auth;
pub mod cancellation;
pub mod edge;
pub mod idempotency;
pub mod json;
pub mod line_notification;
pub mod login;
mod openapi;
pub mod orders;
pub mod paging;
pub mod path;
pub mod problem;
pub mod reader;
pub mod receipts;
pub mod renewal;
pub mod services;
pub mod support;
pub mod terms;
pub mod unlock;
pub mod usage;

#[cfg(test)]
mod tests;

use std::sync::{Arc, LazyLock};

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::routing::get;
use tower::ServiceBuilder;
use utoipa_axum::router::OpenApiRouter;

use crate::service::Context;
use problem::{Problem, ProblemCode};

/// docs/api.md: bodies over 64 KiB are 413.
pub const BODY_LIMIT: usize = 64 * 1024;

/// What every route is served with. One `Arc`: every request's handler and guard take a
/// copy, which is then one count on one cache line rather than one per part.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

pub struct Shared {
    pub ctx: Context,
    /// The operators' bearer token (docs/operators.md); none where only IAM callers operate (docs/cloud.md).
    pub admin_token: Option<Arc<str>>,
    /// The server's key for stored answers (docs/api.md).
    pub sealing_key: crate::secret::SealingKey,
}

impl AppState {
    pub fn new(
        ctx: Context,
        admin_token: Option<Arc<str>>,
        sealing_key: crate::secret::SealingKey,
    ) -> Self {
        Self(Arc::new(Shared {
            ctx,
            admin_token,
            sealing_key,
        }))
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// Every operation's router, as local-dev serves them.
pub fn all_operations() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(login::router())
        .merge(unlock::router())
        .merge(support::router())
        .merge(usage::router())
        .merge(activation::router())
        .merge(terms::router())
        .merge(line_notification::router())
        .merge(renewal::router())
        .merge(reader::router())
        .merge(cancellation::router())
        .merge(receipts::router())
        .merge(orders::router())
        .merge(services::router())
        .merge(admin::router())
}

/// The OpenAPI document of the whole API, as served: `docs/openapi.json`, built into the
/// binary. Every app serves it, each Lambda function too, although it serves only a few
/// of the operations. Served from the file rather than built, a function links only its
/// own handlers (building the document merges every operation's router, handlers and all:
/// 1 MB of each arm64 `bootstrap`). A test keeps the file equal to `api_document()`.
pub const API_DOCUMENT_JSON: &str = include_str!("../../../docs/openapi.json");

/// The OpenAPI document of the whole API (docs/api.md), built from the routers'
/// declarations on first use: what `docs/openapi.json` must hold.
pub fn api_document() -> &'static utoipa::openapi::OpenApi {
    static DOCUMENT: LazyLock<utoipa::openapi::OpenApi> = LazyLock::new(|| {
        let (_, api) = OpenApiRouter::with_openapi(openapi::base())
            .merge(all_operations())
            .split_for_parts();
        openapi::with_common_problems(api)
    });
    &DOCUMENT
}

/// Turns operation routers into the served app: `/openapi.json` (of the whole API),
/// `/healthz`, the body limit, problem answers for unknown paths and panics, the
/// idempotency guard and the edge (request ids, tracing, language, metrics).
pub fn app(operations: OpenApiRouter<AppState>, state: AppState) -> Router {
    let (router, _) = operations.split_for_parts();
    let router = router
        .route(
            "/openapi.json",
            get(|| async {
                (
                    [(axum::http::header::CONTENT_TYPE, "application/json")],
                    API_DOCUMENT_JSON,
                )
            }),
        )
        .route("/healthz", get(|| async { StatusCode::OK }))
        .fallback(|| async { Problem::not_found() })
        .method_not_allowed_fallback(|| async { Problem::new(ProblemCode::MethodNotAllowed) })
        .with_state(state.clone());
    // One `layer` call with every layer: the router boxes each route's service once per
    // call (docs/performance.md#the-layers).
    let layers = ServiceBuilder::new()
        .layer(edge::Edge)
        .layer(idempotency::Guard(state));
    // Inside the idempotency guard, so that a panic is a 500 that releases its key. Where
    // a panic aborts the process (the release profile), there is nothing to catch, and the
    // layer would only cost every request its wrapping.
    #[cfg(panic = "unwind")]
    let layers = layers
        .map_response(axum::response::IntoResponse::into_response)
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(
            |_| -> axum::response::Response {
                tracing::error!("a handler panicked");
                axum::response::IntoResponse::into_response(Problem::new(
                    ProblemCode::InternalError,
                ))
            },
        ));
    router.layer(layers.layer(DefaultBodyLimit::max(BODY_LIMIT)))
}
