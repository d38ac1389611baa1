//! `GET /v1/receipts` (SPEC §1): everything the member has submitted, newest first.

use axum::Json;
use axum::extract::State;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use super::auth::Member;
use super::problem::Problem;
use crate::service::receipts::{self, Ledger};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(receipts))
}

/// The member's receipts, newest first.
#[utoipa::path(
    get, path = "/v1/receipts", tag = "receipts",
    security(("member" = [])),
    responses(
        (status = 200, description = "受付一覧", body = Ledger),
    )
)]
async fn receipts(
    State(state): State<AppState>,
    Member(session): Member,
) -> Result<Json<Ledger>, Problem> {
    Ok(Json(
        receipts::ledger(&state.ctx, &session.customer_id).await?,
    ))
}
