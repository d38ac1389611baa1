//! Per-client counts (SPEC §2, §5) in the `client_counts` table. redb has one writer at a
//! time, so each read-decide-write below, one write transaction of the group writer, cannot
//! interleave with another.

use jiff::Timestamp;
use redb::{ReadableTable, WriteTransaction};
use serde::{Deserialize, Serialize};

use super::tables::CLIENT_COUNTS;
use super::{decode, encode};
use crate::store::{Admission, CountRule, Place, StoreError};

/// The open window of one count.
#[derive(Debug, Serialize, Deserialize)]
struct Count {
    opened_at: Timestamp,
    /// Places taken and not given back: attempts running and answers kept.
    places: u32,
    /// Answers that kept their place.
    kept: u32,
}

pub(super) fn take_place(
    txn: &WriteTransaction,
    rule: &CountRule,
    now: Timestamp,
) -> Result<Admission, StoreError> {
    let admission = {
        let mut table = txn.open_table(CLIENT_COUNTS)?;
        let stored: Option<Count> = table
            .get(rule.key.as_str())?
            .map(|bytes| decode(bytes.value()))
            .transpose()?;
        let mut count = match stored {
            Some(count) if count.opened_at + rule.length > now => count,
            _ => Count {
                opened_at: now,
                places: 0,
                kept: 0,
            },
        };
        if count.places >= rule.limit {
            Admission::Refused {
                reopens_at: count.opened_at + rule.length,
            }
        } else {
            count.places += 1;
            table.insert(rule.key.as_str(), encode(&count)?.as_slice())?;
            Admission::Admitted(Place {
                window_opened_at: count.opened_at,
            })
        }
    };
    Ok(admission)
}

/// Applies `change` to the count while its window is still the one `place` was taken in.
fn settle(
    txn: &WriteTransaction,
    key: &str,
    place: Place,
    change: impl FnOnce(&mut Count),
) -> Result<(), StoreError> {
    {
        let mut table = txn.open_table(CLIENT_COUNTS)?;
        let stored: Option<Count> = table
            .get(key)?
            .map(|bytes| decode(bytes.value()))
            .transpose()?;
        if let Some(mut count) = stored.filter(|c| c.opened_at == place.window_opened_at) {
            change(&mut count);
            table.insert(key, encode(&count)?.as_slice())?;
        }
    }
    Ok(())
}

pub(super) fn give_back(txn: &WriteTransaction, key: &str, place: Place) -> Result<(), StoreError> {
    settle(txn, key, place, |count| {
        count.places = count.places.saturating_sub(1)
    })
}

pub(super) fn keep(txn: &WriteTransaction, key: &str, place: Place) -> Result<(), StoreError> {
    settle(txn, key, place, |count| count.kept += 1)
}
