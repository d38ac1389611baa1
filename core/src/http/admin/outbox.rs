//! `GET /admin/v1/outbox`: every mail queued to one address, or every mail that failed; and
//! `POST /admin/v1/outbox/failed/{mail_id}`: a failed mail sent again, or abandoned.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::domain::text::keyword;
use crate::domain::{Email, FieldCode};
use crate::domain::{FailedMailAction, MailStatus};
use crate::http::AppState;
use crate::http::auth::Operator;
use crate::http::idempotency::Submission;
use crate::http::json::JsonBody;
use crate::http::path::PathText;
use crate::http::problem::Problem;
use crate::service::Error;
use crate::service::admin::{self, Outbox, OutboxFilter, OutboxMail};

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(outbox))
        .routes(routes!(settle_failed_mail))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct OutboxQuery {
    /// The recipient's address: every mail to it. Required unless `status` is `failed`.
    to: Option<String>,
    /// `pending`, `sent`, `failed` or `abandoned`: only mails with this status. Without `to`, only
    /// `failed`: every mail given up after its last failed attempt (docs/mail.md).
    status: Option<String>,
}

/// Mails in the outbox: every mail queued to one address, or every mail that failed.
#[utoipa::path(
    get, path = "/admin/v1/outbox", tag = "admin",
    security(("operator" = [])),
    params(OutboxQuery),
    responses(
        (status = 200, description = "The mails, oldest first", body = Outbox),
        (status = 422, description = "`validation_failed`"),
    )
)]
async fn outbox(
    State(state): State<AppState>,
    _: Operator,
    query: Result<Query<OutboxQuery>, QueryRejection>,
) -> Result<Json<Outbox>, Problem> {
    let Ok(Query(query)) = query else {
        return Err(Error::invalid_field("to", FieldCode::Required).into());
    };
    let status = match &query.status {
        Some(status) => Some(
            keyword::<MailStatus>(status)
                .map_err(|invalid| Error::invalid_field("status", invalid))?,
        ),
        None => None,
    };
    let filter = match (&query.to, status) {
        (Some(to), status) => OutboxFilter::To(
            Email::parse(to).map_err(|invalid| Error::invalid_field("to", invalid))?,
            status,
        ),
        (None, Some(MailStatus::Failed)) => OutboxFilter::Failed,
        (None, _) => return Err(Error::invalid_field("to", FieldCode::Required).into()),
    };
    Ok(Json(admin::outbox(&state.ctx, &filter).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FailedMailDecision {
    /// `retry`: deliver it again, due at once with a fresh set of attempts; `abandon`: do
    /// not send it (it stays, `abandoned`, as the record of what was not sent).
    #[schema(value_type = FailedMailAction)]
    action: String,
}

/// Send a failed mail again, or abandon it (docs/mail.md#failed-mails).
#[utoipa::path(
    post, path = "/admin/v1/outbox/failed/{mail_id}", tag = "admin",
    security(("operator" = [])),
    params(("mail_id" = String, Path, description = "The mail's id, as `GET /admin/v1/outbox?status=failed` lists it")),
    request_body = FailedMailDecision,
    responses(
        (status = 200, description = "The mail as settled: `pending` again, or `abandoned`", body = OutboxMail),
        (status = 404, description = "`not_found`: no mail of that id on the failed list (settled already, or never failed)"),
        (status = 422, description = "`validation_failed`: `action`"),
    )
)]
async fn settle_failed_mail(
    State(state): State<AppState>,
    _: Operator,
    _: Submission,
    PathText(mail_id): PathText,
    JsonBody(decision): JsonBody<FailedMailDecision>,
) -> Result<Json<OutboxMail>, Problem> {
    let action = keyword::<FailedMailAction>(&decision.action)
        .map_err(|invalid| Error::invalid_field("action", invalid))?;
    Ok(Json(
        admin::settle_failed_mail(&state.ctx, &mail_id, action).await?,
    ))
}
