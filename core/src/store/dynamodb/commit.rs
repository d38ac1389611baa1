//! A commit: every write's items in one `TransactWriteItems`, sent with a client request
//! token, and what a cancelled one means.

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::error::TransactionCanceledException;
use aws_sdk_dynamodb::types::{DeleteRequest, TransactWriteItem, WriteRequest};

use super::DynamoStore;
use super::item::Item;
use super::writes::customers_marker;
use crate::store::{Commit, Expect, StoreError, Tally, Versioned, Write};

/// Why a transaction did not commit.
enum Unsent {
    /// DynamoDB cancelled it: nothing was applied, for the reasons it gives.
    Cancelled(TransactionCanceledException),
    Failed(StoreError),
}

/// DynamoDB's own limit on one transaction.
const MAX_TRANSACTION_ITEMS: usize = 100;

/// The longest pause between two sends of one transaction: eight sends then take about a
/// second, well inside a function's ten.
const MAX_PAUSE: std::time::Duration = std::time::Duration::from_millis(200);

impl DynamoStore {
    /// Applies every write in one transaction, or none of them.
    pub(super) async fn transact(&self, writes: Vec<Write>) -> Result<(), StoreError> {
        let new_member = writes.iter().any(|w| {
            matches!(
                w,
                Write::PutCustomer(Versioned {
                    expect: Expect::Absent,
                    ..
                })
            )
        });
        let (ending, others): (Vec<_>, Vec<_>) = writes
            .into_iter()
            .partition(|w| matches!(w, Write::DeleteSessionsOf { .. }));
        // Counted in the same transaction (docs/operations.md#the-status-view); worked out
        // before the writes are taken apart.
        let counted = super::status::tally_part(&self.table, &Tally::of(&others))?;
        let mut parts = Vec::new();
        for write in others {
            parts.extend(self.parts(write).await?);
        }
        if new_member {
            // Lets `has_customers` be one read; once per commit, as no item may appear twice.
            parts.push(customers_marker(&self.table)?);
        }
        parts.extend(counted);
        if parts.len() > MAX_TRANSACTION_ITEMS {
            return Err(StoreError::Backend(format!(
                "{} items exceed one transaction",
                parts.len()
            )));
        }
        for write in ending {
            let deletions = self.parts(write).await?;
            if parts.len() + deletions.len() <= MAX_TRANSACTION_ITEMS {
                parts.extend(deletions);
            } else {
                // Too many sessions for one transaction: they end first, on their own. Should
                // the rest then fail, the member has merely been logged out early.
                self.delete_now(deletions).await?;
            }
        }
        if parts.is_empty() {
            return Ok(());
        }
        self.send_transaction(parts)
            .await
            .map_err(|unsent| match unsent {
                Unsent::Cancelled(cancelled) => cancellation(&cancelled),
                Unsent::Failed(error) => error,
            })
    }

    /// One item's conditional write with what it adds to the counters, in one transaction:
    /// `false` when the item's own condition failed (nothing to do). A conflict with
    /// another transaction on the counters' shard applied nothing either: it is tried
    /// again, on another shard chosen at random.
    pub(super) async fn transact_if(
        &self,
        write: TransactWriteItem,
        tally: &Tally,
    ) -> Result<bool, StoreError> {
        let mut pause = std::time::Duration::from_millis(20);
        for _ in 0..8 {
            let mut parts = vec![write.clone()];
            parts.extend(super::status::tally_part(&self.table, tally)?);
            match self.send_transaction(parts).await {
                Ok(()) => return Ok(true),
                Err(Unsent::Cancelled(cancelled)) => {
                    let first = cancelled.cancellation_reasons().first();
                    if first.and_then(|r| r.code()) == Some("ConditionalCheckFailed") {
                        return Ok(false);
                    }
                    match cancellation(&cancelled) {
                        StoreError::Conflict(what) => {
                            tracing::debug!(%what, "a conditional write met another transaction");
                            tokio::time::sleep(pause).await;
                            pause = (pause * 2).min(MAX_PAUSE);
                        }
                        other => return Err(other),
                    }
                }
                Err(Unsent::Failed(error)) => return Err(error),
            }
        }
        Err(StoreError::Conflict(
            "a conditional write met other transactions eight times".into(),
        ))
    }

    /// Sends a transaction until it has an answer.
    async fn send_transaction(&self, parts: Vec<TransactWriteItem>) -> Result<(), Unsent> {
        // A transaction whose answer was lost (the connection cut, a 500) may have
        // committed. It is sent again with the same token, which makes one that had in fact
        // committed succeed again instead of failing its own conditions; so is one DynamoDB
        // says is still in progress. Only then is the caller told the store is unavailable:
        // a caller that ran the operation again would find its own write and answer as if
        // another had made it (a code "already redeemed" by its own renewal).
        let request = self
            .client
            .transact_write_items()
            .set_transact_items(Some(parts))
            .client_request_token(crate::secret::random_string(
                b"0123456789abcdefghijklmnopqrstuvwxyz",
                32,
            ))
            .set_return_consumed_capacity(self.capacity());
        let mut pause = std::time::Duration::from_millis(20);
        for _ in 0..8 {
            match request.clone().send().await {
                Ok(output) => {
                    self.consumed_in_transaction(output.consumed_capacity());
                    return Ok(());
                }
                Err(error) => match error.as_service_error() {
                    Some(TransactWriteItemsError::TransactionCanceledException(cancelled)) => {
                        return Err(Unsent::Cancelled(cancelled.clone()));
                    }
                    Some(TransactWriteItemsError::TransactionInProgressException(_)) => {
                        tokio::time::sleep(pause).await;
                        pause = (pause * 2).min(MAX_PAUSE);
                    }
                    _ => match StoreError::from(error) {
                        StoreError::Unavailable(what) => {
                            tracing::debug!(%what, "a transaction without an answer; sent again");
                            tokio::time::sleep(pause).await;
                            pause = (pause * 2).min(MAX_PAUSE);
                        }
                        other => return Err(Unsent::Failed(other)),
                    },
                },
            }
        }
        Err(Unsent::Failed(StoreError::Unavailable(
            "a transaction stayed without an answer".into(),
        )))
    }

    /// Applies deletions outside any transaction, a batch at a time.
    async fn delete_now(&self, deletions: Vec<TransactWriteItem>) -> Result<(), StoreError> {
        let keys: Vec<Item> = deletions
            .into_iter()
            .filter_map(|part| part.delete.map(|d| d.key))
            .collect();
        for batch in keys.chunks(25) {
            let mut requests = Vec::with_capacity(batch.len());
            for key in batch {
                let delete = DeleteRequest::builder()
                    .set_key(Some(key.clone()))
                    .build()?;
                requests.push(WriteRequest::builder().delete_request(delete).build());
            }
            until_processed(requests, |requests| async {
                let output = self
                    .client
                    .batch_write_item()
                    .set_request_items(Some(HashMap::from([(self.table.clone(), requests)])))
                    .set_return_consumed_capacity(self.capacity())
                    .send()
                    .await?;
                self.consumed_writing(output.consumed_capacity());
                let mut unprocessed = output.unprocessed_items.unwrap_or_default();
                Ok(unprocessed.remove(&self.table).unwrap_or_default())
            })
            .await?;
        }
        Ok(())
    }
}

/// Sends of one batch write before its unprocessed part is given up.
const BATCH_TRIES: u32 = 8;

/// Sends `requests`, then what each answer left unprocessed (DynamoDB's way of throttling a
/// batch), after a growing pause; after `BATCH_TRIES` sends with some still left,
/// `Throttled`.
async fn until_processed<T, F, Fut>(mut requests: Vec<T>, mut send: F) -> Result<(), StoreError>
where
    F: FnMut(Vec<T>) -> Fut,
    Fut: std::future::Future<Output = Result<Vec<T>, StoreError>>,
{
    for tries in 1..=BATCH_TRIES {
        requests = send(requests).await?;
        if requests.is_empty() {
            return Ok(());
        }
        if tries < BATCH_TRIES {
            tokio::time::sleep(crate::store::backoff::pause(tries)).await;
        }
    }
    Err(StoreError::Throttled(format!(
        "{} batch writes still unprocessed after {BATCH_TRIES} tries",
        requests.len()
    )))
}

/// What a cancelled transaction means. It applied nothing either way. A failed condition or
/// a conflicting transaction is the same `Conflict` redb reports: the service re-reads and
/// retries after a short pause. Throttling (alone, or with conflicts) is `Throttled`: tried
/// again after a growing pause, and given up sooner. Any other reason is a fault of this
/// commit, not a race.
fn cancellation(cancelled: &TransactionCanceledException) -> StoreError {
    let reasons: Vec<&str> = cancelled
        .cancellation_reasons()
        .iter()
        .filter_map(|r| r.code())
        .filter(|code| *code != "None")
        .collect();
    let raced = |code: &str| matches!(code, "ConditionalCheckFailed" | "TransactionConflict");
    let throttled =
        |code: &str| matches!(code, "ThrottlingError" | "ProvisionedThroughputExceeded");
    let what = format!("transaction cancelled: {reasons:?}");
    if reasons.is_empty() || !reasons.iter().all(|c| raced(c) || throttled(c)) {
        StoreError::Backend(format!("{what}: {}", cancelled.message().unwrap_or("")))
    } else if reasons.iter().any(|c| throttled(c)) {
        StoreError::Throttled(what)
    } else {
        StoreError::Conflict(what)
    }
}

#[async_trait]
impl Commit for DynamoStore {
    async fn commit(&self, writes: Vec<Write>) -> Result<(), StoreError> {
        self.transact(writes).await
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use aws_sdk_dynamodb::types::CancellationReason;

    use super::*;

    #[tokio::test(start_paused = true)]
    async fn unprocessed_batch_writes_are_sent_again_then_given_up() {
        let sends = AtomicU32::new(0);
        // Two sends leave one request each; the third takes the rest.
        let settled = until_processed(vec![1, 2, 3], |requests| {
            let n = sends.fetch_add(1, Ordering::SeqCst);
            async move {
                Ok(if n < 2 {
                    requests[..1].to_vec()
                } else {
                    Vec::new()
                })
            }
        })
        .await;
        assert!(settled.is_ok());
        assert_eq!(sends.load(Ordering::SeqCst), 3);

        let sends = AtomicU32::new(0);
        let never = until_processed(vec![1], |requests| {
            sends.fetch_add(1, Ordering::SeqCst);
            async move { Ok(requests) }
        })
        .await;
        assert!(matches!(never, Err(StoreError::Throttled(_))), "{never:?}");
        assert_eq!(sends.load(Ordering::SeqCst), BATCH_TRIES);
    }

    fn cancelled(codes: &[&str]) -> StoreError {
        let mut exception = TransactionCanceledException::builder();
        for code in codes {
            exception =
                exception.cancellation_reasons(CancellationReason::builder().code(*code).build());
        }
        cancellation(&exception.build())
    }

    #[test]
    fn a_cancelled_transaction_is_a_conflict_throttling_or_a_fault() {
        let conflict = |codes: &[&str]| matches!(cancelled(codes), StoreError::Conflict(_));
        let throttled = |codes: &[&str]| matches!(cancelled(codes), StoreError::Throttled(_));
        let fault = |codes: &[&str]| matches!(cancelled(codes), StoreError::Backend(_));
        assert!(conflict(&["None", "ConditionalCheckFailed"]));
        assert!(conflict(&["TransactionConflict", "None"]));
        assert!(throttled(&["None", "ThrottlingError"]));
        assert!(throttled(&["ProvisionedThroughputExceeded"]));
        assert!(throttled(&["TransactionConflict", "ThrottlingError"]));
        assert!(fault(&["None", "ValidationError"]));
        assert!(fault(&[
            "ThrottlingError",
            "ItemCollectionSizeLimitExceeded"
        ]));
        assert!(fault(&["None"]));
    }
}
