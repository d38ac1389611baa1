//! お申込者情報 as a request gives it (docs/line-notification.md#applicant-details): one set of
//! field rules for every application to the back office, 回線情報通知 and services alike.

use serde::Deserialize;
use utoipa::ToSchema;

use crate::domain::provider::is_mobile_carrier;
use crate::domain::text::normalise;
use crate::domain::{ApplicantName, Email, FieldCode, FieldErrors, Phone};
use crate::service::applications::Applicant;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApplicantRequest {
    /// お名前: 1–20 characters, without `~ ～ | ｜ & %`.
    #[schema(example = "西日本 太郎")]
    name: String,
    /// ご連絡先電話番号: 10–11 digits, optional hyphens.
    #[schema(example = "06-0000-0000")]
    phone: String,
    /// ご連絡先メールアドレス: required for the completion mail; not a mobile carrier's.
    #[serde(default)]
    email: Option<String>,
    /// 工事完了通知メールを希望する.
    #[serde(default)]
    completion_email: Option<bool>,
}

/// The applicant, every field's problem pushed to `errors` under `applicant.<field>`.
pub fn parse_applicant(request: &ApplicantRequest, errors: &mut FieldErrors) -> Option<Applicant> {
    let name = errors.check("applicant.name", ApplicantName::parse(&request.name));
    let phone = errors.check("applicant.phone", Phone::parse(&request.phone));
    let completion_email = request.completion_email == Some(true);
    let typed_email = request
        .email
        .as_deref()
        .map(normalise)
        .filter(|e| !e.is_empty());
    let email = match typed_email {
        Some(typed) => errors.check("applicant.email", Email::parse(&typed)),
        None if completion_email => {
            errors.push("applicant.email", FieldCode::Required);
            None
        }
        None => None,
    };
    if completion_email && email.as_ref().is_some_and(is_mobile_carrier) {
        errors.push("applicant.email", FieldCode::MobileEmailNotAllowed);
    }
    Some(Applicant {
        name: name?,
        phone: phone?,
        email,
        completion_email,
    })
}
