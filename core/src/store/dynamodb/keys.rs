//! Every key of the single table (the items of `README.md` beside the store module), one
//! helper each: the layout is spelled out here and nowhere else.

use std::collections::HashMap;

use jiff::Timestamp;

use super::item::{Item, s};
use crate::domain::{
    CustomerId, Email, OrderNo, OrderStatus, ProviderCode, Receipt, RenewalCode, Serial,
};
use crate::store::{OrderPlace, ReceiptPlace};

/// The primary key of one item.
pub(super) struct Key {
    pub(super) pk: String,
    pub(super) sk: String,
}

impl Key {
    fn new(pk: impl Into<String>, sk: impl Into<String>) -> Self {
        Self {
            pk: pk.into(),
            sk: sk.into(),
        }
    }

    /// The key as attributes: for GetItem, deletions and condition checks, or as the start
    /// of a bare item (a pointer, a marker).
    pub(super) fn attributes(self) -> Item {
        HashMap::from([("pk".to_owned(), s(self.pk)), ("sk".to_owned(), s(self.sk))])
    }
}

/// Items of one partition whose sort keys start alike: what one Query reads.
pub(super) struct Prefix {
    pub(super) pk: String,
    pub(super) sk: &'static str,
}

/// A place in the secondary index `gsi1`, or the last place a Query of it reads.
pub(super) struct IndexKey {
    pub(super) pk: &'static str,
    pub(super) sk: String,
}

impl IndexKey {
    pub(super) fn attributes(self) -> Item {
        HashMap::from([
            ("gsi1pk".to_owned(), s(self.pk)),
            ("gsi1sk".to_owned(), s(self.sk)),
        ])
    }
}

/// The secondary index of whole items: the operators' list of failed mails. (The expiry
/// index and the pending list are in `gsi2`, `lists.rs`.)
pub(super) const GSI1: &str = "gsi1";
const FAILED: &str = "OUTBOX#FAILED";

fn member_partition(id: &CustomerId) -> String {
    format!("CUSTOMER#{id}")
}

pub(super) fn member(id: &CustomerId) -> Key {
    Key::new(member_partition(id), "CUSTOMER")
}

/// Items of one partition whose sort keys lie between two, both included: what one Query
/// reads.
pub(super) struct Range {
    pub(super) pk: String,
    pub(super) from: &'static str,
    pub(super) to: String,
}

const MEMBER: &str = "CUSTOMER";
const SERIAL: &str = "CUSTOMER#SERIAL#";
const MEMBER_SESSION: &str = "CUSTOMER#SESSION#";

/// The member and every serial of theirs: the member's sort key, then the serials' (which
/// start with it), up to `CUSTOMER#SERIAL$`: `$` follows `#`, so every serial sorts before
/// it and every session (`CUSTOMER#SESSION#…`) after.
pub(super) fn member_with_serials(id: &CustomerId) -> Range {
    Range {
        pk: member_partition(id),
        from: MEMBER,
        to: "CUSTOMER#SERIAL$".to_owned(),
    }
}

/// What a member's request reads before its answer, in one Query: the member, their
/// serials, and the session of the token, whose sort key follows the serials'. The range
/// also holds the member's other sessions whose digests sort before this one's (a member
/// has a few live at most; each is a hundred-odd bytes).
pub(super) fn session_view(owner: &CustomerId, token_digest: &str) -> Range {
    Range {
        pk: member_partition(owner),
        from: MEMBER,
        to: member_session(owner, token_digest).sk,
    }
}

pub(super) fn is_member(sk: &str) -> bool {
    sk == MEMBER
}

pub(super) fn is_serial(sk: &str) -> bool {
    sk.starts_with(SERIAL)
}

/// Serials are filed under their member, so usage is one Query.
pub(super) fn serial(owner: &CustomerId, serial: &Serial) -> Key {
    Key::new(member_partition(owner), format!("{SERIAL}{serial}"))
}

/// A session, filed in its member's partition (the token names the member:
/// `domain::new_session_token`).
pub(super) fn member_session(owner: &CustomerId, token_digest: &str) -> Key {
    Key::new(
        member_partition(owner),
        format!("{MEMBER_SESSION}{token_digest}"),
    )
}

/// Every session of a member, for a cancellation to end them.
pub(super) fn member_sessions(owner: &CustomerId) -> Prefix {
    Prefix {
        pk: member_partition(owner),
        sk: MEMBER_SESSION,
    }
}

pub(super) fn member_session_digest(sk: &str) -> Option<&str> {
    sk.strip_prefix(MEMBER_SESSION)
}

fn serial_partition(serial: &Serial) -> String {
    format!("SERIAL#{serial}")
}

/// Finds a serial's member (renewal needs no login).
pub(super) fn serial_owner(serial: &Serial) -> Key {
    Key::new(serial_partition(serial), "OWNER")
}

const EVENT: &str = "EVENT#";

pub(super) fn event(serial: &Serial, seq: u64) -> Key {
    Key::new(serial_partition(serial), format!("{EVENT}{seq:012}"))
}

/// The number of the event an item's sort key names (`event` above).
pub(super) fn event_number(sk: &str) -> Option<u64> {
    sk.strip_prefix(EVENT)?.parse().ok()
}

pub(super) fn history(serial: &Serial) -> Prefix {
    Prefix {
        pk: serial_partition(serial),
        sk: EVENT,
    }
}

const RECEIPT: &str = "RECEIPT#";

/// Filed by acceptance time, so the ledger reads in order.
pub(super) fn receipt(owner: &CustomerId, receipt: &Receipt) -> Key {
    receipt_at(
        owner,
        &ReceiptPlace {
            accepted_at: receipt.accepted_at,
            receipt_no: receipt.receipt_no.clone(),
        },
    )
}

/// The key of the receipt at `place` in the member's ledger: where a page of it starts.
pub(super) fn receipt_at(owner: &CustomerId, place: &ReceiptPlace) -> Key {
    Key::new(
        member_partition(owner),
        format!(
            "{RECEIPT}{:024}#{}",
            place.accepted_at.as_nanosecond(),
            place.receipt_no
        ),
    )
}

/// The place a receipt's sort key names (`receipt_at` above). The stored receipt shows its
/// time to the second only; the key has it as filed.
pub(super) fn receipt_place(sk: &str) -> Option<ReceiptPlace> {
    let (at, receipt_no) = sk.strip_prefix(RECEIPT)?.split_once('#')?;
    Some(ReceiptPlace {
        accepted_at: Timestamp::from_nanosecond(at.parse().ok()?).ok()?,
        receipt_no: receipt_no.to_owned(),
    })
}

pub(super) fn receipts(owner: &CustomerId) -> Prefix {
    Prefix {
        pk: member_partition(owner),
        sk: RECEIPT,
    }
}

/// Makes receipt numbers unique.
pub(super) fn receipt_number(receipt_no: &str) -> Key {
    Key::new(format!("RECEIPT#{receipt_no}"), "RECEIPT")
}

// Sessions as filed before tokens named their member: a partition of their own, and a
// pointer in the member's for a cancellation to find. They are read, refreshed and deleted
// but no longer written, and none outlives the 12 hours of a session's lifetime.

/// A session of a token that names no member.
pub(super) fn legacy_session(token_digest: &str) -> Key {
    Key::new(format!("SESSION#{token_digest}"), "SESSION")
}

const SESSION_POINTER: &str = "SESSION#";

pub(super) fn legacy_session_pointer(owner: &CustomerId, token_digest: &str) -> Key {
    Key::new(
        member_partition(owner),
        format!("{SESSION_POINTER}{token_digest}"),
    )
}

pub(super) fn legacy_session_pointers(owner: &CustomerId) -> Prefix {
    Prefix {
        pk: member_partition(owner),
        sk: SESSION_POINTER,
    }
}

/// The token digest a session pointer's sort key names.
pub(super) fn pointed_session(pointer_sk: &str) -> Option<&str> {
    pointer_sk.strip_prefix(SESSION_POINTER)
}

/// A per-client count: `<rule>:<client>`.
pub(super) fn client_count(key: &str) -> Key {
    Key::new(format!("COUNT#{key}"), "COUNT")
}

pub(super) fn idempotency(key: &str) -> Key {
    Key::new(format!("IDEMPOTENCY#{key}"), "IDEMPOTENCY")
}

pub(super) fn code(code: &RenewalCode) -> Key {
    Key::new(format!("CODE#{}", code.key()), "CODE")
}

const PROVIDERS: &str = "PROVIDERS";

pub(super) fn provider(code: &ProviderCode) -> Key {
    Key::new(PROVIDERS, format!("PROVIDER#{code}"))
}

/// A service's catalogue entry (docs/services.md), beside the providers: operators' data.
pub(super) fn catalogue_entry(service: &str) -> Key {
    Key::new(PROVIDERS, format!("SERVICE#{service}"))
}

pub(super) fn catalogue() -> Prefix {
    Prefix {
        pk: PROVIDERS.to_owned(),
        sk: "SERVICE#",
    }
}

pub(super) fn providers() -> Prefix {
    Prefix {
        pk: PROVIDERS.to_owned(),
        sk: "PROVIDER#",
    }
}

pub(super) fn reminder(key: &str) -> Key {
    Key::new(format!("REMINDER#{key}"), "REMINDER")
}

const MAIL_PARTITION: &str = "MAILTO#";
const MAIL_SORT: &str = "MAIL#";

fn mail_partition(to: &Email) -> String {
    format!("{MAIL_PARTITION}{to}")
}

/// The address a mail's partition is filed under.
pub(super) fn mail_address(pk: &str) -> Option<&str> {
    pk.strip_prefix(MAIL_PARTITION)
}

/// Mails are filed by address: the operators' outbox view is one Query.
pub(super) fn mail(to: &Email, mail_id: &str) -> Key {
    Key::new(mail_partition(to), format!("{MAIL_SORT}{mail_id}"))
}

pub(super) fn mails_to(to: &Email) -> Prefix {
    Prefix {
        pk: mail_partition(to),
        sk: MAIL_SORT,
    }
}

/// Written with every new member: "is the table empty?" in one read.
pub(super) fn customers_marker() -> Key {
    Key::new("META", "CUSTOMERS")
}

/// One shard of the status view's counters (`status.rs`), each in a partition of its own.
pub(super) fn tally_shard(shard: usize) -> Key {
    Key::new(format!("TALLY#{shard:02}"), "COUNTERS")
}

/// The reminder job's last run.
pub(super) fn reminder_run() -> Key {
    Key::new("META", "REMINDER_RUN")
}

/// A mail given up after its last failed attempt, by id (time-ordered).
pub(super) fn failed_entry(mail_id: &str) -> IndexKey {
    IndexKey {
        pk: FAILED,
        sk: mail_id.to_owned(),
    }
}

/// Past every place in the failed list.
pub(super) fn all_failed() -> IndexKey {
    IndexKey {
        pk: FAILED,
        sk: "~".to_owned(),
    }
}

/// Whether an item's key is a mail's (`mail` above): how the stream's records are told apart.
pub(super) fn is_mail(pk: &str, sk: &str) -> bool {
    pk.starts_with(MAIL_PARTITION) && sk.starts_with(MAIL_SORT)
}

const ORDER: &str = "ORDER#";

fn order_sort(place: &OrderPlace) -> String {
    format!("{:024}#{}", place.placed_at.as_nanosecond(), place.order_no)
}

/// An order is filed in its member's partition by when it was placed, so a member's
/// orders read newest first a page at a time, as receipts do (docs/orders.md).
pub(super) fn order_at(owner: &CustomerId, place: &OrderPlace) -> Key {
    Key::new(
        member_partition(owner),
        format!("{ORDER}{}", order_sort(place)),
    )
}

pub(super) fn orders_of(owner: &CustomerId) -> Prefix {
    Prefix {
        pk: member_partition(owner),
        sk: ORDER,
    }
}

/// The place an order's sort key (`order_at`) or its status list's (`order_status_entry`)
/// names.
pub(super) fn order_place(sk: &str) -> Option<OrderPlace> {
    let (at, no) = sk.strip_prefix(ORDER).unwrap_or(sk).split_once('#')?;
    Some(OrderPlace {
        placed_at: Timestamp::from_nanosecond(at.parse().ok()?).ok()?,
        order_no: OrderNo::parse(no)?,
    })
}

/// Finds an order by its number (the back office's events name only the number), and
/// makes numbers unique.
pub(super) fn order_pointer(order_no: &OrderNo) -> Key {
    Key::new(format!("ORDER#{order_no}"), "ORDER")
}

pub(super) fn status_list(status: OrderStatus) -> String {
    format!("ORDERS#{}", status.as_str())
}

/// An order's entry in the operators' list of its status (`gsi1`, whole items).
pub(super) fn order_status_entry(status: OrderStatus, place: &OrderPlace) -> Item {
    HashMap::from([
        ("gsi1pk".to_owned(), s(status_list(status))),
        ("gsi1sk".to_owned(), s(order_sort(place))),
    ])
}

/// The partition of a status list and the sort key a page of it starts before.
pub(super) fn status_list_before(
    status: OrderStatus,
    before: Option<&OrderPlace>,
) -> (String, String) {
    (
        status_list(status),
        before.map_or_else(|| "~".to_owned(), order_sort),
    )
}

/// Whether an item's key is an order's (`order_at` above): how the stream's records are
/// told apart.
pub(super) fn is_order(pk: &str, sk: &str) -> bool {
    pk.starts_with("CUSTOMER#") && sk.starts_with(ORDER)
}
