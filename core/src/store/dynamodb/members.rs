//! DynamoStore's `Members` (the port is `store/members.rs`).

use async_trait::async_trait;

use super::item::sort_key;
use super::{DynamoStore, keys, record};
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
        // One Query: the member and their serials are one range of one partition.
        let mut member = None;
        let mut serials = Vec::new();
        for item in self.query_range(keys::member_with_serials(id)).await? {
            match sort_key(&item) {
                sk if keys::is_member(sk) => member = Some(record(item)?),
                sk if keys::is_serial(sk) => serials.push(record(item)?),
                _ => {}
            }
        }
        Ok(member.map(|member| in_members_order(member, serials)))
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

    async fn catalogue(
        &self,
    ) -> Result<std::sync::Arc<[crate::domain::catalogue::CatalogueEntry]>, StoreError> {
        Ok(self.records(keys::catalogue()).await?.into())
    }

    async fn has_customers(&self) -> Result<bool, StoreError> {
        self.exists(keys::customers_marker()).await
    }
}

/// The member with their serials in the member's order, as issued (a Query gives them in
/// their keys' order).
pub(super) fn in_members_order(
    member: Customer,
    mut serials: Vec<SerialRecord>,
) -> (Customer, Vec<SerialRecord>) {
    serials.sort_by_key(|s| member.serials.iter().position(|c| *c == s.serial));
    (member, serials)
}
