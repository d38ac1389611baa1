//! `POST /admin/v1/codes`: purchase codes for a product and term.

use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::domain::text::keyword;
use crate::domain::{FieldCode, FieldErrors};
use crate::http::AppState;
use crate::http::auth::Operator;
use crate::http::idempotency::Submission;
use crate::http::json::JsonBody;
use crate::http::problem::Problem;
use crate::service::admin::{self, IssuedCodes};

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(issue_codes))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IssueCodesRequest {
    #[schema(example = "security-suite")]
    product: String,
    /// 1–120 months.
    #[schema(example = 12)]
    term_months: u32,
    /// 1–1000 codes.
    #[schema(example = 10)]
    count: u32,
}

/// Issue purchase codes for a product and term.
#[utoipa::path(
    post, path = "/admin/v1/codes", tag = "admin",
    security(("operator" = [])),
    request_body = IssueCodesRequest,
    responses(
        (status = 201, description = "The codes", body = IssuedCodes),
        (status = 422, description = "`validation_failed`"),
    )
)]
async fn issue_codes(
    State(state): State<AppState>,
    _: Operator,
    submission: Submission,
    JsonBody(request): JsonBody<IssueCodesRequest>,
) -> Result<Response, Problem> {
    let mut errors = FieldErrors::new();
    let product = errors.check("product", keyword(&request.product));
    if !(1..=120).contains(&request.term_months) {
        errors.push("term_months", FieldCode::OutOfRange);
    }
    if !(1..=1000).contains(&request.count) {
        errors.push("count", FieldCode::OutOfRange);
    }
    let product = errors.finish(|| product)?;
    let count = request.count as usize;
    let log = submission.log();
    let issued = admin::issue_codes(&state.ctx, product, request.term_months, count, log).await?;
    Ok(submission.created(issued))
}
