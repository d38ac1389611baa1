//! `GET /admin/v1/outbox`: every mail queued to one address.

use jiff::Timestamp;
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::Email;
use crate::domain::japan;
use crate::mail::{MailKind, MailStatus};
use crate::service::{Context, Error};

#[derive(Debug, Serialize, ToSchema)]
pub struct OutboxMail {
    #[schema(value_type = String)]
    pub to: Email,
    pub kind: MailKind,
    pub subject: String,
    pub body: String,
    pub status: MailStatus,
    #[serde(with = "japan::instant")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Outbox {
    pub mails: Vec<OutboxMail>,
}

pub async fn outbox(ctx: &Context, to: &Email) -> Result<Outbox, Error> {
    let mails = ctx.store.mails_to(to).await?;
    Ok(Outbox {
        mails: mails
            .into_iter()
            .map(|mail| OutboxMail {
                to: mail.to,
                kind: mail.kind,
                subject: mail.subject,
                body: mail.body,
                status: mail.status,
                created_at: mail.created_at,
            })
            .collect(),
    })
}
