//! redb's errors as `StoreError`s, so `?` reads as the happy path.

use crate::store::StoreError;

/// Every redb error but one is a storage failure.
macro_rules! backend_errors {
    ($($error:ty),* $(,)?) => {$(
        impl From<$error> for StoreError {
            fn from(error: $error) -> Self {
                StoreError::Backend(error.to_string())
            }
        }
    )*};
}

backend_errors!(
    redb::Error,
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError,
);

/// The one that is not: redb allows one process per file.
impl From<redb::DatabaseError> for StoreError {
    fn from(error: redb::DatabaseError) -> Self {
        match error {
            redb::DatabaseError::DatabaseAlreadyOpen => StoreError::AlreadyOpen,
            other => StoreError::Backend(other.to_string()),
        }
    }
}
