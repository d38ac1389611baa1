//! `PUT /admin/v1/services/{service}`: the service catalogue (docs/services.md).

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::domain::catalogue::{CatalogueEntry, ServiceAction};
use crate::domain::text::{bounded_text, keyword};
use crate::domain::{FieldCode, FieldErrors};
use crate::http::AppState;
use crate::http::auth::Operator;
use crate::http::json::JsonBody;
use crate::http::path::PathText;
use crate::http::problem::Problem;
use crate::http::services::service_named;
use crate::service::admin;

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(put_service))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CatalogueRequest {
    /// 1–40 characters.
    #[schema(example = "リモートサポートサービス")]
    name: String,
    /// 1–400 characters.
    description: String,
    /// Whole yen a month, tax included: 0–1,000,000.
    #[schema(example = 550)]
    monthly_fee: u64,
    /// The actions offered (`subscribe`, `change`, `terminate`); each only where it fits.
    #[schema(value_type = Vec<ServiceAction>)]
    actions: Vec<String>,
}

/// Set a service's name, description, monthly fee and the actions offered.
#[utoipa::path(
    put, path = "/admin/v1/services/{service}", tag = "admin",
    security(("operator" = [])),
    params(("service" = crate::domain::Service, Path, description = "The service")),
    request_body = CatalogueRequest,
    responses(
        (status = 200, description = "The entry as stored", body = CatalogueEntry),
        (status = 404, description = "`not_found`: no such service"),
        (status = 422, description = "`validation_failed`"),
    )
)]
async fn put_service(
    State(state): State<AppState>,
    _: Operator,
    PathText(service): PathText,
    JsonBody(request): JsonBody<CatalogueRequest>,
) -> Result<Json<CatalogueEntry>, Problem> {
    let service = service_named(&service)?;
    let mut errors = FieldErrors::new();
    let name = errors.check("name", bounded_text(&request.name, 40));
    let description = errors.check("description", bounded_text(&request.description, 400));
    if request.monthly_fee > 1_000_000 {
        errors.push("monthly_fee", FieldCode::InvalidValue);
    }
    let mut actions = Vec::new();
    for (i, action) in request.actions.iter().enumerate() {
        if let Some(action) =
            errors.check(&format!("actions[{i}]"), keyword::<ServiceAction>(action))
            && !actions.contains(&action)
        {
            actions.push(action);
        }
    }
    let entry = errors.finish(|| {
        Some(CatalogueEntry {
            service,
            name: name?,
            description: description?,
            monthly_fee: request.monthly_fee,
            actions,
        })
    })?;
    Ok(Json(admin::put_catalogue_entry(&state.ctx, entry).await?))
}
