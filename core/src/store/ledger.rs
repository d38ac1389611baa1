//! A member's records over time, each read a page at a time: a serial's history
//! (docs/usage.md#history) and the receipts (docs/api.md#dry-runs-and-receipts).

use async_trait::async_trait;
use jiff::Timestamp;

use crate::domain::{CustomerId, HistoryEvent, Receipt, Serial};
use crate::store::{Page, StoreError};

/// A receipt's place in its member's ledger, which is ordered by acceptance (to the
/// nanosecond, as filed), then by number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiptPlace {
    pub accepted_at: Timestamp,
    pub receipt_no: String,
}

#[async_trait]
pub trait Ledger: Send + Sync {
    /// Up to `limit` (at least one) events of a serial's history, oldest first, after event
    /// number `after` when given; the page's place is an event's number. It reads that page
    /// only, so a read costs the same however long the history grows (docs/usage.md).
    async fn history(
        &self,
        serial: &Serial,
        after: Option<u64>,
        limit: usize,
    ) -> Result<Page<HistoryEvent, u64>, StoreError>;

    /// Up to `limit` (at least one) of a member's receipts, newest first, older than
    /// `before` when given. Like `history`, it reads that page only (docs/api.md).
    async fn receipts_of(
        &self,
        customer_id: &CustomerId,
        before: Option<&ReceiptPlace>,
        limit: usize,
    ) -> Result<Page<Receipt, ReceiptPlace>, StoreError>;
}
