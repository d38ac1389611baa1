//! `GET /v1/terms/{kind}` (docs/line-notification.md, docs/renewal.md), and the consent every application carries.

use axum::Json;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use super::path::PathText;
use super::problem::Problem;
use crate::service::terms::{self, Consent, Terms, TermsKind};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(terms))
}

/// 同意: which version of the terms was read, and whether it was agreed to. Absent or
/// incomplete, it is no consent (422 `consent_required`).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsentRequest {
    #[serde(default)]
    terms_version: Option<String>,
    #[serde(default)]
    agreed: Option<bool>,
}

impl From<Option<ConsentRequest>> for Consent {
    fn from(request: Option<ConsentRequest>) -> Self {
        let request = request.unwrap_or_default();
        Consent {
            terms_version: request.terms_version.unwrap_or_default(),
            agreed: request.agreed == Some(true),
        }
    }
}

/// The current consent text of a kind of application.
#[utoipa::path(
    get, path = "/v1/terms/{kind}", tag = "terms",
    params(("kind" = String, Path, description = "`line-notification` or `renewal`")),
    responses(
        (status = 200, description = "同意事項", body = Terms),
        (status = 404, description = "`not_found`"),
    )
)]
async fn terms(PathText(kind): PathText) -> Result<Json<Terms>, Problem> {
    let kind = TermsKind::parse(&kind).ok_or_else(Problem::not_found)?;
    Ok(Json(terms::current(kind)))
}
