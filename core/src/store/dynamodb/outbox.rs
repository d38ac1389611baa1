//! The outbox's own reads and writes (docs/mail.md): the failed list and the dispatcher's
//! conditional writes (the pending list is read in `lists.rs`). Marking a mail sent and
//! recording an attempt are each a transaction of their own with the status view's counts,
//! where a failed condition means "nothing to do"; the claim is a single UpdateItem.

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{Put, TransactWriteItem, Update};
use jiff::Timestamp;

use super::item::{item, n};
use super::{DynamoStore, keys, lists};
use crate::domain::{DuePlace, Email, Mail, MailStatus, PendingMail};
use crate::store::{Outbox, StoreError, Tally};

impl DynamoStore {
    /// Every failed mail, oldest first.
    pub(super) async fn failed(&self) -> Result<Vec<Mail>, StoreError> {
        self.index_records(keys::all_failed(), usize::MAX).await
    }

    /// Marks a mail sent, with the pending count, in one transaction (`transact_if`).
    pub(super) async fn mark_sent(
        &self,
        to: &Email,
        mail_id: &str,
        at: Timestamp,
    ) -> Result<bool, StoreError> {
        let update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(keys::mail(to, mail_id).attributes()))
            // The index may lag and a stream record may come again: a mail no longer
            // pending is not marked again.
            .condition_expression("#status = :pending")
            // Off the pending list.
            .update_expression("SET #status = :sent, sent_at = :at REMOVE gsi2pk, gsi2sk")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":pending", status(MailStatus::Pending)?)
            .expression_attribute_values(":sent", status(MailStatus::Sent)?)
            .expression_attribute_values(":at", serde_dynamo::to_attribute_value(at)?)
            .build()?;
        let marked = TransactWriteItem::builder().update(update).build();
        self.transact_if(marked, &Tally::mail_sent()).await
    }

    /// The claim is two attributes beside the mail, `claim_id` and `claimed_until_ms`
    /// (milliseconds, so that the condition compares numbers). Recording an attempt puts
    /// the whole item again, which ends the claim.
    pub(super) async fn claim(
        &self,
        mail: &Mail,
        claim: &str,
        now: Timestamp,
        until: Timestamp,
    ) -> Result<bool, StoreError> {
        let claimed = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(keys::mail(&mail.to, &mail.mail_id).attributes()))
            .condition_expression(
                "#status = :pending \
                 AND (attempts = :attempts OR attribute_not_exists(attempts)) \
                 AND (attribute_not_exists(claimed_until_ms) OR claimed_until_ms <= :now \
                      OR claim_id = :claim)",
            )
            .update_expression("SET claim_id = :claim, claimed_until_ms = :until")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":pending", status(MailStatus::Pending)?)
            .expression_attribute_values(":attempts", n(mail.attempts))
            .expression_attribute_values(":now", n(now.as_millisecond()))
            .expression_attribute_values(":until", n(until.as_millisecond()))
            .expression_attribute_values(":claim", super::item::s(claim.to_owned()))
            .set_return_consumed_capacity(self.capacity())
            .send()
            .await;
        // Marking a mail sent, recording its attempt and settling it are transactions: a
        // claim that meets one in flight is not this dispatcher's to make, as when its
        // condition fails.
        if claimed
            .as_ref()
            .is_err_and(super::error::transaction_conflict)
        {
            return Ok(false);
        }
        self.applied(claimed, |o| &o.consumed_capacity)
    }

    pub(super) async fn record_attempt(&self, mail: &Mail) -> Result<bool, StoreError> {
        let mut mail_item = item(mail, keys::mail(&mail.to, &mail.mail_id))?;
        match mail.status {
            MailStatus::Pending => {
                mail_item.extend(lists::pending_entry(&mail.due_place()).attributes());
            }
            MailStatus::Failed => {
                mail_item.extend(keys::failed_entry(&mail.mail_id).attributes());
            }
            MailStatus::Sent | MailStatus::Abandoned => {}
        }
        let before = mail.attempts.saturating_sub(1);
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(mail_item))
            // Still pending, with the attempts as read (mails stored before attempts were
            // counted have none: zero).
            .condition_expression(
                "#status = :pending AND (attempts = :before OR attribute_not_exists(attempts))",
            )
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":pending", status(MailStatus::Pending)?)
            .expression_attribute_values(":before", n(before))
            .build()?;
        // A mail given up leaves the pending count for the failed one in the same
        // transaction; one to be retried changes no count, and is one transaction of one
        // item, like the others.
        let recorded = TransactWriteItem::builder().put(put).build();
        self.transact_if(recorded, &Tally::mail_given_up(mail))
            .await
    }
}

impl DynamoStore {
    /// One mail of the failed list (`gsi1`, whole items), by its id.
    pub(super) async fn failed_by_id(&self, mail_id: &str) -> Result<Option<Mail>, StoreError> {
        let entry = keys::failed_entry(mail_id);
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(keys::GSI1)
            .key_condition_expression("gsi1pk = :pk AND gsi1sk = :id")
            .expression_attribute_values(":pk", super::item::s(entry.pk))
            .expression_attribute_values(":id", super::item::s(entry.sk));
        let mut items = self.query_pages(query, 1).await?;
        items.pop().map(super::item::record).transpose()
    }

    /// Puts the mail as settled, on the condition that the stored one is failed: without
    /// the failed list's attributes, and on the pending list when retried.
    pub(super) async fn settle_failed(&self, mail: &Mail) -> Result<bool, StoreError> {
        let mut mail_item = item(mail, keys::mail(&mail.to, &mail.mail_id))?;
        if mail.status == MailStatus::Pending {
            mail_item.extend(lists::pending_entry(&mail.due_place()).attributes());
        }
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(mail_item))
            .condition_expression("#status = :failed")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":failed", status(MailStatus::Failed)?)
            .build()?;
        let settled = TransactWriteItem::builder().put(put).build();
        self.transact_if(settled, &Tally::mail_settled(mail)).await
    }
}

fn status(status: MailStatus) -> Result<aws_sdk_dynamodb::types::AttributeValue, StoreError> {
    Ok(serde_dynamo::to_attribute_value(status)?)
}

#[async_trait]
impl Outbox for DynamoStore {
    async fn pending_mails(
        &self,
        due_by: Timestamp,
        after: Option<&DuePlace>,
        limit: usize,
    ) -> Result<Vec<PendingMail>, StoreError> {
        self.pending(due_by, after, limit).await
    }

    async fn mail(&self, to: &Email, mail_id: &str) -> Result<Option<Mail>, StoreError> {
        self.get(keys::mail(to, mail_id)).await
    }

    async fn failed_mails(&self) -> Result<Vec<Mail>, StoreError> {
        self.failed().await
    }

    async fn mark_mail_sent(
        &self,
        to: &Email,
        mail_id: &str,
        at: Timestamp,
    ) -> Result<bool, StoreError> {
        self.mark_sent(to, mail_id, at).await
    }

    async fn claim_mail(
        &self,
        mail: &Mail,
        claim: &str,
        now: Timestamp,
        until: Timestamp,
    ) -> Result<bool, StoreError> {
        self.claim(mail, claim, now, until).await
    }

    async fn record_failed_attempt(&self, mail: &Mail) -> Result<bool, StoreError> {
        self.record_attempt(mail).await
    }

    async fn mails_to(&self, to: &Email) -> Result<Vec<Mail>, StoreError> {
        self.records(keys::mails_to(to)).await
    }

    async fn failed_mail(&self, mail_id: &str) -> Result<Option<Mail>, StoreError> {
        self.failed_by_id(mail_id).await
    }

    async fn settle_failed_mail(&self, mail: &Mail) -> Result<bool, StoreError> {
        self.settle_failed(mail).await
    }
}
