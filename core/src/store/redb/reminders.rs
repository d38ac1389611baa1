//! RedbStore's `Reminders` (the port is `store/reminders.rs`).

use async_trait::async_trait;
use jiff::civil::Date;
use redb::ReadableDatabase;

use super::RedbStore;
use super::tables::{REMINDERS, SERIALS_BY_EXPIRY};
use crate::domain::Serial;
use crate::store::{ExpiryPlace, Reminders, StoreError};

#[async_trait]
impl Reminders for RedbStore {
    async fn serials_expiring(
        &self,
        until: Date,
        after: Option<&ExpiryPlace>,
        limit: usize,
    ) -> Result<Vec<ExpiryPlace>, StoreError> {
        let after = after.cloned();
        self.blocking(move |db| {
            let txn = db.begin_read()?;
            let index = txn.open_multimap_table(SERIALS_BY_EXPIRY)?;
            let from = after
                .as_ref()
                .map_or(String::new(), |place| place.expires_on.to_string());
            let until = until.to_string();
            let mut found = Vec::new();
            for day in index.range(from.as_str()..=until.as_str())? {
                let (day, serials) = day?;
                let expires_on: Date = day
                    .value()
                    .parse()
                    .map_err(|_| StoreError::Backend(format!("an index date {}", day.value())))?;
                for serial in serials {
                    let serial = Serial::parse(serial?.value())
                        .map_err(|_| StoreError::Backend("an index serial".to_owned()))?;
                    let place = ExpiryPlace { expires_on, serial };
                    // A day's serials come in order; the ones up to `after` were on the
                    // page before.
                    if after.as_ref().is_some_and(|after| place <= *after) {
                        continue;
                    }
                    found.push(place);
                    if found.len() == limit {
                        return Ok(found);
                    }
                }
            }
            Ok(found)
        })
        .await
    }

    async fn reminder_sent(&self, key: &str) -> Result<bool, StoreError> {
        let key = key.to_owned();
        self.blocking(move |db| {
            let txn = db.begin_read()?;
            let table = txn.open_table(REMINDERS)?;
            Ok(table.get(key.as_str())?.is_some())
        })
        .await
    }
}
