//! DynamoStore's `Renewals` (the port is `store/renewals.rs`).

use async_trait::async_trait;

use super::{DynamoStore, keys};
use crate::domain::{CodeRecord, CustomerId, RenewalCode, Serial};
use crate::store::{RenewalView, Renewals, StoreError};

#[async_trait]
impl Renewals for DynamoStore {
    async fn code(&self, code: &RenewalCode) -> Result<Option<CodeRecord>, StoreError> {
        self.get(keys::code(code)).await
    }

    async fn renewal_view(
        &self,
        code: &RenewalCode,
        serial: &Serial,
        owner: Option<&CustomerId>,
    ) -> Result<RenewalView, StoreError> {
        match owner {
            Some(owner) => self.read_members_renewal(code, serial, owner).await,
            None => self.read_for_renewal(code, serial).await,
        }
    }
}
