//! `POST /v1/membership/cancellation` (docs/cancellation.md).

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use super::auth::Member;
use super::idempotency::Submission;
use super::json::JsonBody;
use super::openapi::IdempotencyKey;
use super::problem::Problem;
use crate::domain::text::{bounded_text, normalise};
use crate::service::Error;
use crate::service::cancellation::{self, CancellationRequest, Cancelled, Outcome, Preview};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(cancel))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CancellationRequestBody {
    /// 解約理由, up to 200 characters (optional).
    #[serde(default)]
    reason: Option<String>,
    #[serde(default)]
    dry_run: Option<bool>,
}

/// Cancel the membership; with `dry_run`, what it would do.
#[utoipa::path(
    post, path = "/v1/membership/cancellation", tag = "cancellation",
    security(("member" = [])),
    request_body = CancellationRequestBody,
    params(IdempotencyKey),
    responses(
        (status = 200, description = "確認画面 (dry run)", body = Preview),
        (status = 201, description = "受付完了", body = Cancelled),
        (status = 409, description = "`membership_cancelled`"),
        (status = 422, description = "`validation_failed`"),
    )
)]
async fn cancel(
    State(state): State<AppState>,
    Member(session): Member,
    submission: Submission,
    JsonBody(request): JsonBody<CancellationRequestBody>,
) -> Result<Response, Problem> {
    let reason = match request
        .reason
        .as_deref()
        .map(normalise)
        .filter(|r| !r.is_empty())
    {
        Some(reason) => Some(
            bounded_text(&reason, 200)
                .map_err(|invalid| Error::invalid_field("reason", invalid))?,
        ),
        None => None,
    };
    let request = CancellationRequest {
        reason,
        dry_run: request.dry_run == Some(true),
    };
    let outcome =
        cancellation::cancel(&state.ctx, &session.customer_id, request, submission.log()).await?;
    Ok(match outcome {
        Outcome::Preview(preview) => Json(preview).into_response(),
        Outcome::Cancelled(cancelled) => submission.created(cancelled),
    })
}
