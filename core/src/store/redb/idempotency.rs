//! RedbStore's `Idempotency` (the port is `store/idempotency.rs`).

use async_trait::async_trait;
use redb::WriteTransaction;

use super::change::Change;
use redb::ReadableTable;

use super::tables::IDEMPOTENCY;
use super::{RedbStore, decode};
use crate::store::{Idempotency, IdempotencyRecord, StoreError};

#[async_trait]
impl Idempotency for RedbStore {
    async fn idempotency(&self, key: &str) -> Result<Option<IdempotencyRecord>, StoreError> {
        // A stored answer is replayed as kept, so it must be durable: it is, as it is
        // written by a commit, which is visible only once its group's fsync is done.
        self.get(IDEMPOTENCY, key.to_owned()).await
    }

    async fn release_claim(&self, key: &str, version: u64) -> Result<(), StoreError> {
        let key = key.to_owned();
        self.writer
            .apply(Change::ReleaseClaim { key, version })
            .await
            .map(|_| ())
    }
}

/// Removes a claim that got no answer, only while it is still that claim (same version)
/// and unanswered: a kept answer is never erased.
pub(super) fn release(txn: &WriteTransaction, key: &str, version: u64) -> Result<(), StoreError> {
    let mut table = txn.open_table(IDEMPOTENCY)?;
    let stored: Option<IdempotencyRecord> = table
        .get(key)?
        .map(|bytes| decode(bytes.value()))
        .transpose()?;
    if stored.is_some_and(|r| r.version == version && r.response.is_none()) {
        table.remove(key)?;
    }
    Ok(())
}
