//! Local delivery: one RFC 5322 `.eml` file per mail, named by its id.

use std::io::Write as _;
use std::path::PathBuf;

use async_trait::async_trait;
use lettre::message::Mailbox;

use super::message::{DEFAULT_FROM, message, sender_address};
use super::{MailError, MailSender};
use crate::domain::Mail;

pub struct EmlDirectory {
    dir: PathBuf,
    from: Mailbox,
}

impl EmlDirectory {
    pub fn new(dir: impl Into<PathBuf>) -> std::io::Result<Self> {
        let dir = dir.into();
        std::fs::create_dir_all(&dir)?;
        let from = sender_address(DEFAULT_FROM).expect("a valid sender address");
        Ok(Self { dir, from })
    }

    /// The same directory, with mails sent from `from` (`MADOGUCHI_MAIL_FROM`).
    pub fn from_address(mut self, from: Mailbox) -> Self {
        self.from = from;
        self
    }
}

#[async_trait]
impl MailSender for EmlDirectory {
    async fn send(&self, mail: &Mail) -> Result<(), MailError> {
        let bytes = message(mail, &self.from)?.formatted();
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
