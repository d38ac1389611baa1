//! DynamoStore's `Ledger` (the port is `store/ledger.rs`).

use async_trait::async_trait;

use super::{DynamoStore, keys};
use crate::domain::{CustomerId, HistoryEvent, Receipt, Serial};
use crate::store::{Ledger, Page, ReceiptPlace, StoreError};

#[async_trait]
impl Ledger for DynamoStore {
    async fn history(
        &self,
        serial: &Serial,
        after: Option<u64>,
        limit: usize,
    ) -> Result<Page<HistoryEvent, u64>, StoreError> {
        let after = after.map(|seq| keys::event(serial, seq));
        self.page(
            keys::history(serial),
            false,
            after,
            limit,
            keys::event_number,
        )
        .await
    }

    async fn receipts_of(
        &self,
        customer_id: &CustomerId,
        before: Option<&ReceiptPlace>,
        limit: usize,
    ) -> Result<Page<Receipt, ReceiptPlace>, StoreError> {
        let before = before.map(|place| keys::receipt_at(customer_id, place));
        let prefix = keys::receipts(customer_id);
        self.page(prefix, true, before, limit, keys::receipt_place)
            .await
    }
}
