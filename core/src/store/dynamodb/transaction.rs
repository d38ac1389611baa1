//! A commit: every write's items in one `TransactWriteItems`, sent with a client request
//! token, and what a cancelled one means.

use std::collections::HashMap;

use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::error::TransactionCanceledException;
use aws_sdk_dynamodb::types::{DeleteRequest, TransactWriteItem, WriteRequest};

use super::DynamoStore;
use super::item::Item;
use super::writes::customers_marker;
use crate::store::{Expect, StoreError, Versioned, Write};

/// DynamoDB's own limit on one transaction.
const MAX_TRANSACTION_ITEMS: usize = 100;

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
        let mut parts = Vec::new();
        for write in others {
            parts.extend(self.parts(write).await?);
        }
        if new_member {
            // Lets `has_customers` be one read; once per commit, as no item may appear twice.
            parts.push(customers_marker(&self.table)?);
        }
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
        // The SDK retries a call whose answer it did not get; the token makes a retried
        // transaction that had in fact committed succeed again instead of failing its own
        // conditions. The same token is kept while DynamoDB says it is still in progress.
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
                    self.consumed(output.consumed_capacity());
                    return Ok(());
                }
                Err(error) => match error.as_service_error() {
                    Some(TransactWriteItemsError::TransactionCanceledException(cancelled)) => {
                        return Err(cancellation(cancelled));
                    }
                    Some(TransactWriteItemsError::TransactionInProgressException(_)) => {
                        tokio::time::sleep(pause).await;
                        pause *= 2;
                    }
                    _ => return Err(error.into()),
                },
            }
        }
        Err(StoreError::Backend(
            "a transaction stayed in progress without an answer".into(),
        ))
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
            let mut pending = HashMap::from([(self.table.clone(), requests)]);
            while !pending.is_empty() {
                let output = self
                    .client
                    .batch_write_item()
                    .set_request_items(Some(pending))
                    .set_return_consumed_capacity(self.capacity())
                    .send()
                    .await?;
                self.consumed(output.consumed_capacity());
                pending = output.unprocessed_items.unwrap_or_default();
                pending.retain(|_, requests| !requests.is_empty());
            }
        }
        Ok(())
    }
}

/// What a cancelled transaction means. A failed condition, a conflicting transaction or
/// throttling applied nothing and is the same `Conflict` redb reports: the service re-reads
/// and retries after a pause. Any other reason is a fault of this commit, not a race.
fn cancellation(cancelled: &TransactionCanceledException) -> StoreError {
    let reasons: Vec<&str> = cancelled
        .cancellation_reasons()
        .iter()
        .filter_map(|r| r.code())
        .filter(|code| *code != "None")
        .collect();
    let raced = !reasons.is_empty()
        && reasons.iter().all(|c| {
            matches!(
                *c,
                "ConditionalCheckFailed"
                    | "TransactionConflict"
                    | "ThrottlingError"
                    | "ProvisionedThroughputExceeded"
            )
        });
    if raced {
        StoreError::Conflict(format!("transaction cancelled: {reasons:?}"))
    } else {
        StoreError::Backend(format!(
            "transaction cancelled: {reasons:?}: {}",
            cancelled.message().unwrap_or("")
        ))
    }
}
