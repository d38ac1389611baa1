//! `GET /admin/v1/outbox`: every mail queued to one address, or every mail that failed.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::domain::MailStatus;
use crate::domain::text::keyword;
use crate::domain::{Email, FieldCode};
use crate::http::AppState;
use crate::http::auth::Operator;
use crate::http::problem::Problem;
use crate::service::Error;
use crate::service::admin::{self, Outbox, OutboxFilter};

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(outbox))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct OutboxQuery {
    /// The recipient's address: every mail to it. Required unless `status` is `failed`.
    to: Option<String>,
    /// `pending`, `sent` or `failed`: only mails with this status. Without `to`, only
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
