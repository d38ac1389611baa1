//! RedbStore's `Ledger` (the port is `store/ledger.rs`).

use std::ops::Bound;

use async_trait::async_trait;
use jiff::Timestamp;
use redb::ReadableDatabase;

use super::tables::{HISTORY, LEDGER, RECEIPTS};
use super::{RedbStore, decode, ledger_key};
use crate::domain::{CustomerId, HistoryEvent, Receipt, Serial};
use crate::store::{Ledger, Page, ReceiptPlace, StoreError};

#[async_trait]
impl Ledger for RedbStore {
    async fn history(
        &self,
        serial: &Serial,
        after: Option<u64>,
        limit: usize,
    ) -> Result<Page<HistoryEvent, u64>, StoreError> {
        let serial = serial.to_string();
        // A page starts at the event after `after`; there is none after the last number.
        let Some(from) = after.map_or(Some(0), |seq| seq.checked_add(1)) else {
            return Ok(Page::from_read(Vec::new(), limit));
        };
        self.blocking(move |db| {
            let txn = db.begin_read()?;
            let table = txn.open_table(HISTORY)?;
            let read = table
                .range((serial.as_str(), from)..=(serial.as_str(), u64::MAX))?
                .take(limit.saturating_add(1))
                .map(|entry| {
                    let (key, event) = entry?;
                    Ok((key.value().1, decode(event.value())?))
                })
                .collect::<Result<_, StoreError>>()?;
            Ok(Page::from_read(read, limit))
        })
        .await
    }

    async fn receipts_of(
        &self,
        customer_id: &CustomerId,
        before: Option<&ReceiptPlace>,
        limit: usize,
    ) -> Result<Page<Receipt, ReceiptPlace>, StoreError> {
        let customer_id = customer_id.to_string();
        let before = before.cloned();
        self.blocking(move |db| {
            let txn = db.begin_read()?;
            let ledger = txn.open_table(LEDGER)?;
            let receipts = txn.open_table(RECEIPTS)?;
            let oldest = Bound::Included((customer_id.as_str(), i128::MIN, ""));
            let newest = match &before {
                Some(place) => Bound::Excluded(ledger_key(&customer_id, place)),
                None => Bound::Included((customer_id.as_str(), i128::MAX, "")),
            };
            let mut read = Vec::new();
            for entry in ledger.range((oldest, newest))?.rev() {
                if read.len() > limit {
                    break;
                }
                let (key, ()) = entry.map(|(k, v)| (k, v.value()))?;
                let (_, at, no) = key.value();
                let Some(bytes) = receipts.get(no)? else {
                    continue;
                };
                let place = ReceiptPlace {
                    accepted_at: Timestamp::from_nanosecond(at)
                        .map_err(|e| StoreError::Backend(e.to_string()))?,
                    receipt_no: no.to_owned(),
                };
                read.push((place, decode(bytes.value())?));
            }
            Ok(Page::from_read(read, limit))
        })
        .await
    }
}
