//! Why an operation refused. Each variant is one stable `code` of the API (docs/api.md#every-code-and-its-status); the HTTP layer
//! maps them to status codes and messages in one place (`http::problem`).

use crate::domain::{FieldCode, FieldErrors};
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("validation failed: {0:?}")]
    Validation(FieldErrors),
    #[error("invalid credentials")]
    InvalidCredentials,
    #[error("account locked")]
    AccountLocked,
    /// docs/login.md#self-service-unlock: one answer for a wrong, expired, used or void code, or a member who is
    /// not locked.
    #[error("invalid unlock code")]
    InvalidUnlockCode,
    #[error("too many failed attempts from this client")]
    TooManyAttempts { retry_after_seconds: u64 },
    /// docs/line-notification.md: the member's applications for today are used up.
    #[error("too many applications today")]
    TooManyApplications { retry_after_seconds: u64 },
    /// A cancelled member tried to use the service.
    #[error("membership cancelled")]
    MembershipCancelled,
    /// The membership was already cancelled when a change to it was asked for.
    #[error("membership already cancelled")]
    AlreadyCancelled,
    #[error("unauthorized")]
    Unauthorized,
    #[error("not found")]
    NotFound,
    #[error("serial unavailable")]
    SerialUnavailable,
    #[error("licence expired")]
    LicenseExpired,
    /// docs/line-notification.md, docs/renewal.md: the terms were not agreed to, or not their current version.
    #[error("consent required")]
    ConsentRequired,
    #[error("provider not found")]
    ProviderNotFound,
    /// A change asked for the setting the provider already has.
    #[error("no change")]
    NoChange,
    /// docs/line-notification.md: a change to a provider whose earlier change is still an open order.
    #[error("a change to this provider is pending")]
    ChangePending,
    /// docs/services.md: the service has an order still open.
    #[error("an application for this service is pending")]
    ApplicationPending,
    /// docs/services.md: the service does not offer this action in its state.
    #[error("the service does not offer this action now")]
    NotApplicable,
    /// docs/orders.md: a move an order cannot make (backwards, or after its end).
    #[error("the order cannot move from {from:?} to {to:?}")]
    InvalidTransition {
        from: crate::domain::OrderStatus,
        to: crate::domain::OrderStatus,
    },
    #[error("provider already registered")]
    ProviderExists,
    #[error("invalid renewal code format")]
    InvalidCodeFormat,
    #[error("renewal code checksum mismatch")]
    CodeChecksumMismatch,
    #[error("renewal code not found")]
    CodeNotFound,
    /// One answer for an unknown serial and a wrong email (docs/renewal.md).
    #[error("serial or email mismatch")]
    SerialOrEmailMismatch,
    #[error("renewal code already redeemed")]
    CodeAlreadyRedeemed,
    #[error("renewal code is for another product")]
    CodeProductMismatch,
    /// 月額サービスは更新不要.
    #[error("monthly licences renew themselves")]
    RenewalNotNeeded,
    #[error("the program must be upgraded first")]
    UpgradeRequired,
    #[error("reader type not orderable")]
    ReaderTypeUnavailable,
    #[error("reader limit reached")]
    ReaderLimitReached,
    #[error("unsupported payment method")]
    UnsupportedPaymentMethod,
    /// docs/reminders.md: the operators' run of the reminder job for a day still to come.
    #[error("the date is after today in Japan")]
    DateInFuture,
    /// Write conflicts did not settle within the retry budget.
    #[error("too busy to settle concurrent writes")]
    Busy,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Error {
    pub fn invalid_field(field: &str, code: FieldCode) -> Self {
        let mut errors = FieldErrors::new();
        errors.push(field, code);
        Self::Validation(errors)
    }
}
