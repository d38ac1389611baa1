//! `GET /v1/usage` (docs/usage.md).

use axum::extract::State;
use axum::response::Response;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use super::auth::MemberWithSerials;
use super::json::{json_answer, to_json_bytes};
use super::problem::Problem;
use crate::service::usage::{self, Usage};
use crate::store::kept_or_made;

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
) -> Result<Response, Problem> {
    let today = state.ctx.today();
    // Made once per kept view and day (`store::ViewAnswers`): the member's next read copies
    // the bytes.
    let kept = view.answers.as_deref().map(|answers| &answers.usage);
    let body = kept_or_made(kept, today, || {
        to_json_bytes::<Usage>(&usage::usage_of(&view.member, &view.serials, today))
    })?;
    Ok(json_answer(body))
}
