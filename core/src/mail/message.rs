//! A mail as an RFC 5322 message: what an `.eml` file holds and what goes over SMTP.

use lettre::message::{Mailbox, Message, header::ContentType};

use super::MailError;
use crate::domain::Mail;

/// The sender when `MADOGUCHI_MAIL_FROM` is not set (local delivery and SMTP sinks).
pub const DEFAULT_FROM: &str = "madoguchi <no-reply@madoguchi.invalid>";

/// Reads a sender address such as `madoguchi <no-reply@example.jp>` or `no-reply@example.jp`.
pub fn sender_address(text: &str) -> Result<Mailbox, MailError> {
    text.trim()
        .parse()
        .map_err(|e: lettre::address::AddressError| MailError::Build(e.to_string()))
}

/// The sender `MADOGUCHI_MAIL_FROM` names; a malformed one is refused naming the variable.
pub fn configured_sender(text: &str) -> Result<Mailbox, String> {
    sender_address(text).map_err(|e| format!("{} is malformed: {e}", crate::config::MAIL_FROM))
}

/// The message of a mail. Its Message-ID is the mail id, so a delivery repeated after a
/// crash carries the same id as the first and a reader can tell it for a copy.
pub(super) fn message(mail: &Mail, from: &Mailbox) -> Result<Message, MailError> {
    let to: Mailbox = mail
        .to
        .as_str()
        .parse()
        .map_err(|e: lettre::address::AddressError| MailError::Build(e.to_string()))?;
    let date = std::time::SystemTime::UNIX_EPOCH
        + std::time::Duration::from_secs(mail.created_at.as_second().max(0) as u64);
    Message::builder()
        .from(from.clone())
        .to(to)
        .subject(&mail.subject)
        .date(date)
        .message_id(Some(format!("<{}@{}>", mail.mail_id, from.email.domain())))
        .header(ContentType::TEXT_PLAIN)
        .body(mail.body.clone())
        .map_err(|e| MailError::Build(e.to_string()))
}

/// A mail as it is delivered (docs/support.md): its subject under the service's name, and
/// the desk at its end. The outbox keeps what the mail says; who says it is the
/// configuration's, so a desk whose phone changes is right in every mail not yet delivered.
pub fn signed(mail: &Mail, desk: &crate::support::Support) -> Mail {
    let mut letter = mail.clone();
    letter.subject = format!("【{}】{}", desk.service_name, mail.subject);
    letter.body.push_str(&desk.signature());
    letter
}
