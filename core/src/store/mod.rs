//! The storage port: typed reads, and `commit`, which applies a list of writes atomically
//! or not at all. Each write that replaces a record names the version it read; a concurrent
//! change makes the whole commit fail with `Conflict`, and the service retries from a fresh
//! read. This is one redb write transaction, or one DynamoDB `TransactWriteItems`.
//!
//! See `README.md` beside this file for the keys each engine uses.

pub(crate) mod backoff;
#[cfg(any(test, feature = "conformance"))]
pub mod conformance;
#[cfg(feature = "dynamodb")]
pub mod dynamodb;
pub mod expiry;
#[cfg(any(test, feature = "conformance"))]
pub mod fixtures;
#[cfg(feature = "redb")]
pub mod redb;

use async_trait::async_trait;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::domain::{
    CodeRecord, Customer, CustomerId, Email, HistoryEvent, Provider, Receipt, RenewalCode, Serial,
    SerialRecord, Session,
};
use crate::domain::{DuePlace, Mail, PendingMail};

/// The most serials one commit changes. A serial is up to two items of a DynamoDB
/// transaction, which holds at most 100, beside the member's own few writes; so a member is
/// created with at most this many, and an operation on more (a cancellation) changes them
/// over several commits, each of which leaves a state the next request can finish.
pub const SERIALS_PER_COMMIT: usize = 40;

/// What one renewal reads: each part None when it is not there (or, for the serial and
/// member, when the code is not).
#[derive(Default, Clone)]
pub struct RenewalView {
    pub code: Option<CodeRecord>,
    pub serial: Option<SerialRecord>,
    pub member: Option<Customer>,
}

/// A session as one read sees it: the session, its member (None once deleted), and the
/// member's serials when they were asked for. Not `Debug`: the member holds the key's hash.
#[derive(Clone)]
pub struct SessionView {
    pub session: Session,
    pub member: Option<Customer>,
    pub serials: Vec<SerialRecord>,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A condition of the commit did not hold: someone else wrote first.
    #[error("a concurrent write changed {0}")]
    Conflict(String),
    /// The engine asked to slow down (DynamoDB's throttling) and nothing was written: worth
    /// trying again after a growing pause, not at once like a conflict.
    #[error("the store is throttling requests: {0}")]
    Throttled(String),
    /// The engine could not answer (DynamoDB's 500s, a connection lost or timed out): the
    /// request may or may not have been applied. Every write is conditional or carries a
    /// client request token, so sending it again is safe; like throttling, after a pause.
    #[error("the store is unavailable: {0}")]
    Unavailable(String),
    /// The database file is held by another process (redb allows one per file).
    #[error("the database is already open in another process")]
    AlreadyOpen,
    #[error("storage failure: {0}")]
    Backend(String),
}

/// The date a licence is filed under in the expiry index, if it can get reminders: term
/// licences still usable (a cancelled member's serials are unavailable) whose "expired"
/// notice has not gone out yet. The index so holds only what the job can still have to do.
pub fn reminder_date(serial: &SerialRecord) -> Option<jiff::civil::Date> {
    use crate::domain::{Billing, SerialStatus};
    match (serial.billing, serial.status) {
        (Billing::Term, SerialStatus::AwaitingInstall | SerialStatus::InUse) => serial
            .expires_on
            .filter(|date| serial.expired_notice_for != Some(*date)),
        _ => None,
    }
}

/// One page of a list read in its order: at most the number of items asked for, and the
/// place of the last one when more follow (where the next page starts).
#[derive(Debug, Clone)]
pub struct Page<T, P> {
    pub items: Vec<T>,
    pub next: Option<P>,
}

impl<T, P> Page<T, P> {
    /// The page from up to `limit + 1` items read in order, each with its place: reading one
    /// more than asked is how a page knows that more follow, so the last page says none do.
    pub fn from_read(read: Vec<(P, T)>, limit: usize) -> Self {
        let more = read.len() > limit;
        let mut last = None;
        let mut items = Vec::with_capacity(read.len().min(limit));
        for (place, item) in read.into_iter().take(limit) {
            last = Some(place);
            items.push(item);
        }
        Self {
            items,
            next: last.filter(|_| more),
        }
    }
}

/// A licence's place in the expiry index: its last day, then its serial. The reminder job
/// reads the index a page at a time, each page after the last place of the one before.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ExpiryPlace {
    pub expires_on: jiff::civil::Date,
    pub serial: crate::domain::Serial,
}

/// A receipt's place in its member's ledger, which is ordered by acceptance (to the
/// nanosecond, as filed), then by number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiptPlace {
    pub accepted_at: Timestamp,
    pub receipt_no: String,
}

/// What a replacing write expects to find.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// Nothing stored under the key yet.
    Absent,
    /// The record as read, at this version.
    Version(u64),
}

impl Expect {
    /// The version the record has after the write.
    pub fn next_version(self) -> u64 {
        match self {
            Expect::Absent => 1,
            Expect::Version(v) => v + 1,
        }
    }
}

/// A place taken in a per-client count (docs/login.md, docs/renewal.md): the window it was counted in, so
/// that giving it back never frees a place of a later window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    pub window_opened_at: Timestamp,
    /// Who holds it: a random id the store gives each place it admits, so that a write about
    /// this place sent twice (an answer lost on the way) counts once.
    pub holder: String,
}

/// Whether a client may try once more.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Admission {
    /// The attempt holds this place until it is given back or kept.
    Admitted(Place),
    /// Every place of the open window is taken; it closes at `reopens_at`. `running` of
    /// them are held by attempts still running (taken, neither kept nor given back), so a
    /// place may yet be given back before the window closes.
    Refused { reopens_at: Timestamp, running: u32 },
}

/// The rule of one per-client count: at most `limit` places in a window that opens with
/// its first place and lasts `length`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CountRule {
    /// `login:<client>`, `renewal:<client>`: the count and the client it is kept for.
    pub key: String,
    pub limit: u32,
    pub length: jiff::SignedDuration,
}

/// The first answer to a request sent with an `Idempotency-Key` (docs/api.md), or the mark
/// that it is still being worked on.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IdempotencyRecord {
    /// Caller scope and key: `customer:CAF1234567:<key>`.
    pub key: String,
    /// SHA-256 of the method, path and body of the first request.
    pub request_digest: String,
    pub created_at: Timestamp,
    /// `None` while the first request is still running.
    pub response: Option<StoredResponse>,
    pub version: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredResponse {
    pub status: u16,
    pub content_type: Option<String>,
    pub content_language: Option<String>,
    pub body: String,
}

/// A record to store where `expect` holds, already carrying the version it has once stored.
/// Only `Write`'s constructors build one, so the next version is set where the write is
/// built and never forgotten; the adapters store the record as given and check `expect`.
#[derive(Clone)]
pub struct Versioned<T> {
    record: T,
    expect: Expect,
}

/// One part of an atomic commit. Replacing writes are built with `Write::put_customer`,
/// `put_serial`, `put_code` and `put_idempotency`.
#[derive(Clone)]
pub enum Write {
    PutCustomer(Versioned<Customer>),
    /// A condition only: the serial is still at this version.
    CheckSerial {
        serial: Serial,
        /// The owner: serials are filed under their member.
        customer_id: CustomerId,
        version: u64,
    },
    /// A condition only: the customer is still at this version.
    CheckCustomer {
        customer_id: CustomerId,
        version: u64,
    },
    PutSerial(Versioned<SerialRecord>),
    /// Event number `seq` of a serial's history; the serial's `events` counter is its guard.
    AppendHistory {
        serial: Serial,
        seq: u64,
        event: HistoryEvent,
    },
    PutSession(Session),
    DeleteSession {
        token_digest: String,
    },
    /// Ends every session of a member (docs/cancellation.md: cancellation).
    DeleteSessionsOf {
        customer_id: CustomerId,
    },
    /// Registers a provider; fails if its code is taken.
    PutProvider(Provider),
    PutCode(Versioned<CodeRecord>),
    /// Files a receipt in the member's ledger; fails if the number is taken.
    PutReceipt {
        customer_id: CustomerId,
        receipt: Receipt,
    },
    PutIdempotency(Versioned<IdempotencyRecord>),
    /// Marks a reminder as sent; fails if it already was (docs/reminders.md: at most one each).
    RecordReminder {
        key: String,
    },
    EnqueueMail(Mail),
}

impl Write {
    pub fn put_customer(mut customer: Customer, expect: Expect) -> Self {
        customer.version = expect.next_version();
        Write::PutCustomer(Versioned {
            record: customer,
            expect,
        })
    }

    pub fn put_serial(mut serial: SerialRecord, expect: Expect) -> Self {
        serial.version = expect.next_version();
        Write::PutSerial(Versioned {
            record: serial,
            expect,
        })
    }

    pub fn put_code(mut code: CodeRecord, expect: Expect) -> Self {
        code.version = expect.next_version();
        Write::PutCode(Versioned {
            record: code,
            expect,
        })
    }

    pub fn put_idempotency(mut record: IdempotencyRecord, expect: Expect) -> Self {
        record.version = expect.next_version();
        Write::PutIdempotency(Versioned { record, expect })
    }
}

#[async_trait]
pub trait Store: Send + Sync + 'static {
    async fn customer(&self, id: &CustomerId) -> Result<Option<Customer>, StoreError>;

    /// A customer with every serial of theirs, read together (docs/usage.md's usage).
    async fn customer_with_serials(
        &self,
        id: &CustomerId,
    ) -> Result<Option<(Customer, Vec<SerialRecord>)>, StoreError>;

    async fn serial(&self, serial: &Serial) -> Result<Option<SerialRecord>, StoreError>;

    /// Up to `limit` (at least one) events of a serial's history, oldest first, after event
    /// number `after` when given; the page's place is an event's number. It reads that page
    /// only, so a read costs the same however long the history grows (docs/usage.md).
    async fn history(
        &self,
        serial: &Serial,
        after: Option<u64>,
        limit: usize,
    ) -> Result<Page<HistoryEvent, u64>, StoreError>;

    async fn session(&self, token_digest: &str) -> Result<Option<Session>, StoreError>;

    /// A session with its member, and with the member's serials when `with_serials`, read
    /// together: what a member's request needs before its answer (docs/login.md's checks, and
    /// the whole of the usage answer's) in one trip to the store. redb reads it in one read
    /// transaction; by default it is the reads one after another.
    async fn session_view(
        &self,
        token_digest: &str,
        with_serials: bool,
    ) -> Result<Option<SessionView>, StoreError> {
        let Some(session) = self.session(token_digest).await? else {
            return Ok(None);
        };
        let (member, serials) = if with_serials {
            match self.customer_with_serials(&session.customer_id).await? {
                Some((member, serials)) => (Some(member), serials),
                None => (None, Vec::new()),
            }
        } else {
            (self.customer(&session.customer_id).await?, Vec::new())
        };
        Ok(Some(SessionView {
            session,
            member,
            serials,
        }))
    }

    /// The places of up to `limit` licences in the expiry index whose last day is `until`
    /// or earlier, in the index's order, after `after` when given. Fewer than `limit`: the
    /// index has no more. (An index that may lag: act only on what `serial` reads.)
    async fn serials_expiring(
        &self,
        until: jiff::civil::Date,
        after: Option<&ExpiryPlace>,
        limit: usize,
    ) -> Result<Vec<ExpiryPlace>, StoreError>;

    async fn reminder_sent(&self, key: &str) -> Result<bool, StoreError>;

    /// Every registered provider, by code.
    async fn providers(&self) -> Result<Vec<Provider>, StoreError>;

    async fn code(&self, code: &RenewalCode) -> Result<Option<CodeRecord>, StoreError>;

    /// What a renewal reads before it decides (docs/renewal.md): the code, the serial, and the
    /// serial's member, together. redb reads them in one read transaction; by default they
    /// are read one after another. The serial and member are not read for an unknown code.
    async fn renewal_view(
        &self,
        code: &RenewalCode,
        serial: &Serial,
    ) -> Result<RenewalView, StoreError> {
        let Some(code) = self.code(code).await? else {
            return Ok(RenewalView::default());
        };
        let serial = self.serial(serial).await?;
        let member = match &serial {
            Some(serial) => self.customer(&serial.customer_id).await?,
            None => None,
        };
        Ok(RenewalView {
            code: Some(code),
            serial,
            member,
        })
    }

    /// Up to `limit` (at least one) of a member's receipts, newest first, older than
    /// `before` when given. Like `history`, it reads that page only (docs/api.md).
    async fn receipts_of(
        &self,
        customer_id: &CustomerId,
        before: Option<&ReceiptPlace>,
        limit: usize,
    ) -> Result<Page<Receipt, ReceiptPlace>, StoreError>;

    async fn idempotency(&self, key: &str) -> Result<Option<IdempotencyRecord>, StoreError>;

    /// Up to `limit` pending mails due by `due_by`, in the order they fall due (`DuePlace`),
    /// after `after` when given. Mails waiting for a later retry are not read at all. (An
    /// index that may lag: deliver only what `mail` reads as still pending.)
    async fn pending_mails(
        &self,
        due_by: Timestamp,
        after: Option<&DuePlace>,
        limit: usize,
    ) -> Result<Vec<PendingMail>, StoreError>;

    /// One mail by its key, read strongly consistent: what the dispatcher checks before it
    /// sends (docs/mail.md).
    async fn mail(&self, to: &Email, mail_id: &str) -> Result<Option<Mail>, StoreError>;

    /// Every mail given up after its last failed attempt, oldest first (docs/operators.md).
    async fn failed_mails(&self) -> Result<Vec<Mail>, StoreError>;

    /// Marks a pending mail sent and takes it off the pending index. One conditional write
    /// of its own, never part of a commit: a mail no longer pending (marked already, given
    /// up) or not there means nothing to do, answered `false`, never an error that would
    /// have it sent again.
    async fn mark_mail_sent(
        &self,
        to: &Email,
        mail_id: &str,
        at: Timestamp,
    ) -> Result<bool, StoreError>;

    /// Claims a pending mail for one delivery, so that two dispatchers at once (a sweep
    /// and its retry, the stream and the sweep) never send it twice (docs/mail.md, docs/cloud.md). It
    /// applies only while the stored mail is pending with `mail`'s attempts and no other
    /// claim runs at `now`; `claim` names this claimer, so that its own claim sent again
    /// (an answer lost on the way) is still its own. The claim ends when the mail is
    /// marked sent or its failed attempt recorded, or at `until` (a dispatcher that died
    /// holding it). `false`: not this dispatcher's to send.
    async fn claim_mail(
        &self,
        mail: &Mail,
        claim: &str,
        now: Timestamp,
        until: Timestamp,
    ) -> Result<bool, StoreError>;

    /// Stores `mail` as it is after a failed attempt (`Mail::after_failed_attempt`): due
    /// again later, or failed and listed with the failed ones. It applies only while the
    /// stored mail is pending with one attempt fewer, so a mail delivered meanwhile stays
    /// sent and two dispatchers never count one failure twice; otherwise `false`, nothing
    /// to do.
    async fn record_failed_attempt(&self, mail: &Mail) -> Result<bool, StoreError>;

    /// Every mail to one address, oldest first (operators' view of the outbox).
    async fn mails_to(&self, to: &Email) -> Result<Vec<Mail>, StoreError>;

    /// Whether any customer exists (local-dev seeds demo members into an empty store).
    async fn has_customers(&self) -> Result<bool, StoreError>;

    /// Applies every write, or none: see the module documentation.
    async fn commit(&self, writes: Vec<Write>) -> Result<(), StoreError>;

    /// Refreshes `last_seen_at` of a session that still exists. One conditional write of its
    /// own, never part of a commit: a session already gone means nothing to do, so a touch
    /// racing a logout cannot bring the session back.
    async fn touch_session(&self, token_digest: &str, at: Timestamp) -> Result<(), StoreError>;

    /// Gives back an idempotency claim that got no answer: removes the record only while it
    /// is still this claim (same version) and unanswered. One conditional write of its own,
    /// never part of a commit: anything else stored means nothing to do, so a kept answer is
    /// never erased.
    async fn release_claim(&self, key: &str, version: u64) -> Result<(), StoreError>;

    /// Takes a place in a per-client count, one conditional write of its own (never part
    /// of a commit, so that concurrent attempts from one client never conflict): refused
    /// while `rule.limit` places are taken in the open window; a window that has closed
    /// is replaced by a new one opening `now`.
    async fn take_place(&self, rule: &CountRule, now: Timestamp) -> Result<Admission, StoreError>;

    /// Whether `take_place` may admit now: a read, which takes nothing. An attempt waiting
    /// for a running one to settle asks this, so that its waiting adds no writes to the
    /// count every attempt of the client writes.
    async fn place_may_be_free(&self, rule: &CountRule, now: Timestamp)
    -> Result<bool, StoreError>;

    /// Gives a place back (the attempt's answer is not one the rule counts). A window that
    /// has been replaced since means nothing to do.
    async fn give_back_place(&self, key: &str, place: Place) -> Result<(), StoreError>;

    /// Keeps a place: the answer is one the rule counts. The place already counts; this
    /// records it as kept, one write, so that an attempt costs the same writes whichever
    /// way it is refused.
    async fn keep_place(&self, key: &str, place: Place) -> Result<(), StoreError>;
}
