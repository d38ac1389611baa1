//! `GET /admin/v1/outbox`: every mail queued to one address, or every mail that failed; and
//! an operator's decision on a failed mail (`POST /admin/v1/outbox/failed/{mail_id}`).

use jiff::Timestamp;
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::Email;
use crate::domain::japan;
use crate::domain::{FailedMailAction, Mail, MailKind, MailStatus};
use crate::service::{Context, Error};

#[derive(Debug, Serialize, ToSchema)]
pub struct OutboxMail {
    /// What the dispatcher's log lines name the mail by.
    pub mail_id: String,
    #[schema(value_type = String)]
    pub to: Email,
    pub kind: MailKind,
    pub subject: String,
    pub body: String,
    pub status: MailStatus,
    #[serde(with = "japan::instant")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    /// Failed deliveries so far (docs/mail.md: `failed` after 10).
    pub attempts: u32,
    /// Why the last delivery failed, addresses masked.
    pub last_error: Option<String>,
    /// The request that queued it, as its log lines name it (docs/operations.md#request-ids).
    pub request_id: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Outbox {
    pub mails: Vec<OutboxMail>,
}

/// Which mails operators ask for (docs/operators.md).
#[derive(Debug, Clone)]
pub enum OutboxFilter {
    /// Every mail to one address, or only those with a status.
    To(Email, Option<MailStatus>),
    /// Every mail given up after its last failed attempt (docs/mail.md).
    Failed,
}

pub async fn outbox(ctx: &Context, filter: &OutboxFilter) -> Result<Outbox, Error> {
    let mails = match filter {
        OutboxFilter::To(to, status) => {
            let mut mails = ctx.store.mails_to(to).await?;
            mails.retain(|mail| status.is_none_or(|status| mail.status == status));
            mails
        }
        OutboxFilter::Failed => ctx.store.failed_mails().await?,
    };
    Ok(Outbox {
        mails: mails.into_iter().map(OutboxMail::from).collect(),
    })
}

impl From<Mail> for OutboxMail {
    fn from(mail: Mail) -> Self {
        OutboxMail {
            mail_id: mail.mail_id,
            to: mail.to,
            kind: mail.kind,
            subject: mail.subject,
            body: mail.body,
            status: mail.status,
            created_at: mail.created_at,
            attempts: mail.attempts,
            last_error: mail.last_error,
            request_id: mail.request_id,
        }
    }
}

/// `POST /admin/v1/outbox/failed/{mail_id}` (docs/mail.md#failed-mails): an operator sends a
/// failed mail again, or abandons it. A mail not on the failed list (unknown, never failed,
/// or settled already) is `NotFound`.
pub async fn settle_failed_mail(
    ctx: &Context,
    mail_id: &str,
    action: FailedMailAction,
) -> Result<OutboxMail, Error> {
    // Mail ids are 20 digits, a dash and 8 letters or digits: anything else is no mail,
    // and is not sent on to the store as a key.
    let plausible = mail_id.len() <= 40
        && mail_id
            .bytes()
            .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase() || b == b'-');
    if !plausible {
        return Err(Error::NotFound);
    }
    let Some(failed) = ctx.store.failed_mail(mail_id).await? else {
        return Err(Error::NotFound);
    };
    let settled = failed.settled(action, ctx.clock.now());
    if !ctx.store.settle_failed_mail(&settled).await? {
        return Err(Error::NotFound);
    }
    tracing::info!(%mail_id, ?action, kind = ?settled.kind, "failed mail settled by an operator");
    crate::telemetry::mail(match action {
        FailedMailAction::Retry => "retried_by_operator",
        FailedMailAction::Abandon => "abandoned",
    });
    Ok(OutboxMail::from(settled))
}
