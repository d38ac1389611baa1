//! Delivery over SMTP (docs/mail.md, docs/cloud.md: `MADOGUCHI_SMTP_URL`), with lettre. The URL takes
//! lettre's form: `smtp://host:port` in plain text (a local sink), `smtps://…` (TLS from the
//! start) or `smtp://…?tls=required` (STARTTLS) otherwise, with `user:password@` when the
//! server asks for a login.

use async_trait::async_trait;
use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use super::message::message;
use super::{MailError, MailSender};
use crate::domain::Mail;

pub struct SmtpSender {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    /// Where mail goes, without any credentials: for logs.
    server: String,
}

impl SmtpSender {
    /// A sender to the server `url` names. Nothing is sent or connected to yet.
    pub fn new(url: &str, from: Mailbox) -> Result<Self, MailError> {
        // lettre's reasons name the scheme or the part at fault, never the password.
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| MailError::Build(format!("not a usable SMTP URL: {e}")))?
            // lettre waits a minute per command by default: as long as the dispatcher's
            // whole invocation. A server that hangs fails this mail's attempt instead.
            .timeout(Some(std::time::Duration::from_secs(10)))
            .build();
        Ok(Self {
            transport,
            from,
            server: server_of(url),
        })
    }

    /// The sender configured by `MADOGUCHI_SMTP_URL` (local-dev and the cloud's dispatcher
    /// alike): a malformed URL is refused naming the variable, and the server it names is
    /// logged without the URL's credentials.
    pub fn configured(url: &str, from: Mailbox) -> Result<Self, String> {
        let sender = Self::new(url, from)
            .map_err(|e| format!("{} is malformed: {e}", crate::config::SMTP_URL))?;
        tracing::info!(server = sender.server(), "mail is delivered over SMTP");
        Ok(sender)
    }

    /// `host:port` of the server, for logs.
    pub fn server(&self) -> &str {
        &self.server
    }
}

fn server_of(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split(['/', '?']).next().unwrap_or(rest);
    authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host)
        .to_owned()
}

#[async_trait]
impl MailSender for SmtpSender {
    async fn send(&self, mail: &Mail) -> Result<(), MailError> {
        let message = message(mail, &self.from)?;
        self.transport
            .send(message)
            .await
            .map_err(MailError::transport)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mail::sender_address;

    #[test]
    fn the_server_is_named_without_credentials() {
        assert_eq!(server_of("smtp://127.0.0.1:2525"), "127.0.0.1:2525");
        assert_eq!(
            server_of("smtps://user:secret@smtp.example.jp:465?tls=required"),
            "smtp.example.jp:465"
        );
    }

    #[test]
    fn a_url_that_is_not_smtp_is_refused_without_repeating_it() {
        let from = sender_address("no-reply@example.jp").unwrap();
        let refused = SmtpSender::new("http://user:secret@example.jp", from)
            .err()
            .expect("refused");
        assert!(!refused.to_string().contains("secret"), "{refused}");
    }
}
