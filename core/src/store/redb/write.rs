//! What each `Write` does inside the write transaction of a commit. A version check is a
//! read in that transaction: redb has one writer at a time, so the check and the write
//! cannot be separated by another commit.
//!
//! A commit shares its transaction with the other commits of its group (`group.rs`), so
//! it checks every condition of its writes (`check`) before it changes anything
//! (`apply`): a refused condition leaves nothing of it behind.

use redb::{ReadableTable, Table, TableDefinition, TableHandle, WriteTransaction};

use super::tables::{
    CATALOGUE, CODES, CUSTOMERS, HISTORY, IDEMPOTENCY, LEDGER, MAILS_TO, ORDERS, ORDERS_BY_STATUS,
    ORDERS_OF_MEMBER, ORDERS_TO_PUBLISH, OUTBOX, OUTBOX_DUE, PROVIDERS, RECEIPTS, REMINDERS,
    SERIALS, SERIALS_BY_EXPIRY, SESSIONS, SESSIONS_OF_MEMBER, due_key,
};
use super::{decode, encode};
use crate::domain::{Order, SerialRecord, Session};
use crate::store::{Expect, PublishPlace, StoreError, Versioned, Write, reminder_date};

/// Only the version of a stored record, whatever its other fields.
#[derive(serde::Deserialize)]
struct StoredVersion {
    version: u64,
}

fn stored_version(table: &Table<&str, &[u8]>, key: &str) -> Result<Option<u64>, StoreError> {
    match table.get(key)? {
        Some(bytes) => Ok(Some(decode::<StoredVersion>(bytes.value())?.version)),
        None => Ok(None),
    }
}

fn conflict(table: &impl TableHandle, key: impl std::fmt::Display) -> StoreError {
    StoreError::Conflict(format!("{} {key}", table.name()))
}

/// Checks `expect` against what is stored under `key`.
fn check_expect(
    txn: &WriteTransaction,
    definition: TableDefinition<&str, &[u8]>,
    key: &str,
    expect: Expect,
) -> Result<(), StoreError> {
    let table = txn.open_table(definition)?;
    let holds = match (expect, stored_version(&table, key)?) {
        (Expect::Absent, None) => true,
        (Expect::Version(want), Some(have)) => want == have,
        _ => false,
    };
    if holds {
        Ok(())
    } else {
        Err(conflict(&definition, key))
    }
}

/// Nothing is stored under `key` yet.
fn check_absent<K: redb::Key + 'static, V: redb::Value + 'static>(
    txn: &WriteTransaction,
    definition: TableDefinition<K, V>,
    key: K::SelfType<'_>,
    named: impl std::fmt::Display,
) -> Result<(), StoreError> {
    if txn.open_table(definition)?.get(key)?.is_some() {
        Err(StoreError::Conflict(format!(
            "{} {named}",
            definition.name()
        )))
    } else {
        Ok(())
    }
}

/// Checks `expect` against what is stored under `key`, then writes `value`.
fn put_versioned(
    txn: &WriteTransaction,
    definition: TableDefinition<&str, &[u8]>,
    key: &str,
    value: Vec<u8>,
    expect: Expect,
) -> Result<(), StoreError> {
    check_expect(txn, definition, key, expect)?;
    txn.open_table(definition)?.insert(key, value.as_slice())?;
    Ok(())
}

/// Every condition of `write`, read in `txn`; nothing is changed. `apply` checks them
/// again as it writes, which only a commit that conflicts with itself could fail.
pub(super) fn check(txn: &WriteTransaction, write: &Write) -> Result<(), StoreError> {
    match write {
        Write::PutCustomer(Versioned { record, expect }) => {
            check_expect(txn, CUSTOMERS, record.customer_id.as_str(), *expect)
        }
        Write::CheckCustomer {
            customer_id,
            version,
        } => check_version(txn, CUSTOMERS, customer_id.as_str(), *version),
        Write::CheckSerial {
            serial, version, ..
        } => check_version(txn, SERIALS, serial.as_str(), *version),
        Write::PutSerial(Versioned { record, expect }) => {
            check_expect(txn, SERIALS, record.serial.as_str(), *expect)
        }
        Write::RecordReminder { key } => check_absent(txn, REMINDERS, key.as_str(), key),
        Write::AppendHistory { serial, seq, .. } => check_absent(
            txn,
            HISTORY,
            (serial.as_str(), *seq),
            format_args!("{serial} #{seq}"),
        ),
        Write::PutSession(_) | Write::DeleteSession { .. } | Write::DeleteSessionsOf { .. } => {
            Ok(())
        }
        Write::PutProvider(provider) => {
            let code = provider.provider_code.to_string();
            check_absent(txn, PROVIDERS, code.as_str(), &code)
        }
        Write::PutCode(Versioned { record, expect }) => {
            check_expect(txn, CODES, record.code.key(), *expect)
        }
        Write::PutReceipt { receipt, .. } => {
            let no = receipt.receipt_no.as_str();
            check_absent(txn, RECEIPTS, no, no)
        }
        Write::PutIdempotency(Versioned { record, expect }) => {
            check_expect(txn, IDEMPOTENCY, &record.key, *expect)
        }
        Write::EnqueueMail(mail) => {
            let id = mail.mail_id.as_str();
            check_absent(txn, OUTBOX, id, id)
        }
        Write::PutOrder {
            order: Versioned { record, expect },
            ..
        } => check_expect(txn, ORDERS, record.order_no.as_str(), *expect),
        Write::PutCatalogueEntry(_) | Write::RecordReminderRun(_) => Ok(()),
    }
}

/// A condition only: the record under `key` is still at `version`.
fn check_version(
    txn: &WriteTransaction,
    definition: TableDefinition<&str, &[u8]>,
    key: &str,
    version: u64,
) -> Result<(), StoreError> {
    let table = txn.open_table(definition)?;
    if stored_version(&table, key)? == Some(version) {
        Ok(())
    } else {
        Err(conflict(&definition, key))
    }
}

pub(super) fn apply(txn: &WriteTransaction, write: &Write) -> Result<(), StoreError> {
    match write {
        Write::PutCustomer(Versioned {
            record: customer,
            expect,
        }) => {
            let key = customer.customer_id.to_string();
            put_versioned(txn, CUSTOMERS, &key, encode(customer)?, *expect)
        }
        Write::CheckCustomer {
            customer_id,
            version,
        } => check_version(txn, CUSTOMERS, customer_id.as_str(), *version),
        Write::CheckSerial {
            serial, version, ..
        } => check_version(txn, SERIALS, serial.as_str(), *version),
        Write::PutSerial(Versioned {
            record: serial,
            expect,
        }) => {
            let key = serial.serial.to_string();
            let before: Option<SerialRecord> = {
                let table = txn.open_table(SERIALS)?;
                let stored = table.get(key.as_str())?;
                stored.map(|bytes| decode(bytes.value())).transpose()?
            };
            put_versioned(txn, SERIALS, &key, encode(serial)?, *expect)?;
            // Keep the expiry index (docs/reminders.md) in step with the licence.
            let mut index = txn.open_multimap_table(SERIALS_BY_EXPIRY)?;
            if let Some(date) = before.as_ref().and_then(reminder_date) {
                index.remove(date.to_string().as_str(), key.as_str())?;
            }
            if let Some(date) = reminder_date(serial) {
                index.insert(date.to_string().as_str(), key.as_str())?;
            }
            Ok(())
        }
        Write::RecordReminder { key } => {
            let mut table = txn.open_table(REMINDERS)?;
            if table.get(key.as_str())?.is_some() {
                return Err(conflict(&REMINDERS, key));
            }
            table.insert(key.as_str(), ())?;
            Ok(())
        }
        Write::AppendHistory { serial, seq, event } => {
            let mut table = txn.open_table(HISTORY)?;
            let key = (serial.as_str(), *seq);
            if table.get(key)?.is_some() {
                return Err(StoreError::Conflict(format!("history {serial} #{seq}")));
            }
            table.insert(key, encode(&event)?.as_slice())?;
            Ok(())
        }
        Write::PutSession(session) => {
            let mut table = txn.open_table(SESSIONS)?;
            table.insert(session.token_digest.as_str(), encode(&session)?.as_slice())?;
            let mut index = txn.open_multimap_table(SESSIONS_OF_MEMBER)?;
            index.insert(session.customer_id.as_str(), session.token_digest.as_str())?;
            Ok(())
        }
        // The member is read from the session itself: a session is filed by its digest alone.
        Write::DeleteSession { token_digest, .. } => {
            let mut table = txn.open_table(SESSIONS)?;
            let removed = match table.remove(token_digest.as_str())? {
                Some(bytes) => Some(decode::<Session>(bytes.value())?),
                None => None,
            };
            if let Some(session) = removed {
                let mut index = txn.open_multimap_table(SESSIONS_OF_MEMBER)?;
                index.remove(session.customer_id.as_str(), token_digest.as_str())?;
            }
            Ok(())
        }
        Write::DeleteSessionsOf { customer_id } => {
            let mut index = txn.open_multimap_table(SESSIONS_OF_MEMBER)?;
            let digests = index
                .remove_all(customer_id.as_str())?
                .map(|digest| Ok(digest?.value().to_owned()))
                .collect::<Result<Vec<String>, StoreError>>()?;
            let mut sessions = txn.open_table(SESSIONS)?;
            for digest in digests {
                sessions.remove(digest.as_str())?;
            }
            Ok(())
        }
        Write::PutProvider(provider) => {
            let mut table = txn.open_table(PROVIDERS)?;
            let code = provider.provider_code.to_string();
            if table.get(code.as_str())?.is_some() {
                return Err(conflict(&PROVIDERS, code));
            }
            table.insert(code.as_str(), encode(&provider)?.as_slice())?;
            Ok(())
        }
        Write::PutCode(Versioned {
            record: code,
            expect,
        }) => {
            let key = code.code.key().to_owned();
            put_versioned(txn, CODES, &key, encode(code)?, *expect)
        }
        Write::PutReceipt {
            customer_id,
            receipt,
        } => {
            let mut table = txn.open_table(RECEIPTS)?;
            let no = receipt.receipt_no.as_str();
            if table.get(no)?.is_some() {
                return Err(conflict(&RECEIPTS, no));
            }
            table.insert(no, encode(&receipt)?.as_slice())?;
            let at = receipt.accepted_at.as_nanosecond();
            txn.open_table(LEDGER)?
                .insert((customer_id.as_str(), at, no), ())?;
            Ok(())
        }
        Write::PutIdempotency(Versioned { record, expect }) => {
            let key = record.key.clone();
            put_versioned(txn, IDEMPOTENCY, &key, encode(record)?, *expect)
        }
        Write::EnqueueMail(mail) => {
            let id = mail.mail_id.as_str();
            let mut outbox = txn.open_table(OUTBOX)?;
            if outbox.get(id)?.is_some() {
                return Err(conflict(&OUTBOX, id));
            }
            outbox.insert(id, encode(&mail)?.as_slice())?;
            let mut due = txn.open_table(OUTBOX_DUE)?;
            due.insert(due_key(&mail.due_place()), ())?;
            let mut by_recipient = txn.open_multimap_table(MAILS_TO)?;
            by_recipient.insert(mail.to.as_str(), id)?;
            Ok(())
        }
        Write::PutOrder {
            order: Versioned {
                record: order,
                expect,
            },
            ..
        } => put_order(txn, order, *expect),
        Write::RecordReminderRun(run) => super::status::record_run(txn, run),
        Write::PutCatalogueEntry(entry) => {
            let key = crate::domain::text::keyword_of(&entry.service);
            txn.open_table(CATALOGUE)?
                .insert(key.as_str(), encode(entry)?.as_slice())?;
            Ok(())
        }
    }
}

/// Stores an order and keeps its three indexes in step: the member's list (written once),
/// the list of its status, and the list of hand-overs due.
fn put_order(txn: &WriteTransaction, order: &Order, expect: Expect) -> Result<(), StoreError> {
    let no = order.order_no.as_str();
    let before: Option<Order> = {
        let table = txn.open_table(ORDERS)?;
        let stored = table.get(no)?;
        stored.map(|bytes| decode(bytes.value())).transpose()?
    };
    put_versioned(txn, ORDERS, no, encode(order)?, expect)?;
    let placed = order.placed_at.as_nanosecond();
    txn.open_table(ORDERS_OF_MEMBER)?
        .insert((order.customer_id.as_str(), placed, no), ())?;
    let mut by_status = txn.open_table(ORDERS_BY_STATUS)?;
    let mut to_publish = txn.open_table(ORDERS_TO_PUBLISH)?;
    if let Some(before) = &before {
        by_status.remove((before.status.as_str(), placed, no))?;
        if let Some(place) = PublishPlace::of(before) {
            to_publish.remove((place.due_at.as_nanosecond(), no))?;
        }
    }
    by_status.insert((order.status.as_str(), placed, no), ())?;
    if let Some(place) = PublishPlace::of(order) {
        to_publish.insert((place.due_at.as_nanosecond(), no), ())?;
    }
    Ok(())
}
