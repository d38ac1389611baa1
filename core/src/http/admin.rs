//! The operators' API under `/admin/v1` (SPEC §10).

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use super::auth::Operator;
use super::idempotency::Submission;
use super::json::JsonBody;
use super::path::PathText;
use super::problem::{Problem, ProblemBody};
use crate::domain::text::{bounded_text, date, keyword};
use crate::domain::{
    CustomerId, Email, FieldErrors, Invalid, PersonName, Provider, ProviderCode, ServiceApplication,
};
use crate::mail::MailStatus;
use crate::service::Error;
use crate::service::admin::{
    self, CreatedCustomer, CustomerState, IssuedCodes, NewCustomer, NewLicense, Outbox,
    OutboxFilter, ReissuedAccessKey,
};
use crate::service::reminders::{self, Summary};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_customer))
        .routes(routes!(customer_state))
        .routes(routes!(reissue_access_key))
        .routes(routes!(outbox))
        .routes(routes!(issue_codes))
        .routes(routes!(register_provider))
        .routes(routes!(run_expiry_reminders))
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
    /// Licences to issue. Without a `standard` one, the line gets a monthly standard serial.
    #[serde(default)]
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

fn parse_new_customer(request: NewCustomerRequest) -> Result<NewCustomer, Error> {
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
                    Err(Invalid("out_of_range"))
                }
            };
            let expires_on = match &l.expires_on {
                Some(raw) => errors.check(&field("expires_on"), date(raw).and_then(in_range)),
                None => Some(None),
            };
            if l.version == Some(0) {
                errors.push(&field("version"), Invalid::INVALID_VALUE);
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
    if !errors.is_empty() {
        return Err(Error::Validation(errors));
    }
    Ok(NewCustomer {
        name: name.expect("checked"),
        email: email.expect("checked"),
        line: line.expect("checked"),
        licenses: licenses.into_iter().map(|l| l.expect("checked")).collect(),
        services: services.into_iter().map(|s| s.expect("checked")).collect(),
    })
}

fn customer_in_path(raw: &str) -> Result<CustomerId, Problem> {
    CustomerId::parse(raw).map_err(|_| Problem::not_found())
}

/// Create a member; the answer holds the access key, shown this once.
#[utoipa::path(
    post, path = "/admin/v1/customers", tag = "admin",
    security(("operator" = [])),
    request_body = NewCustomerRequest,
    responses(
        (status = 201, description = "Created", body = CreatedCustomer),
        (status = 401, description = "`unauthorized`", body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`", body = ProblemBody, content_type = "application/problem+json"),
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

/// A member's full state.
#[utoipa::path(
    get, path = "/admin/v1/customers/{customer_id}", tag = "admin",
    security(("operator" = [])),
    params(("customer_id" = String, Path, description = "お客さまID")),
    responses(
        (status = 200, description = "The member", body = CustomerState),
        (status = 401, description = "`unauthorized`", body = ProblemBody, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`", body = ProblemBody, content_type = "application/problem+json"),
    )
)]
async fn customer_state(
    State(state): State<AppState>,
    _: Operator,
    PathText(customer_id): PathText,
) -> Result<Json<CustomerState>, Problem> {
    let customer_id = customer_in_path(&customer_id)?;
    Ok(Json(admin::customer_state(&state.ctx, &customer_id).await?))
}

/// Reissue the access key; this also lifts a lock.
#[utoipa::path(
    post, path = "/admin/v1/customers/{customer_id}/access-key", tag = "admin",
    security(("operator" = [])),
    params(("customer_id" = String, Path, description = "お客さまID")),
    responses(
        (status = 200, description = "The new access key, shown this once", body = ReissuedAccessKey),
        (status = 401, description = "`unauthorized`", body = ProblemBody, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`", body = ProblemBody, content_type = "application/problem+json"),
        (status = 409, description = "`membership_cancelled`", body = ProblemBody, content_type = "application/problem+json"),
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

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct OutboxQuery {
    /// The recipient's address: every mail to it. Required unless `status` is `failed`.
    to: Option<String>,
    /// `pending`, `sent` or `failed`: only mails with this status. Without `to`, only
    /// `failed`: every mail given up after its last failed attempt (SPEC §9).
    status: Option<String>,
}

/// Mails in the outbox: every mail queued to one address, or every mail that failed.
#[utoipa::path(
    get, path = "/admin/v1/outbox", tag = "admin",
    security(("operator" = [])),
    params(OutboxQuery),
    responses(
        (status = 200, description = "The mails, oldest first", body = Outbox),
        (status = 401, description = "`unauthorized`", body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`", body = ProblemBody, content_type = "application/problem+json"),
    )
)]
async fn outbox(
    State(state): State<AppState>,
    _: Operator,
    query: Result<Query<OutboxQuery>, QueryRejection>,
) -> Result<Json<Outbox>, Problem> {
    let Ok(Query(query)) = query else {
        return Err(Error::invalid_field("to", Invalid::REQUIRED).into());
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
        (None, _) => return Err(Error::invalid_field("to", Invalid::REQUIRED).into()),
    };
    Ok(Json(admin::outbox(&state.ctx, &filter).await?))
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
        (status = 401, description = "`unauthorized`", body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`", body = ProblemBody, content_type = "application/problem+json"),
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
        errors.push("term_months", Invalid("out_of_range"));
    }
    if !(1..=1000).contains(&request.count) {
        errors.push("count", Invalid("out_of_range"));
    }
    let (Some(product), true) = (product, errors.is_empty()) else {
        return Err(Error::Validation(errors).into());
    };
    let count = request.count as usize;
    let log = submission.log();
    let issued = admin::issue_codes(&state.ctx, product, request.term_months, count, log).await?;
    Ok(submission.created(issued))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProviderRequest {
    #[schema(example = "W0100")]
    provider_code: String,
    provider_name: String,
    service_name: String,
}

/// Register a service provider; every member starts at 通知する for it.
#[utoipa::path(
    post, path = "/admin/v1/providers", tag = "admin",
    security(("operator" = [])),
    request_body = ProviderRequest,
    responses(
        (status = 201, description = "Registered", body = Provider),
        (status = 401, description = "`unauthorized`", body = ProblemBody, content_type = "application/problem+json"),
        (status = 409, description = "`provider_exists`", body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`", body = ProblemBody, content_type = "application/problem+json"),
    )
)]
async fn register_provider(
    State(state): State<AppState>,
    _: Operator,
    submission: Submission,
    JsonBody(request): JsonBody<ProviderRequest>,
) -> Result<Response, Problem> {
    let mut errors = FieldErrors::new();
    let provider_code = errors.check("provider_code", ProviderCode::parse(&request.provider_code));
    let provider_name = errors.check("provider_name", bounded_text(&request.provider_name, 60));
    let service_name = errors.check("service_name", bounded_text(&request.service_name, 60));
    let (Some(provider_code), Some(provider_name), Some(service_name)) =
        (provider_code, provider_name, service_name)
    else {
        return Err(Error::Validation(errors).into());
    };
    let provider = Provider {
        provider_code,
        provider_name,
        service_name,
    };
    let registered = admin::register_provider(&state.ctx, provider, submission.log()).await?;
    Ok(submission.created(registered))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReminderJobRequest {
    /// The day to run for (Japan time); today when absent.
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
        (status = 401, description = "`unauthorized`", body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`", body = ProblemBody, content_type = "application/problem+json"),
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
    Ok(Json(reminders::run(&state.ctx, day).await?))
}
