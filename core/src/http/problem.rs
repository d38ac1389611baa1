//! RFC 9457 problem documents (docs/api.md): the one place where a refusal becomes a status
//! code, a stable `code` and human text in Japanese or English.

mod catalogue;
mod code;
mod lang;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

pub use code::ProblemCode;
pub use lang::Lang;

use crate::domain::{FieldError, FieldErrors};
use crate::service::Error;
use crate::store::StoreError;

/// A refusal, before it is put into words.
#[derive(Debug, Clone)]
pub struct Problem {
    pub code: ProblemCode,
    pub errors: Vec<FieldError>,
    pub retry_after_seconds: Option<u64>,
}

impl Problem {
    pub fn new(code: ProblemCode) -> Self {
        Self {
            code,
            errors: Vec::new(),
            retry_after_seconds: None,
        }
    }

    pub fn validation(errors: Vec<FieldError>) -> Self {
        Self {
            errors,
            ..Self::new(ProblemCode::ValidationFailed)
        }
    }

    pub fn not_found() -> Self {
        Self::new(ProblemCode::NotFound)
    }

    pub fn status(&self) -> StatusCode {
        self.code.status()
    }
}

/// Refused fields: 422 `validation_failed`, each field named.
impl From<FieldErrors> for Problem {
    fn from(errors: FieldErrors) -> Self {
        Self::validation(errors.0)
    }
}

impl From<Error> for Problem {
    fn from(error: Error) -> Self {
        use ProblemCode as C;
        match error {
            Error::Validation(errors) => errors.into(),
            Error::InvalidCredentials => Self::new(C::InvalidCredentials),
            Error::AccountLocked => Self::new(C::AccountLocked),
            Error::InvalidUnlockCode => Self::new(C::InvalidUnlockCode),
            Error::TooManyAttempts {
                retry_after_seconds,
            } => Self {
                retry_after_seconds: Some(retry_after_seconds),
                ..Self::new(C::TooManyAttempts)
            },
            Error::TooManyApplications {
                retry_after_seconds,
            } => Self {
                retry_after_seconds: Some(retry_after_seconds),
                ..Self::new(C::TooManyApplications)
            },
            Error::MembershipCancelled => Self::new(C::MembershipCancelled),
            Error::AlreadyCancelled => Self::new(C::AlreadyCancelled),
            Error::Unauthorized => Self::new(C::Unauthorized),
            Error::NotFound => Self::not_found(),
            Error::SerialUnavailable => Self::new(C::SerialUnavailable),
            Error::LicenseExpired => Self::new(C::LicenseExpired),
            Error::ConsentRequired => Self::new(C::ConsentRequired),
            Error::ProviderNotFound => Self::new(C::ProviderNotFound),
            Error::NoChange => Self::new(C::NoChange),
            Error::ChangePending => Self::new(C::ChangePending),
            Error::ApplicationPending => Self::new(C::ApplicationPending),
            Error::NotApplicable => Self::new(C::NotApplicable),
            Error::InvalidTransition { .. } => Self::new(C::InvalidTransition),
            Error::ProviderExists => Self::new(C::ProviderExists),
            Error::InvalidCodeFormat => Self::new(C::InvalidCodeFormat),
            Error::CodeChecksumMismatch => Self::new(C::CodeChecksumMismatch),
            Error::CodeNotFound => Self::new(C::CodeNotFound),
            Error::SerialOrEmailMismatch => Self::new(C::SerialOrEmailMismatch),
            Error::CodeAlreadyRedeemed => Self::new(C::CodeAlreadyRedeemed),
            Error::CodeProductMismatch => Self::new(C::CodeProductMismatch),
            Error::RenewalNotNeeded => Self::new(C::RenewalNotNeeded),
            Error::UpgradeRequired => Self::new(C::UpgradeRequired),
            Error::ReaderTypeUnavailable => Self::new(C::ReaderTypeUnavailable),
            Error::ReaderLimitReached => Self::new(C::ReaderLimitReached),
            Error::UnsupportedPaymentMethod => Self::new(C::UnsupportedPaymentMethod),
            Error::DateInFuture => Self::new(C::DateInFuture),
            Error::Busy => {
                tracing::warn!("write conflicts did not settle");
                Self {
                    retry_after_seconds: Some(1),
                    ..Self::new(C::Busy)
                }
            }
            Error::Store(StoreError::Conflict(what)) => {
                tracing::warn!(%what, "unsettled write conflict");
                Self {
                    retry_after_seconds: Some(1),
                    ..Self::new(C::Busy)
                }
            }
            Error::Store(StoreError::Unavailable(what)) => {
                tracing::warn!(%what, "the store could not answer");
                Self {
                    retry_after_seconds: Some(1),
                    ..Self::new(C::Busy)
                }
            }
            Error::Store(StoreError::Throttled(what)) => {
                tracing::warn!(%what, "the store is throttling");
                Self {
                    retry_after_seconds: Some(1),
                    ..Self::new(C::Busy)
                }
            }
            Error::Store(error) => {
                tracing::error!(%error, "storage failure");
                Self::new(C::InternalError)
            }
        }
    }
}

/// The body of every error answer, as documented in the OpenAPI document.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProblemBody {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    /// The stable machine value clients branch on.
    pub code: String,
    pub detail: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldProblem>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FieldProblem {
    pub field: String,
    pub code: String,
    pub message: String,
}

impl Problem {
    pub fn body(&self, lang: Lang) -> ProblemBody {
        let (title, detail) = catalogue::texts(self.code, lang);
        let detail = match (self.retry_after_seconds, lang) {
            (Some(s), Lang::Ja) if self.code == ProblemCode::TooManyAttempts => {
                format!("{detail}（{s} 秒後に再度お試しください）")
            }
            (Some(s), Lang::En) if self.code == ProblemCode::TooManyAttempts => {
                format!("{detail} (try again in {s} seconds)")
            }
            _ => detail.to_owned(),
        };
        ProblemBody {
            kind: format!("urn:madoguchi:problem:{}", self.code),
            title: title.to_owned(),
            status: self.status().as_u16(),
            code: self.code.as_str().to_owned(),
            detail,
            errors: self
                .errors
                .iter()
                .map(|e| FieldProblem {
                    field: e.field.clone(),
                    code: e.code.as_str().to_owned(),
                    message: catalogue::field_message(e.code, lang).to_owned(),
                })
                .collect(),
        }
    }

    fn render(&self, lang: Lang) -> Response {
        let body = serde_json::to_vec(&self.body(lang)).expect("problem bodies serialise");
        let mut response = (self.status(), body).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        headers.insert(
            header::CONTENT_LANGUAGE,
            HeaderValue::from_static(match lang {
                Lang::Ja => "ja",
                Lang::En => "en",
            }),
        );
        if let Some(seconds) = self.retry_after_seconds {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        if self.status() == StatusCode::UNAUTHORIZED {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

impl IntoResponse for Problem {
    /// Renders in the language the request asked for (the edge layer reads it once), and
    /// keeps the problem in the response for the answer's metrics.
    fn into_response(self) -> Response {
        let mut response = self.render(Lang::asked());
        response.extensions_mut().insert(self);
        response
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        Problem::from(self).into_response()
    }
}
