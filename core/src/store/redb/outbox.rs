//! RedbStore's `Outbox` (the port is `store/outbox.rs`).

use std::ops::Bound;

use async_trait::async_trait;
use redb::WriteTransaction;

use super::change::Change;
use jiff::Timestamp;
use redb::{ReadableDatabase, ReadableTable};

use super::tables::{MAILS_TO, OUTBOX, OUTBOX_DUE, OUTBOX_FAILED};
use super::{RedbStore, decode, due_key, encode};
use crate::domain::{DuePlace, Email, Mail, MailStatus, PendingMail};
use crate::store::{Outbox, StoreError, Tally};

#[async_trait]
impl Outbox for RedbStore {
    async fn pending_mails(
        &self,
        due_by: Timestamp,
        after: Option<&DuePlace>,
        limit: usize,
    ) -> Result<Vec<PendingMail>, StoreError> {
        let after = after.cloned();
        let mails: Vec<PendingMail> = self
            .blocking(move |db| {
                let txn = db.begin_read()?;
                let due = txn.open_table(OUTBOX_DUE)?;
                let outbox = txn.open_table(OUTBOX)?;
                let from = match &after {
                    Some(place) => Bound::Excluded(due_key(place)),
                    None => Bound::Unbounded,
                };
                let mut mails = Vec::new();
                for entry in due.range::<(i128, &str)>((from, Bound::Unbounded))? {
                    let (key, ()) = entry.map(|(k, v)| (k, v.value()))?;
                    let (due_at, id) = key.value();
                    if due_at > due_by.as_nanosecond() || mails.len() == limit {
                        break;
                    }
                    if let Some(bytes) = outbox.get(id)? {
                        let mail: Mail = decode(bytes.value())?;
                        mails.push(PendingMail {
                            to: mail.to,
                            place: DuePlace {
                                due_at: Timestamp::from_nanosecond(due_at)
                                    .map_err(|e| StoreError::Backend(e.to_string()))?,
                                mail_id: id.to_owned(),
                            },
                        });
                    }
                }
                Ok(mails)
            })
            .await?;
        // A mail is sent only for a change that is durable: mails are enqueued by commits,
        // visible only once their group's fsync is done.
        Ok(mails)
    }

    async fn mail(&self, to: &Email, mail_id: &str) -> Result<Option<Mail>, StoreError> {
        let to = to.clone();
        let mail: Option<Mail> = self.get(OUTBOX, mail_id.to_owned()).await?;
        // Mails are keyed by recipient and id in the other engine: answer alike.
        Ok(mail.filter(|m| m.to == to))
    }

    async fn failed_mails(&self) -> Result<Vec<Mail>, StoreError> {
        self.blocking(|db| {
            let txn = db.begin_read()?;
            let failed = txn.open_table(OUTBOX_FAILED)?;
            let outbox = txn.open_table(OUTBOX)?;
            let mut mails = Vec::new();
            for entry in failed.iter()? {
                let (id, ()) = entry.map(|(k, v)| (k, v.value()))?;
                if let Some(bytes) = outbox.get(id.value())? {
                    mails.push(decode(bytes.value())?);
                }
            }
            Ok(mails)
        })
        .await
    }

    async fn mails_to(&self, to: &Email) -> Result<Vec<Mail>, StoreError> {
        let to = to.to_string();
        self.blocking(move |db| {
            let txn = db.begin_read()?;
            let index = txn.open_multimap_table(MAILS_TO)?;
            let outbox = txn.open_table(OUTBOX)?;
            let mut mails = Vec::new();
            for id in index.get(to.as_str())? {
                if let Some(bytes) = outbox.get(id?.value())? {
                    mails.push(decode(bytes.value())?);
                }
            }
            Ok(mails)
        })
        .await
    }

    async fn mark_mail_sent(
        &self,
        to: &Email,
        mail_id: &str,
        at: Timestamp,
    ) -> Result<bool, StoreError> {
        let (to, mail_id) = (to.clone(), mail_id.to_owned());
        let marked = self
            .writer
            .apply(Change::MarkMailSent { to, mail_id, at })
            .await?;
        Ok(marked.applied())
    }

    async fn claim_mail(
        &self,
        mail: &Mail,
        claim: &str,
        now: Timestamp,
        until: Timestamp,
    ) -> Result<bool, StoreError> {
        let stored = self.mail(&mail.to, &mail.mail_id).await?;
        let pending_as_read = stored.is_some_and(|stored| {
            stored.status == MailStatus::Pending && stored.attempts == mail.attempts
        });
        Ok(pending_as_read
            && self
                .claims
                .claim(&mail.mail_id, mail.attempts, claim, now, until))
    }

    async fn failed_mail(&self, mail_id: &str) -> Result<Option<Mail>, StoreError> {
        let mail: Option<Mail> = self.get(OUTBOX, mail_id.to_owned()).await?;
        Ok(mail.filter(|m| m.status == MailStatus::Failed))
    }

    async fn settle_failed_mail(&self, mail: &Mail) -> Result<bool, StoreError> {
        let settled = self
            .writer
            .apply(Change::SettleFailedMail(mail.clone()))
            .await?
            .applied();
        if settled {
            self.claims.forget(&mail.mail_id);
        }
        Ok(settled)
    }

    async fn record_failed_attempt(&self, mail: &Mail) -> Result<bool, StoreError> {
        let recorded = self
            .writer
            .apply(Change::RecordFailedAttempt(mail.clone()))
            .await?
            .applied();
        if recorded {
            self.claims.end_with_attempt(&mail.mail_id, mail.attempts);
        }
        Ok(recorded)
    }
}

/// Marks a pending mail sent and takes it off the pending list; `false` when it is no
/// longer pending (marked already, given up) or not there.
pub(super) fn mark_sent(
    txn: &WriteTransaction,
    to: &Email,
    mail_id: &str,
    at: Timestamp,
) -> Result<bool, StoreError> {
    let mut outbox = txn.open_table(OUTBOX)?;
    let stored: Option<Mail> = outbox
        .get(mail_id)?
        .map(|bytes| decode(bytes.value()))
        .transpose()?;
    match stored {
        Some(mut mail) if mail.to == *to && mail.status == MailStatus::Pending => {
            txn.open_table(OUTBOX_DUE)?
                .remove(due_key(&mail.due_place()))?;
            mail.status = MailStatus::Sent;
            mail.sent_at = Some(at);
            outbox.insert(mail_id, encode(&mail)?.as_slice())?;
            super::status::add(txn, &Tally::mail_sent())?;
            Ok(true)
        }
        _ => Ok(false),
    }
}

/// Stores `mail` as it is after a failed attempt, only while the stored mail is pending
/// with one attempt fewer: due again later, or failed and listed with the failed ones.
pub(super) fn record_failed(txn: &WriteTransaction, mail: &Mail) -> Result<bool, StoreError> {
    let mut outbox = txn.open_table(OUTBOX)?;
    let stored: Option<Mail> = outbox
        .get(mail.mail_id.as_str())?
        .map(|bytes| decode(bytes.value()))
        .transpose()?;
    match stored {
        Some(stored)
            if stored.to == mail.to
                && stored.status == MailStatus::Pending
                && stored.attempts + 1 == mail.attempts =>
        {
            let mut due = txn.open_table(OUTBOX_DUE)?;
            due.remove(due_key(&stored.due_place()))?;
            match mail.status {
                MailStatus::Pending => {
                    due.insert(due_key(&mail.due_place()), ())?;
                }
                MailStatus::Failed => {
                    txn.open_table(OUTBOX_FAILED)?
                        .insert(mail.mail_id.as_str(), ())?;
                }
                MailStatus::Sent | MailStatus::Abandoned => {}
            }
            outbox.insert(mail.mail_id.as_str(), encode(&mail)?.as_slice())?;
            super::status::add(txn, &Tally::mail_given_up(mail))?;
            Ok(true)
        }
        _ => Ok(false),
    }
}

/// Stores a failed mail as an operator settled it, only while the stored one is failed: off
/// the failed list, and due again when retried.
pub(super) fn settle_failed(txn: &WriteTransaction, mail: &Mail) -> Result<bool, StoreError> {
    let mut outbox = txn.open_table(OUTBOX)?;
    let stored: Option<Mail> = outbox
        .get(mail.mail_id.as_str())?
        .map(|bytes| decode(bytes.value()))
        .transpose()?;
    if !stored.is_some_and(|s| s.to == mail.to && s.status == MailStatus::Failed) {
        return Ok(false);
    }
    txn.open_table(OUTBOX_FAILED)?
        .remove(mail.mail_id.as_str())?;
    if mail.status == MailStatus::Pending {
        txn.open_table(OUTBOX_DUE)?
            .insert(due_key(&mail.due_place()), ())?;
    }
    outbox.insert(mail.mail_id.as_str(), encode(mail)?.as_slice())?;
    super::status::add(txn, &Tally::mail_settled(mail))?;
    Ok(true)
}
