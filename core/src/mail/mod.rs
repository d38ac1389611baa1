//! The senders: a mail handed to an `.eml` file, an SMTP server or SES. What a mail is
//! lives in `domain::mail`; when and how often it is delivered, in `service::outbox`.
//! See docs/mail.md.

mod eml;
mod message;
mod sender;
#[cfg(feature = "ses")]
mod ses;
#[cfg(feature = "smtp")]
mod smtp;

pub use eml::EmlDirectory;
/// A sender's address, as `sender_address` reads it.
pub use lettre::message::Mailbox;
pub use message::{DEFAULT_FROM, configured_sender, sender_address, signed};
pub use sender::{MailError, MailSender};
#[cfg(feature = "ses")]
pub use ses::SesSender;
#[cfg(feature = "smtp")]
pub use smtp::SmtpSender;
