//! A mail in the outbox, as a value: what it says (its kind and the templates that write
//! it), where it stands (pending, sent, failed), and the rule for retrying it. Storing it
//! is the store's; delivering it is `service::outbox`; the senders are `crate::mail`.
//! See docs/mail.md.

mod attempts;
mod templates;

pub use attempts::{FailedMailAction, MAX_ATTEMPTS, backoff, scrub};

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::Email;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MailKind {
    AccountLocked,
    UnlockCode,
    SerialMoved,
    /// 工事完了通知 (docs/orders.md). Mails stored before orders were kinds of their own
    /// read as this one.
    #[serde(alias = "line_notification_completed")]
    WorksCompleted,
    /// An order not carried out, and why (docs/orders.md).
    OrderFailed,
    RenewalCompleted,
    ReaderOrdered,
    /// A rental reader is on its way (docs/readers.md).
    ReaderShipped,
    MembershipCancelled,
    ExpiryReminder,
    LicenseExpired,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MailStatus {
    Pending,
    Sent,
    /// Given up after `MAX_ATTEMPTS` failed deliveries (docs/mail.md); operators list these.
    Failed,
    /// A failed mail an operator decided not to send (docs/mail.md#failed-mails): kept as
    /// the record of what the member was not told, off the failed list.
    Abandoned,
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
    /// Failed deliveries so far. Mails stored before retries were counted read as 0.
    #[serde(default)]
    pub attempts: u32,
    /// When the next delivery is due after a failed one; `None` until then, when the mail
    /// is due from `created_at`.
    #[serde(default)]
    pub next_attempt_at: Option<Timestamp>,
    /// Why the last delivery failed: short, with any address in it masked.
    #[serde(default)]
    pub last_error: Option<String>,
    /// The request (or the job's invocation) that queued it (docs/operations.md#request-ids).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

/// A pending mail's place in the delivery order: when it is due, then its id. The store
/// keeps its pending index in this order, so the mails due are read without the ones
/// waiting for a later retry.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct DuePlace {
    pub due_at: Timestamp,
    pub mail_id: String,
}

/// A pending mail as its list gives it: where to read it, and its place in the list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingMail {
    pub to: Email,
    pub place: DuePlace,
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
            attempts: 0,
            next_attempt_at: None,
            last_error: None,
            request_id: crate::trace::current(),
        }
    }

    /// When the mail is (next) due for delivery.
    pub fn due_at(&self) -> Timestamp {
        self.next_attempt_at.unwrap_or(self.created_at)
    }

    pub fn due_place(&self) -> DuePlace {
        DuePlace {
            due_at: self.due_at(),
            mail_id: self.mail_id.clone(),
        }
    }

    /// Still to deliver, and due by `now`.
    pub fn is_due(&self, now: Timestamp) -> bool {
        self.status == MailStatus::Pending && self.due_at() <= now
    }
}
