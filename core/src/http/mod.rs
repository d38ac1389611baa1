//! The HTTP contract (SPEC §1–3, §10): one router per operation, mounted together by
//! local-dev and one at a time by each Lambda function.

pub mod activation;
pub mod admin;
pub mod auth;
pub mod cancellation;
pub mod idempotency;
pub mod json;
pub mod line_notification;
pub mod login;
pub mod path;
pub mod problem;
pub mod reader;
pub mod receipts;
pub mod renewal;
pub mod terms;
pub mod usage;

use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router, middleware};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;

use crate::service::Context;
use problem::Problem;

/// SPEC §1: bodies over 64 KiB are 413.
pub const BODY_LIMIT: usize = 64 * 1024;

#[derive(Clone)]
pub struct AppState {
    pub ctx: Context,
    /// The operators' bearer token (SPEC §10); none where only IAM callers operate (§12).
    pub admin_token: Option<Arc<str>>,
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "madoguchi",
        description = "The self-service counter of a subscription security and ISP service.",
    ),
    modifiers(&BearerSchemes),
    tags(
        (name = "login", description = "ログイン"),
        (name = "usage", description = "ご利用状況の確認"),
        (name = "terms", description = "同意事項"),
        (name = "line-notification", description = "回線情報通知の通知可否設定"),
        (name = "renewal", description = "更新ユーザー登録"),
        (name = "readers", description = "ICカードリーダーの追加申込み"),
        (name = "cancellation", description = "解約"),
        (name = "receipts", description = "受付一覧"),
        (name = "admin", description = "Operators"),
    )
)]
struct ApiDoc;

struct BearerSchemes;

impl Modify for BearerSchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        for name in ["member", "operator"] {
            components.add_security_scheme(
                name,
                SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
            );
        }
    }
}

/// Every operation that takes a body can also answer 400 (not JSON), 413 (over 64 KiB) and
/// 415 (not `application/json`): documented once here instead of on every route.
struct BodyProblems;

impl Modify for BodyProblems {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
        let problem = |description: &str| {
            ResponseBuilder::new()
                .description(description)
                .content(
                    "application/problem+json",
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("ProblemBody")))
                        .build(),
                )
                .build()
        };
        for item in openapi.paths.paths.values_mut() {
            for operation in [&mut item.post, &mut item.put, &mut item.patch]
                .into_iter()
                .flatten()
            {
                if operation.request_body.is_none() {
                    continue;
                }
                let responses = &mut operation.responses.responses;
                for (status, description) in [
                    ("400", "`malformed_json`"),
                    ("413", "`payload_too_large`"),
                    ("415", "`unsupported_media_type`"),
                ] {
                    responses
                        .entry(status.to_owned())
                        .or_insert_with(|| problem(description).into());
                }
            }
        }
    }
}

/// Every operation's router, as local-dev serves them.
pub fn all_operations() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(login::router())
        .merge(usage::router())
        .merge(activation::router())
        .merge(terms::router())
        .merge(line_notification::router())
        .merge(renewal::router())
        .merge(reader::router())
        .merge(cancellation::router())
        .merge(receipts::router())
        .merge(admin::router())
}

/// Turns operation routers into the served app: `/openapi.json`, `/healthz`, the body
/// limit, problem answers for unknown paths, panics and language, and request tracing.
pub fn app(operations: OpenApiRouter<AppState>, state: AppState) -> Router {
    let (router, mut api) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(operations)
        .split_for_parts();
    // After the merge: the routes' operations exist only now.
    BodyProblems.modify(&mut api);
    let api = Arc::new(api);
    router
        .route("/openapi.json", get(move || async move { Json(api.as_ref().clone()) }))
        .route("/healthz", get(|| async { StatusCode::OK }))
        .fallback(|| async { Problem::not_found() })
        .method_not_allowed_fallback(|| async {
            Problem::new(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed")
        })
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
            Problem::new(StatusCode::INTERNAL_SERVER_ERROR, "internal_error").into_response()
        }))
        // Outside `localise`, so that a replay is the first answer to the letter…
        .layer(middleware::from_fn_with_state(state, idempotency::guard))
        // …and localised once more outside it, for the guard's own refusals.
        .layer(middleware::from_fn(problem::localise))
        // The span names the method and path only: query strings and headers may carry
        // addresses and tokens, which never reach the logs.
        .layer(TraceLayer::new_for_http().make_span_with(|request: &axum::extract::Request| {
            tracing::info_span!("request", method = %request.method(), path = %request.uri().path())
        }))
}
