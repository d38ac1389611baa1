//! `POST`/`DELETE /v1/serials/{serial}/activation`, `GET /v1/serials/{serial}/history`
//! (docs/usage.md).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use super::auth::Member;
use super::idempotency::Submission;
use super::json::JsonBody;
use super::paging::{Page, PageQuery};
use super::path::PathText;
use super::problem::Problem;
use crate::domain::text::keyword;
use crate::domain::{DeviceId, DeviceName, FieldErrors, Os, Serial};
use crate::service::activation::{self, Activation, DeviceRequest, History};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(activate, deactivate))
        .routes(routes!(history))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActivationRequest {
    /// The security tool's identifier of the device.
    #[schema(
        min_length = 1,
        max_length = 64,
        pattern = "^[!-~]+$",
        example = "pc-1"
    )]
    device_id: String,
    /// `windows`, `mac` or `android`.
    #[schema(value_type = Os, example = "windows")]
    os: String,
    /// What the member calls the device.
    #[schema(
        min_length = 1,
        max_length = 64,
        pattern = r"\S",
        example = "リビングのPC"
    )]
    name: String,
}

/// A serial in the path: malformed ones cannot exist, so they are simply not found.
fn serial_in_path(raw: &str) -> Result<Serial, Problem> {
    Serial::parse(raw).map_err(|_| Problem::not_found())
}

/// Install the serial on a device; on another device than before, the serial moves.
#[utoipa::path(
    post, path = "/v1/serials/{serial}/activation", tag = "usage",
    security(("member" = [])),
    params(("serial" = String, Path, description = "シリアル番号")),
    request_body = ActivationRequest,
    responses(
        (status = 200, description = "利用中", body = Activation),
        (status = 404, description = "`not_found`"),
        (status = 409, description = "`serial_unavailable`, `license_expired`"),
        (status = 422, description = "`validation_failed`"),
    )
)]
async fn activate(
    State(state): State<AppState>,
    Member(session): Member,
    PathText(serial): PathText,
    submission: Submission,
    JsonBody(request): JsonBody<ActivationRequest>,
) -> Result<Response, Problem> {
    let serial = serial_in_path(&serial)?;
    let mut errors = FieldErrors::new();
    let device_id = errors.check("device_id", DeviceId::parse(&request.device_id));
    let os = errors.check("os", keyword::<Os>(&request.os));
    let name = errors.check("name", DeviceName::parse(&request.name));
    let device = errors.finish(|| {
        Some(DeviceRequest {
            device_id: device_id?,
            os: os?,
            name: name?,
        })
    })?;
    let customer_id = &session.customer_id;
    let result =
        activation::activate(&state.ctx, customer_id, &serial, device, submission.log()).await?;
    Ok(submission.answer(StatusCode::OK, result))
}

/// Release the serial from its device: インストール待ち again.
#[utoipa::path(
    delete, path = "/v1/serials/{serial}/activation", tag = "usage",
    security(("member" = [])),
    params(("serial" = String, Path, description = "シリアル番号")),
    responses(
        (status = 200, description = "インストール待ち", body = Activation),
        (status = 404, description = "`not_found`"),
        (status = 409, description = "`serial_unavailable`"),
    )
)]
async fn deactivate(
    State(state): State<AppState>,
    Member(session): Member,
    PathText(serial): PathText,
) -> Result<Json<Activation>, Problem> {
    let serial = serial_in_path(&serial)?;
    Ok(Json(
        activation::deactivate(&state.ctx, &session.customer_id, &serial).await?,
    ))
}

/// Every activation, move and release of the serial, oldest first, a page at a time.
#[utoipa::path(
    get, path = "/v1/serials/{serial}/history", tag = "usage",
    security(("member" = [])),
    params(("serial" = String, Path, description = "シリアル番号"), PageQuery),
    responses(
        (status = 200, description = "History", body = History),
        (status = 404, description = "`not_found`"),
        (status = 422, description = "`validation_failed`: `limit`, `cursor`"),
    )
)]
async fn history(
    State(state): State<AppState>,
    Member(session): Member,
    PathText(serial): PathText,
    Page(paging): Page<u64>,
) -> Result<Json<History>, Problem> {
    let serial = serial_in_path(&serial)?;
    Ok(Json(
        activation::history(&state.ctx, &session.customer_id, &serial, paging).await?,
    ))
}
