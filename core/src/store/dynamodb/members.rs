//! DynamoStore's `Members` (the port is `store/members.rs`).

use async_trait::async_trait;

use super::{DynamoStore, keys, record, s};
use crate::domain::{Customer, CustomerId, Provider, Serial, SerialRecord};
use crate::store::{Members, StoreError};

#[async_trait]
impl Members for DynamoStore {
    async fn customer(&self, id: &CustomerId) -> Result<Option<Customer>, StoreError> {
        self.get(keys::member(id)).await
    }

    async fn customer_with_serials(
        &self,
        id: &CustomerId,
    ) -> Result<Option<(Customer, Vec<SerialRecord>)>, StoreError> {
        // One Query: the member and their serials share a partition and a key prefix.
        let mut items = self
            .query_prefix(keys::member_with_serials(id), false)
            .await?;
        let member = s(keys::member(id).sk);
        let Some(position) = items.iter().position(|i| i.get("sk") == Some(&member)) else {
            return Ok(None);
        };
        let customer: Customer = record(items.remove(position))?;
        let mut serials: Vec<SerialRecord> =
            items.into_iter().map(record).collect::<Result<_, _>>()?;
        // In the member's order, as issued.
        serials.sort_by_key(|s| customer.serials.iter().position(|c| *c == s.serial));
        Ok(Some((customer, serials)))
    }

    async fn serial(&self, serial: &Serial) -> Result<Option<SerialRecord>, StoreError> {
        let Some(owner) = self.owner_of(serial).await? else {
            return Ok(None);
        };
        self.get(keys::serial(&owner, serial)).await
    }

    async fn providers(&self) -> Result<Vec<Provider>, StoreError> {
        self.records(keys::providers()).await
    }

    async fn catalogue(&self) -> Result<Vec<crate::domain::catalogue::CatalogueEntry>, StoreError> {
        self.records(keys::catalogue()).await
    }

    async fn has_customers(&self) -> Result<bool, StoreError> {
        self.exists(keys::customers_marker()).await
    }
}
