//! `POST /v1/renewals` (docs/renewal.md): no login needed; the serial and its registered email
//! prove ownership (with a login, the serial being the caller's does).

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use super::auth::{ClientIp, MaybeMember};
use super::idempotency::Submission;
use super::json::JsonBody;
use super::openapi::IdempotencyKey;
use super::problem::Problem;
use super::terms::ConsentRequest;
use crate::domain::{CodeRefusal, Email, RenewalCode, Serial};
use crate::service::Error;
use crate::service::renewal::{self, Outcome, Quote, RenewalRequest, Renewed};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(renew))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RenewalRequestBody {
    /// 購入コード: `XXXXX-XXXXX-XXXXX-XXXXX`; case, width, hyphens and spaces do not matter.
    code: String,
    /// 現在ご利用中のシリアル番号.
    serial: String,
    /// The address the serial is registered with. Without a session it is required; with
    /// one it may be left out, the caller's own serial being proof enough.
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    consent: Option<ConsentRequest>,
    #[serde(default)]
    dry_run: Option<bool>,
}

fn parse(request: RenewalRequestBody, logged_in: bool) -> Result<RenewalRequest, Error> {
    // docs/renewal.md: a typo is caught by the check symbol, before any look-up. The code
    // comes first: it is what is most often mistyped, and the portal shows its answer with
    // the fields it found empty (an empty email included).
    let code = RenewalCode::parse(&request.code).map_err(|refusal| match refusal {
        CodeRefusal::Format => Error::InvalidCodeFormat,
        CodeRefusal::Checksum => Error::CodeChecksumMismatch,
    })?;
    let email = match request.email.as_deref().map(str::trim) {
        None | Some("") if logged_in => None,
        typed => Some(
            Email::parse(typed.unwrap_or_default())
                .map_err(|invalid| Error::invalid_field("email", invalid))?,
        ),
    };
    // A serial that cannot exist is one more serial that is not theirs: the service answers
    // it as such, after the consent check and within the per-client limit.
    let serial = Serial::parse(&request.serial).ok();
    Ok(RenewalRequest {
        code,
        serial,
        email,
        consent: request.consent.into(),
        dry_run: request.dry_run == Some(true),
    })
}

/// Renew a term licence with a purchase code; with `dry_run`, the new expiry only.
#[utoipa::path(
    post, path = "/v1/renewals", tag = "renewal",
    request_body = RenewalRequestBody,
    params(IdempotencyKey),
    responses(
        (status = 200, description = "確認画面 (dry run)", body = Quote),
        (status = 201, description = "更新完了", body = Renewed),
        (status = 401, description = "`unauthorized`: a token was sent that is not live"),
        (status = 403, description = "`membership_cancelled`"),
        (status = 404, description = "`code_not_found`, `serial_or_email_mismatch`"),
        (status = 409, description = "`code_already_redeemed`, `code_product_mismatch`, `serial_unavailable`, `renewal_not_needed`, `upgrade_required`"),
        (status = 422, description = "`invalid_code_format`, `code_checksum_mismatch`, `consent_required`, `validation_failed`"),
        (status = 429, description = "`too_many_attempts`"),
    )
)]
async fn renew(
    State(state): State<AppState>,
    MaybeMember(session): MaybeMember,
    ClientIp(client): ClientIp,
    submission: Submission,
    JsonBody(request): JsonBody<RenewalRequestBody>,
) -> Result<Response, Problem> {
    let caller = session.as_ref().map(|s| &s.customer_id);
    let request = parse(request, caller.is_some())?;
    let outcome = renewal::renew(&state.ctx, request, caller, client, submission.log()).await?;
    Ok(match outcome {
        Outcome::Quote(quote) => Json(quote).into_response(),
        Outcome::Renewed(renewed) => submission.created(renewed),
    })
}
