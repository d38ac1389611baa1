//! `GET /v1/line-notification`, `POST /v1/line-notification/applications` (docs/line-notification.md).

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use super::applicant::{ApplicantRequest, parse_applicant};
use super::auth::Member;
use super::idempotency::Submission;
use super::json::JsonBody;
use super::openapi::IdempotencyKey;
use super::problem::Problem;
use super::terms::ConsentRequest;
use crate::domain::text::keyword;
use crate::domain::{FieldCode, FieldErrors, ProviderCode, Setting};
use crate::service::line_notification::{
    self, Application, Applied, Change, Confirmation, LineNotification, Outcome,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(overview))
        .routes(routes!(apply))
}

/// Every service provider with the member's 通知可否設定.
#[utoipa::path(
    get, path = "/v1/line-notification", tag = "line-notification",
    security(("member" = [])),
    responses(
        (status = 200, description = "通知可否設定の一覧", body = LineNotification),
    )
)]
async fn overview(
    State(state): State<AppState>,
    Member(session): Member,
) -> Result<Json<LineNotification>, Problem> {
    Ok(Json(
        line_notification::overview(&state.ctx, &session.customer_id).await?,
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApplicationRequest {
    /// At least one; each provider at most once.
    changes: Vec<ChangeRequest>,
    #[serde(default)]
    consent: Option<ConsentRequest>,
    applicant: ApplicantRequest,
    /// `true`: the confirmation screen's content, nothing changes.
    #[serde(default)]
    dry_run: Option<bool>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangeRequest {
    #[schema(example = "W0099")]
    provider_code: String,
    /// `notify` or `do_not_notify`.
    #[schema(value_type = Setting, example = "do_not_notify")]
    setting: String,
}

/// Every field rule of docs/line-notification.md, reported together.
fn parse_application(request: ApplicationRequest) -> Result<Application, FieldErrors> {
    let mut errors = FieldErrors::new();
    if request.changes.is_empty() {
        errors.push("changes", FieldCode::Required);
    }
    let mut changes = Vec::new();
    for (i, change) in request.changes.iter().enumerate() {
        let code = errors.check(
            &format!("changes[{i}].provider_code"),
            ProviderCode::parse(&change.provider_code),
        );
        let setting = errors.check(&format!("changes[{i}].setting"), keyword(&change.setting));
        if let Some(code) = &code
            && changes.iter().any(|c: &Change| &c.provider_code == code)
        {
            errors.push(
                &format!("changes[{i}].provider_code"),
                FieldCode::DuplicateProvider,
            );
            continue;
        }
        if let (Some(provider_code), Some(setting)) = (code, setting) {
            changes.push(Change {
                provider_code,
                setting,
            });
        }
    }
    let applicant = parse_applicant(&request.applicant, &mut errors);
    errors.finish(|| {
        Some(Application {
            changes,
            consent: request.consent.into(),
            applicant: applicant?,
            dry_run: request.dry_run == Some(true),
        })
    })
}

/// Apply for changes: with `dry_run` the confirmation screen, without it the receipt.
#[utoipa::path(
    post, path = "/v1/line-notification/applications", tag = "line-notification",
    security(("member" = [])),
    request_body = ApplicationRequest,
    params(IdempotencyKey),
    responses(
        (status = 200, description = "確認画面 (dry run)", body = Confirmation),
        (status = 201, description = "受付完了", body = Applied),
        (status = 404, description = "`provider_not_found`"),
        (status = 409, description = "`no_change`"),
        (status = 422, description = "`validation_failed`, `consent_required`"),
        (status = 429, description = "`too_many_applications`: 10 submitted today (Japan time)",
            headers(("Retry-After" = u64, description = "Seconds until midnight in Japan"))),
    )
)]
async fn apply(
    State(state): State<AppState>,
    Member(session): Member,
    submission: Submission,
    JsonBody(request): JsonBody<ApplicationRequest>,
) -> Result<Response, Problem> {
    let application = parse_application(request)?;
    let outcome = line_notification::apply(
        &state.ctx,
        &session.customer_id,
        application,
        submission.log(),
    )
    .await?;
    Ok(match outcome {
        Outcome::Confirmation(confirmation) => Json(confirmation).into_response(),
        Outcome::Applied(applied) => submission.created(applied),
    })
}
