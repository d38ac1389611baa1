//! Removing what has ended (`store::expiry`): sessions, idempotency records and lapsed
//! claims, per-client counts whose window has closed, sent reminders. DynamoDB deletes these by TTL; a redb file
//! would otherwise keep them forever, and anonymous requests (wrong logins from many
//! addresses, renewals with fresh Idempotency-Keys) would grow it without bound.
//!
//! A sweep goes through one table at a time in batches: a read transaction picks up to
//! `BATCH` ended rows among the next `SCAN` keys, then the writer removes those still ended
//! when it reads them again (a session touched, a key claimed afresh meanwhile stays), in
//! the group of requests' writes that is next. A batch is short, so the sweep never holds
//! redb's one writer for long. Each table has its own rule and its own removal below.

use std::ops::Bound;
use std::sync::Arc;

use jiff::Timestamp;
use redb::{
    Database, ReadableDatabase, ReadableTable, Table, TableDefinition, Value, WriteTransaction,
};

use super::change::Change;
use super::tables::{CLIENT_COUNTS, IDEMPOTENCY, REMINDERS, SESSIONS, SESSIONS_OF_MEMBER};
use super::{RedbStore, decode};
use crate::domain::Session;
use crate::settings::Settings;
use crate::store::{IdempotencyRecord, StoreError, expiry};

/// Rows removed by one write transaction at most.
const BATCH: usize = 256;
/// Rows one read transaction looks at, at most, before a batch is written.
const SCAN: usize = 4096;

/// What one sweep removed, by table.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Swept {
    pub sessions: usize,
    pub idempotency: usize,
    pub client_counts: usize,
    pub reminders: usize,
}

impl Swept {
    pub fn total(&self) -> usize {
        self.sessions + self.idempotency + self.client_counts + self.reminders
    }
}

/// The tables a sweep goes through: records (JSON values) and the reminders sent (keys).
#[derive(Debug, Clone, Copy)]
pub(super) enum Sweepable {
    Records(Records),
    Reminders,
}

#[derive(Debug, Clone, Copy)]
pub(super) enum Records {
    Sessions,
    Idempotency,
    ClientCounts,
}

/// Whether a stored row has ended by `now`. A row that does not decode is kept: the sweep
/// never removes what it cannot read.
fn ended<T: serde::de::DeserializeOwned>(bytes: &[u8], ends: impl FnOnce(T) -> bool) -> bool {
    decode::<T>(bytes).is_ok_and(ends)
}

fn session_ended(bytes: &[u8], settings: &Settings, now: Timestamp) -> bool {
    ended(bytes, |session: Session| {
        expiry::session_ends(&session, settings) <= now
    })
}

fn idempotency_ended(bytes: &[u8], settings: &Settings, now: Timestamp) -> bool {
    ended(bytes, |record: IdempotencyRecord| {
        expiry::idempotency_ends(&record, settings) <= now
    })
}

/// A per-client count ends with its window: the next place taken opens a new one.
fn count_ended(bytes: &[u8], settings: &Settings, now: Timestamp) -> bool {
    /// The one field of a count (`counts.rs`) its end depends on.
    #[derive(serde::Deserialize)]
    struct Window {
        opened_at: Timestamp,
    }
    ended(bytes, |window: Window| {
        expiry::count_window_ends(window.opened_at, settings) <= now
    })
}

fn reminder_ended(key: &str, now: Timestamp) -> bool {
    expiry::reminder_kept_until(key).is_some_and(|until| until <= now)
}

/// Up to `BATCH` keys after `after` whose rows `is_ended` picks, and where the next batch
/// starts (`None`: the table has been gone through).
fn ended_keys<V: Value + 'static>(
    table: &impl ReadableTable<&'static str, V>,
    after: Option<&str>,
    is_ended: impl Fn(&str, V::SelfType<'_>) -> bool,
) -> Result<(Vec<String>, Option<String>), StoreError> {
    let from = after.map_or(Bound::Unbounded, Bound::Excluded);
    let mut keys = Vec::new();
    for (examined, entry) in table.range::<&str>((from, Bound::Unbounded))?.enumerate() {
        let (key, value) = entry?;
        if is_ended(key.value(), value.value()) {
            keys.push(key.value().to_owned());
        }
        if keys.len() == BATCH || examined + 1 == SCAN {
            return Ok((keys, Some(key.value().to_owned())));
        }
    }
    Ok((keys, None))
}

/// Removes each of `keys` whose row is still ended; the removed rows.
fn remove_ended(
    table: &mut Table<&str, &[u8]>,
    keys: &[String],
    is_ended: impl Fn(&[u8]) -> bool,
) -> Result<Vec<Vec<u8>>, StoreError> {
    let mut removed = Vec::new();
    for key in keys {
        let still = match table.get(key.as_str())? {
            Some(bytes) => is_ended(bytes.value()),
            None => false,
        };
        if still && let Some(bytes) = table.remove(key.as_str())? {
            removed.push(bytes.value().to_vec());
        }
    }
    Ok(removed)
}

impl Records {
    fn table(self) -> TableDefinition<'static, &'static str, &'static [u8]> {
        match self {
            Records::Sessions => SESSIONS,
            Records::Idempotency => IDEMPOTENCY,
            Records::ClientCounts => CLIENT_COUNTS,
        }
    }

    fn is_ended(self, bytes: &[u8], settings: &Settings, now: Timestamp) -> bool {
        match self {
            Records::Sessions => session_ended(bytes, settings, now),
            Records::Idempotency => idempotency_ended(bytes, settings, now),
            Records::ClientCounts => count_ended(bytes, settings, now),
        }
    }

    fn remove(
        self,
        txn: &WriteTransaction,
        keys: &[String],
        settings: &Settings,
        now: Timestamp,
    ) -> Result<usize, StoreError> {
        let mut table = txn.open_table(self.table())?;
        let removed = remove_ended(&mut table, keys, |bytes| {
            self.is_ended(bytes, settings, now)
        })?;
        if let Records::Sessions = self {
            // The member's index of sessions loses them too.
            let mut index = txn.open_multimap_table(SESSIONS_OF_MEMBER)?;
            for bytes in &removed {
                let session: Session = decode(bytes)?;
                index.remove(session.customer_id.as_str(), session.token_digest.as_str())?;
            }
        }
        Ok(removed.len())
    }
}

impl Sweepable {
    const ALL: [Sweepable; 4] = [
        Sweepable::Records(Records::Sessions),
        Sweepable::Records(Records::Idempotency),
        Sweepable::Records(Records::ClientCounts),
        Sweepable::Reminders,
    ];

    /// Up to a batch of ended keys, read in one read transaction, and where the next batch
    /// starts.
    fn ended(
        self,
        db: &Database,
        settings: &Settings,
        now: Timestamp,
        after: Option<&str>,
    ) -> Result<(Vec<String>, Option<String>), StoreError> {
        let txn = db.begin_read()?;
        match self {
            Sweepable::Records(records) => {
                let table = txn.open_table(records.table())?;
                ended_keys(&table, after, |_, bytes| {
                    records.is_ended(bytes, settings, now)
                })
            }
            Sweepable::Reminders => {
                let table = txn.open_table(REMINDERS)?;
                ended_keys(&table, after, |key, ()| reminder_ended(key, now))
            }
        }
    }

    /// Whether its rows are sessions, whose views a removal makes stale.
    pub(super) fn holds_sessions(self) -> bool {
        matches!(self, Sweepable::Records(Records::Sessions))
    }

    /// Removes those of `keys` still ended, in the writer's transaction; the count removed.
    pub(super) fn remove(
        self,
        txn: &WriteTransaction,
        keys: &[String],
        settings: &Settings,
        now: Timestamp,
    ) -> Result<usize, StoreError> {
        match self {
            Sweepable::Records(records) => records.remove(txn, keys, settings, now),
            Sweepable::Reminders => {
                let mut table = txn.open_table(REMINDERS)?;
                let mut removed = 0;
                for key in keys.iter().filter(|key| reminder_ended(key, now)) {
                    removed += usize::from(table.remove(key.as_str())?.is_some());
                }
                Ok(removed)
            }
        }
    }

    fn count(self, swept: &mut Swept) -> &mut usize {
        match self {
            Sweepable::Records(Records::Sessions) => &mut swept.sessions,
            Sweepable::Records(Records::Idempotency) => &mut swept.idempotency,
            Sweepable::Records(Records::ClientCounts) => &mut swept.client_counts,
            Sweepable::Reminders => &mut swept.reminders,
        }
    }
}

impl RedbStore {
    /// Removes every session, idempotency record, per-client count and sent reminder that
    /// has ended by `now`, in short batches (see the module documentation).
    pub async fn sweep(&self, settings: &Settings, now: Timestamp) -> Result<Swept, StoreError> {
        self.counts.forget_opened_before(|opened_at| {
            expiry::count_window_ends(opened_at, settings) <= now
        });
        let settings = Arc::new(settings.clone());
        let mut swept = Swept::default();
        for table in Sweepable::ALL {
            let mut after: Option<String> = None;
            loop {
                let read = settings.clone();
                let (keys, next) = self
                    .blocking(move |db| table.ended(db, &read, now, after.as_deref()))
                    .await?;
                if !keys.is_empty() {
                    let removed = self
                        .writer
                        .apply(Change::Sweep {
                            table,
                            keys,
                            settings: settings.clone(),
                            now,
                        })
                        .await?;
                    *table.count(&mut swept) += removed.removed();
                }
                match next {
                    Some(next) => after = Some(next),
                    None => break,
                }
            }
        }
        Ok(swept)
    }
}

#[cfg(test)]
mod tests {
    use jiff::SignedDuration;

    use redb::ReadableTableMetadata;

    use super::*;
    use crate::domain::CustomerId;
    use crate::store::{
        ClientCounts, Commit, CountRule, Expect, Idempotency, Reminders, Sessions, StoredResponse,
        Write,
    };

    fn start() -> Timestamp {
        "2026-11-22T00:00:00Z".parse().expect("instant")
    }

    fn mins(n: i64) -> SignedDuration {
        SignedDuration::from_mins(n)
    }

    fn session(member: &CustomerId, name: &str, created: Timestamp, seen: Timestamp) -> Write {
        Write::PutSession(Session {
            token_digest: name.to_owned(),
            customer_id: member.clone(),
            created_at: created,
            last_seen_at: seen,
        })
    }

    fn idempotency(key: &str, created: Timestamp, answered: bool) -> Write {
        let response = answered.then(|| StoredResponse {
            status: 201,
            content_type: None,
            content_language: None,
            body: String::new(),
        });
        Write::put_idempotency(
            IdempotencyRecord {
                key: key.to_owned(),
                request_digest: "d".to_owned(),
                created_at: created,
                response,
                version: 0,
            },
            Expect::Absent,
        )
    }

    /// Takes a place in a count of ten minutes' window, opening it at `at`.
    async fn count(store: &RedbStore, key: &str, at: Timestamp) {
        let rule = CountRule {
            key: key.to_owned(),
            limit: 10,
            length: mins(10),
        };
        store.take_place(&rule, at).await.expect("a place");
        // Its row is written behind: wait for it before the table is read.
        store.writer.durable().await.expect("written");
    }

    fn count_kept(store: &RedbStore, key: &str) -> bool {
        let txn = store.db.begin_read().expect("read");
        let table = txn.open_table(CLIENT_COUNTS).expect("counts");
        table.get(key).expect("read").is_some()
    }

    fn reminder(key: &str) -> Write {
        Write::RecordReminder {
            key: key.to_owned(),
        }
    }

    fn sessions_listed(store: &RedbStore, member: &CustomerId) -> Vec<String> {
        let txn = store.db.begin_read().expect("read");
        let index = txn.open_multimap_table(SESSIONS_OF_MEMBER).expect("index");
        index
            .get(member.as_str())
            .expect("listed")
            .map(|digest| digest.expect("digest").value().to_owned())
            .collect()
    }

    /// Each table loses what has ended by its own rule, and keeps everything else.
    #[tokio::test(flavor = "multi_thread")]
    async fn what_has_ended_is_swept_and_nothing_else() {
        let store = RedbStore::in_memory().expect("in-memory database");
        let member = CustomerId::generate();
        let t0 = start();
        let now = t0 + mins(15);
        let lifetime = SignedDuration::from_hours(12);
        store
            .commit(vec![
                // Idle 13 minutes at `now`; seen 5 minutes ago; 12 hours old.
                session(&member, "idle", t0, t0),
                session(&member, "seen", t0, now - mins(5)),
                session(&member, "old", now - lifetime, now - mins(1)),
                idempotency("kept-a-day", now - mins(24 * 60 + 1), true),
                idempotency("answered", now - mins(23 * 60), true),
                idempotency("lapsed-claim", now - mins(2), false),
                idempotency("running", now - SignedDuration::from_secs(30), false),
                reminder("ESS-00000001|2025-11-01|30"),
                reminder("ESS-00000001|2026-12-10|30"),
                reminder("not-a-serial|not-a-date|30"),
            ])
            .await
            .expect("stored");
        // A window opened 11 minutes ago has closed; one opened 5 minutes ago is open.
        count(&store, "login:192.0.2.1", now - mins(11)).await;
        count(&store, "login:192.0.2.2", now - mins(5)).await;

        let swept = store.sweep(&Settings::default(), now).await.expect("swept");
        assert_eq!(
            swept,
            Swept {
                sessions: 2,
                idempotency: 2,
                client_counts: 1,
                reminders: 1
            }
        );
        for (digest, kept) in [("idle", false), ("seen", true), ("old", false)] {
            assert_eq!(store.session(digest).await.expect("read").is_some(), kept);
        }
        assert_eq!(sessions_listed(&store, &member), ["seen"]);
        for (key, kept) in [
            ("kept-a-day", false),
            ("answered", true),
            ("lapsed-claim", false),
            ("running", true),
        ] {
            let read = store.idempotency(key).await.expect("read");
            assert_eq!(read.is_some(), kept, "{key}");
        }
        assert!(!count_kept(&store, "login:192.0.2.1"));
        assert!(count_kept(&store, "login:192.0.2.2"));
        for (key, kept) in [
            ("ESS-00000001|2025-11-01|30", false),
            ("ESS-00000001|2026-12-10|30", true),
            ("not-a-serial|not-a-date|30", true),
        ] {
            assert_eq!(store.reminder_sent(key).await.expect("read"), kept);
        }

        let again = store.sweep(&Settings::default(), now).await.expect("swept");
        assert_eq!(again, Swept::default());
    }

    /// More ended rows than one batch (or one scan) holds are all swept in one sweep,
    /// batch after batch, and the live rows among them stay.
    #[tokio::test(flavor = "multi_thread")]
    async fn a_sweep_goes_through_the_whole_table_batch_by_batch() {
        let store = RedbStore::in_memory().expect("in-memory database");
        let now = start();
        let ended = SCAN + BATCH + 1;
        let total = ended + 10;
        // Ten live records spread among the ended ones.
        let step = total / 10;
        let writes: Vec<Write> = (0..total)
            .map(|n| {
                let live = n % step == 0 && n / step < 10;
                let created = if live { now } else { now - mins(25 * 60) };
                idempotency(&format!("key-{n:05}"), created, true)
            })
            .collect();
        for chunk in writes.chunks(1000) {
            store.commit(chunk.to_vec()).await.expect("stored");
        }
        let swept = store.sweep(&Settings::default(), now).await.expect("swept");
        assert_eq!(swept.idempotency, ended);
        let txn = store.db.begin_read().expect("read");
        let left = txn
            .open_table(IDEMPOTENCY)
            .expect("table")
            .len()
            .expect("len");
        assert_eq!(left, 10);
    }
}
