//! `GET /v1/support` (docs/support.md): the desk, its phone and hours, and where to buy a
//! purchase code or get a newer program. No login: a member locked out needs it most.

use axum::Json;
use axum::extract::State;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use crate::support::Support;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(support))
}

/// お問い合わせ先: who to call and when.
#[utoipa::path(
    get, path = "/v1/support", tag = "support",
    responses(
        (status = 200, description = "お問い合わせ先", body = Support),
    )
)]
async fn support(State(state): State<AppState>) -> Json<Support> {
    Json(state.ctx.settings.support.clone())
}
