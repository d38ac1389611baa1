//! RedbStore's `Renewals` (the port is `store/renewals.rs`).

use async_trait::async_trait;
use redb::ReadableDatabase;

use super::tables::{CODES, CUSTOMERS, SERIALS};
use super::{RedbStore, read_row};
use crate::domain::{CodeRecord, CustomerId, RenewalCode, Serial, SerialRecord};
use crate::store::{RenewalView, Renewals, StoreError};

#[async_trait]
impl Renewals for RedbStore {
    async fn code(&self, code: &RenewalCode) -> Result<Option<CodeRecord>, StoreError> {
        self.get(CODES, code.key().to_owned()).await
    }

    async fn renewal_view(
        &self,
        code: &RenewalCode,
        serial: &Serial,
        owner: Option<&CustomerId>,
    ) -> Result<RenewalView, StoreError> {
        let (code, serial) = (code.key().to_owned(), serial.to_string());
        let owner = owner.cloned();
        self.blocking(move |db| {
            // One read transaction, one trip to a reader thread: the code, the serial and
            // its member are one snapshot.
            let txn = db.begin_read()?;
            let Some(code) = read_row(&txn, CODES, &code)? else {
                return Ok(RenewalView::default());
            };
            let serial = read_row::<SerialRecord>(&txn, SERIALS, &serial)?
                .filter(|s| owner.as_ref().is_none_or(|o| *o == s.customer_id));
            let member = match &serial {
                Some(serial) => read_row(&txn, CUSTOMERS, serial.customer_id.as_str())?,
                None => None,
            };
            Ok(RenewalView {
                code: Some(code),
                serial,
                member,
            })
        })
        .await
    }
}
