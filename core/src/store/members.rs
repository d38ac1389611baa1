//! A member and what is theirs: the member, their serials (read with them), one serial by
//! its number, the registered providers.

use async_trait::async_trait;

use crate::domain::{Customer, CustomerId, Provider, Serial, SerialRecord};
use crate::store::StoreError;

#[async_trait]
pub trait Members: Send + Sync {
    async fn customer(&self, id: &CustomerId) -> Result<Option<Customer>, StoreError>;

    /// A customer with every serial of theirs, read together (docs/usage.md's usage).
    async fn customer_with_serials(
        &self,
        id: &CustomerId,
    ) -> Result<Option<(Customer, Vec<SerialRecord>)>, StoreError>;

    async fn serial(&self, serial: &Serial) -> Result<Option<SerialRecord>, StoreError>;

    /// Every registered provider, by code.
    async fn providers(&self) -> Result<Vec<Provider>, StoreError>;

    /// The service catalogue's entries operators have set (docs/services.md); a service
    /// without one shows its default. Shared: every `GET /v1/services` reads it, and
    /// the store may hand out the one it keeps.
    async fn catalogue(
        &self,
    ) -> Result<std::sync::Arc<[crate::domain::catalogue::CatalogueEntry]>, StoreError>;

    /// Whether any customer exists (local-dev seeds demo members into an empty store).
    async fn has_customers(&self) -> Result<bool, StoreError>;
}
