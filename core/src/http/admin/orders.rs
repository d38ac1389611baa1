//! The operators' orders (docs/orders.md): `GET /admin/v1/orders`, to find stuck work, and
//! `POST /admin/v1/orders/{order_no}/events`, where the back office reports progress.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::domain::text::{bounded_text, keyword};
use crate::domain::{FieldCode, FieldErrors, OrderStatus};
use crate::http::AppState;
use crate::http::auth::Operator;
use crate::http::json::JsonBody;
use crate::http::orders::order_no;
use crate::http::paging::{Page, PageQuery};
use crate::http::path::PathText;
use crate::http::problem::Problem;
use crate::service::Error;
use crate::service::orders::{self, OrderList, OrderView, Progress};
use crate::store::OrderPlace;

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_orders))
        .routes(routes!(report_progress))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct OrdersQuery {
    /// Only orders now in this status (`accepted`, `in_progress`, `awaiting_payment`,
    /// `paid`, `shipped`, `completed`, `failed`).
    status: Option<String>,
    /// Only orders placed before this instant (RFC 3339).
    placed_before: Option<String>,
}

/// Orders, newest first, a page at a time: by status, placed before a time.
#[utoipa::path(
    get, path = "/admin/v1/orders", tag = "admin",
    security(("operator" = [])),
    params(OrdersQuery, PageQuery),
    responses(
        (status = 200, description = "The orders, newest first", body = OrderList),
        (status = 422, description = "`validation_failed`: `status`, `placed_before`, `limit`, `cursor`"),
    )
)]
async fn list_orders(
    State(state): State<AppState>,
    _: Operator,
    query: Result<Query<OrdersQuery>, QueryRejection>,
    Page(paging): Page<OrderPlace>,
) -> Result<Json<OrderList>, Problem> {
    let Ok(Query(query)) = query else {
        return Err(Error::invalid_field("status", FieldCode::InvalidValue).into());
    };
    let mut errors = FieldErrors::new();
    let given = |value: &Option<String>| value.clone().filter(|v| !v.trim().is_empty());
    let status = match &given(&query.status) {
        Some(status) => errors
            .check("status", keyword::<OrderStatus>(status))
            .map(Some),
        None => Some(None),
    };
    let placed_before = match &given(&query.placed_before) {
        Some(at) => errors
            .check(
                "placed_before",
                at.trim()
                    .parse::<jiff::Timestamp>()
                    .map_err(|_| FieldCode::InvalidValue),
            )
            .map(Some),
        None => Some(None),
    };
    let (status, placed_before) = errors.finish(|| Some((status?, placed_before?)))?;
    Ok(Json(
        orders::list(&state.ctx, status, placed_before, paging).await?,
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProgressRequest {
    /// The back office's id of this report: the same id again changes nothing.
    #[schema(example = "bo-20261206-0001")]
    event_id: String,
    /// Where the order moved: `in_progress`, `completed`, `failed`; for a reader order
    /// `paid`, `shipped`, `completed`, `failed`.
    status: String,
    /// Why it failed, in words the member may read (at most 200 characters).
    reason: Option<String>,
}

/// The back office reports an order's progress. Completion applies the order's effect and
/// its mail; failure applies nothing and mails why.
#[utoipa::path(
    post, path = "/admin/v1/orders/{order_no}/events", tag = "admin",
    security(("operator" = [])),
    params(("order_no" = String, Path, description = "注文番号")),
    request_body = ProgressRequest,
    responses(
        (status = 200, description = "The order after the report (or as it was, for an event already reported)", body = OrderView),
        (status = 404, description = "`not_found`: no such order"),
        (status = 409, description = "`invalid_transition`: backwards, or after `completed` or `failed`"),
        (status = 422, description = "`validation_failed`: `event_id`, `status`, `reason`"),
    )
)]
async fn report_progress(
    State(state): State<AppState>,
    _: Operator,
    PathText(number): PathText,
    JsonBody(request): JsonBody<ProgressRequest>,
) -> Result<Json<OrderView>, Problem> {
    let number = order_no(&number)?;
    let mut errors = FieldErrors::new();
    let event_id = errors.check("event_id", bounded_text(&request.event_id, 100));
    let status = errors.check("status", keyword::<OrderStatus>(&request.status));
    let reason = match &request.reason {
        Some(reason) => errors.check("reason", bounded_text(reason, 200)).map(Some),
        None => Some(None),
    };
    let progress = errors.finish(|| {
        Some(Progress {
            event_id: event_id?,
            status: status?,
            reason: reason?,
        })
    })?;
    Ok(Json(orders::report(&state.ctx, &number, &progress).await?))
}
