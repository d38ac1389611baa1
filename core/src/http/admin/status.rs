//! `GET /admin/v1/status`: the outbox, the reminder job, the open orders, the store and the
//! build, at a glance (docs/operations.md#the-status-view).

use axum::Json;
use axum::extract::State;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::http::AppState;
use crate::http::auth::Operator;
use crate::http::problem::Problem;
use crate::service::admin::{self, StatusView};

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(status))
}

/// What is waiting and what last ran: read from counters and single reads, never a scan.
#[utoipa::path(
    get, path = "/admin/v1/status", tag = "admin",
    security(("operator" = [])),
    responses((status = 200, description = "The status view", body = StatusView))
)]
async fn status(State(state): State<AppState>, _: Operator) -> Result<Json<StatusView>, Problem> {
    Ok(Json(admin::status(&state.ctx).await?))
}
