//! RedbStore's `Members` (the port is `store/members.rs`).

use std::sync::Arc;

use async_trait::async_trait;
use redb::{ReadableDatabase, ReadableTable, ReadableTableMetadata};

use super::tables::{CUSTOMERS, PROVIDERS, SERIALS};
use super::{RedbStore, decode, read_row, read_serials_of};
use crate::domain::catalogue::CatalogueEntry;
use crate::domain::{Customer, CustomerId, Provider, Serial, SerialRecord};
use crate::store::{Members, StoreError};

#[async_trait]
impl Members for RedbStore {
    async fn customer(&self, id: &CustomerId) -> Result<Option<Customer>, StoreError> {
        self.get(CUSTOMERS, id.to_string()).await
    }

    async fn customer_with_serials(
        &self,
        id: &CustomerId,
    ) -> Result<Option<(Customer, Vec<SerialRecord>)>, StoreError> {
        let id = id.to_string();
        self.blocking(move |db| {
            // One read transaction: the customer and their serials are one snapshot.
            let txn = db.begin_read()?;
            let Some(customer) = read_row(&txn, CUSTOMERS, &id)? else {
                return Ok(None);
            };
            let serials = read_serials_of(&txn, &customer)?;
            Ok(Some((customer, serials)))
        })
        .await
    }

    async fn serial(&self, serial: &Serial) -> Result<Option<SerialRecord>, StoreError> {
        self.get(SERIALS, serial.to_string()).await
    }

    async fn providers(&self) -> Result<Vec<Provider>, StoreError> {
        self.blocking(|db| {
            let txn = db.begin_read()?;
            let table = txn.open_table(PROVIDERS)?;
            table
                .iter()?
                .map(|entry| decode(entry?.1.value()))
                .collect()
        })
        .await
    }

    async fn catalogue(&self) -> Result<Arc<[CatalogueEntry]>, StoreError> {
        if let Some(kept) = self.views.catalogue() {
            return Ok(kept);
        }
        // Taken before the read: a change committed meanwhile keeps it from being kept.
        let seq = self.views.seq();
        let read: Vec<CatalogueEntry> = self
            .blocking(|db| {
                let txn = db.begin_read()?;
                let table = txn.open_table(super::tables::CATALOGUE)?;
                table
                    .iter()?
                    .map(|entry| decode(entry?.1.value()))
                    .collect::<Result<_, StoreError>>()
            })
            .await?;
        Ok(self.views.keep_catalogue(seq, read.into()))
    }

    async fn has_customers(&self) -> Result<bool, StoreError> {
        self.blocking(|db| {
            let txn = db.begin_read()?;
            let table = txn.open_table(CUSTOMERS)?;
            Ok(!table.is_empty()?)
        })
        .await
    }
}
