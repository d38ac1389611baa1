//! `POST /v1/sessions`, `DELETE /v1/sessions/current` (docs/login.md).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use super::auth::{ClientIp, Member};
use super::idempotency::Submission;
use super::json::JsonBody;
use super::problem::Problem;
use crate::domain::{AccessKey, CustomerId, FieldErrors};
use crate::service::login::{self, LoggedIn};
use crate::service::session;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(log_in))
        .routes(routes!(log_out))
}

/// Not `Debug`: it carries the access key.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// お客さまID, `CAF` + 7 digits; case and width do not matter.
    #[schema(example = "CAF1234567")]
    customer_id: String,
    /// アクセスキー: case-sensitive.
    #[schema(format = Password)]
    access_key: String,
}

/// Log in with a customer ID and access key.
#[utoipa::path(
    post, path = "/v1/sessions", tag = "login",
    request_body = LoginRequest,
    responses(
        (status = 201, description = "Logged in", body = LoggedIn),
        (status = 401, description = "`invalid_credentials`"),
        (status = 403, description = "`membership_cancelled`"),
        (status = 422, description = "`validation_failed`"),
        (status = 423, description = "`account_locked`"),
        (status = 429, description = "`too_many_attempts`"),
    )
)]
async fn log_in(
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
    _: Submission,
    JsonBody(request): JsonBody<LoginRequest>,
) -> Result<(StatusCode, Json<LoggedIn>), Problem> {
    let mut errors = FieldErrors::new();
    let customer_id = errors.check("customer_id", CustomerId::parse(&request.customer_id));
    let access_key = errors.check("access_key", AccessKey::parse(&request.access_key));
    let (customer_id, access_key) = errors.finish(|| Some((customer_id?, access_key?)))?;
    let logged_in = login::log_in(&state.ctx, customer_id, access_key, client).await?;
    Ok((StatusCode::CREATED, Json(logged_in)))
}

/// Log out: the token is dead from now on.
#[utoipa::path(
    delete, path = "/v1/sessions/current", tag = "login",
    security(("member" = [])),
    responses(
        (status = 204, description = "Logged out"),
    )
)]
async fn log_out(
    State(state): State<AppState>,
    Member(current): Member,
) -> Result<StatusCode, Problem> {
    session::log_out(&state.ctx, &current).await?;
    Ok(StatusCode::NO_CONTENT)
}
