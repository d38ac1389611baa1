//! RedbStore's `Commit` (the port is `store/commit.rs`).

use std::sync::Arc;

use async_trait::async_trait;

use super::{RedbStore, views, write};
use crate::store::{Commit, StoreError, Write};

#[async_trait]
impl Commit for RedbStore {
    async fn commit(&self, writes: Vec<Write>) -> Result<(), StoreError> {
        // Every condition first, so that a refused one leaves the group's transaction as it
        // was (`group.rs`); an error while writing rolls the group back.
        let touched = views::Touched::by(&writes);
        let views = self.views.clone();
        let writes = Arc::new(writes);
        let checked = writes.clone();
        self.writer
            .write_checked(
                move |txn| checked.iter().try_for_each(|w| write::check(txn, w)),
                move |txn| writes.iter().try_for_each(|w| write::apply(txn, w)),
                Box::new(move || views.forget(&touched)),
            )
            .await
    }
}
