//! RedbStore's `StatusReads` (the port is `store/status.rs`): the counters, one row each,
//! changed in the transaction of the change they count; and the reminder job's last run.

use std::collections::BTreeMap;

use async_trait::async_trait;
use redb::{ReadableDatabase, ReadableTable, ReadableTableMetadata, TableHandle, WriteTransaction};

use super::tables::{ORDERS_BY_STATUS, OUTBOX_DUE, OUTBOX_FAILED, REMINDER_RUNS, TALLY};
use super::{RedbStore, encode, read_row};
use crate::domain::OrderStatus;
use crate::store::{ReminderRun, Status, StatusReads, StoreError, Tally};

/// The key of the one run kept in `REMINDER_RUNS`.
const LAST_RUN: &str = "last";

/// Adds what a change counts to the stored counters.
pub(super) fn add(txn: &WriteTransaction, tally: &Tally) -> Result<(), StoreError> {
    let counters = tally.counters();
    if counters.is_empty() {
        return Ok(());
    }
    let mut table = txn.open_table(TALLY)?;
    for (name, n) in counters {
        let stored = table.get(name.as_str())?.map_or(0, |v| v.value());
        table.insert(name.as_str(), stored + n)?;
    }
    Ok(())
}

pub(super) fn record_run(txn: &WriteTransaction, run: &ReminderRun) -> Result<(), StoreError> {
    txn.open_table(REMINDER_RUNS)?
        .insert(LAST_RUN, encode(run)?.as_slice())?;
    Ok(())
}

/// Whether the file has counters yet: one written before they were kept has none.
pub(super) fn has_counters(txn: &WriteTransaction) -> Result<bool, StoreError> {
    Ok(txn.list_tables()?.any(|table| table.name() == TALLY.name()))
}

/// Counts, once, what a file written before the counters holds: its pending and failed
/// mails and its open orders, from their indexes. From then on every change keeps them.
pub(super) fn count_what_is_stored(txn: &WriteTransaction) -> Result<(), StoreError> {
    let mut tally = Tally {
        mails_pending: txn.open_table(OUTBOX_DUE)?.len()? as i64,
        mails_failed: txn.open_table(OUTBOX_FAILED)?.len()? as i64,
        open_orders: BTreeMap::new(),
    };
    for entry in txn.open_table(ORDERS_BY_STATUS)?.iter()? {
        let (key, ()) = entry.map(|(k, v)| (k, v.value()))?;
        let (status, _, _) = key.value();
        if let Some(status) = OrderStatus::parse(status).filter(|s| !s.is_final()) {
            *tally.open_orders.entry(status).or_default() += 1;
        }
    }
    add(txn, &tally)
}

#[async_trait]
impl StatusReads for RedbStore {
    async fn status(&self) -> Result<Status, StoreError> {
        let file_bytes = self.path.as_ref().and_then(|p| std::fs::metadata(p).ok());
        let mut status = self
            .blocking(|db| {
                let txn = db.begin_read()?;
                let mut tally = Tally::default();
                for entry in txn.open_table(TALLY)?.iter()? {
                    let (name, n) = entry?;
                    tally.add_counter(name.value(), n.value());
                }
                let last_reminder_run = read_row(&txn, REMINDER_RUNS, LAST_RUN)?;
                Ok(Status {
                    tally,
                    last_reminder_run,
                    ..Status::default()
                })
            })
            .await?;
        status.engine = "redb";
        status.file_bytes = file_bytes.map(|m| m.len());
        Ok(status)
    }
}
