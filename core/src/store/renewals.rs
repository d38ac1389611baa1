//! What a renewal reads before it decides (docs/renewal.md): the purchase code, the serial
//! and its member, together.

use async_trait::async_trait;

use crate::domain::{CodeRecord, Customer, CustomerId, RenewalCode, Serial, SerialRecord};
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
    /// are read one after another.
    ///
    /// `owner` is the caller's customer ID when a session is presented: only that member's
    /// serial can then be renewed, so another member's reads as `None` (and DynamoDB reads
    /// the three items in one request, knowing the serial's partition). Without it, the
    /// serial's member is whoever owns it. A view without a code has no serial or member.
    async fn renewal_view(
        &self,
        code: &RenewalCode,
        serial: &Serial,
        owner: Option<&CustomerId>,
    ) -> Result<RenewalView, StoreError> {
        let Some(code) = self.code(code).await? else {
            return Ok(RenewalView::default());
        };
        let serial = self
            .serial(serial)
            .await?
            .filter(|s| owner.is_none_or(|o| *o == s.customer_id));
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
