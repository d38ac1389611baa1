//! DynamoStore's `Idempotency` (the port is `store/idempotency.rs`).

use async_trait::async_trait;

use super::{DynamoStore, keys, n, s};
use crate::store::{Idempotency, IdempotencyRecord, StoreError};

#[async_trait]
impl Idempotency for DynamoStore {
    async fn idempotency(&self, key: &str) -> Result<Option<IdempotencyRecord>, StoreError> {
        self.get(keys::idempotency(key)).await
    }

    async fn release_claim(&self, key: &str, version: u64) -> Result<(), StoreError> {
        let sent = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(keys::idempotency(key).attributes()))
            .condition_expression("version = :claimed AND attribute_type(#response, :null)")
            .expression_attribute_names("#response", "response")
            .expression_attribute_values(":claimed", n(version))
            .expression_attribute_values(":null", s("NULL"))
            .set_return_consumed_capacity(self.capacity())
            .send()
            .await;
        // Answered, taken over or gone: not this claim to give back.
        self.applied(sent, |o| &o.consumed_capacity)?;
        Ok(())
    }
}
