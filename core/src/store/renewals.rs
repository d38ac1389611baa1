//! What a renewal reads before it decides (docs/renewal.md): the purchase code, the serial
//! and its member, together.

use async_trait::async_trait;

use crate::domain::{CodeRecord, Customer, RenewalCode, Serial, SerialRecord};
use crate::store::{Members, StoreError};

/// What one renewal reads: each part None when it is not there (or, for the serial and
/// member, when the code is not).
#[derive(Default, Clone)]
pub struct RenewalView {
    pub code: Option<CodeRecord>,
    pub serial: Option<SerialRecord>,
    pub member: Option<Customer>,
}

#[async_trait]
pub trait Renewals: Members + Send + Sync {
    async fn code(&self, code: &RenewalCode) -> Result<Option<CodeRecord>, StoreError>;

    /// What a renewal reads before it decides (docs/renewal.md): the code, the serial, and the
    /// serial's member, together. redb reads them in one read transaction; by default they
    /// are read one after another. The serial and member are not read for an unknown code.
    async fn renewal_view(
        &self,
        code: &RenewalCode,
        serial: &Serial,
    ) -> Result<RenewalView, StoreError> {
        let Some(code) = self.code(code).await? else {
            return Ok(RenewalView::default());
        };
        let serial = self.serial(serial).await?;
        let member = match &serial {
            Some(serial) => self.customer(&serial.customer_id).await?,
            None => None,
        };
        Ok(RenewalView {
            code: Some(code),
            serial,
            member,
        })
    }
}
