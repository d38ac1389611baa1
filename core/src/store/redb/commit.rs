//! RedbStore's `Commit` (the port is `store/commit.rs`).

use async_trait::async_trait;

use super::RedbStore;
use super::change::Change;
use crate::store::{Commit, StoreError, Write};

#[async_trait]
impl Commit for RedbStore {
    async fn commit(&self, writes: Vec<Write>) -> Result<(), StoreError> {
        // Every condition first, so that a refused one leaves the group's transaction as it
        // was (`change.rs`); an error while writing rolls the group back.
        self.writer.apply(Change::Commit(writes)).await.map(|_| ())
    }
}
