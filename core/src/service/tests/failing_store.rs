//! A store over an in-memory redb that fails the way DynamoDB does when it throttles: its
//! next commits cancelled (`StoreError::Conflict`, nothing applied), or its session look-ups
//! refused (`StoreError::Throttled`), then working as usual.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use async_trait::async_trait;
use jiff::Timestamp;

use super::Counter;
use crate::domain::{
    CodeRecord, Customer, CustomerId, Email, HistoryEvent, Provider, Receipt, RenewalCode, Serial,
    SerialRecord, Session,
};
use crate::domain::{DuePlace, Mail};
use crate::service::Context;
use crate::store::ClientCounts;
use crate::store::Commit;
use crate::store::Idempotency;
use crate::store::Ledger;
use crate::store::Members;
use crate::store::Outbox;
use crate::store::Reminders;
use crate::store::Renewals;
use crate::store::SessionKey;
use crate::store::Sessions;
use crate::store::redb::RedbStore;
use crate::store::{
    Admission, CountRule, IdempotencyRecord, Page, Place, ReceiptPlace, StoreError, Write,
};

/// A store whose next commits are cancelled the way DynamoDB cancels a throttled
/// transaction (`StoreError::Conflict`, nothing applied), then work as usual.
pub(crate) struct Throttled {
    store: RedbStore,
    refusals_left: AtomicU32,
    /// Session look-ups to fail as throttled before they work again.
    pub(crate) session_failures_left: AtomicU32,
    /// Member reads to fail as throttled before they work again.
    pub(crate) customer_failures_left: AtomicU32,
    /// Commits to apply before every later one fails without an answer, as a process that
    /// crashed or lost the store would (`u32::MAX`: never).
    pub(crate) commits_before_outage: AtomicU32,
}

/// Takes one from `left` if any is left: whether this call is to fail.
fn fails(left: &AtomicU32) -> bool {
    left.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok()
}

#[async_trait]
impl Members for Throttled {
    async fn customer(&self, id: &CustomerId) -> Result<Option<Customer>, StoreError> {
        if fails(&self.customer_failures_left) {
            return Err(StoreError::Throttled("ThrottlingException".into()));
        }
        self.store.customer(id).await
    }

    async fn customer_with_serials(
        &self,
        id: &CustomerId,
    ) -> Result<Option<(Customer, Vec<SerialRecord>)>, StoreError> {
        self.store.customer_with_serials(id).await
    }

    async fn serial(&self, serial: &Serial) -> Result<Option<SerialRecord>, StoreError> {
        self.store.serial(serial).await
    }

    async fn providers(&self) -> Result<Vec<Provider>, StoreError> {
        self.store.providers().await
    }

    async fn catalogue(
        &self,
    ) -> Result<std::sync::Arc<[crate::domain::catalogue::CatalogueEntry]>, StoreError> {
        self.store.catalogue().await
    }

    async fn has_customers(&self) -> Result<bool, StoreError> {
        self.store.has_customers().await
    }
}

#[async_trait]
impl Sessions for Throttled {
    async fn session(&self, token_digest: &str) -> Result<Option<Session>, StoreError> {
        if fails(&self.session_failures_left) {
            return Err(StoreError::Throttled("ThrottlingException".into()));
        }
        self.store.session(token_digest).await
    }

    async fn touch_session(&self, key: SessionKey<'_>, at: Timestamp) -> Result<(), StoreError> {
        self.store.touch_session(key, at).await
    }
}

#[async_trait]
impl Renewals for Throttled {
    async fn code(&self, code: &RenewalCode) -> Result<Option<CodeRecord>, StoreError> {
        self.store.code(code).await
    }
}

#[async_trait]
impl Ledger for Throttled {
    async fn history(
        &self,
        serial: &Serial,
        after: Option<u64>,
        limit: usize,
    ) -> Result<Page<HistoryEvent, u64>, StoreError> {
        self.store.history(serial, after, limit).await
    }

    async fn receipts_of(
        &self,
        customer_id: &CustomerId,
        before: Option<&ReceiptPlace>,
        limit: usize,
    ) -> Result<Page<Receipt, ReceiptPlace>, StoreError> {
        self.store.receipts_of(customer_id, before, limit).await
    }
}

#[async_trait]
impl Reminders for Throttled {
    async fn serials_expiring(
        &self,
        until: jiff::civil::Date,
        after: Option<&crate::store::ExpiryPlace>,
        limit: usize,
    ) -> Result<Vec<crate::store::ExpiryPlace>, StoreError> {
        self.store.serials_expiring(until, after, limit).await
    }

    async fn reminder_sent(&self, key: &str) -> Result<bool, StoreError> {
        self.store.reminder_sent(key).await
    }
}

#[async_trait]
impl Outbox for Throttled {
    async fn pending_mails(
        &self,
        due_by: Timestamp,
        after: Option<&DuePlace>,
        limit: usize,
    ) -> Result<Vec<crate::domain::PendingMail>, StoreError> {
        self.store.pending_mails(due_by, after, limit).await
    }

    async fn mail(&self, to: &Email, mail_id: &str) -> Result<Option<Mail>, StoreError> {
        self.store.mail(to, mail_id).await
    }

    async fn failed_mails(&self) -> Result<Vec<Mail>, StoreError> {
        self.store.failed_mails().await
    }

    async fn mark_mail_sent(
        &self,
        to: &Email,
        mail_id: &str,
        at: Timestamp,
    ) -> Result<bool, StoreError> {
        self.store.mark_mail_sent(to, mail_id, at).await
    }

    async fn claim_mail(
        &self,
        mail: &Mail,
        claim: &str,
        now: jiff::Timestamp,
        until: jiff::Timestamp,
    ) -> Result<bool, StoreError> {
        self.store.claim_mail(mail, claim, now, until).await
    }

    async fn record_failed_attempt(&self, mail: &Mail) -> Result<bool, StoreError> {
        self.store.record_failed_attempt(mail).await
    }

    async fn mails_to(&self, to: &Email) -> Result<Vec<Mail>, StoreError> {
        self.store.mails_to(to).await
    }
    async fn failed_mail(&self, mail_id: &str) -> Result<Option<Mail>, StoreError> {
        self.store.failed_mail(mail_id).await
    }

    async fn settle_failed_mail(&self, mail: &Mail) -> Result<bool, StoreError> {
        self.store.settle_failed_mail(mail).await
    }
}

#[async_trait]
impl crate::store::Orders for Throttled {
    async fn order(
        &self,
        order_no: &crate::domain::OrderNo,
    ) -> Result<Option<crate::domain::Order>, StoreError> {
        self.store.order(order_no).await
    }

    async fn orders_of(
        &self,
        customer_id: &crate::domain::CustomerId,
        before: Option<&crate::store::OrderPlace>,
        limit: usize,
    ) -> Result<crate::store::Page<crate::domain::Order, crate::store::OrderPlace>, StoreError>
    {
        self.store.orders_of(customer_id, before, limit).await
    }

    async fn orders_in(
        &self,
        status: crate::domain::OrderStatus,
        before: Option<&crate::store::OrderPlace>,
        limit: usize,
    ) -> Result<crate::store::Page<crate::domain::Order, crate::store::OrderPlace>, StoreError>
    {
        self.store.orders_in(status, before, limit).await
    }

    async fn oldest_in(
        &self,
        status: crate::domain::OrderStatus,
    ) -> Result<Option<crate::store::OrderPlace>, StoreError> {
        self.store.oldest_in(status).await
    }

    async fn orders_to_publish(
        &self,
        due_by: Timestamp,
        after: Option<&crate::store::PublishPlace>,
        limit: usize,
    ) -> Result<Vec<crate::store::PublishPlace>, StoreError> {
        self.store.orders_to_publish(due_by, after, limit).await
    }
}

#[async_trait]
impl crate::store::StatusReads for Throttled {
    async fn status(&self) -> Result<crate::store::Status, StoreError> {
        self.store.status().await
    }
}

#[async_trait]
impl Commit for Throttled {
    async fn commit(&self, writes: Vec<Write>) -> Result<(), StoreError> {
        let refuse = self
            .refusals_left
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
        if refuse {
            return Err(StoreError::Conflict(
                "transaction cancelled: [\"ThrottlingError\"]".into(),
            ));
        }
        // Taking one of the commits left before the outage; none left, the outage is on.
        if !fails(&self.commits_before_outage) {
            return Err(StoreError::Unavailable("no answer".into()));
        }
        self.store.commit(writes).await
    }
}

#[async_trait]
impl Idempotency for Throttled {
    async fn idempotency(&self, key: &str) -> Result<Option<IdempotencyRecord>, StoreError> {
        self.store.idempotency(key).await
    }

    async fn release_claim(&self, key: &str, version: u64) -> Result<(), StoreError> {
        self.store.release_claim(key, version).await
    }
}

#[async_trait]
impl ClientCounts for Throttled {
    async fn take_place(
        &self,
        rule: &CountRule,
        now: jiff::Timestamp,
    ) -> Result<Admission, StoreError> {
        self.store.take_place(rule, now).await
    }

    async fn place_may_be_free(
        &self,
        rule: &CountRule,
        now: jiff::Timestamp,
    ) -> Result<bool, StoreError> {
        self.store.place_may_be_free(rule, now).await
    }

    async fn give_back_place(&self, key: &str, place: Place) -> Result<(), StoreError> {
        self.store.give_back_place(key, place).await
    }

    async fn keep_place(&self, key: &str, place: Place) -> Result<(), StoreError> {
        self.store.keep_place(key, place).await
    }
}

/// The counter's clock and settings over a store that refuses its next `refusals` commits.
pub(crate) fn throttled(counter: &Counter, refusals: u32) -> Context {
    throttled_store(counter, refusals).1
}

/// The same, with the store itself, so that a test can turn its other failures on.
pub(crate) fn throttled_store(counter: &Counter, refusals: u32) -> (Arc<Throttled>, Context) {
    let store = Arc::new(Throttled {
        store: RedbStore::in_memory().expect("an in-memory database"),
        refusals_left: AtomicU32::new(refusals),
        session_failures_left: AtomicU32::new(0),
        customer_failures_left: AtomicU32::new(0),
        commits_before_outage: AtomicU32::new(u32::MAX),
    });
    let ctx = Context {
        store: store.clone(),
        ..counter.ctx.clone()
    };
    (store, ctx)
}
