//! Delivery of the outbox (docs/mail.md): each mail due is re-read, handed to a sender, then
//! marked sent; a failed delivery is recorded and retried later with backoff, so it never
//! holds back the mails behind it.
//!
//! A crash after sending and before marking sends the mail again; `.eml` files are written
//! under the mail's id, so there a second delivery replaces the first instead of adding a
//! copy, and over SMTP the copy carries the first one's Message-ID.

use jiff::Timestamp;
use serde::Serialize;

use crate::domain::{DuePlace, Email, MailStatus, scrub};
use crate::mail::{MailError, MailSender};
use crate::service::Context;
use crate::store::StoreError;

/// What became of one mail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    Sent,
    /// Its delivery failed; it is due again after the backoff.
    Retrying,
    /// Its delivery failed for the last time: it is `failed` now.
    Failed,
    /// Nothing to do: already sent or given up, not due yet, or not there.
    Skipped,
}

/// How long a dispatcher's claim on a mail lasts: longer than the dispatcher function's
/// 60 s timeout (infra/template.yaml), so that a claim outlives the invocation that took
/// it, and a claim left by one that died is taken over by the sweep after it.
pub const CLAIM_LEASE: jiff::SignedDuration = jiff::SignedDuration::from_mins(5);

/// Delivers one mail if it is still pending and due. The mail is read again by its key
/// first, strongly consistent, so a stale index or a repeated stream record sends nothing
/// twice; then claimed (`Store::claim_mail`), so that two dispatchers at once never both
/// send it. Only the store's failures are errors; a mail that cannot be sent is recorded
/// for a later attempt.
pub async fn deliver(
    ctx: &Context,
    sender: &dyn MailSender,
    to: &Email,
    mail_id: &str,
) -> Result<Delivery, StoreError> {
    let Some(mail) = ctx.store.mail(to, mail_id).await? else {
        tracing::warn!(mail_id, "no such mail to deliver");
        return Ok(Delivery::Skipped);
    };
    let now = ctx.clock.now();
    if !mail.is_due(now) {
        tracing::debug!(mail_id, status = ?mail.status, "mail not due; nothing to do");
        return Ok(Delivery::Skipped);
    }
    let claimer = crate::secret::random_string(b"0123456789abcdefghijklmnopqrstuvwxyz", 16);
    if !ctx
        .store
        .claim_mail(&mail, &claimer, now, now + CLAIM_LEASE)
        .await?
    {
        tracing::debug!(mail_id, "mail claimed by another dispatcher; nothing to do");
        return Ok(Delivery::Skipped);
    }
    match sender
        .send(&crate::mail::signed(&mail, &ctx.settings.support))
        .await
    {
        Ok(()) => {
            let marked = ctx
                .store
                .mark_mail_sent(&mail.to, &mail.mail_id, ctx.clock.now())
                .await?;
            if !marked {
                // Someone else delivered or gave it up meanwhile: nothing left to mark.
                tracing::debug!(mail_id, "mail was already marked");
            }
            tracing::info!(mail_id, kind = ?mail.kind, to = ?mail.to, attempts = mail.attempts, request_id = mail.request_id.as_deref(), "mail delivered");
            crate::telemetry::mail("sent");
            Ok(Delivery::Sent)
        }
        Err(error) => {
            let reason = scrub(&error.to_string());
            let next = mail.after_failed_attempt(ctx.clock.now(), &reason);
            if !ctx.store.record_failed_attempt(&next).await? {
                tracing::debug!(mail_id, "mail changed meanwhile; attempt not recorded");
                return Ok(Delivery::Skipped);
            }
            if next.status == MailStatus::Failed {
                tracing::error!(mail_id, kind = ?mail.kind, attempts = next.attempts, %reason, request_id = mail.request_id.as_deref(), "mail delivery failed for the last time; it is marked failed");
                crate::telemetry::mail("failed");
                Ok(Delivery::Failed)
            } else {
                tracing::warn!(mail_id, attempts = next.attempts, next_attempt_at = ?next.next_attempt_at, %reason, request_id = mail.request_id.as_deref(), "mail delivery failed; it will be retried");
                crate::telemetry::mail("retried");
                Ok(Delivery::Retrying)
            }
        }
    }
}

/// What a round of deliveries did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Sweep {
    pub sent: usize,
    pub retrying: usize,
    pub failed: usize,
    pub skipped: usize,
}

impl Sweep {
    fn count(&mut self, delivery: Delivery) {
        match delivery {
            Delivery::Sent => self.sent += 1,
            Delivery::Retrying => self.retrying += 1,
            Delivery::Failed => self.failed += 1,
            Delivery::Skipped => self.skipped += 1,
        }
    }
}

/// Mails read from the pending index at a time.
const PAGE: usize = 100;

/// Delivers up to `limit` pending mails due by `due_by`, in the order they fell due, a page
/// at a time. A page starts after the last mail of the previous one, so mails that failed
/// again (now due later) or that a stale index still lists are not met twice.
pub async fn sweep(
    ctx: &Context,
    sender: &dyn MailSender,
    due_by: Timestamp,
    limit: usize,
) -> Result<Sweep, StoreError> {
    let mut summary = Sweep::default();
    let mut after: Option<DuePlace> = None;
    let mut read = 0;
    while read < limit {
        let wanted = PAGE.min(limit - read);
        let page = ctx
            .store
            .pending_mails(due_by, after.as_ref(), wanted)
            .await?;
        if after.is_none() {
            // The list runs in the order mails fell due: its first waited longest.
            let waited = page.first().map_or(0.0, |oldest| {
                crate::telemetry::seconds_since(oldest.place.due_at, due_by)
            });
            crate::telemetry::oldest_pending_mail(waited);
        }
        let Some(last) = page.last() else { break };
        after = Some(last.place.clone());
        let full = page.len() == wanted;
        read += page.len();
        for mail in page {
            // A store failure on one mail (its re-read or its mark) must not hold back the
            // mails behind it (docs/mail.md): it stays pending for the next sweep.
            let mail_id = &mail.place.mail_id;
            match deliver_patiently(ctx, sender, &mail.to, mail_id).await {
                Ok(delivery) => summary.count(delivery),
                Err(error) => {
                    tracing::error!(%mail_id, %error, "the store failed on this mail; the next sweep tries it again");
                    summary.skipped += 1;
                }
            }
        }
        if !full {
            break;
        }
    }
    Ok(summary)
}

/// Tries a mail's delivery again, after a growing pause, while the store only throttles
/// or does not answer: once the SDK's own retries are spent (its retry budget runs out
/// under a long spell of throttling), a single throttled call would otherwise hold the
/// mail back for a whole sweep. Every step of a delivery is conditional, so a step sent
/// again is safe; a mail still failing is left for the next sweep.
async fn deliver_patiently(
    ctx: &Context,
    sender: &dyn MailSender,
    to: &Email,
    mail_id: &str,
) -> Result<Delivery, StoreError> {
    const TRIES: u32 = 4;
    let mut tries = 1;
    loop {
        match deliver(ctx, sender, to, mail_id).await {
            Err(StoreError::Throttled(_) | StoreError::Unavailable(_)) if tries < TRIES => {
                tokio::time::sleep(crate::store::backoff::pause(tries)).await;
                tries += 1;
            }
            answer => return answer,
        }
    }
}

/// Delivers up to `limit` mails due now; returns how many were delivered.
pub async fn dispatch_pending(
    ctx: &Context,
    sender: &dyn MailSender,
    limit: usize,
) -> Result<usize, MailError> {
    Ok(sweep(ctx, sender, ctx.clock.now(), limit).await?.sent)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::domain::{Mail, MailKind};
    use crate::mail::EmlDirectory;
    use crate::store::Write;
    use crate::store::redb::RedbStore;
    use crate::{ManualClock, Settings};

    fn eml_files(dir: &std::path::Path) -> Vec<String> {
        std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|name| name.ends_with(".eml"))
            .collect()
    }

    /// docs/mail.md: a crash between delivering and marking sends the mail again on restart, and
    /// that second delivery replaces the first instead of adding a copy.
    #[tokio::test(flavor = "multi_thread")]
    async fn a_delivery_repeated_after_a_crash_leaves_one_mail() {
        let at = "2026-11-22T00:00:00Z".parse().unwrap();
        let store = Arc::new(RedbStore::in_memory().unwrap());
        let ctx = Context::new(store, Arc::new(ManualClock::new(at)), Settings::default());
        let to = Email::parse("crash@example.jp").unwrap();
        let mail = Mail::new(&to, MailKind::SerialMoved, "件名".into(), "本文".into(), at);
        ctx.store
            .commit(vec![Write::EnqueueMail(mail.clone())])
            .await
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let sender = EmlDirectory::new(dir.path()).unwrap();

        // Delivered, then the process dies before marking it sent.
        sender.send(&mail).await.unwrap();
        assert_eq!(
            ctx.store.pending_mails(at, None, 10).await.unwrap().len(),
            1
        );
        // The restarted dispatcher delivers it again, and marks it.
        assert_eq!(dispatch_pending(&ctx, &sender, 10).await.unwrap(), 1);
        assert_eq!(eml_files(dir.path()), [format!("{}.eml", mail.mail_id)]);
        assert!(
            ctx.store
                .pending_mails(at, None, 10)
                .await
                .unwrap()
                .is_empty()
        );
        assert_eq!(dispatch_pending(&ctx, &sender, 10).await.unwrap(), 0);
        let written =
            std::fs::read_to_string(dir.path().join(format!("{}.eml", mail.mail_id))).unwrap();
        assert!(written.contains("To: crash@example.jp"));
        assert!(written.contains(&format!("Message-ID: <{}@madoguchi.invalid>", mail.mail_id)));
    }
}
