//! The outbox (SPEC §9): every mail is written in the same transaction as the change that
//! causes it, and delivered afterwards by a dispatcher.

mod dispatcher;
mod templates;

pub use dispatcher::{EmlDirectory, MailSender, dispatch_pending};

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::Email;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MailKind {
    AccountLocked,
    SerialMoved,
    LineNotificationCompleted,
    RenewalCompleted,
    ReaderOrdered,
    MembershipCancelled,
    ExpiryReminder,
    LicenseExpired,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MailStatus {
    Pending,
    Sent,
}

/// One mail in the outbox.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Mail {
    /// Time-ordered and unique: the outbox key, and the delivered file's name.
    pub mail_id: String,
    pub to: Email,
    pub kind: MailKind,
    pub subject: String,
    pub body: String,
    pub created_at: Timestamp,
    pub status: MailStatus,
    pub sent_at: Option<Timestamp>,
}

impl Mail {
    pub fn new(to: &Email, kind: MailKind, subject: String, body: String, at: Timestamp) -> Self {
        let mail_id = format!(
            "{:020}-{}",
            at.as_nanosecond(),
            crate::secret::random_string(b"0123456789abcdefghjkmnpqrstvwxyz", 8)
        );
        Self {
            mail_id,
            to: to.clone(),
            kind,
            subject,
            body,
            created_at: at,
            status: MailStatus::Pending,
            sent_at: None,
        }
    }
}
