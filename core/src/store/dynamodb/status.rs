//! DynamoStore's `StatusReads` (the port is `store/status.rs`): the counters, in shards
//! each commit adds to inside its own transaction, and the reminder job's last run.
//!
//! Two transactions on one item conflict, so one counter item would make every commit
//! that queues a mail or moves an order wait for the others. A commit adds to one shard
//! of `SHARDS`, chosen at random, each in a partition of its own (a partition takes about
//! 1,000 writes a second); the view reads every shard in one `BatchGetItem` and sums them.

use aws_sdk_dynamodb::types::{TransactWriteItem, Update};

use async_trait::async_trait;

use super::DynamoStore;
use super::item::{Item, n, record};
use super::keys::{self, Key};
use crate::store::{Status, StatusReads, StoreError, Tally};

/// Shards of the counters.
pub(super) const SHARDS: usize = 16;

/// What `tally` adds, as one part of a transaction (none when it adds nothing): `ADD`, which
/// starts a counter at zero where the shard has none yet.
pub(super) fn tally_part(
    table: &str,
    tally: &Tally,
) -> Result<Option<TransactWriteItem>, StoreError> {
    let counters = tally.counters();
    if counters.is_empty() {
        return Ok(None);
    }
    let shard = rand::random_range(0..SHARDS);
    let mut update = Update::builder()
        .table_name(table)
        .set_key(Some(keys::tally_shard(shard).attributes()));
    let mut adds = Vec::with_capacity(counters.len());
    for (i, (name, by)) in counters.into_iter().enumerate() {
        adds.push(format!("#c{i} :c{i}"));
        update = update
            .expression_attribute_names(format!("#c{i}"), name)
            .expression_attribute_values(format!(":c{i}"), n(by));
    }
    let update = update
        .update_expression(format!("ADD {}", adds.join(", ")))
        .build()?;
    Ok(Some(TransactWriteItem::builder().update(update).build()))
}

/// A shard's counters: every number beside its key.
fn add_shard(tally: &mut Tally, item: &Item) {
    for (name, value) in item {
        if let Ok(number) = value.as_n()
            && let Ok(number) = number.parse::<i64>()
        {
            tally.add_counter(name, number);
        }
    }
}

#[async_trait]
impl StatusReads for DynamoStore {
    async fn status(&self) -> Result<Status, StoreError> {
        let wanted: [Key; SHARDS + 1] = std::array::from_fn(|i| match i {
            0 => keys::reminder_run(),
            shard => keys::tally_shard(shard - 1),
        });
        let [run, shards @ ..] = self.items_together(wanted).await?;
        let mut tally = Tally::default();
        for shard in shards.iter().flatten() {
            add_shard(&mut tally, shard);
        }
        Ok(Status {
            tally,
            last_reminder_run: run.map(record).transpose()?,
            engine: "dynamodb",
            file_bytes: None,
        })
    }
}
