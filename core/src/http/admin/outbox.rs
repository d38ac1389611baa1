//! `GET /admin/v1/outbox`: every mail queued to one address.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::domain::{Email, FieldCode};
use crate::http::AppState;
use crate::http::auth::Operator;
use crate::http::problem::Problem;
use crate::service::Error;
use crate::service::admin::{self, Outbox};

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(outbox))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct OutboxQuery {
    /// The recipient's address.
    to: String,
}

/// Every mail queued to one address.
#[utoipa::path(
    get, path = "/admin/v1/outbox", tag = "admin",
    security(("operator" = [])),
    params(OutboxQuery),
    responses(
        (status = 200, description = "The mails", body = Outbox),
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
    let to = Email::parse(&query.to).map_err(|invalid| Error::invalid_field("to", invalid))?;
    Ok(Json(admin::outbox(&state.ctx, &to).await?))
}
