//! How the SDK's failures become `StoreError`s, so `?` reads as the happy path. Which
//! failures mean something else (a condition that failed, a cancelled transaction) is
//! decided where the call is made, before `?`.

use aws_sdk_dynamodb::error::{BuildError, ProvideErrorMetadata, SdkError};

use crate::store::StoreError;

/// Service errors carry their reason in the metadata; `Display` of an `SdkError` alone
/// says only "service error".
impl<E, R> From<SdkError<E, R>> for StoreError
where
    E: ProvideErrorMetadata + std::fmt::Debug,
    R: std::fmt::Debug,
{
    fn from(error: SdkError<E, R>) -> Self {
        match error.as_service_error() {
            Some(service) => {
                let code = service.code().unwrap_or("unknown");
                let what = format!("{code}: {}", service.message().unwrap_or(""));
                if THROTTLING.contains(&code) {
                    StoreError::Throttled(what)
                } else if UNAVAILABLE.contains(&code) {
                    StoreError::Unavailable(what)
                } else {
                    StoreError::Backend(what)
                }
            }
            // No answer at all: the connection failed or was lost, or the call timed out,
            // after the SDK's own retries.
            None => match error {
                SdkError::DispatchFailure(_)
                | SdkError::TimeoutError(_)
                | SdkError::ResponseError(_) => StoreError::Unavailable(format!("{error:?}")),
                _ => StoreError::Backend(format!("{error:?}")),
            },
        }
    }
}

/// The error codes with which DynamoDB turns a request away to slow its caller down. The
/// request did nothing; it may be sent again, after a pause (`StoreError::Throttled`).
const THROTTLING: [&str; 3] = [
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "RequestLimitExceeded",
];

/// The error codes of a DynamoDB that could not answer: the request may have been applied,
/// and may be sent again (`StoreError::Unavailable`).
const UNAVAILABLE: [&str; 3] = [
    "InternalServerError",
    "InternalFailure",
    "ServiceUnavailable",
];

/// A request the SDK refused to build: a missing required field.
impl From<BuildError> for StoreError {
    fn from(error: BuildError) -> Self {
        StoreError::Backend(error.to_string())
    }
}

/// A record that does not map to an item, or an item that is not the record.
impl From<serde_dynamo::Error> for StoreError {
    fn from(error: serde_dynamo::Error) -> Self {
        StoreError::Backend(error.to_string())
    }
}

/// Whether a single write's failure is its condition not holding: for the writes outside
/// transactions, "nothing to do" rather than an error.
pub(super) fn condition_failed<E, R>(error: &SdkError<E, R>) -> bool
where
    E: ProvideErrorMetadata,
{
    error
        .as_service_error()
        .and_then(|e| e.code())
        .is_some_and(|code| code == "ConditionalCheckFailedException")
}

/// A single-item write refused because a transaction on the item was in flight: it did
/// nothing, and the item is someone else's to change at that moment.
pub(super) fn transaction_conflict<E, R>(error: &SdkError<E, R>) -> bool
where
    E: ProvideErrorMetadata,
{
    error
        .as_service_error()
        .and_then(|e| e.code())
        .is_some_and(|code| code == "TransactionConflictException")
}

#[cfg(test)]
mod tests {
    use aws_sdk_dynamodb::error::{ErrorMetadata, SdkError};
    use aws_sdk_dynamodb::operation::get_item::GetItemError;

    use super::*;

    fn answered(code: &str) -> StoreError {
        let error = GetItemError::generic(ErrorMetadata::builder().code(code).build());
        SdkError::<_, ()>::service_error(error, ()).into()
    }

    #[test]
    fn throttling_is_told_apart_from_other_failures() {
        for code in THROTTLING {
            assert!(matches!(answered(code), StoreError::Throttled(_)), "{code}");
        }
        for code in UNAVAILABLE {
            assert!(
                matches!(answered(code), StoreError::Unavailable(_)),
                "{code}"
            );
        }
        for code in [
            "ConditionalCheckFailedException",
            "ResourceNotFoundException",
            "ValidationException",
        ] {
            assert!(matches!(answered(code), StoreError::Backend(_)), "{code}");
        }
    }

    /// A claim that meets a transaction in flight on its mail is refused, not failed
    /// (`DynamoStore::claim`); anything else is not taken for one.
    #[test]
    fn a_transaction_in_flight_is_told_apart() {
        let refused = |code: &str| {
            let error = GetItemError::generic(ErrorMetadata::builder().code(code).build());
            SdkError::<_, ()>::service_error(error, ())
        };
        assert!(transaction_conflict(&refused(
            "TransactionConflictException"
        )));
        for code in ["ConditionalCheckFailedException", "ThrottlingException"] {
            assert!(!transaction_conflict(&refused(code)), "{code}");
        }
    }
}
