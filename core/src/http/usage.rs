//! `GET /v1/usage` (docs/usage.md).

use axum::Json;
use axum::extract::State;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use super::auth::MemberWithSerials;
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
    MemberWithSerials(view): MemberWithSerials,
) -> Json<Usage> {
    Json(usage::usage_of(
        &view.member,
        &view.serials,
        state.ctx.today(),
    ))
}
