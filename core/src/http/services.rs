//! サービスの申込・変更・廃止 (docs/services.md): `GET /v1/services` and
//! `POST /v1/services/{service}/applications`.

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use super::applicant::{ApplicantRequest, parse_applicant};
use super::auth::{Member, MemberWithSerials};
use super::idempotency::Submission;
use super::json::{JsonBody, json_answer, to_json_bytes};
use super::openapi::IdempotencyKey;
use super::path::PathText;
use super::problem::Problem;
use super::terms::ConsentRequest;
use crate::domain::catalogue::ServiceAction;
use crate::domain::text::keyword;
use crate::domain::{FieldErrors, Service};
use crate::service::Error;
use crate::service::services::{self, Accepted, Application, Confirmation, Outcome, Services};
use crate::store::kept_or_made;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_services))
        .routes(routes!(apply))
}

/// A service named in a path; any other name is no service.
pub(super) fn service_named(text: &str) -> Result<Service, Problem> {
    keyword::<Service>(text).map_err(|_| Error::NotFound.into())
}

/// Every service of the line: its status, fee, description, and what can be applied for.
#[utoipa::path(
    get, path = "/v1/services", tag = "services",
    security(("member" = [])),
    responses((status = 200, description = "サービスの一覧", body = Services))
)]
async fn list_services(
    State(state): State<AppState>,
    MemberWithSerials(view): MemberWithSerials,
) -> Result<Response, Problem> {
    let catalogue = services::catalogue_now(&state.ctx).await?;
    // Made once per kept view and catalogue (`store::ViewAnswers`): the member's next read
    // copies the bytes.
    let kept = view.answers.as_deref().map(|answers| &answers.services);
    let body = kept_or_made(kept, catalogue.version(), || {
        to_json_bytes(&catalogue.services(&view.member, &view.serials))
    })?;
    Ok(json_answer(body))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OptionsRequest {
    /// `change` of `security`: the ライセンスプラス serials wanted, 0–5.
    #[serde(default)]
    license_plus: Option<u8>,
    /// The `device_id` of every device the dry run named as losing its protection: the
    /// member confirms each.
    #[serde(default)]
    release_devices: Option<Vec<String>>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceApplicationRequest {
    /// `subscribe`, `change` or `terminate`.
    #[schema(value_type = ServiceAction, example = "subscribe")]
    action: String,
    #[serde(default)]
    options: Option<OptionsRequest>,
    #[serde(default)]
    consent: Option<ConsentRequest>,
    applicant: ApplicantRequest,
    /// `true`: the confirmation screen's content, nothing changes.
    #[serde(default)]
    dry_run: Option<bool>,
}

/// Apply to subscribe to, change or terminate a service: with `dry_run` the confirmation
/// screen, without it the receipt; the back office carries it out as an order.
#[utoipa::path(
    post, path = "/v1/services/{service}/applications", tag = "services",
    security(("member" = [])),
    params(("service" = Service, Path, description = "The service"), IdempotencyKey),
    request_body = ServiceApplicationRequest,
    responses(
        (status = 200, description = "確認画面 (dry run)", body = Confirmation),
        (status = 201, description = "受付完了", body = Accepted),
        (status = 403, description = "`membership_cancelled`"),
        (status = 404, description = "`not_found`: no such service"),
        (status = 409, description = "`application_pending`, `not_applicable`, `no_change`"),
        (status = 422, description = "`validation_failed`, `consent_required`"),
        (status = 429, description = "`too_many_applications`: 10 submitted today (Japan time), 回線情報通知 included",
            headers(("Retry-After" = u64, description = "Seconds until midnight in Japan"))),
    )
)]
async fn apply(
    State(state): State<AppState>,
    Member(session): Member,
    PathText(service): PathText,
    submission: Submission,
    JsonBody(request): JsonBody<ServiceApplicationRequest>,
) -> Result<Response, Problem> {
    let service = service_named(&service)?;
    let mut errors = FieldErrors::new();
    let action = errors.check("action", keyword::<ServiceAction>(&request.action));
    let applicant = parse_applicant(&request.applicant, &mut errors);
    let options = request.options.unwrap_or_default();
    let mut release_devices = Vec::new();
    for (i, device) in options.release_devices.iter().flatten().enumerate() {
        if let Some(device) = errors.check(
            &format!("options.release_devices[{i}]"),
            crate::domain::DeviceId::parse(device),
        ) {
            release_devices.push(device);
        }
    }
    let application = errors.finish(|| {
        Some(Application {
            action: action?,
            license_plus: options.license_plus,
            release_devices,
            consent: request.consent.into(),
            applicant: applicant?,
            dry_run: request.dry_run == Some(true),
        })
    })?;
    let outcome = services::apply(
        &state.ctx,
        &session.customer_id,
        service,
        application,
        submission.log(),
    )
    .await?;
    Ok(match outcome {
        Outcome::Confirmation(confirmation) => Json(confirmation).into_response(),
        Outcome::Accepted(accepted) => submission.created(accepted),
    })
}
