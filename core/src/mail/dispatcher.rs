//! Delivery of the outbox: each pending mail is handed to a sender, then marked sent.
//!
//! A crash after sending and before marking sends the mail again on restart; senders are
//! therefore idempotent per `mail_id` (the `.eml` file of a mail is written under its id,
//! so a second delivery replaces the first instead of adding a copy).

use std::io::Write as _;
use std::path::PathBuf;

use async_trait::async_trait;
use lettre::message::{Mailbox, Message, header::ContentType};

use super::Mail;
use crate::Context;
use crate::store::{StoreError, Write};

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("the mail could not be built: {0}")]
    Build(String),
    #[error("the mail could not be delivered: {0}")]
    Delivery(#[from] std::io::Error),
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[async_trait]
pub trait MailSender: Send + Sync {
    async fn send(&self, mail: &Mail) -> Result<(), MailError>;
}

/// Local delivery: one RFC 5322 `.eml` file per mail, named by its id.
pub struct EmlDirectory {
    dir: PathBuf,
    from: Mailbox,
}

impl EmlDirectory {
    pub fn new(dir: impl Into<PathBuf>) -> std::io::Result<Self> {
        let dir = dir.into();
        std::fs::create_dir_all(&dir)?;
        let from = "madoguchi <no-reply@madoguchi.invalid>"
            .parse()
            .expect("a valid sender address");
        Ok(Self { dir, from })
    }

    fn render(&self, mail: &Mail) -> Result<Vec<u8>, MailError> {
        let to: Mailbox = mail
            .to
            .as_str()
            .parse()
            .map_err(|e: lettre::address::AddressError| MailError::Build(e.to_string()))?;
        let date = std::time::SystemTime::UNIX_EPOCH
            + std::time::Duration::from_secs(mail.created_at.as_second().max(0) as u64);
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(&mail.subject)
            .date(date)
            .message_id(Some(format!("<{}@madoguchi.invalid>", mail.mail_id)))
            .header(ContentType::TEXT_PLAIN)
            .body(mail.body.clone())
            .map_err(|e| MailError::Build(e.to_string()))?;
        Ok(message.formatted())
    }
}

#[async_trait]
impl MailSender for EmlDirectory {
    async fn send(&self, mail: &Mail) -> Result<(), MailError> {
        let bytes = self.render(mail)?;
        let dir = self.dir.clone();
        let name = format!("{}.eml", mail.mail_id);
        tokio::task::spawn_blocking(move || -> std::io::Result<()> {
            // Write then rename: a reader never sees half a mail, and a repeat replaces it.
            let partial = dir.join(format!(".{name}.partial"));
            let mut file = std::fs::File::create(&partial)?;
            file.write_all(&bytes)?;
            file.sync_all()?;
            std::fs::rename(&partial, dir.join(&name))
        })
        .await
        .map_err(|e| MailError::Delivery(std::io::Error::other(e)))??;
        Ok(())
    }
}

/// Delivers up to `limit` pending mails, oldest first; returns how many were delivered.
/// A mail whose delivery fails stays pending for the next round.
pub async fn dispatch_pending(
    ctx: &Context,
    sender: &dyn MailSender,
    limit: usize,
) -> Result<usize, MailError> {
    let pending = ctx.store.pending_mails(limit).await?;
    let mut delivered = 0;
    for mail in pending {
        match sender.send(&mail).await {
            Ok(()) => {
                let at = ctx.clock.now();
                ctx.store
                    .commit(vec![Write::MarkMailSent {
                        mail_id: mail.mail_id.clone(),
                        to: mail.to.clone(),
                        at,
                    }])
                    .await?;
                tracing::info!(mail_id = %mail.mail_id, kind = ?mail.kind, to = ?mail.to, "mail delivered");
                delivered += 1;
            }
            Err(error) => {
                tracing::warn!(mail_id = %mail.mail_id, %error, "mail delivery failed; it stays pending");
            }
        }
    }
    Ok(delivered)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::domain::Email;
    use crate::mail::MailKind;
    use crate::store::redb::RedbStore;
    use crate::{ManualClock, Settings};

    fn eml_files(dir: &std::path::Path) -> Vec<String> {
        std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|name| name.ends_with(".eml"))
            .collect()
    }

    /// SPEC §9: a crash between delivering and marking sends the mail again on restart, and
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
        assert_eq!(ctx.store.pending_mails(10).await.unwrap().len(), 1);
        // The restarted dispatcher delivers it again, and marks it.
        assert_eq!(dispatch_pending(&ctx, &sender, 10).await.unwrap(), 1);
        assert_eq!(eml_files(dir.path()), [format!("{}.eml", mail.mail_id)]);
        assert!(ctx.store.pending_mails(10).await.unwrap().is_empty());
        assert_eq!(dispatch_pending(&ctx, &sender, 10).await.unwrap(), 0);
        let written =
            std::fs::read_to_string(dir.path().join(format!("{}.eml", mail.mail_id))).unwrap();
        assert!(written.contains("To: crash@example.jp"));
    }
}
