//! `POST /admin/v1/customers`: a new member, with the access key shown this once.

use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::domain::text::{date, keyword};
use crate::domain::{Email, FieldCode, FieldErrors, PersonName, ServiceApplication};
use crate::http::AppState;
use crate::http::auth::Operator;
use crate::http::idempotency::Submission;
use crate::http::json::JsonBody;
use crate::http::problem::Problem;
use crate::service::admin::{self, CreatedCustomer, NewCustomer, NewLicense};

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(create_customer))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCustomerRequest {
    #[schema(example = "山田 太郎")]
    name: String,
    email: String,
    /// `flets_next` or `collab`.
    #[schema(example = "flets_next")]
    line: String,
    /// Licences to issue, at most 40 with the line's standard one (`too_long` past that).
    /// Without a `standard` one, the line gets a monthly standard serial.
    #[serde(default)]
    #[schema(max_items = 40)]
    licenses: Vec<NewLicenseRequest>,
    /// Service applications to record; the line's defaults when absent.
    #[serde(default)]
    services: Vec<ServiceApplicationRequest>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewLicenseRequest {
    #[schema(example = "security-suite")]
    product: String,
    /// `standard` or `license_plus`.
    plan: String,
    /// `term` or `monthly`.
    billing: String,
    /// Required for `term`, absent for `monthly`.
    #[serde(default)]
    #[schema(format = Date)]
    expires_on: Option<String>,
    /// The program version; the product's current one when absent.
    #[serde(default)]
    version: Option<u32>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceApplicationRequest {
    service: String,
    status: String,
}

fn parse_new_customer(request: NewCustomerRequest) -> Result<NewCustomer, FieldErrors> {
    let mut errors = FieldErrors::new();
    let name = errors.check("name", PersonName::parse(&request.name));
    let email = errors.check("email", Email::parse(&request.email));
    let line = errors.check("line", keyword(&request.line));
    let licenses: Vec<Option<NewLicense>> = request
        .licenses
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let field = |name: &str| format!("licenses[{i}].{name}");
            let product = errors.check(&field("product"), keyword(&l.product));
            let plan = errors.check(&field("plan"), keyword(&l.plan));
            let billing = errors.check(&field("billing"), keyword(&l.billing));
            // Expiry dates live within this century; renewals add to them from there.
            let in_range = |d: jiff::civil::Date| {
                if (2000..=2100).contains(&d.year()) {
                    Ok(Some(d))
                } else {
                    Err(FieldCode::OutOfRange)
                }
            };
            let expires_on = match &l.expires_on {
                Some(raw) => errors.check(&field("expires_on"), date(raw).and_then(in_range)),
                None => Some(None),
            };
            if l.version == Some(0) {
                errors.push(&field("version"), FieldCode::InvalidValue);
            }
            Some(NewLicense {
                product: product?,
                plan: plan?,
                billing: billing?,
                expires_on: expires_on?,
                version: l.version,
            })
        })
        .collect();
    let services: Vec<Option<ServiceApplication>> = request
        .services
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let service = errors.check(&format!("services[{i}].service"), keyword(&s.service));
            let status = errors.check(&format!("services[{i}].status"), keyword(&s.status));
            Some(ServiceApplication {
                service: service?,
                status: status?,
            })
        })
        .collect();
    errors.finish(|| {
        Some(NewCustomer {
            name: name?,
            email: email?,
            line: line?,
            licenses: licenses.into_iter().collect::<Option<_>>()?,
            services: services.into_iter().collect::<Option<_>>()?,
        })
    })
}

/// Create a member; the answer holds the access key, shown this once.
#[utoipa::path(
    post, path = "/admin/v1/customers", tag = "admin",
    security(("operator" = [])),
    request_body = NewCustomerRequest,
    responses(
        (status = 201, description = "Created", body = CreatedCustomer),
        (status = 422, description = "`validation_failed`"),
    )
)]
async fn create_customer(
    State(state): State<AppState>,
    _: Operator,
    submission: Submission,
    JsonBody(request): JsonBody<NewCustomerRequest>,
) -> Result<Response, Problem> {
    let new = parse_new_customer(request)?;
    let created = admin::create_customer(&state.ctx, new, submission.log()).await?;
    Ok(submission.created(created))
}
