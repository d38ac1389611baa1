//! Per-client counts (docs/login.md, docs/renewal.md). redb is opened by one process, so the counts are kept
//! in that process's memory, behind one lock: a place is taken, given back or kept by one
//! step under the lock, exact however many requests of a client arrive at once, without a
//! trip to the writer thread or a read-modify-write on a hot row. Each change is then
//! written behind to the `client_counts` table, and made durable with the next group of
//! writes (`group.rs`). Opening the file loads the table back.
//!
//! A count changed while its last change still waits to be written is not queued again:
//! the queued write takes the count as it is when the writer reaches it. Changes that come
//! while a write waits (one request's place given back and the next one's taken, or the
//! take and give-back of a request that commits nothing) are then one row, and no row
//! ever overwrites a newer state of its count.
//!
//! A crash loses the changes not yet durable, at most 50 ms of them (`group.rs`): places
//! of requests the crash ended anyway, and the last guesses counted.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

use async_trait::async_trait;
use jiff::Timestamp;
use redb::{ReadableTable, WriteTransaction};
use serde::{Deserialize, Serialize};

use super::tables::CLIENT_COUNTS;
use super::{RedbStore, decode, encode};
use crate::store::{Admission, ClientCounts, CountRule, Place, StoreError};

/// The open window of one count.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Count {
    opened_at: Timestamp,
    /// Places taken and not given back: attempts running and answers kept.
    places: u32,
    /// Answers that kept their place.
    kept: u32,
}

#[derive(Default)]
struct Open {
    counts: HashMap<String, Count>,
    /// Counts changed since their row was last handed to the writer: each has one write
    /// queued, which will take the count as it then is.
    unwritten: HashSet<String>,
}

impl Open {
    /// Marks `key` changed; whether a write must be queued for it (none is waiting yet).
    fn changed(&mut self, key: &str) -> bool {
        !self.unwritten.contains(key) && self.unwritten.insert(key.to_owned())
    }
}

#[derive(Default)]
pub(super) struct Counts {
    open: Mutex<Open>,
}

impl Counts {
    /// Every count of the table, as the last run left it.
    pub(super) fn load(txn: &WriteTransaction) -> Result<Self, StoreError> {
        let table = txn.open_table(CLIENT_COUNTS)?;
        let mut counts = HashMap::new();
        for row in table.iter()? {
            let (key, bytes) = row?;
            counts.insert(key.value().to_owned(), decode(bytes.value())?);
        }
        Ok(Self {
            open: Mutex::new(Open {
                counts,
                unwritten: HashSet::new(),
            }),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Open> {
        self.open.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Takes a place in `rule`'s count at `now`; `write_behind` is called with the count's
    /// key when its row must be queued.
    pub(super) fn take_place(
        &self,
        rule: &CountRule,
        now: Timestamp,
        write_behind: impl FnOnce(String),
    ) -> Admission {
        let mut open = self.lock();
        let count = open.counts.entry(rule.key.clone()).or_insert(Count {
            opened_at: now,
            places: 0,
            kept: 0,
        });
        if count.opened_at + rule.length <= now {
            // The window has closed: the next place opens a new one.
            *count = Count {
                opened_at: now,
                places: 0,
                kept: 0,
            };
        }
        if count.places >= rule.limit {
            return Admission::Refused {
                reopens_at: count.opened_at + rule.length,
                running: count.places.saturating_sub(count.kept),
            };
        }
        count.places += 1;
        let place = Place {
            window_opened_at: count.opened_at,
            // One process, no network between it and its counts: nothing is sent twice.
            holder: String::new(),
        };
        if open.changed(&rule.key) {
            write_behind(rule.key.clone());
        }
        Admission::Admitted(place)
    }

    pub(super) fn place_may_be_free(&self, rule: &CountRule, now: Timestamp) -> bool {
        self.lock()
            .counts
            .get(&rule.key)
            .is_none_or(|count| count.opened_at + rule.length <= now || count.places < rule.limit)
    }

    pub(super) fn give_back(&self, key: &str, place: Place, write_behind: impl FnOnce(String)) {
        self.settle(key, place, write_behind, |count| {
            count.places = count.places.saturating_sub(1)
        });
    }

    pub(super) fn keep(&self, key: &str, place: Place, write_behind: impl FnOnce(String)) {
        self.settle(key, place, write_behind, |count| count.kept += 1);
    }

    /// Applies `change` to the count while its window is still the one `place` was taken in.
    fn settle(
        &self,
        key: &str,
        place: Place,
        write_behind: impl FnOnce(String),
        change: impl FnOnce(&mut Count),
    ) {
        let mut open = self.lock();
        let Some(count) = open
            .counts
            .get_mut(key)
            .filter(|c| c.opened_at == place.window_opened_at)
        else {
            return;
        };
        change(count);
        if open.changed(key) {
            write_behind(key.to_owned());
        }
    }

    /// Forgets the counts whose window has `ended`, judged by when it opened: what the
    /// sweep removes from the table.
    pub(super) fn forget_opened_before(&self, ended: impl Fn(Timestamp) -> bool) {
        self.lock()
            .counts
            .retain(|_, count| !ended(count.opened_at));
    }

    /// Writes `key`'s count as it is now, in the writer's transaction: the queued write of
    /// its changes so far. A count forgotten meanwhile (its window ended) writes nothing;
    /// the sweep removes its row.
    pub(super) fn write_row(&self, txn: &WriteTransaction, key: &str) -> Result<(), StoreError> {
        let row = {
            let mut open = self.lock();
            open.unwritten.remove(key);
            open.counts.get(key).map(encode).transpose()?
        };
        if let Some(bytes) = row {
            txn.open_table(CLIENT_COUNTS)?
                .insert(key, bytes.as_slice())?;
        }
        Ok(())
    }
}

#[async_trait]
impl ClientCounts for RedbStore {
    async fn take_place(&self, rule: &CountRule, now: Timestamp) -> Result<Admission, StoreError> {
        Ok(self
            .counts
            .take_place(rule, now, |key| self.write_count(key)))
    }

    async fn place_may_be_free(
        &self,
        rule: &CountRule,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        Ok(self.counts.place_may_be_free(rule, now))
    }

    async fn give_back_place(&self, key: &str, place: Place) -> Result<(), StoreError> {
        self.counts
            .give_back(key, place, |key| self.write_count(key));
        Ok(())
    }

    async fn keep_place(&self, key: &str, place: Place) -> Result<(), StoreError> {
        self.counts.keep(key, place, |key| self.write_count(key));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use redb::{Database, ReadableDatabase};

    /// A count changed again before its queued write runs queues nothing more, and that
    /// write stores the count as it is by then; a change after it queues one again.
    #[test]
    fn changes_waiting_for_their_write_are_written_once_as_they_stand() {
        let db = Database::builder()
            .create_with_backend(redb::backends::InMemoryBackend::new())
            .expect("a database");
        let txn = db.begin_write().expect("a write");
        txn.open_table(CLIENT_COUNTS).expect("the table");
        let counts = Counts::load(&txn).expect("no counts yet");
        let at: Timestamp = "2026-11-22T00:00:00Z".parse().expect("instant");
        let rule = CountRule {
            key: "renewal:192.0.2.7".to_owned(),
            limit: 3,
            length: jiff::SignedDuration::from_mins(10),
        };
        let mut queued = Vec::new();
        let Admission::Admitted(first) = counts.take_place(&rule, at, |key| queued.push(key))
        else {
            panic!("a place");
        };
        counts.take_place(&rule, at, |key| queued.push(key));
        counts.give_back(&rule.key, first, |key| queued.push(key));
        assert_eq!(
            queued,
            [rule.key.as_str()],
            "one write queued for three changes"
        );

        counts.write_row(&txn, &rule.key).expect("written");
        let stored = |txn: &WriteTransaction| -> Count {
            let table = txn.open_table(CLIENT_COUNTS).expect("the table");
            let row = table.get(rule.key.as_str()).expect("read").expect("a row");
            decode(row.value()).expect("a count")
        };
        assert_eq!(stored(&txn).places, 1, "taken twice, given back once");

        counts.take_place(&rule, at, |key| queued.push(key));
        assert_eq!(queued.len(), 2, "a change after the write queues another");
        counts.write_row(&txn, &rule.key).expect("written");
        assert_eq!(stored(&txn).places, 2);
        txn.commit().expect("committed");
        let read = db.begin_read().expect("a read");
        assert!(
            read.open_table(CLIENT_COUNTS)
                .expect("the table")
                .get(rule.key.as_str())
                .expect("read")
                .is_some()
        );
    }
}
