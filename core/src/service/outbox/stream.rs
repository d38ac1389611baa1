//! The cloud's outbox dispatcher (docs/mail.md, docs/cloud.md): invoked by the table's stream with the
//! records of new mails, and on a schedule to sweep up what the stream did not deliver
//! (retries after a failure, mails left past the stream's 24-hour retention).

use jiff::SignedDuration;
use serde::Serialize;
use serde_json::Value;

use super::dispatcher::{Sweep, deliver, sweep};
use super::handover::{BackOffice, HandOvers, hand_over, hand_over_due};
use crate::mail::{MailError, MailSender};
use crate::service::Context;
use crate::store::dynamodb::stream::StreamEvent;

/// The answer to a stream batch: the records to be handed over again, by sequence number
/// (Lambda's partial batch response, `ReportBatchItemFailures`).
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchResponse {
    pub batch_item_failures: Vec<BatchItemFailure>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchItemFailure {
    pub item_identifier: String,
}

/// Delivers the mail of every record that inserted one; every other record is ignored
/// (a MODIFY marking a mail sent must not send it again). A record is handed back only
/// when the store failed while it was worked on: a mail that could not be sent has its
/// attempt recorded, and its retry is the sweep's, after the backoff. Records handed back
/// come again with the ones after them; each mail is read again before it is sent, so
/// those send nothing twice.
pub async fn deliver_stream(
    ctx: &Context,
    sender: &dyn MailSender,
    back_office: &dyn BackOffice,
    event: &StreamEvent,
) -> BatchResponse {
    let mut response = BatchResponse::default();
    for record in &event.records {
        if let Some(order_no) = record.order_to_hand_over() {
            // An order is read again before it is handed over, as a mail is before it is
            // sent: a record seen twice hands nothing over twice.
            if let Err(error) = hand_over(ctx, back_office, &order_no).await {
                tracing::error!(%order_no, %error, "the store failed; the record will come again");
                if let Some(sequence) = record.sequence_number() {
                    response.batch_item_failures.push(BatchItemFailure {
                        item_identifier: sequence.to_owned(),
                    });
                }
            }
            continue;
        }
        let Some(mail) = record.inserted_mail() else {
            continue;
        };
        if let Err(error) = deliver(ctx, sender, &mail.to, &mail.mail_id).await {
            tracing::error!(mail_id = %mail.mail_id, %error, "the store failed; the record will come again");
            match record.sequence_number() {
                Some(sequence) => response.batch_item_failures.push(BatchItemFailure {
                    item_identifier: sequence.to_owned(),
                }),
                None => tracing::error!(
                    mail_id = %mail.mail_id,
                    "the record has no sequence number to hand back; the sweep will deliver it"
                ),
            }
        }
    }
    response
}

/// How long the sweep leaves a new mail to the stream: a mail due this recently is likely
/// being delivered by it right now, and the sweep would send it a second time.
/// The template discards stream records older than 60 s (`MaximumRecordAgeInSeconds`) and
/// gives an invocation at most 60 s, so the stream is done with a mail 120 s after it fell
/// due; the sweep waits longer than that.
pub const STREAM_SETTLE: SignedDuration = SignedDuration::from_secs(180);

/// Mails a sweep delivers at most; the next scheduled one goes on from there.
const SWEEP_LIMIT: usize = 5_000;

/// What the dispatcher is invoked with: the stream's records, or anything else (the
/// schedule's `{"sweep":true}`, an EventBridge scheduled event), which asks for a sweep.
#[derive(Debug, Clone)]
pub enum Invocation {
    Stream(StreamEvent),
    Sweep,
}

impl Invocation {
    pub fn from_event(event: Value) -> Result<Self, MailError> {
        if event.get("Records").is_some() {
            let batch = serde_json::from_value(event)
                .map_err(|e| MailError::Build(format!("not a stream batch: {e}")))?;
            Ok(Invocation::Stream(batch))
        } else {
            Ok(Invocation::Sweep)
        }
    }
}

/// The answer to one invocation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Answer {
    Batch(BatchResponse),
    Swept(Swept),
}

/// What a sweep did: the mails, and the orders handed over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Swept {
    #[serde(flatten)]
    pub mails: Sweep,
    pub orders: HandOvers,
}

/// One invocation: a stream batch answered with its partial failures, or a sweep of every
/// mail due (before the last `STREAM_SETTLE`) answered with what it did. A sweep the store
/// fails is an error, and the schedule's next run goes on from where it stopped.
pub async fn dispatch(
    ctx: &Context,
    sender: &dyn MailSender,
    back_office: &dyn BackOffice,
    event: Value,
) -> Result<Answer, MailError> {
    match Invocation::from_event(event)? {
        Invocation::Stream(batch) => {
            let response = deliver_stream(ctx, sender, back_office, &batch).await;
            tracing::info!(
                records = batch.records.len(),
                handed_back = response.batch_item_failures.len(),
                "stream batch"
            );
            Ok(Answer::Batch(response))
        }
        Invocation::Sweep => {
            let due_by = ctx.clock.now() - STREAM_SETTLE;
            let swept = sweep(ctx, sender, due_by, SWEEP_LIMIT).await?;
            let orders = hand_over_due(ctx, back_office, due_by, SWEEP_LIMIT).await?;
            crate::service::admin::measure(ctx).await;
            tracing::info!(
                sent = swept.sent,
                retrying = swept.retrying,
                failed = swept.failed,
                skipped = swept.skipped,
                orders_published = orders.published,
                orders_retrying = orders.retrying,
                "outbox sweep"
            );
            Ok(Answer::Swept(Swept {
                mails: swept,
                orders,
            }))
        }
    }
}
