//! The port every sender implements, and how a delivery fails.

use async_trait::async_trait;

use crate::domain::{Mail, scrub};
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("the mail could not be built: {0}")]
    Build(String),
    #[error("the mail could not be delivered: {0}")]
    Delivery(#[from] std::io::Error),
    /// The mail server or service refused the mail or could not be reached. The reason is
    /// scrubbed of addresses where it is made.
    #[error("the mail was refused or not accepted: {0}")]
    Transport(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl MailError {
    /// A refusal from the other side, whose text may quote the recipient.
    pub fn transport(reason: impl std::fmt::Display) -> Self {
        MailError::Transport(scrub(&reason.to_string()))
    }
}

#[async_trait]
pub trait MailSender: Send + Sync {
    async fn send(&self, mail: &Mail) -> Result<(), MailError>;
}
