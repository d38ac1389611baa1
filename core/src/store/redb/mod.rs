//! The embedded store: one redb file, one `Database` per process.
//!
//! redb's API is blocking, so every read runs on the store's few reader threads
//! (`readers`), and every write on one writer thread that commits the writes waiting
//! together, with one fsync for the group (`group`): an acknowledged write survives a
//! crash. Values are JSON.
//!
//! This file holds the store and its reads; `tables` the file's layout, `write` what each
//! write of a commit does, `group` the writer, `readers` the reader threads, `views` the
//! session views kept in memory, `sweep` the removal of what has ended, `error` how redb's
//! errors become `StoreError`s.

mod change;
mod claims;
mod commit;
mod counts;
mod error;
mod group;
mod idempotency;
mod ledger;
mod members;
mod orders;
mod outbox;
mod readers;
mod reminders;
mod renewals;
mod sessions;
mod status;
mod sweep;
mod tables;
mod views;
mod write;

use std::path::Path;
use std::sync::Arc;

use redb::{Database, ReadTransaction, ReadableDatabase, TableDefinition};
use serde::Serialize;
use serde::de::DeserializeOwned;

pub use sweep::Swept;

use super::StoreError;
use crate::domain::{Customer, SerialRecord};
use tables::{SERIALS, due_key, ledger_key};

/// One row of `table`, in a read transaction.
fn read_row<T: DeserializeOwned>(
    txn: &ReadTransaction,
    table: TableDefinition<&str, &[u8]>,
    key: &str,
) -> Result<Option<T>, StoreError> {
    let table = txn.open_table(table)?;
    let row = table.get(key)?;
    row.map(|bytes| decode(bytes.value())).transpose()
}

/// Every serial of `customer` that is stored, in the customer's order.
fn read_serials_of(
    txn: &ReadTransaction,
    customer: &Customer,
) -> Result<Vec<SerialRecord>, StoreError> {
    let serials = txn.open_table(SERIALS)?;
    let mut records = Vec::with_capacity(customer.serials.len());
    for serial in &customer.serials {
        if let Some(bytes) = serials.get(serial.as_str())? {
            records.push(decode(bytes.value())?);
        }
    }
    Ok(records)
}

#[derive(Clone)]
pub struct RedbStore {
    /// The per-client counts, kept in memory and written behind (`counts.rs`).
    counts: Arc<counts::Counts>,
    /// Session views answered from memory until a write changes them (`views.rs`).
    views: Arc<views::Views>,
    /// The dispatchers' claims on mails being delivered (`claims.rs`).
    claims: Arc<claims::Claims>,
    /// The last handle's drop stops and joins the writer and the readers, which hold the
    /// database: then the file is free.
    writer: Arc<group::Writer>,
    readers: Arc<readers::Readers>,
    /// The database file, whose size the status view shows (none in memory).
    path: Option<std::path::PathBuf>,
    /// For tests that look into the file beside the store.
    #[cfg(test)]
    db: Arc<Database>,
}

fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>, StoreError> {
    serde_json::to_vec(value).map_err(|e| StoreError::Backend(e.to_string()))
}

fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, StoreError> {
    serde_json::from_slice(bytes).map_err(|e| StoreError::Backend(e.to_string()))
}

impl RedbStore {
    /// Opens (or creates) the database file. A second process on the same file gets
    /// `StoreError::AlreadyOpen`.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let mut store = Self::with_database(Database::create(path)?)?;
        store.path = Some(path.to_owned());
        Ok(store)
    }

    /// A database that lives in memory only: for unit tests.
    pub fn in_memory() -> Result<Self, StoreError> {
        let db = Database::builder().create_with_backend(redb::backends::InMemoryBackend::new())?;
        Self::with_database(db)
    }

    fn with_database(db: Database) -> Result<Self, StoreError> {
        let txn = db.begin_write()?;
        tables::refuse_first_layout(&txn)?;
        let counted = status::has_counters(&txn)?;
        tables::create_all(&txn)?;
        tables::order_pending_mails(&txn)?;
        tables::page_the_ledger(&txn)?;
        if !counted {
            status::count_what_is_stored(&txn)?;
        }
        let counts = counts::Counts::load(&txn)?;
        txn.commit()?;
        let db = Arc::new(db);
        let views: Arc<views::Views> = Arc::default();
        let writer = group::Writer::start(db.clone(), views.clone())
            .map_err(|e| StoreError::Backend(format!("the database writer: {e}")))?;
        let readers = readers::Readers::start(db.clone())
            .map_err(|e| StoreError::Backend(format!("the database readers: {e}")))?;
        Ok(Self {
            counts: Arc::new(counts),
            views,
            claims: Arc::default(),
            writer: Arc::new(writer),
            readers: Arc::new(readers),
            path: None,
            #[cfg(test)]
            db,
        })
    }

    /// Whether the session views are kept in memory (`views.rs`); they are from opening.
    /// Without them every member's read goes to the file, as the first read after a write
    /// to that member does: `bench paths` measures that read so.
    pub fn keep_session_views(&self, keep: bool) {
        self.views.keep_any(keep);
    }

    /// Queues the write of a changed count's row behind its change (`counts.rs`).
    fn write_count(&self, key: String) {
        self.writer.apply_behind(change::Change::CountRow {
            key,
            counts: self.counts.clone(),
        });
    }

    /// Runs a blocking read off the async runtime, on a reader thread.
    async fn blocking<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Database) -> Result<T, StoreError> + Send + 'static,
    {
        self.readers.read(work).await
    }

    async fn get<T>(
        &self,
        table: TableDefinition<'static, &'static str, &'static [u8]>,
        key: String,
    ) -> Result<Option<T>, StoreError>
    where
        T: DeserializeOwned + Send + 'static,
    {
        self.blocking(move |db| read_row(&db.begin_read()?, table, &key))
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::Timestamp;

    use super::tables::{CUSTOMERS, OUTBOX};
    use crate::domain::Mail;

    use crate::domain::{CustomerId, Email};
    use crate::store::{
        Admission, ClientCounts, Commit, CountRule, Expect, Members, Outbox, Write,
    };

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
    /// Group commit: writes sent together are committed together, yet each stays its own
    /// transaction. Of 32 writes creating the same member only one holds (the others' condition
    /// fails, and only they fail), all 32 writes of distinct members hold, and every
    /// acknowledged write is in a copy of the file taken before it is closed.
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn writes_committed_together_stay_atomic_and_isolated_and_durable() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("group.redb");
        let crash_image = dir.path().join("crash-image.redb");
        let customer = |id: &CustomerId| -> Customer {
            serde_json::from_value(serde_json::json!({
                "customer_id": id, "name": "同時 太郎", "email": "group@example.jp",
                "line": "collab", "access_key_hash": "h", "failed_logins": 0,
                "locked_at": null, "cancelled_at": null, "services": [], "serials": [],
                "created_at": "2026-11-22T00:00:00Z", "version": 0
            }))
            .expect("a customer")
        };
        let contested = CustomerId::generate();
        let distinct: Vec<CustomerId> = (0..32).map(|_| CustomerId::generate()).collect();
        {
            let store = RedbStore::open(&path).expect("open");
            let mut writes = Vec::new();
            for (i, id) in distinct.iter().enumerate() {
                let mut same = customer(&contested);
                same.failed_logins = i as u32;
                for record in [same, customer(id)] {
                    let store = store.clone();
                    writes.push(tokio::spawn(async move {
                        store
                            .commit(vec![Write::put_customer(record, Expect::Absent)])
                            .await
                    }));
                }
            }
            let mut held = 0;
            let mut conflicts = 0;
            for write in writes {
                match write.await.expect("joined") {
                    Ok(()) => held += 1,
                    Err(StoreError::Conflict(_)) => conflicts += 1,
                    Err(other) => panic!("unexpected {other:?}"),
                }
            }
            assert_eq!((held, conflicts), (33, 31));
            // The file as a crash would leave it: taken while the store is still open, so
            // only what was fsync'd is there (a clean close would persist the rest).
            std::fs::copy(&path, &crash_image).expect("a copy of the file");
        }
        let reopened = RedbStore::open(&crash_image).expect("open the crash image");
        for id in distinct.iter().chain([&contested]) {
            assert!(reopened.customer(id).await.expect("read").is_some());
        }
    }

    /// Counts are written behind without an fsync of their own: with no other write
    /// coming, the writer makes them durable within its bound, so a crash image taken a
    /// little later holds them, and a store opened on it counts on from them.
    #[tokio::test(flavor = "multi_thread")]
    async fn counts_written_behind_become_durable_on_their_own() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("counts.redb");
        let crash_image = dir.path().join("crash-image.redb");
        let at: Timestamp = "2026-11-22T00:00:00Z".parse().expect("instant");
        let rule = CountRule {
            key: "renewal:192.0.2.7".to_owned(),
            limit: 3,
            length: jiff::SignedDuration::from_mins(10),
        };
        {
            let store = RedbStore::open(&path).expect("open");
            for _ in 0..3 {
                let taken = store.take_place(&rule, at).await.expect("a place");
                assert!(matches!(taken, Admission::Admitted(_)));
            }
            // A crash image a moment later holds them; on a busy machine the moment may be
            // longer than the writer's bound, so images are taken until one does (10 s at
            // most, where the bound is 50 ms; without it none ever would).
            let mut tries = 0;
            loop {
                std::fs::copy(&path, &crash_image).expect("a copy of the file");
                let reopened = RedbStore::open(&crash_image).expect("open the crash image");
                let fourth = reopened.take_place(&rule, at).await.expect("an answer");
                drop(reopened);
                if matches!(fourth, Admission::Refused { .. }) {
                    break;
                }
                tries += 1;
                assert!(
                    tries < 100,
                    "the three places never became durable: {fourth:?}"
                );
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
        }
    }

    /// Mails pending in a file from before retries (an unordered index of ids) are filed
    /// by the time they fell due on opening, and delivered like any other.
    #[tokio::test(flavor = "multi_thread")]
    async fn mails_pending_before_retries_stay_pending() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("before-retries.redb");
        let at: Timestamp = "2026-11-22T00:00:00Z".parse().expect("instant");
        let to = Email::parse("old@example.jp").expect("valid");
        let mail = Mail::new(
            &to,
            crate::domain::MailKind::SerialMoved,
            "s".into(),
            "b".into(),
            at,
        );
        {
            let db = Database::create(&path).expect("create");
            let txn = db.begin_write().expect("write");
            let old: TableDefinition<&str, ()> = TableDefinition::new("outbox_pending");
            txn.open_table(old)
                .expect("old index")
                .insert(mail.mail_id.as_str(), ())
                .expect("insert");
            // As stored then: without the fields retries added.
            let mut stored = serde_json::to_value(&mail).expect("json");
            for field in ["attempts", "next_attempt_at", "last_error"] {
                stored.as_object_mut().expect("object").remove(field);
            }
            txn.open_table(OUTBOX)
                .expect("outbox")
                .insert(
                    mail.mail_id.as_str(),
                    encode(&stored).expect("encode").as_slice(),
                )
                .expect("insert");
            txn.commit().expect("commit");
        }
        let store = RedbStore::open(&path).expect("opened");
        let due = store.pending_mails(at, None, 10).await.expect("read");
        assert_eq!(due.len(), 1);
        assert_eq!(due[0].place.mail_id, mail.mail_id);
        let stored = store
            .mail(&to, &mail.mail_id)
            .await
            .expect("read")
            .expect("the mail");
        assert_eq!(stored.attempts, 0);
        assert!(
            store
                .mark_mail_sent(&to, &mail.mail_id, at)
                .await
                .expect("mark")
        );
        assert!(
            store
                .pending_mails(at, None, 10)
                .await
                .expect("read")
                .is_empty()
        );
    }

    /// The bytes of a row written under older rules, read back through the store: a name
    /// today's 40-character limit refuses is read as stored, not as a storage failure.
    #[tokio::test(flavor = "multi_thread")]
    async fn a_row_stored_under_older_rules_reads_as_stored() {
        let store = RedbStore::in_memory().expect("in-memory database");
        let id = CustomerId::generate();
        let name = "古".repeat(41);
        let row = serde_json::json!({
            "customer_id": id, "name": name, "email": "old@example.jp",
            "line": "collab", "access_key_hash": "h", "failed_logins": 0,
            "locked_at": null, "cancelled_at": null, "services": [], "serials": [],
            "created_at": "2026-11-22T00:00:00Z", "version": 1
        });
        let txn = store.db.begin_write().expect("write");
        txn.open_table(CUSTOMERS)
            .expect("customers")
            .insert(id.as_str(), encode(&row).expect("encode").as_slice())
            .expect("insert");
        txn.commit().expect("commit");
        let read = store.customer(&id).await.expect("read").expect("kept");
        assert_eq!(read.name.as_str(), name);
    }

    #[test]
    fn a_file_of_the_first_layout_is_refused_with_its_reason() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("first-layout.redb");
        {
            let db = Database::create(&path).expect("create");
            let txn = db.begin_write().expect("write");
            let index: TableDefinition<(&str, &str), ()> =
                TableDefinition::new("sessions_by_customer");
            txn.open_table(index).expect("the old index");
            txn.commit().expect("commit");
        }
        match RedbStore::open(&path) {
            Err(StoreError::Backend(reason)) => {
                assert!(reason.contains("sessions_by_customer"), "{reason}");
            }
            other => panic!("expected a refusal, got {:?}", other.map(|_| ())),
        }
    }
}
