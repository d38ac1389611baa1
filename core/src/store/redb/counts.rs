//! Per-client counts (docs/login.md, docs/renewal.md). redb is opened by one process, so the counts are kept
//! in that process's memory, behind one lock: a place is taken, given back or kept by one
//! step under the lock, exact however many requests of a client arrive at once, without a
//! trip to the writer thread or a read-modify-write on a hot row. Each change is then
//! written behind to the `client_counts` table, queued under the same lock so that the rows
//! are written in the order the counts changed, and made durable with the next group of
//! writes (`group.rs`). Opening the file loads the table back.
//!
//! A crash loses the changes not yet durable, at most 50 ms of them (`group.rs`): places
//! of requests the crash ended anyway, and the last guesses counted.

use std::collections::HashMap;
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

/// A count's row as it is to be written: its key and its encoded count.
pub(super) type Row = (String, Vec<u8>);

#[derive(Default)]
pub(super) struct Counts {
    open: Mutex<HashMap<String, Count>>,
}

impl Counts {
    /// Every count of the table, as the last run left it.
    pub(super) fn load(txn: &WriteTransaction) -> Result<Self, StoreError> {
        let table = txn.open_table(CLIENT_COUNTS)?;
        let mut open = HashMap::new();
        for row in table.iter()? {
            let (key, bytes) = row?;
            open.insert(key.value().to_owned(), decode(bytes.value())?);
        }
        Ok(Self {
            open: Mutex::new(open),
        })
    }

    /// Takes a place in `rule`'s count at `now`, handing a changed row to `write_behind`
    /// while the lock is held.
    pub(super) fn take_place(
        &self,
        rule: &CountRule,
        now: Timestamp,
        write_behind: impl FnOnce(Row),
    ) -> Result<Admission, StoreError> {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        let count = open.entry(rule.key.clone()).or_insert(Count {
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
            return Ok(Admission::Refused {
                reopens_at: count.opened_at + rule.length,
                running: count.places.saturating_sub(count.kept),
            });
        }
        count.places += 1;
        let place = Place {
            window_opened_at: count.opened_at,
            // One process, no network between it and its counts: nothing is sent twice.
            holder: String::new(),
        };
        write_behind((rule.key.clone(), encode(&*count)?));
        Ok(Admission::Admitted(place))
    }

    pub(super) fn place_may_be_free(&self, rule: &CountRule, now: Timestamp) -> bool {
        let open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        open.get(&rule.key)
            .is_none_or(|count| count.opened_at + rule.length <= now || count.places < rule.limit)
    }

    pub(super) fn give_back(
        &self,
        key: &str,
        place: Place,
        write_behind: impl FnOnce(Row),
    ) -> Result<(), StoreError> {
        self.settle(key, place, write_behind, |count| {
            count.places = count.places.saturating_sub(1)
        })
    }

    pub(super) fn keep(
        &self,
        key: &str,
        place: Place,
        write_behind: impl FnOnce(Row),
    ) -> Result<(), StoreError> {
        self.settle(key, place, write_behind, |count| count.kept += 1)
    }

    /// Applies `change` to the count while its window is still the one `place` was taken in.
    fn settle(
        &self,
        key: &str,
        place: Place,
        write_behind: impl FnOnce(Row),
        change: impl FnOnce(&mut Count),
    ) -> Result<(), StoreError> {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(count) = open
            .get_mut(key)
            .filter(|c| c.opened_at == place.window_opened_at)
        {
            change(count);
            write_behind((key.to_owned(), encode(&*count)?));
        }
        Ok(())
    }

    /// Forgets the counts whose window has `ended`, judged by when it opened: what the
    /// sweep removes from the table.
    pub(super) fn forget_opened_before(&self, ended: impl Fn(Timestamp) -> bool) {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        open.retain(|_, count| !ended(count.opened_at));
    }
}

/// Writes a count's row, in the writer's transaction.
pub(super) fn write_row(txn: &WriteTransaction, (key, bytes): &Row) -> Result<(), StoreError> {
    txn.open_table(CLIENT_COUNTS)?
        .insert(key.as_str(), bytes.as_slice())?;
    Ok(())
}

#[async_trait]
impl ClientCounts for RedbStore {
    async fn take_place(&self, rule: &CountRule, now: Timestamp) -> Result<Admission, StoreError> {
        self.counts
            .take_place(rule, now, |row| self.write_count(row))
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
            .give_back(key, place, |row| self.write_count(row))
    }

    async fn keep_place(&self, key: &str, place: Place) -> Result<(), StoreError> {
        self.counts.keep(key, place, |row| self.write_count(row))
    }
}
