//! `commit`: a list of writes applied atomically or not at all. Each write that replaces a
//! record names the version it read; a concurrent change makes the whole commit fail with
//! `Conflict`, and the service retries from a fresh read. This is one redb write
//! transaction, or one DynamoDB `TransactWriteItems`.

use async_trait::async_trait;

use crate::domain::OrderStatus;
use crate::domain::{
    CodeRecord, Customer, CustomerId, HistoryEvent, Mail, Order, Provider, Receipt, Serial,
    SerialRecord, Session,
};
use crate::store::{IdempotencyRecord, ReminderRun, StoreError};

/// The most serials one commit changes. A serial is up to two items of a DynamoDB
/// transaction, which holds at most 100, beside the member's own few writes; so a member is
/// created with at most this many, and an operation on more (a cancellation) changes them
/// over several commits, each of which leaves a state the next request can finish.
pub const SERIALS_PER_COMMIT: usize = 40;

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

/// A record to store where `expect` holds, already carrying the version it has once stored.
/// Only `Write`'s constructors build one, so the next version is set where the write is
/// built and never forgotten; the adapters store the record as given and check `expect`.
#[derive(Clone)]
pub struct Versioned<T> {
    pub(super) record: T,
    pub(super) expect: Expect,
}

/// One part of an atomic commit. Replacing writes are built with `Write::put_customer`,
/// `put_serial`, `put_code`, `put_idempotency`, `place_order` and `move_order`.
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
        customer_id: CustomerId,
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
    /// A service's catalogue entry, replacing the one stored (an operator's edit).
    PutCatalogueEntry(crate::domain::catalogue::CatalogueEntry),
    /// An order, placed (`Expect::Absent`: its number must be free) or moved from the
    /// status it `was` in when read (the status view's counts follow it).
    PutOrder {
        order: Versioned<Order>,
        was: Option<OrderStatus>,
    },
    /// The reminder job's run, replacing the last one recorded (the status view).
    RecordReminderRun(ReminderRun),
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

    /// A new order: its number must be free.
    pub fn place_order(mut order: Order) -> Self {
        order.version = Expect::Absent.next_version();
        Write::PutOrder {
            order: Versioned {
                record: order,
                expect: Expect::Absent,
            },
            was: None,
        }
    }

    /// `order` as changed from `read`, the order as it was read: stored only while it is
    /// still at that version, so the status it leaves is the one `read` has.
    pub fn move_order(mut order: Order, read: &Order) -> Self {
        let expect = Expect::Version(read.version);
        order.version = expect.next_version();
        Write::PutOrder {
            order: Versioned {
                record: order,
                expect,
            },
            was: Some(read.status),
        }
    }

    pub fn put_idempotency(mut record: IdempotencyRecord, expect: Expect) -> Self {
        record.version = expect.next_version();
        Write::PutIdempotency(Versioned { record, expect })
    }
}

#[async_trait]
pub trait Commit: Send + Sync {
    /// Applies every write, or none: see the module documentation.
    async fn commit(&self, writes: Vec<Write>) -> Result<(), StoreError>;
}
