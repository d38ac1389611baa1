//! `POST /admin/v1/jobs/expiry-reminders`: the reminder job, run by hand for a date.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::domain::text::date;
use crate::http::AppState;
use crate::http::auth::Operator;
use crate::http::idempotency::Submission;
use crate::http::json::JsonBody;
use crate::http::problem::Problem;
use crate::service::Error;
use crate::service::reminders::{self, Summary};

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(run_expiry_reminders))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReminderJobRequest {
    /// The day to run for (Japan time), today or earlier; today when absent.
    #[serde(default)]
    #[schema(example = "2026-11-22")]
    date: Option<String>,
}

/// Run the expiry-reminder job for a date, as the daily schedule does.
#[utoipa::path(
    post, path = "/admin/v1/jobs/expiry-reminders", tag = "admin",
    security(("operator" = [])),
    request_body = ReminderJobRequest,
    responses(
        (status = 200, description = "The job's summary", body = Summary),
        (status = 422, description = "`validation_failed`, `date_in_future`"),
    )
)]
async fn run_expiry_reminders(
    State(state): State<AppState>,
    _: Operator,
    _: Submission,
    JsonBody(request): JsonBody<ReminderJobRequest>,
) -> Result<Json<Summary>, Problem> {
    let day = match request.date.as_deref() {
        Some(raw) => date(raw).map_err(|invalid| Error::invalid_field("date", invalid))?,
        None => state.ctx.today(),
    };
    Ok(Json(reminders::run_chosen(&state.ctx, day).await?))
}
