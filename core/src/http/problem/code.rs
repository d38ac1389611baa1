//! The stable `code` of every problem answer (docs/api.md) and the status it is answered with.

use axum::http::StatusCode;

use crate::domain::field_code::wire_codes;

wire_codes! {
    /// Why a request was refused. Two refusals share the wire code `membership_cancelled`:
    /// using a cancelled membership is 403, changing one is 409.
    pub enum ProblemCode {
        ValidationFailed = "validation_failed",
        MalformedJson = "malformed_json",
        UnsupportedMediaType = "unsupported_media_type",
        PayloadTooLarge = "payload_too_large",
        InvalidCredentials = "invalid_credentials",
        AccountLocked = "account_locked",
        TooManyAttempts = "too_many_attempts",
        InvalidUnlockCode = "invalid_unlock_code",
        TooManyApplications = "too_many_applications",
        MembershipCancelled = "membership_cancelled",
        AlreadyCancelled = "membership_cancelled",
        Unauthorized = "unauthorized",
        NotFound = "not_found",
        MethodNotAllowed = "method_not_allowed",
        SerialUnavailable = "serial_unavailable",
        LicenseExpired = "license_expired",
        ConsentRequired = "consent_required",
        ProviderNotFound = "provider_not_found",
        NoChange = "no_change",
        ChangePending = "change_pending",
        ApplicationPending = "application_pending",
        NotApplicable = "not_applicable",
        InvalidTransition = "invalid_transition",
        ProviderExists = "provider_exists",
        InvalidCodeFormat = "invalid_code_format",
        CodeChecksumMismatch = "code_checksum_mismatch",
        CodeNotFound = "code_not_found",
        SerialOrEmailMismatch = "serial_or_email_mismatch",
        CodeAlreadyRedeemed = "code_already_redeemed",
        CodeProductMismatch = "code_product_mismatch",
        RenewalNotNeeded = "renewal_not_needed",
        UpgradeRequired = "upgrade_required",
        ReaderTypeUnavailable = "reader_type_unavailable",
        ReaderLimitReached = "reader_limit_reached",
        UnsupportedPaymentMethod = "unsupported_payment_method",
        IdempotencyKeyReused = "idempotency_key_reused",
        DateInFuture = "date_in_future",
        IdempotencyKeyInUse = "idempotency_key_in_use",
        Busy = "busy",
        InternalError = "internal_error",
    }
}

impl ProblemCode {
    pub fn status(self) -> StatusCode {
        use ProblemCode as C;
        use StatusCode as S;
        match self {
            C::MalformedJson => S::BAD_REQUEST,
            C::InvalidCredentials | C::Unauthorized => S::UNAUTHORIZED,
            C::MembershipCancelled => S::FORBIDDEN,
            C::NotFound | C::ProviderNotFound | C::CodeNotFound | C::SerialOrEmailMismatch => {
                S::NOT_FOUND
            }
            C::MethodNotAllowed => S::METHOD_NOT_ALLOWED,
            C::AlreadyCancelled
            | C::SerialUnavailable
            | C::LicenseExpired
            | C::NoChange
            | C::ChangePending
            | C::ApplicationPending
            | C::NotApplicable
            | C::InvalidTransition
            | C::ProviderExists
            | C::CodeAlreadyRedeemed
            | C::CodeProductMismatch
            | C::RenewalNotNeeded
            | C::UpgradeRequired
            | C::ReaderTypeUnavailable
            | C::ReaderLimitReached
            | C::IdempotencyKeyInUse => S::CONFLICT,
            C::PayloadTooLarge => S::PAYLOAD_TOO_LARGE,
            C::UnsupportedMediaType => S::UNSUPPORTED_MEDIA_TYPE,
            C::ValidationFailed
            | C::ConsentRequired
            | C::InvalidCodeFormat
            | C::CodeChecksumMismatch
            | C::UnsupportedPaymentMethod
            | C::IdempotencyKeyReused
            | C::DateInFuture => S::UNPROCESSABLE_ENTITY,
            C::AccountLocked => S::LOCKED,
            C::InvalidUnlockCode => S::UNPROCESSABLE_ENTITY,
            C::TooManyAttempts | C::TooManyApplications => S::TOO_MANY_REQUESTS,
            C::InternalError => S::INTERNAL_SERVER_ERROR,
            C::Busy => S::SERVICE_UNAVAILABLE,
        }
    }
}
