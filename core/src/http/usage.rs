//! `GET /v1/usage` (SPEC §3).

use axum::Json;
use axum::extract::State;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use super::auth::Member;
use super::problem::Problem;
use crate::service::usage::{self, Usage};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(usage))
}

/// The services of the line and every serial, with the device each one protects.
#[utoipa::path(
    get, path = "/v1/usage", tag = "usage",
    security(("member" = [])),
    responses(
        (status = 200, description = "ご利用状況", body = Usage),
    )
)]
async fn usage(
    State(state): State<AppState>,
    Member(session): Member,
) -> Result<Json<Usage>, Problem> {
    Ok(Json(usage::usage(&state.ctx, &session.customer_id).await?))
}
