//! `GET /v1/receipts` (docs/api.md): everything the member has submitted, newest first.

use axum::Json;
use axum::extract::State;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use super::auth::Member;
use super::paging::{Page, PageQuery};
use super::problem::Problem;
use crate::service::receipts::{self, Ledger};
use crate::store::ReceiptPlace;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(receipts))
}

/// The member's receipts, newest first, a page at a time.
#[utoipa::path(
    get, path = "/v1/receipts", tag = "receipts",
    security(("member" = [])),
    params(PageQuery),
    responses(
        (status = 200, description = "受付一覧", body = Ledger),
        (status = 422, description = "`validation_failed`: `limit`, `cursor`"),
    )
)]
async fn receipts(
    State(state): State<AppState>,
    Member(session): Member,
    Page(paging): Page<ReceiptPlace>,
) -> Result<Json<Ledger>, Problem> {
    Ok(Json(
        receipts::ledger(&state.ctx, &session.customer_id, paging).await?,
    ))
}
