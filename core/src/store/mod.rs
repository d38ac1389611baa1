//! The storage port: typed reads, and `commit`, which applies a list of writes atomically
//! or not at all. Each write that replaces a record names the version it read; a concurrent
//! change makes the whole commit fail with `Conflict`, and the service retries from a fresh
//! read. This is one redb write transaction, or one DynamoDB `TransactWriteItems`.
//!
//! See `README.md` beside this file for the keys each engine uses.

mod answers;
pub(crate) mod backoff;
mod commit;
#[cfg(any(test, feature = "conformance"))]
pub mod conformance;
mod counts;
#[cfg(feature = "dynamodb")]
pub mod dynamodb;
pub mod expiry;
#[cfg(any(test, feature = "conformance"))]
pub mod fixtures;
mod idempotency;
mod ledger;
mod members;
mod orders;
mod outbox;
#[cfg(feature = "redb")]
pub mod redb;
mod reminders;
mod renewals;
mod sessions;
mod status;

pub use answers::{CatalogueVersion, KeptAnswer, ViewAnswers, kept_or_made};
pub use commit::{Commit, Expect, SERIALS_PER_COMMIT, Versioned, Write};
pub use counts::{Admission, ClientCounts, CountRule, Place};
pub use idempotency::{Idempotency, IdempotencyRecord, StoredResponse};
pub use ledger::{Ledger, ReceiptPlace};
pub use members::Members;
pub use orders::{OrderPlace, Orders, PublishPlace};
pub use outbox::Outbox;
pub use reminders::{ExpiryPlace, Reminders, reminder_date};
pub use renewals::{RenewalView, Renewals};
pub use sessions::{SessionKey, SessionView, Sessions};
pub use status::{ReminderRun, Status, StatusReads, Tally};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A condition of the commit did not hold: someone else wrote first.
    #[error("a concurrent write changed {0}")]
    Conflict(String),
    /// The engine asked to slow down (DynamoDB's throttling) and nothing was written: worth
    /// trying again after a growing pause, not at once like a conflict.
    #[error("the store is throttling requests: {0}")]
    Throttled(String),
    /// The engine could not answer (DynamoDB's 500s, a connection lost or timed out): the
    /// request may or may not have been applied. Every write is conditional or carries a
    /// client request token, so sending it again is safe; like throttling, after a pause.
    #[error("the store is unavailable: {0}")]
    Unavailable(String),
    /// The database file is held by another process (redb allows one per file).
    #[error("the database is already open in another process")]
    AlreadyOpen,
    #[error("storage failure: {0}")]
    Backend(String),
}

/// One page of a list read in its order: at most the number of items asked for, and the
/// place of the last one when more follow (where the next page starts).
#[derive(Debug, Clone)]
pub struct Page<T, P> {
    pub items: Vec<T>,
    pub next: Option<P>,
}

impl<T, P> Page<T, P> {
    /// The page from up to `limit + 1` items read in order, each with its place: reading one
    /// more than asked is how a page knows that more follow, so the last page says none do.
    pub fn from_read(read: Vec<(P, T)>, limit: usize) -> Self {
        let more = read.len() > limit;
        let mut last = None;
        let mut items = Vec::with_capacity(read.len().min(limit));
        for (place, item) in read.into_iter().take(limit) {
            last = Some(place);
            items.push(item);
        }
        Self {
            items,
            next: last.filter(|_| more),
        }
    }
}

/// Everything a service may ask of storage: the sum of the capabilities, each in its own
/// file here and under the same name in `redb/`, `dynamodb/` and `conformance/`.
pub trait Store:
    Members
    + Sessions
    + Renewals
    + Ledger
    + Reminders
    + Outbox
    + Orders
    + Commit
    + Idempotency
    + ClientCounts
    + StatusReads
    + 'static
{
}

impl<T> Store for T where
    T: Members
        + Sessions
        + Renewals
        + Ledger
        + Reminders
        + Outbox
        + Orders
        + Commit
        + Idempotency
        + ClientCounts
        + StatusReads
        + 'static
{
}
