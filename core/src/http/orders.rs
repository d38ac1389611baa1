//! A member's orders (docs/orders.md): `GET /v1/orders`, `GET /v1/orders/{order_no}`, and
//! `POST /v1/orders/{order_no}/withdrawal`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use super::auth::Member;
use super::idempotency::Submission;
use super::openapi::IdempotencyKey;
use super::paging::{Page, PageQuery};
use super::path::PathText;
use super::problem::Problem;
use crate::domain::OrderNo;
use crate::service::Error;
use crate::service::orders::{self, OrderList, OrderView};
use crate::store::OrderPlace;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_orders))
        .routes(routes!(one_order))
        .routes(routes!(withdraw_order))
}

/// A number in a path; one of any other shape names no order.
pub(super) fn order_no(text: &str) -> Result<OrderNo, Problem> {
    OrderNo::parse(text).ok_or_else(|| Error::NotFound.into())
}

/// The member's orders, newest first, a page at a time.
#[utoipa::path(
    get, path = "/v1/orders", tag = "orders",
    security(("member" = [])),
    params(PageQuery),
    responses(
        (status = 200, description = "ご注文の一覧", body = OrderList),
        (status = 422, description = "`validation_failed`: `limit`, `cursor`"),
    )
)]
async fn list_orders(
    State(state): State<AppState>,
    Member(session): Member,
    Page(paging): Page<OrderPlace>,
) -> Result<Json<OrderList>, Problem> {
    Ok(Json(
        orders::orders_of(&state.ctx, &session.customer_id, paging).await?,
    ))
}

/// One of the member's orders, with its progress.
#[utoipa::path(
    get, path = "/v1/orders/{order_no}", tag = "orders",
    security(("member" = [])),
    params(("order_no" = String, Path, description = "注文番号")),
    responses(
        (status = 200, description = "The order", body = OrderView),
        (status = 404, description = "`not_found`: no such order of this member"),
    )
)]
async fn one_order(
    State(state): State<AppState>,
    Member(session): Member,
    PathText(number): PathText,
) -> Result<Json<OrderView>, Problem> {
    let number = order_no(&number)?;
    Ok(Json(
        orders::order_of(&state.ctx, &session.customer_id, &number).await?,
    ))
}

/// Withdraw an order before its work starts (or before a reader ships).
#[utoipa::path(
    post, path = "/v1/orders/{order_no}/withdrawal", tag = "orders",
    security(("member" = [])),
    params(("order_no" = String, Path, description = "注文番号"), IdempotencyKey),
    responses(
        (status = 200, description = "Withdrawn: the order, `failed` with reason `withdrawn`", body = OrderView),
        (status = 404, description = "`not_found`: no such order of this member"),
        (status = 409, description = "`invalid_transition`: the work has started, or the order has ended"),
        (status = 422, description = "`validation_failed`: `Idempotency-Key`"),
    )
)]
async fn withdraw_order(
    State(state): State<AppState>,
    Member(session): Member,
    PathText(number): PathText,
    submission: Submission,
) -> Result<Response, Problem> {
    let number = order_no(&number)?;
    let withdrawn =
        orders::withdraw(&state.ctx, &session.customer_id, &number, submission.log()).await?;
    Ok(submission.answer(StatusCode::OK, withdrawn))
}
