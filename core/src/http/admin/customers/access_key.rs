//! `POST /admin/v1/customers/{customer_id}/access-key`: a new access key, which also lifts
//! a lock.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::customer_in_path;
use crate::http::AppState;
use crate::http::auth::Operator;
use crate::http::idempotency::Submission;
use crate::http::path::PathText;
use crate::http::problem::Problem;
use crate::service::admin::{self, ReissuedAccessKey};

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(reissue_access_key))
}

/// Reissue the access key; this also lifts a lock.
#[utoipa::path(
    post, path = "/admin/v1/customers/{customer_id}/access-key", tag = "admin",
    security(("operator" = [])),
    params(("customer_id" = String, Path, description = "お客さまID")),
    responses(
        (status = 200, description = "The new access key, shown this once", body = ReissuedAccessKey),
        (status = 404, description = "`not_found`"),
        (status = 409, description = "`membership_cancelled`"),
    )
)]
async fn reissue_access_key(
    State(state): State<AppState>,
    _: Operator,
    PathText(customer_id): PathText,
    submission: Submission,
) -> Result<Response, Problem> {
    let customer_id = customer_in_path(&customer_id)?;
    let reissued = admin::reissue_access_key(&state.ctx, &customer_id, submission.log()).await?;
    Ok(submission.answer(StatusCode::OK, reissued))
}
