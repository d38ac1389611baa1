//! The embedded store: one redb file, one `Database` per process.
//!
//! redb's API is blocking, so every call runs on tokio's blocking pool. Values are JSON;
//! every commit is one write transaction with the default (immediate, fsync'd) durability,
//! so an acknowledged write survives a crash.

use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;
use jiff::Timestamp;
use jiff::civil::Date;
use redb::{
    Database, ReadableDatabase, ReadableTable, ReadableTableMetadata, TableDefinition,
    WriteTransaction,
};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{Expect, IdempotencyRecord, Store, StoreError, Throttle, Versioned, Write};
use crate::domain::{
    CodeRecord, Customer, CustomerId, Email, HistoryEvent, Provider, Receipt, RenewalCode, Serial,
    SerialRecord, Session,
};
use crate::mail::{Mail, MailStatus};

const CUSTOMERS: TableDefinition<&str, &[u8]> = TableDefinition::new("customers");
const SERIALS: TableDefinition<&str, &[u8]> = TableDefinition::new("serials");
const HISTORY: TableDefinition<(&str, u64), &[u8]> = TableDefinition::new("serial_history");
const SESSIONS: TableDefinition<&str, &[u8]> = TableDefinition::new("sessions");
const THROTTLES: TableDefinition<&str, &[u8]> = TableDefinition::new("throttles");
/// (customer, token digest): every session of a member, to end them all at once.
const SESSIONS_BY_CUSTOMER: TableDefinition<(&str, &str), ()> =
    TableDefinition::new("sessions_by_customer");
const PROVIDERS: TableDefinition<&str, &[u8]> = TableDefinition::new("providers");
const CODES: TableDefinition<&str, &[u8]> = TableDefinition::new("codes");
const RECEIPTS: TableDefinition<&str, &[u8]> = TableDefinition::new("receipts");
/// (customer, acceptance time + receipt number): a member's ledger in time order.
const RECEIPTS_BY_CUSTOMER: TableDefinition<(&str, &str), ()> =
    TableDefinition::new("receipts_by_customer");
/// (expiry date, serial) for every licence that can get a reminder (SPEC §8): the job reads
/// the days it needs, never every licence.
const EXPIRY_INDEX: TableDefinition<(&str, &str), ()> = TableDefinition::new("expiry_index");
/// `serial|expiry|threshold` of every reminder sent: at most one each.
const REMINDERS: TableDefinition<&str, ()> = TableDefinition::new("reminders");
const IDEMPOTENCY: TableDefinition<&str, &[u8]> = TableDefinition::new("idempotency");
const OUTBOX: TableDefinition<&str, &[u8]> = TableDefinition::new("outbox");
/// Keys of the mails still to deliver, so the dispatcher never scans delivered ones.
const OUTBOX_PENDING: TableDefinition<&str, ()> = TableDefinition::new("outbox_pending");
/// (recipient, mail id): the operators' outbox view by address.
const OUTBOX_BY_RECIPIENT: TableDefinition<(&str, &str), ()> =
    TableDefinition::new("outbox_by_recipient");

#[derive(Clone)]
pub struct RedbStore {
    db: Arc<Database>,
}

fn backend(error: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(error.to_string())
}

fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>, StoreError> {
    serde_json::to_vec(value).map_err(backend)
}

fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, StoreError> {
    serde_json::from_slice(bytes).map_err(backend)
}

impl RedbStore {
    /// Opens (or creates) the database file. A second process on the same file gets
    /// `StoreError::AlreadyOpen`.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let db = Database::create(path).map_err(|e| match e {
            redb::DatabaseError::DatabaseAlreadyOpen => StoreError::AlreadyOpen,
            other => backend(other),
        })?;
        Self::with_database(db)
    }

    /// A database that lives in memory only: for unit tests.
    pub fn in_memory() -> Result<Self, StoreError> {
        let db = Database::builder()
            .create_with_backend(redb::backends::InMemoryBackend::new())
            .map_err(backend)?;
        Self::with_database(db)
    }

    fn with_database(db: Database) -> Result<Self, StoreError> {
        // Create every table up front, so that reads never meet a missing table.
        let txn = db.begin_write().map_err(backend)?;
        txn.open_table(CUSTOMERS).map_err(backend)?;
        txn.open_table(SERIALS).map_err(backend)?;
        txn.open_table(HISTORY).map_err(backend)?;
        txn.open_table(SESSIONS).map_err(backend)?;
        txn.open_table(THROTTLES).map_err(backend)?;
        txn.open_table(SESSIONS_BY_CUSTOMER).map_err(backend)?;
        txn.open_table(PROVIDERS).map_err(backend)?;
        txn.open_table(CODES).map_err(backend)?;
        txn.open_table(RECEIPTS).map_err(backend)?;
        txn.open_table(RECEIPTS_BY_CUSTOMER).map_err(backend)?;
        txn.open_table(EXPIRY_INDEX).map_err(backend)?;
        txn.open_table(REMINDERS).map_err(backend)?;
        txn.open_table(IDEMPOTENCY).map_err(backend)?;
        txn.open_table(OUTBOX).map_err(backend)?;
        txn.open_table(OUTBOX_PENDING).map_err(backend)?;
        txn.open_table(OUTBOX_BY_RECIPIENT).map_err(backend)?;
        txn.commit().map_err(backend)?;
        Ok(Self { db: Arc::new(db) })
    }

    /// Runs blocking database work off the async runtime.
    async fn blocking<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Database) -> Result<T, StoreError> + Send + 'static,
    {
        let db = self.db.clone();
        tokio::task::spawn_blocking(move || work(&db))
            .await
            .map_err(backend)?
    }

    async fn get<T>(
        &self,
        table: TableDefinition<'static, &'static str, &'static [u8]>,
        key: String,
    ) -> Result<Option<T>, StoreError>
    where
        T: DeserializeOwned + Send + 'static,
    {
        self.blocking(move |db| {
            let txn = db.begin_read().map_err(backend)?;
            let table = txn.open_table(table).map_err(backend)?;
            match table.get(key.as_str()).map_err(backend)? {
                Some(bytes) => decode(bytes.value()).map(Some),
                None => Ok(None),
            }
        })
        .await
    }
}

/// Only the version of a stored record, whatever its other fields.
#[derive(serde::Deserialize)]
struct StoredVersion {
    version: u64,
}

/// Checks `expect` against what is stored under `key`, then writes `value`.
fn put_versioned(
    txn: &WriteTransaction,
    table: TableDefinition<&str, &[u8]>,
    key: &str,
    value: Vec<u8>,
    expect: Expect,
) -> Result<(), StoreError> {
    let mut table = txn.open_table(table).map_err(backend)?;
    let stored = match table.get(key).map_err(backend)? {
        Some(bytes) => Some(decode::<StoredVersion>(bytes.value())?.version),
        None => None,
    };
    let holds = match (expect, stored) {
        (Expect::Absent, None) => true,
        (Expect::Version(want), Some(have)) => want == have,
        _ => false,
    };
    if !holds {
        return Err(StoreError::Conflict(format!(
            "{} {key}",
            table_name(&table)
        )));
    }
    table.insert(key, value.as_slice()).map_err(backend)?;
    Ok(())
}

fn table_name<K: redb::Key + 'static, V: redb::Value + 'static>(
    table: &redb::Table<K, V>,
) -> String {
    use redb::TableHandle;
    table.name().to_owned()
}

fn apply(txn: &WriteTransaction, write: Write) -> Result<(), StoreError> {
    match write {
        Write::PutCustomer(Versioned {
            record: customer,
            expect,
        }) => {
            let key = customer.customer_id.to_string();
            put_versioned(txn, CUSTOMERS, &key, encode(&customer)?, expect)
        }
        Write::CheckCustomer {
            customer_id,
            version,
        } => {
            let table = txn.open_table(CUSTOMERS).map_err(backend)?;
            let stored = match table.get(customer_id.as_str()).map_err(backend)? {
                Some(bytes) => Some(decode::<StoredVersion>(bytes.value())?.version),
                None => None,
            };
            if stored == Some(version) {
                Ok(())
            } else {
                Err(StoreError::Conflict(format!("customers {customer_id}")))
            }
        }
        Write::CheckSerial {
            serial, version, ..
        } => {
            let table = txn.open_table(SERIALS).map_err(backend)?;
            let stored = match table.get(serial.as_str()).map_err(backend)? {
                Some(bytes) => Some(decode::<StoredVersion>(bytes.value())?.version),
                None => None,
            };
            if stored == Some(version) {
                Ok(())
            } else {
                Err(StoreError::Conflict(format!("serials {serial}")))
            }
        }
        Write::PutSerial(Versioned {
            record: serial,
            expect,
        }) => {
            let key = serial.serial.to_string();
            let before: Option<SerialRecord> = {
                let table = txn.open_table(SERIALS).map_err(backend)?;
                let stored = table.get(key.as_str()).map_err(backend)?;
                stored.map(|bytes| decode(bytes.value())).transpose()?
            };
            put_versioned(txn, SERIALS, &key, encode(&serial)?, expect)?;
            // Keep the expiry index (SPEC §8) in step with the licence.
            let mut index = txn.open_table(EXPIRY_INDEX).map_err(backend)?;
            if let Some(date) = before.as_ref().and_then(super::reminder_date) {
                index
                    .remove((date.to_string().as_str(), key.as_str()))
                    .map_err(backend)?;
            }
            if let Some(date) = super::reminder_date(&serial) {
                index
                    .insert((date.to_string().as_str(), key.as_str()), ())
                    .map_err(backend)?;
            }
            Ok(())
        }
        Write::RecordReminder { key } => {
            let mut table = txn.open_table(REMINDERS).map_err(backend)?;
            if table.get(key.as_str()).map_err(backend)?.is_some() {
                return Err(StoreError::Conflict(format!("reminders {key}")));
            }
            table.insert(key.as_str(), ()).map_err(backend)?;
            Ok(())
        }
        Write::AppendHistory { serial, seq, event } => {
            let mut table = txn.open_table(HISTORY).map_err(backend)?;
            let key = (serial.as_str(), seq);
            if table.get(key).map_err(backend)?.is_some() {
                return Err(StoreError::Conflict(format!("history {serial} #{seq}")));
            }
            table
                .insert(key, encode(&event)?.as_slice())
                .map_err(backend)?;
            Ok(())
        }
        Write::PutSession(session) => {
            let mut table = txn.open_table(SESSIONS).map_err(backend)?;
            table
                .insert(session.token_digest.as_str(), encode(&session)?.as_slice())
                .map_err(backend)?;
            let mut index = txn.open_table(SESSIONS_BY_CUSTOMER).map_err(backend)?;
            index
                .insert(
                    (session.customer_id.as_str(), session.token_digest.as_str()),
                    (),
                )
                .map_err(backend)?;
            Ok(())
        }
        Write::DeleteSession { token_digest } => {
            let mut table = txn.open_table(SESSIONS).map_err(backend)?;
            let removed = match table.remove(token_digest.as_str()).map_err(backend)? {
                Some(bytes) => Some(decode::<Session>(bytes.value())?),
                None => None,
            };
            if let Some(session) = removed {
                let mut index = txn.open_table(SESSIONS_BY_CUSTOMER).map_err(backend)?;
                index
                    .remove((session.customer_id.as_str(), token_digest.as_str()))
                    .map_err(backend)?;
            }
            Ok(())
        }
        Write::DeleteSessionsOf { customer_id } => {
            let mut index = txn.open_table(SESSIONS_BY_CUSTOMER).map_err(backend)?;
            let mut digests = Vec::new();
            for entry in index.range((customer_id.as_str(), "")..).map_err(backend)? {
                let (key, _) = entry.map_err(backend)?;
                let (owner, digest) = key.value();
                if owner != customer_id.as_str() {
                    break;
                }
                digests.push(digest.to_owned());
            }
            let mut sessions = txn.open_table(SESSIONS).map_err(backend)?;
            for digest in digests {
                sessions.remove(digest.as_str()).map_err(backend)?;
                index
                    .remove((customer_id.as_str(), digest.as_str()))
                    .map_err(backend)?;
            }
            Ok(())
        }
        Write::PutProvider(provider) => {
            let mut table = txn.open_table(PROVIDERS).map_err(backend)?;
            let code = provider.provider_code.to_string();
            if table.get(code.as_str()).map_err(backend)?.is_some() {
                return Err(StoreError::Conflict(format!("providers {code}")));
            }
            table
                .insert(code.as_str(), encode(&provider)?.as_slice())
                .map_err(backend)?;
            Ok(())
        }
        Write::PutCode(Versioned {
            record: code,
            expect,
        }) => {
            let key = code.code.key().to_owned();
            put_versioned(txn, CODES, &key, encode(&code)?, expect)
        }
        Write::PutReceipt {
            customer_id,
            receipt,
        } => {
            let mut table = txn.open_table(RECEIPTS).map_err(backend)?;
            let no = receipt.receipt_no.as_str();
            if table.get(no).map_err(backend)?.is_some() {
                return Err(StoreError::Conflict(format!("receipts {no}")));
            }
            table
                .insert(no, encode(&receipt)?.as_slice())
                .map_err(backend)?;
            let mut index = txn.open_table(RECEIPTS_BY_CUSTOMER).map_err(backend)?;
            let order = format!("{:024}-{no}", receipt.accepted_at.as_nanosecond());
            index
                .insert((customer_id.as_str(), order.as_str()), ())
                .map_err(backend)?;
            Ok(())
        }
        Write::PutThrottle {
            key,
            throttle:
                Versioned {
                    record: throttle,
                    expect,
                },
        } => put_versioned(txn, THROTTLES, &key, encode(&throttle)?, expect),
        Write::PutIdempotency(Versioned { record, expect }) => {
            let key = record.key.clone();
            put_versioned(txn, IDEMPOTENCY, &key, encode(&record)?, expect)
        }
        Write::EnqueueMail(mail) => {
            let id = mail.mail_id.as_str();
            let mut outbox = txn.open_table(OUTBOX).map_err(backend)?;
            if outbox.get(id).map_err(backend)?.is_some() {
                return Err(StoreError::Conflict(format!("outbox {id}")));
            }
            outbox
                .insert(id, encode(&mail)?.as_slice())
                .map_err(backend)?;
            let mut pending = txn.open_table(OUTBOX_PENDING).map_err(backend)?;
            pending.insert(id, ()).map_err(backend)?;
            let mut by_recipient = txn.open_table(OUTBOX_BY_RECIPIENT).map_err(backend)?;
            by_recipient
                .insert((mail.to.as_str(), id), ())
                .map_err(backend)?;
            Ok(())
        }
        Write::MarkMailSent { mail_id, at, .. } => {
            let mut outbox = txn.open_table(OUTBOX).map_err(backend)?;
            let stored = match outbox.get(mail_id.as_str()).map_err(backend)? {
                Some(bytes) => Some(decode::<Mail>(bytes.value())?),
                None => None,
            };
            let Some(mut mail) = stored else {
                return Err(StoreError::Conflict(format!("outbox {mail_id}")));
            };
            mail.status = MailStatus::Sent;
            mail.sent_at = Some(at);
            outbox
                .insert(mail_id.as_str(), encode(&mail)?.as_slice())
                .map_err(backend)?;
            let mut pending = txn.open_table(OUTBOX_PENDING).map_err(backend)?;
            pending.remove(mail_id.as_str()).map_err(backend)?;
            Ok(())
        }
    }
}

#[async_trait]
impl Store for RedbStore {
    async fn customer(&self, id: &CustomerId) -> Result<Option<Customer>, StoreError> {
        self.get(CUSTOMERS, id.to_string()).await
    }

    async fn customer_with_serials(
        &self,
        id: &CustomerId,
    ) -> Result<Option<(Customer, Vec<SerialRecord>)>, StoreError> {
        let id = id.to_string();
        self.blocking(move |db| {
            // One read transaction: the customer and their serials are one snapshot.
            let txn = db.begin_read().map_err(backend)?;
            let customers = txn.open_table(CUSTOMERS).map_err(backend)?;
            let Some(bytes) = customers.get(id.as_str()).map_err(backend)? else {
                return Ok(None);
            };
            let customer: Customer = decode(bytes.value())?;
            let serials = txn.open_table(SERIALS).map_err(backend)?;
            let mut records = Vec::with_capacity(customer.serials.len());
            for serial in &customer.serials {
                if let Some(bytes) = serials.get(serial.as_str()).map_err(backend)? {
                    records.push(decode(bytes.value())?);
                }
            }
            Ok(Some((customer, records)))
        })
        .await
    }

    async fn serial(&self, serial: &Serial) -> Result<Option<SerialRecord>, StoreError> {
        self.get(SERIALS, serial.to_string()).await
    }

    async fn history(&self, serial: &Serial) -> Result<Vec<HistoryEvent>, StoreError> {
        let serial = serial.to_string();
        self.blocking(move |db| {
            let txn = db.begin_read().map_err(backend)?;
            let table = txn.open_table(HISTORY).map_err(backend)?;
            let range = table
                .range((serial.as_str(), 0)..=(serial.as_str(), u64::MAX))
                .map_err(backend)?;
            range
                .map(|entry| decode(entry.map_err(backend)?.1.value()))
                .collect()
        })
        .await
    }

    async fn session(&self, token_digest: &str) -> Result<Option<Session>, StoreError> {
        self.get(SESSIONS, token_digest.to_owned()).await
    }

    async fn throttle(&self, key: &str) -> Result<Option<Throttle>, StoreError> {
        self.get(THROTTLES, key.to_owned()).await
    }

    async fn serials_expiring(&self, until: Date) -> Result<Vec<SerialRecord>, StoreError> {
        self.blocking(move |db| {
            let txn = db.begin_read().map_err(backend)?;
            let index = txn.open_table(EXPIRY_INDEX).map_err(backend)?;
            let serials = txn.open_table(SERIALS).map_err(backend)?;
            let until = until.to_string();
            let mut found = Vec::new();
            for entry in index
                .range(..=(until.as_str(), "\u{10ffff}"))
                .map_err(backend)?
            {
                let (key, _) = entry.map_err(backend)?;
                let (_, serial) = key.value();
                if let Some(bytes) = serials.get(serial).map_err(backend)? {
                    found.push(decode(bytes.value())?);
                }
            }
            Ok(found)
        })
        .await
    }

    async fn reminder_sent(&self, key: &str) -> Result<bool, StoreError> {
        let key = key.to_owned();
        self.blocking(move |db| {
            let txn = db.begin_read().map_err(backend)?;
            let table = txn.open_table(REMINDERS).map_err(backend)?;
            Ok(table.get(key.as_str()).map_err(backend)?.is_some())
        })
        .await
    }

    async fn providers(&self) -> Result<Vec<Provider>, StoreError> {
        self.blocking(|db| {
            let txn = db.begin_read().map_err(backend)?;
            let table = txn.open_table(PROVIDERS).map_err(backend)?;
            table
                .iter()
                .map_err(backend)?
                .map(|entry| decode(entry.map_err(backend)?.1.value()))
                .collect()
        })
        .await
    }

    async fn code(&self, code: &RenewalCode) -> Result<Option<CodeRecord>, StoreError> {
        self.get(CODES, code.key().to_owned()).await
    }

    async fn receipts_of(&self, customer_id: &CustomerId) -> Result<Vec<Receipt>, StoreError> {
        let customer_id = customer_id.to_string();
        self.blocking(move |db| {
            let txn = db.begin_read().map_err(backend)?;
            let index = txn.open_table(RECEIPTS_BY_CUSTOMER).map_err(backend)?;
            let receipts = txn.open_table(RECEIPTS).map_err(backend)?;
            let mut found = Vec::new();
            for entry in index.range((customer_id.as_str(), "")..).map_err(backend)? {
                let (key, _) = entry.map_err(backend)?;
                let (owner, order) = key.value();
                if owner != customer_id {
                    break;
                }
                let no = order.split_once('-').map_or("", |(_, no)| no);
                if let Some(bytes) = receipts.get(no).map_err(backend)? {
                    found.push(decode(bytes.value())?);
                }
            }
            found.reverse();
            Ok(found)
        })
        .await
    }

    async fn idempotency(&self, key: &str) -> Result<Option<IdempotencyRecord>, StoreError> {
        self.get(IDEMPOTENCY, key.to_owned()).await
    }

    async fn pending_mails(&self, limit: usize) -> Result<Vec<Mail>, StoreError> {
        self.blocking(move |db| {
            let txn = db.begin_read().map_err(backend)?;
            let pending = txn.open_table(OUTBOX_PENDING).map_err(backend)?;
            let outbox = txn.open_table(OUTBOX).map_err(backend)?;
            let mut mails = Vec::new();
            for entry in pending.iter().map_err(backend)?.take(limit) {
                let (id, ()) = entry.map_err(backend).map(|(k, v)| (k, v.value()))?;
                if let Some(bytes) = outbox.get(id.value()).map_err(backend)? {
                    mails.push(decode(bytes.value())?);
                }
            }
            Ok(mails)
        })
        .await
    }

    async fn mails_to(&self, to: &Email) -> Result<Vec<Mail>, StoreError> {
        let to = to.to_string();
        self.blocking(move |db| {
            let txn = db.begin_read().map_err(backend)?;
            let index = txn.open_table(OUTBOX_BY_RECIPIENT).map_err(backend)?;
            let outbox = txn.open_table(OUTBOX).map_err(backend)?;
            let mut mails = Vec::new();
            for entry in index.range((to.as_str(), "")..).map_err(backend)? {
                let (key, _) = entry.map_err(backend)?;
                let (recipient, id) = key.value();
                if recipient != to {
                    break;
                }
                if let Some(bytes) = outbox.get(id).map_err(backend)? {
                    mails.push(decode(bytes.value())?);
                }
            }
            Ok(mails)
        })
        .await
    }

    async fn has_customers(&self) -> Result<bool, StoreError> {
        self.blocking(|db| {
            let txn = db.begin_read().map_err(backend)?;
            let table = txn.open_table(CUSTOMERS).map_err(backend)?;
            Ok(!table.is_empty().map_err(backend)?)
        })
        .await
    }

    async fn commit(&self, writes: Vec<Write>) -> Result<(), StoreError> {
        self.blocking(move |db| {
            let txn = db.begin_write().map_err(backend)?;
            for write in writes {
                // An error drops `txn` uncommitted: nothing of this commit is kept.
                apply(&txn, write)?;
            }
            txn.commit().map_err(backend)
        })
        .await
    }

    async fn touch_session(&self, token_digest: &str, at: Timestamp) -> Result<(), StoreError> {
        let token_digest = token_digest.to_owned();
        self.blocking(move |db| {
            let txn = db.begin_write().map_err(backend)?;
            {
                let mut table = txn.open_table(SESSIONS).map_err(backend)?;
                let stored = match table.get(token_digest.as_str()).map_err(backend)? {
                    Some(bytes) => Some(decode::<Session>(bytes.value())?),
                    None => None,
                };
                if let Some(mut session) = stored {
                    session.last_seen_at = at;
                    table
                        .insert(token_digest.as_str(), encode(&session)?.as_slice())
                        .map_err(backend)?;
                }
            }
            txn.commit().map_err(backend)
        })
        .await
    }

    async fn release_claim(&self, key: &str, version: u64) -> Result<(), StoreError> {
        let key = key.to_owned();
        self.blocking(move |db| {
            let txn = db.begin_write().map_err(backend)?;
            {
                let mut table = txn.open_table(IDEMPOTENCY).map_err(backend)?;
                let stored: Option<IdempotencyRecord> = table
                    .get(key.as_str())
                    .map_err(backend)?
                    .map(|bytes| decode(bytes.value()))
                    .transpose()?;
                if stored.is_some_and(|r| r.version == version && r.response.is_none()) {
                    table.remove(key.as_str()).map_err(backend)?;
                }
            }
            txn.commit().map_err(backend)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread")]
    async fn the_in_memory_database_passes_the_conformance_suite() {
        let store = RedbStore::in_memory().expect("in-memory database");
        crate::store::conformance::run_all(&store).await;
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_database_file_passes_the_conformance_suite_and_keeps_its_data() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("conformance.redb");
        let id = CustomerId::generate();
        {
            let store = RedbStore::open(&path).expect("open");
            crate::store::conformance::run_all(&store).await;
            assert!(matches!(
                RedbStore::open(&path),
                Err(StoreError::AlreadyOpen)
            ));
            let mut customer: Customer = serde_json::from_value(serde_json::json!({
                "customer_id": id, "name": "永続 花子", "email": "keep@example.jp",
                "line": "collab", "access_key_hash": "h", "failed_logins": 0,
                "locked_at": null, "cancelled_at": null, "services": [], "serials": [],
                "created_at": "2026-11-22T00:00:00Z", "version": 0
            }))
            .expect("a customer");
            customer.failed_logins = 3;
            store
                .commit(vec![Write::put_customer(customer, Expect::Absent)])
                .await
                .expect("commit");
        }
        let reopened = RedbStore::open(&path).expect("reopen after the first closed");
        let kept = reopened.customer(&id).await.expect("read").expect("kept");
        assert_eq!(kept.failed_logins, 3);
    }
}
