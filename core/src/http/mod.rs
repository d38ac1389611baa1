//! The HTTP contract (docs/api.md, and each operation's page): one router per operation,
//! mounted together by local-dev and one at a time by each Lambda function.

pub mod activation;
pub mod admin;
pub mod applicant;
pub mod auth;
pub mod cancellation;
pub mod idempotency;
pub mod json;
pub mod line_notification;
pub mod login;
mod metered;
mod openapi;
pub mod orders;
pub mod paging;
pub mod path;
pub mod problem;
pub mod reader;
pub mod receipts;
pub mod renewal;
pub mod request_id;
pub mod services;
pub mod support;
pub mod terms;
pub mod unlock;
pub mod usage;

#[cfg(test)]
mod tests;

use std::sync::{Arc, LazyLock};

use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router, middleware};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;
use utoipa_axum::router::OpenApiRouter;

use crate::service::Context;
use problem::{Problem, ProblemCode};

/// docs/api.md: bodies over 64 KiB are 413.
pub const BODY_LIMIT: usize = 64 * 1024;

#[derive(Clone)]
pub struct AppState {
    pub ctx: Context,
    /// The operators' bearer token (docs/operators.md); none where only IAM callers operate (docs/cloud.md).
    pub admin_token: Option<Arc<str>>,
    /// The server's key for stored answers (docs/api.md).
    pub sealing_key: crate::secret::SealingKey,
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

/// The OpenAPI document of the whole API (docs/api.md), built on first use: a Lambda function
/// serving a few operations still describes them all, without paying for it at start.
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
/// `/healthz`, the body limit, problem answers for unknown paths, panics and language, and
/// request tracing.
pub fn app(operations: OpenApiRouter<AppState>, state: AppState) -> Router {
    let (router, _) = operations.split_for_parts();
    router
        .route(
            "/openapi.json",
            get(|| async { Json(api_document().clone()) }),
        )
        .route("/healthz", get(|| async { StatusCode::OK }))
        .fallback(|| async { Problem::not_found() })
        .method_not_allowed_fallback(|| async { Problem::new(ProblemCode::MethodNotAllowed) })
        .with_state(state.clone())
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(middleware::from_fn(problem::localise))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
        // Inside the idempotency guard, so that a panic is a 500 that releases its key.
        .layer(CatchPanicLayer::custom(|_| -> Response {
            tracing::error!("a handler panicked");
            Problem::new(ProblemCode::InternalError).into_response()
        }))
        // Outside `localise`, so that a replay is the first answer to the letter…
        .layer(middleware::from_fn_with_state(state, idempotency::guard))
        // …and localised once more outside it, for the guard's own refusals.
        .layer(middleware::from_fn(problem::localise))
        .layer(middleware::from_fn(metered::count))
        // The span names the request's id, method and path only: query strings and headers
        // may carry addresses and tokens, which never reach the logs.
        .layer(
            TraceLayer::new_for_http().make_span_with(|request: &axum::extract::Request| {
                tracing::info_span!(
                    "request",
                    request_id = %request_id::of(request),
                    method = %request.method(),
                    path = %request.uri().path(),
                )
            }),
        )
        .layer(middleware::from_fn(request_id::assign))
}
