//! The outbox (docs/mail.md): the pending mails in the order they fall due, one mail by its
//! key, the failed ones, and the dispatcher's conditional writes (marked sent, claimed, a
//! failed attempt recorded).

use async_trait::async_trait;
use jiff::Timestamp;

use crate::domain::{DuePlace, Email, Mail, PendingMail};
use crate::store::StoreError;

#[async_trait]
pub trait Outbox: Send + Sync {
    /// Up to `limit` pending mails due by `due_by`, in the order they fall due (`DuePlace`),
    /// after `after` when given. Mails waiting for a later retry are not read at all. (An
    /// index that may lag: deliver only what `mail` reads as still pending.)
    async fn pending_mails(
        &self,
        due_by: Timestamp,
        after: Option<&DuePlace>,
        limit: usize,
    ) -> Result<Vec<PendingMail>, StoreError>;

    /// One mail by its key, read strongly consistent: what the dispatcher checks before it
    /// sends (docs/mail.md).
    async fn mail(&self, to: &Email, mail_id: &str) -> Result<Option<Mail>, StoreError>;

    /// Every mail given up after its last failed attempt, oldest first (docs/operators.md).
    async fn failed_mails(&self) -> Result<Vec<Mail>, StoreError>;

    /// Marks a pending mail sent and takes it off the pending index. One conditional write
    /// of its own, never part of a commit: a mail no longer pending (marked already, given
    /// up) or not there means nothing to do, answered `false`, never an error that would
    /// have it sent again.
    async fn mark_mail_sent(
        &self,
        to: &Email,
        mail_id: &str,
        at: Timestamp,
    ) -> Result<bool, StoreError>;

    /// Claims a pending mail for one delivery, so that two dispatchers at once (a sweep
    /// and its retry, the stream and the sweep) never send it twice (docs/mail.md, docs/cloud.md). It
    /// applies only while the stored mail is pending with `mail`'s attempts and no other
    /// claim runs at `now`; `claim` names this claimer, so that its own claim sent again
    /// (an answer lost on the way) is still its own. The claim ends when the mail is
    /// marked sent or its failed attempt recorded, or at `until` (a dispatcher that died
    /// holding it). `false`: not this dispatcher's to send.
    async fn claim_mail(
        &self,
        mail: &Mail,
        claim: &str,
        now: Timestamp,
        until: Timestamp,
    ) -> Result<bool, StoreError>;

    /// Stores `mail` as it is after a failed attempt (`Mail::after_failed_attempt`): due
    /// again later, or failed and listed with the failed ones. It applies only while the
    /// stored mail is pending with one attempt fewer, so a mail delivered meanwhile stays
    /// sent and two dispatchers never count one failure twice; otherwise `false`, nothing
    /// to do.
    async fn record_failed_attempt(&self, mail: &Mail) -> Result<bool, StoreError>;

    /// Every mail to one address, oldest first (operators' view of the outbox).
    async fn mails_to(&self, to: &Email) -> Result<Vec<Mail>, StoreError>;

    /// A mail of the failed list, by its id. (An index that may lag by a moment:
    /// `settle_failed_mail` decides on the mail as stored.)
    async fn failed_mail(&self, mail_id: &str) -> Result<Option<Mail>, StoreError>;

    /// Stores `mail` as an operator settled it (`Mail::settled`): off the failed list,
    /// pending again or abandoned. It applies only while the stored mail is failed, so a
    /// mail settled twice at once is settled once; otherwise `false`, nothing to do.
    async fn settle_failed_mail(&self, mail: &Mail) -> Result<bool, StoreError>;
}
