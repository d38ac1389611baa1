//! The expiry index the reminder job reads (docs/reminders.md#the-expiry-index), and the
//! reminders already sent.

use async_trait::async_trait;

use crate::domain::SerialRecord;
use crate::store::StoreError;

/// The date a licence is filed under in the expiry index, if it can get reminders: term
/// licences still usable (a cancelled member's serials are unavailable) whose "expired"
/// notice has not gone out yet. The index so holds only what the job can still have to do.
pub fn reminder_date(serial: &SerialRecord) -> Option<jiff::civil::Date> {
    use crate::domain::{Billing, SerialStatus};
    match (serial.billing, serial.status) {
        (Billing::Term, SerialStatus::AwaitingInstall | SerialStatus::InUse) => serial
            .expires_on
            .filter(|date| serial.expired_notice_for != Some(*date)),
        _ => None,
    }
}

/// A licence's place in the expiry index: its last day, then its serial. The reminder job
/// reads the index a page at a time, each page after the last place of the one before.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ExpiryPlace {
    pub expires_on: jiff::civil::Date,
    pub serial: crate::domain::Serial,
}

#[async_trait]
pub trait Reminders: Send + Sync {
    /// The places of up to `limit` licences in the expiry index whose last day is `until`
    /// or earlier, in the index's order, after `after` when given. Fewer than `limit`: the
    /// index has no more. (An index that may lag: act only on what `serial` reads.)
    async fn serials_expiring(
        &self,
        until: jiff::civil::Date,
        after: Option<&ExpiryPlace>,
        limit: usize,
    ) -> Result<Vec<ExpiryPlace>, StoreError>;

    async fn reminder_sent(&self, key: &str) -> Result<bool, StoreError>;
}
