//! `GET /admin/v1/customers/{customer_id}`: a member's full state.

use axum::Json;
use axum::extract::State;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::customer_in_path;
use crate::http::AppState;
use crate::http::auth::Operator;
use crate::http::path::PathText;
use crate::http::problem::Problem;
use crate::service::admin::{self, CustomerState};

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(customer_state))
}

/// A member's full state.
#[utoipa::path(
    get, path = "/admin/v1/customers/{customer_id}", tag = "admin",
    security(("operator" = [])),
    params(("customer_id" = String, Path, description = "お客さまID")),
    responses(
        (status = 200, description = "The member", body = CustomerState),
        (status = 404, description = "`not_found`"),
    )
)]
async fn customer_state(
    State(state): State<AppState>,
    _: Operator,
    PathText(customer_id): PathText,
) -> Result<Json<CustomerState>, Problem> {
    let customer_id = customer_in_path(&customer_id)?;
    Ok(Json(admin::customer_state(&state.ctx, &customer_id).await?))
}
