//! `POST /v1/account-unlock`, `POST /v1/account-unlock/confirm` (docs/login.md#self-service-unlock).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use super::auth::ClientIp;
use super::idempotency::Submission;
use super::json::JsonBody;
use super::problem::Problem;
use crate::domain::{CustomerId, FieldErrors, UnlockCode};
use crate::service::unlock;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(request_code))
        .routes(routes!(confirm))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UnlockRequest {
    /// お客さまID, `CAF` + 7 digits; case and width do not matter.
    #[schema(example = "CAF1234567")]
    customer_id: String,
}

/// Not `Debug`: it carries the code.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UnlockConfirmation {
    #[schema(example = "CAF1234567")]
    customer_id: String,
    /// 確認コード: the 8 digits mailed to the registered address.
    #[schema(example = "48213907")]
    code: String,
}

/// The same empty answer whatever happened: nothing is revealed.
#[derive(Serialize, ToSchema)]
pub struct Accepted {}

fn customer_id(input: &str) -> Result<CustomerId, Problem> {
    let mut errors = FieldErrors::new();
    let customer_id = errors.check("customer_id", CustomerId::parse(input));
    Ok(errors.finish(|| customer_id)?)
}

/// Ask for an unlock code: when the account is locked, a code valid for 30 minutes is
/// mailed to the registered address (at most 3 an hour). The answer is the same whether
/// the ID exists, is locked, or not.
#[utoipa::path(
    post, path = "/v1/account-unlock", tag = "login",
    request_body = UnlockRequest,
    responses(
        (status = 202, description = "Accepted; a code is mailed if the account is locked", body = Accepted),
        (status = 422, description = "`validation_failed`"),
    )
)]
async fn request_code(
    State(state): State<AppState>,
    _: Submission,
    JsonBody(request): JsonBody<UnlockRequest>,
) -> Result<(StatusCode, Json<Accepted>), Problem> {
    let customer_id = customer_id(&request.customer_id)?;
    unlock::request_code(&state.ctx, &customer_id).await?;
    Ok((StatusCode::ACCEPTED, Json(Accepted {})))
}

/// Lift the lock with the mailed code. The access key stays as it was.
#[utoipa::path(
    post, path = "/v1/account-unlock/confirm", tag = "login",
    request_body = UnlockConfirmation,
    responses(
        (status = 204, description = "Unlocked"),
        (status = 422, description = "`invalid_unlock_code`, `validation_failed`"),
        (status = 429, description = "`too_many_attempts`"),
    )
)]
async fn confirm(
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
    _: Submission,
    JsonBody(request): JsonBody<UnlockConfirmation>,
) -> Result<StatusCode, Problem> {
    let customer_id = customer_id(&request.customer_id)?;
    // Anything that cannot be a code is simply a wrong one, counted like the others.
    let code = UnlockCode::parse(&request.code);
    unlock::confirm(&state.ctx, &customer_id, code, client).await?;
    Ok(StatusCode::NO_CONTENT)
}
