//! The tables of the database file: records by key, and the indexes that find them.
//! Values are JSON. An index from an owner to its items is a multimap table, whose values
//! come back in order (`README.md` beside the store module lists them all).

use redb::{
    MultimapTableDefinition, MultimapTableHandle, ReadableMultimapTable, ReadableTable,
    TableDefinition, TableHandle, WriteTransaction,
};

use super::decode;
use crate::domain::{DuePlace, Mail};
use crate::store::{ReceiptPlace, StoreError};

pub(super) const CUSTOMERS: TableDefinition<&str, &[u8]> = TableDefinition::new("customers");
pub(super) const SERIALS: TableDefinition<&str, &[u8]> = TableDefinition::new("serials");
pub(super) const HISTORY: TableDefinition<(&str, u64), &[u8]> =
    TableDefinition::new("serial_history");
pub(super) const SESSIONS: TableDefinition<&str, &[u8]> = TableDefinition::new("sessions");
/// Customer → token digests: every session of a member, to end them all at once.
pub(super) const SESSIONS_OF_MEMBER: MultimapTableDefinition<&str, &str> =
    MultimapTableDefinition::new("sessions_of_member");
/// `<rule>:<client>` → the open window of a per-client count (docs/login.md, docs/renewal.md).
pub(super) const CLIENT_COUNTS: TableDefinition<&str, &[u8]> =
    TableDefinition::new("client_counts");
pub(super) const PROVIDERS: TableDefinition<&str, &[u8]> = TableDefinition::new("providers");
pub(super) const CODES: TableDefinition<&str, &[u8]> = TableDefinition::new("codes");
pub(super) const RECEIPTS: TableDefinition<&str, &[u8]> = TableDefinition::new("receipts");
/// (customer, acceptance time in ns, receipt number) of every receipt: a member's ledger in
/// time order, read a page at a time by a range over the key.
pub(super) const LEDGER: TableDefinition<(&str, i128, &str), ()> = TableDefinition::new("ledger");
/// Expiry date → serial, for every licence that can get a reminder (docs/reminders.md): the job reads
/// the days it needs, never every licence.
pub(super) const SERIALS_BY_EXPIRY: MultimapTableDefinition<&str, &str> =
    MultimapTableDefinition::new("serials_by_expiry");
/// `serial|expiry|threshold` of every reminder sent: at most one each.
pub(super) const REMINDERS: TableDefinition<&str, ()> = TableDefinition::new("reminders");
pub(super) const IDEMPOTENCY: TableDefinition<&str, &[u8]> = TableDefinition::new("idempotency");
pub(super) const OUTBOX: TableDefinition<&str, &[u8]> = TableDefinition::new("outbox");
/// (due time in ns, mail id) of every mail still to deliver, in the order they fall due:
/// the dispatcher reads the mails due without scanning delivered ones or ones waiting for a
/// later retry.
pub(super) const OUTBOX_DUE: TableDefinition<(i128, &str), ()> = TableDefinition::new("outbox_due");
/// Ids of the mails given up after their last failed attempt (docs/mail.md).
pub(super) const OUTBOX_FAILED: TableDefinition<&str, ()> = TableDefinition::new("outbox_failed");
/// Recipient → mail ids: the operators' outbox view by address.
pub(super) const MAILS_TO: MultimapTableDefinition<&str, &str> =
    MultimapTableDefinition::new("mails_to");

/// Service → the catalogue entry operators set (docs/services.md).
pub(super) const CATALOGUE: TableDefinition<&str, &[u8]> =
    TableDefinition::new("service_catalogue");
/// Order number → order (docs/orders.md).
pub(super) const ORDERS: TableDefinition<&str, &[u8]> = TableDefinition::new("orders");
/// (customer, placed in ns, order number) of every order: a member's orders in time order.
pub(super) const ORDERS_OF_MEMBER: TableDefinition<(&str, i128, &str), ()> =
    TableDefinition::new("orders_of_member");
/// (status, placed in ns, order number) of every order: the operators' lists by status.
pub(super) const ORDERS_BY_STATUS: TableDefinition<(&str, i128, &str), ()> =
    TableDefinition::new("orders_by_status");
/// (due in ns, order number) of every order whose hand-over to the back office is pending.
pub(super) const ORDERS_TO_PUBLISH: TableDefinition<(i128, &str), ()> =
    TableDefinition::new("orders_to_publish");
/// Counter name → its value: the status view's counts (`status.rs`).
pub(super) const TALLY: TableDefinition<&str, i64> = TableDefinition::new("tally");
/// `last` → the reminder job's last run.
pub(super) const REMINDER_RUNS: TableDefinition<&str, &[u8]> =
    TableDefinition::new("reminder_runs");

/// Creates every table up front, so that reads never meet a missing one.
pub(super) fn create_all(txn: &WriteTransaction) -> Result<(), StoreError> {
    txn.open_table(CUSTOMERS)?;
    txn.open_table(SERIALS)?;
    txn.open_table(HISTORY)?;
    txn.open_table(SESSIONS)?;
    txn.open_multimap_table(SESSIONS_OF_MEMBER)?;
    txn.open_table(CLIENT_COUNTS)?;
    txn.open_table(PROVIDERS)?;
    txn.open_table(CODES)?;
    txn.open_table(RECEIPTS)?;
    txn.open_table(LEDGER)?;
    txn.open_multimap_table(SERIALS_BY_EXPIRY)?;
    txn.open_table(REMINDERS)?;
    txn.open_table(IDEMPOTENCY)?;
    txn.open_table(OUTBOX)?;
    txn.open_table(OUTBOX_DUE)?;
    txn.open_table(OUTBOX_FAILED)?;
    txn.open_multimap_table(MAILS_TO)?;
    txn.open_table(CATALOGUE)?;
    txn.open_table(ORDERS)?;
    txn.open_table(ORDERS_OF_MEMBER)?;
    txn.open_table(ORDERS_BY_STATUS)?;
    txn.open_table(ORDERS_TO_PUBLISH)?;
    txn.open_table(TALLY)?;
    txn.open_table(REMINDER_RUNS)?;
    Ok(())
}

/// The pending index before retries: mail id → (), every mail due at once.
const UNORDERED_PENDING: TableDefinition<&str, ()> = TableDefinition::new("outbox_pending");

/// Files the mails of the unordered pending index, if the file has one, under the time
/// they fell due (their creation: none had been retried), and drops that index.
pub(super) fn order_pending_mails(txn: &WriteTransaction) -> Result<(), StoreError> {
    let exists = txn
        .list_tables()?
        .any(|table| table.name() == UNORDERED_PENDING.name());
    if !exists {
        return Ok(());
    }
    {
        let old = txn.open_table(UNORDERED_PENDING)?;
        let outbox = txn.open_table(OUTBOX)?;
        let mut due = txn.open_table(OUTBOX_DUE)?;
        for entry in old.iter()? {
            let (id, ()) = entry.map(|(k, v)| (k, v.value()))?;
            if let Some(bytes) = outbox.get(id.value())? {
                let place = decode::<Mail>(bytes.value())?.due_place();
                due.insert(due_key(&place), ())?;
            }
        }
    }
    txn.delete_table(UNORDERED_PENDING)?;
    Ok(())
}

/// The ledger before it was paged: customer → `<acceptance time in ns, 24 digits>-<number>`,
/// a multimap whose values cannot be read from a place in the middle.
const UNPAGED_LEDGER: MultimapTableDefinition<&str, &str> =
    MultimapTableDefinition::new("receipts_of_member");

/// Files the entries of the unpaged ledger, if the file has one, in `LEDGER`, and drops it.
pub(super) fn page_the_ledger(txn: &WriteTransaction) -> Result<(), StoreError> {
    let exists = txn
        .list_multimap_tables()?
        .any(|table| table.name() == UNPAGED_LEDGER.name());
    if !exists {
        return Ok(());
    }
    {
        let old = txn.open_multimap_table(UNPAGED_LEDGER)?;
        let mut ledger = txn.open_table(LEDGER)?;
        for entry in old.iter()? {
            let (customer, orders) = entry?;
            for order in orders {
                let order = order?;
                let unreadable = || StoreError::Backend(format!("ledger entry {}", order.value()));
                let (at, no) = order.value().split_once('-').ok_or_else(unreadable)?;
                let at: i128 = at.parse().map_err(|_| unreadable())?;
                ledger.insert((customer.value(), at, no), ())?;
            }
        }
    }
    txn.delete_multimap_table(UNPAGED_LEDGER)?;
    Ok(())
}

/// A receipt's key in `LEDGER`.
pub(super) fn ledger_key<'a>(
    customer: &'a str,
    place: &'a ReceiptPlace,
) -> (&'a str, i128, &'a str) {
    (
        customer,
        place.accepted_at.as_nanosecond(),
        place.receipt_no.as_str(),
    )
}

/// A mail's key in `OUTBOX_DUE`.
pub(super) fn due_key(place: &DuePlace) -> (i128, &str) {
    (place.due_at.as_nanosecond(), place.mail_id.as_str())
}

/// The indexes of the first layout, (owner, item) → () tables read by range scans, before
/// they became the multimap tables above. No file of that layout was ever deployed; one
/// left from local development is refused with a plain reason rather than read with empty
/// indexes (sessions a cancellation could not end, receipts missing from the ledger).
const FIRST_LAYOUT_INDEXES: [&str; 4] = [
    "sessions_by_customer",
    "receipts_by_customer",
    "expiry_index",
    "outbox_by_recipient",
];

pub(super) fn refuse_first_layout(txn: &WriteTransaction) -> Result<(), StoreError> {
    for table in txn.list_tables()? {
        if FIRST_LAYOUT_INDEXES.contains(&table.name()) {
            return Err(StoreError::Backend(format!(
                "this database file has the table `{}` of an earlier layout: move the file \
                 aside (its data was for local development only) and start afresh",
                table.name()
            )));
        }
    }
    Ok(())
}
