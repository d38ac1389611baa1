//! DynamoStore's `Reminders` (the port is `store/reminders.rs`).

use async_trait::async_trait;
use jiff::civil::Date;

use super::{DynamoStore, keys};
use crate::store::{ExpiryPlace, Reminders, StoreError};

#[async_trait]
impl Reminders for DynamoStore {
    async fn serials_expiring(
        &self,
        until: Date,
        after: Option<&ExpiryPlace>,
        limit: usize,
    ) -> Result<Vec<ExpiryPlace>, StoreError> {
        self.expiring(until, after, limit).await
    }

    async fn reminder_sent(&self, key: &str) -> Result<bool, StoreError> {
        self.exists(keys::reminder(key)).await
    }
}
