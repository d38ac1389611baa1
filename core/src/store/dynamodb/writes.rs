//! What each `Write` becomes in the table: the transaction items it stands for, with the
//! conditions that make concurrent requests safe (a version as read, or "not there yet").

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{ConditionCheck, Delete, Put, TransactWriteItem};

use super::item::{Item, expires_at, item, n, s, sort_key};
use super::keys::{self, Key};
use super::{DynamoStore, lists};
use crate::domain::SerialRecord;
use crate::store::{
    Expect, OrderPlace, PublishPlace, StoreError, Versioned, Write, expiry, reminder_date,
};

/// A put, as one part of a transaction, under a condition if given.
fn put(
    table: &str,
    item: Item,
    condition: Option<(&str, Item)>,
) -> Result<TransactWriteItem, StoreError> {
    let mut builder = Put::builder().table_name(table).set_item(Some(item));
    if let Some((expression, values)) = condition {
        builder = builder.condition_expression(expression);
        if !values.is_empty() {
            builder = builder.set_expression_attribute_values(Some(values));
        }
    }
    Ok(TransactWriteItem::builder().put(builder.build()?).build())
}

/// The condition an `Expect` stands for.
fn expectation(expect: Expect) -> (&'static str, Item) {
    match expect {
        Expect::Absent => ("attribute_not_exists(pk)", Item::new()),
        Expect::Version(v) => (
            "version = :read",
            HashMap::from([(":read".to_owned(), n(v))]),
        ),
    }
}

fn versioned(table: &str, item: Item, expect: Expect) -> Result<TransactWriteItem, StoreError> {
    put(table, item, Some(expectation(expect)))
}

fn absent(table: &str, item: Item) -> Result<TransactWriteItem, StoreError> {
    put(table, item, Some(("attribute_not_exists(pk)", Item::new())))
}

fn check_version(table: &str, key: Key, version: u64) -> Result<TransactWriteItem, StoreError> {
    let check = ConditionCheck::builder()
        .table_name(table)
        .set_key(Some(key.attributes()))
        .condition_expression("version = :read")
        .expression_attribute_values(":read", n(version))
        .build()?;
    Ok(TransactWriteItem::builder().condition_check(check).build())
}

pub(super) fn delete(table: &str, key: Key) -> Result<TransactWriteItem, StoreError> {
    let delete = Delete::builder()
        .table_name(table)
        .set_key(Some(key.attributes()))
        .build()?;
    Ok(TransactWriteItem::builder().delete(delete).build())
}

/// Marks the table as holding members (see `keys::customers_marker`).
pub(super) fn customers_marker(table: &str) -> Result<TransactWriteItem, StoreError> {
    put(table, keys::customers_marker().attributes(), None)
}

fn serial_item(serial: &SerialRecord) -> Result<Item, StoreError> {
    let mut item = item(serial, keys::serial(&serial.customer_id, &serial.serial))?;
    // The sparse expiry index (docs/reminders.md): only licences that can still get reminders.
    if let Some(date) = reminder_date(serial) {
        item.extend(lists::expiry_entry(date, &serial.serial).attributes());
    }
    Ok(item)
}

impl DynamoStore {
    /// The transaction items one write stands for. Some need a read first (a session's
    /// owner, a member's sessions); the versions in the transaction keep those reads honest.
    pub(super) async fn parts(&self, write: Write) -> Result<Vec<TransactWriteItem>, StoreError> {
        let table = self.table.as_str();
        Ok(match write {
            Write::PutCustomer(Versioned {
                record: customer,
                expect,
            }) => {
                let key = keys::member(&customer.customer_id);
                vec![versioned(table, item(&customer, key)?, expect)?]
            }
            Write::CheckCustomer {
                customer_id,
                version,
            } => vec![check_version(table, keys::member(&customer_id), version)?],
            Write::CheckSerial {
                serial,
                customer_id,
                version,
            } => vec![check_version(
                table,
                keys::serial(&customer_id, &serial),
                version,
            )?],
            Write::PutSerial(Versioned {
                record: serial,
                expect,
            }) => {
                let mut parts = vec![versioned(table, serial_item(&serial)?, expect)?];
                if expect == Expect::Absent {
                    let mut owner = keys::serial_owner(&serial.serial).attributes();
                    owner.insert("owner".into(), s(serial.customer_id.to_string()));
                    parts.push(absent(table, owner)?);
                }
                parts
            }
            Write::AppendHistory { serial, seq, event } => {
                vec![absent(table, item(&event, keys::event(&serial, seq))?)?]
            }
            Write::PutSession(session) => {
                let lifetime_ends = session.created_at + self.session_lifetime;
                let key = keys::member_session(&session.customer_id, &session.token_digest);
                let mut session_item = item(&session, key)?;
                session_item.insert("expires_at".into(), expires_at(lifetime_ends));
                vec![put(table, session_item, None)?]
            }
            // Either filing (core/src/store/README.md#sessions): deleting an item that is not there
            // changes nothing, and no read is needed to know which it is.
            Write::DeleteSession {
                customer_id,
                token_digest,
            } => vec![
                delete(table, keys::member_session(&customer_id, &token_digest))?,
                delete(table, keys::legacy_session(&token_digest))?,
                delete(
                    table,
                    keys::legacy_session_pointer(&customer_id, &token_digest),
                )?,
            ],
            Write::DeleteSessionsOf { customer_id } => {
                let mut parts = Vec::new();
                for session in self
                    .query_prefix(keys::member_sessions(&customer_id), false)
                    .await?
                {
                    if let Some(digest) = keys::member_session_digest(sort_key(&session)) {
                        parts.push(delete(table, keys::member_session(&customer_id, digest))?);
                    }
                }
                for pointer in self
                    .query_prefix(keys::legacy_session_pointers(&customer_id), false)
                    .await?
                {
                    if let Some(digest) = keys::pointed_session(sort_key(&pointer)) {
                        parts.push(delete(table, keys::legacy_session(digest))?);
                        parts.push(delete(
                            table,
                            keys::legacy_session_pointer(&customer_id, digest),
                        )?);
                    }
                }
                parts
            }
            Write::PutIdempotency(Versioned { record, expect }) => {
                let mut idempotency_item = item(&record, keys::idempotency(&record.key))?;
                idempotency_item.insert(
                    "expires_at".into(),
                    expires_at(record.created_at + jiff::SignedDuration::from_hours(25)),
                );
                vec![versioned(table, idempotency_item, expect)?]
            }
            Write::PutProvider(provider) => {
                let key = keys::provider(&provider.provider_code);
                vec![absent(table, item(&provider, key)?)?]
            }
            Write::PutCode(Versioned {
                record: code,
                expect,
            }) => {
                let key = keys::code(&code.code);
                vec![versioned(table, item(&code, key)?, expect)?]
            }
            Write::PutReceipt {
                customer_id,
                receipt,
            } => {
                let number = keys::receipt_number(&receipt.receipt_no).attributes();
                let key = keys::receipt(&customer_id, &receipt);
                vec![
                    absent(table, number)?,
                    put(table, item(&receipt, key)?, None)?,
                ]
            }
            Write::RecordReminder { key } => {
                let mut reminder = keys::reminder(&key).attributes();
                if let Some(until) = expiry::reminder_kept_until(&key) {
                    reminder.insert("expires_at".into(), expires_at(until));
                }
                vec![absent(table, reminder)?]
            }
            Write::EnqueueMail(mail) => {
                let mut mail_item = item(&mail, keys::mail(&mail.to, &mail.mail_id))?;
                mail_item.extend(lists::pending_entry(&mail.due_place()).attributes());
                vec![absent(table, mail_item)?]
            }
            Write::PutCatalogueEntry(entry) => {
                let key = keys::catalogue_entry(&crate::domain::text::keyword_of(&entry.service));
                vec![put(table, item(&entry, key)?, None)?]
            }
            Write::RecordReminderRun(run) => {
                vec![put(table, item(&run, keys::reminder_run())?, None)?]
            }
            Write::PutOrder {
                order:
                    Versioned {
                        record: order,
                        expect,
                    },
                ..
            } => {
                let place = OrderPlace::of(&order);
                let mut order_item = item(&order, keys::order_at(&order.customer_id, &place))?;
                order_item.extend(keys::order_status_entry(order.status, &place));
                if let Some(due) = PublishPlace::of(&order) {
                    order_item.extend(lists::publish_entry(&due).attributes());
                }
                let mut parts = vec![versioned(table, order_item, expect)?];
                if expect == Expect::Absent {
                    let mut pointer = keys::order_pointer(&order.order_no).attributes();
                    pointer.insert("owner".into(), s(order.customer_id.to_string()));
                    pointer.insert(
                        "placed_ns".into(),
                        s(order.placed_at.as_nanosecond().to_string()),
                    );
                    parts.push(absent(table, pointer)?);
                }
                parts
            }
        })
    }
}
