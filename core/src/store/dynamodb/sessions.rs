//! DynamoStore's `Sessions` (the port is `store/sessions.rs`).

use async_trait::async_trait;
use jiff::Timestamp;

use super::{DynamoStore, keys};
use crate::domain::Session;
use crate::store::{Sessions, StoreError};

#[async_trait]
impl Sessions for DynamoStore {
    async fn session(&self, token_digest: &str) -> Result<Option<Session>, StoreError> {
        self.get(keys::session(token_digest)).await
    }

    async fn touch_session(&self, token_digest: &str, at: Timestamp) -> Result<(), StoreError> {
        let sent = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(keys::session(token_digest).attributes()))
            .condition_expression("attribute_exists(pk)")
            .update_expression("SET last_seen_at = :at")
            .expression_attribute_values(":at", serde_dynamo::to_attribute_value(at)?)
            .set_return_consumed_capacity(self.capacity())
            .send()
            .await;
        // The session gone means nothing to refresh.
        self.applied(sent, |o| &o.consumed_capacity)?;
        Ok(())
    }
}
