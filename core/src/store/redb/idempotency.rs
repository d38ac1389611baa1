//! RedbStore's `Idempotency` (the port is `store/idempotency.rs`).

use async_trait::async_trait;
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
            .write(move |txn| {
                let mut table = txn.open_table(IDEMPOTENCY)?;
                let stored: Option<IdempotencyRecord> = table
                    .get(key.as_str())?
                    .map(|bytes| decode(bytes.value()))
                    .transpose()?;
                if stored.is_some_and(|r| r.version == version && r.response.is_none()) {
                    table.remove(key.as_str())?;
                }
                Ok(())
            })
            .await
    }
}
