//! `POST /admin/v1/providers`: a new service provider.

use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::domain::text::bounded_text;
use crate::domain::{FieldErrors, Provider, ProviderCode};
use crate::http::AppState;
use crate::http::auth::Operator;
use crate::http::idempotency::Submission;
use crate::http::json::JsonBody;
use crate::http::problem::Problem;
use crate::service::admin;

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(register_provider))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProviderRequest {
    #[schema(example = "W0100")]
    provider_code: String,
    provider_name: String,
    service_name: String,
}

/// Register a service provider; every member starts at 通知する for it.
#[utoipa::path(
    post, path = "/admin/v1/providers", tag = "admin",
    security(("operator" = [])),
    request_body = ProviderRequest,
    responses(
        (status = 201, description = "Registered", body = Provider),
        (status = 409, description = "`provider_exists`"),
        (status = 422, description = "`validation_failed`"),
    )
)]
async fn register_provider(
    State(state): State<AppState>,
    _: Operator,
    submission: Submission,
    JsonBody(request): JsonBody<ProviderRequest>,
) -> Result<Response, Problem> {
    let mut errors = FieldErrors::new();
    let provider_code = errors.check("provider_code", ProviderCode::parse(&request.provider_code));
    let provider_name = errors.check("provider_name", bounded_text(&request.provider_name, 60));
    let service_name = errors.check("service_name", bounded_text(&request.service_name, 60));
    let provider = errors.finish(|| {
        Some(Provider {
            provider_code: provider_code?,
            provider_name: provider_name?,
            service_name: service_name?,
        })
    })?;
    let registered = admin::register_provider(&state.ctx, provider, submission.log()).await?;
    Ok(submission.created(registered))
}
