//! Every write that reaches the writer thread, as a value: what it does to the file, when
//! it is answered, and which session views it makes stale. The writer applies a change and
//! then forgets, itself, the views the change touched (`views.rs`), before the change is
//! answered: no write path has a forgetting of its own to leave out. A new kind of change
//! is a new variant here, and `touched` does not compile without its case.

use std::sync::Arc;

use jiff::Timestamp;
use redb::WriteTransaction;

use super::views::Touched;
use super::{counts, idempotency, outbox, sessions, status, sweep, write};
use crate::domain::{Email, Mail};
use crate::settings::Settings;
use crate::store::{StoreError, Tally, Write};

pub(super) enum Change {
    /// A service's commit (`Commit::commit`): every condition is checked before anything
    /// is written.
    Commit(Vec<Write>),
    /// A session's last-seen time, refreshed.
    TouchSession { token_digest: String, at: Timestamp },
    /// An idempotency claim that got no answer, given back.
    ReleaseClaim { key: String, version: u64 },
    /// A pending mail marked sent.
    MarkMailSent {
        to: Email,
        mail_id: String,
        at: Timestamp,
    },
    /// A mail as it is after a failed attempt.
    RecordFailedAttempt(Mail),
    /// A failed mail as an operator settled it.
    SettleFailedMail(Mail),
    /// One batch of the sweep: rows of one table found ended, removed if still ended.
    Sweep {
        table: sweep::Sweepable,
        keys: Vec<String>,
        settings: Arc<Settings>,
        now: Timestamp,
    },
    /// A per-client count's row, decided in memory and written behind: the count as it is
    /// when the writer reaches it (`counts.rs`).
    CountRow {
        key: String,
        counts: Arc<counts::Counts>,
    },
}

/// What a change answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Outcome {
    Done,
    /// Whether a conditional change applied (a mail marked, an attempt recorded, a failed
    /// mail settled).
    Applied(bool),
    /// How many rows a sweep's batch removed.
    Removed(usize),
}

/// When a change is answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Answer {
    /// Once it is durable.
    WhenDurable,
    /// As soon as its transaction is committed, before any fsync: bookkeeping a crash may
    /// lose (`group.rs`).
    WhenApplied,
    /// Never: a write queued behind a change already decided in memory. A crash may lose
    /// it, as one answered `WhenApplied`; it rides with its group's durable writes when
    /// there are any, in their transaction, and otherwise with the bookkeeping (`group.rs`).
    NoOneWaits,
}

/// Why a change failed, and whether it may have left something behind in the shared
/// transaction (which must then be rolled back).
pub(super) struct Failed {
    pub(super) error: StoreError,
    pub(super) left_behind: bool,
}

impl Failed {
    /// A change of one step: only a refused condition is known to have changed nothing.
    fn judged(error: StoreError) -> Self {
        let left_behind = !matches!(error, StoreError::Conflict(_));
        Self { error, left_behind }
    }
}

impl Change {
    pub(super) fn answer(&self) -> Answer {
        match self {
            Change::TouchSession { .. } => Answer::WhenApplied,
            Change::CountRow { .. } => Answer::NoOneWaits,
            _ => Answer::WhenDurable,
        }
    }

    /// The session views the change makes stale, read off the change itself.
    pub(super) fn touched(&self) -> Touched {
        match self {
            Change::Commit(writes) => Touched::by(writes),
            Change::TouchSession { token_digest, .. } => {
                Touched::sessions(vec![token_digest.clone()])
            }
            // Sessions that had ended: a view of one is refused anyway, and forgotten once
            // they are removed.
            Change::Sweep { table, keys, .. } if table.holds_sessions() => {
                Touched::sessions(keys.clone())
            }
            // Nothing a session view holds.
            Change::Sweep { .. }
            | Change::ReleaseClaim { .. }
            | Change::MarkMailSent { .. }
            | Change::RecordFailedAttempt(_)
            | Change::SettleFailedMail(_)
            | Change::CountRow { .. } => Touched::default(),
        }
    }

    /// Applies the change in the group's transaction. It may run more than once (a group
    /// rolled back runs again); only the last run counts.
    pub(super) fn apply(&self, txn: &WriteTransaction) -> Result<Outcome, Failed> {
        let one_step = match self {
            Change::Commit(writes) => return commit(txn, writes),
            Change::TouchSession { token_digest, at } => {
                sessions::touch(txn, token_digest, *at).map(|()| Outcome::Done)
            }
            Change::ReleaseClaim { key, version } => {
                idempotency::release(txn, key, *version).map(|()| Outcome::Done)
            }
            Change::MarkMailSent { to, mail_id, at } => {
                outbox::mark_sent(txn, to, mail_id, *at).map(Outcome::Applied)
            }
            Change::RecordFailedAttempt(mail) => {
                outbox::record_failed(txn, mail).map(Outcome::Applied)
            }
            Change::SettleFailedMail(mail) => {
                outbox::settle_failed(txn, mail).map(Outcome::Applied)
            }
            Change::Sweep {
                table,
                keys,
                settings,
                now,
            } => table
                .remove(txn, keys, settings, *now)
                .map(Outcome::Removed),
            Change::CountRow { key, counts } => counts.write_row(txn, key).map(|()| Outcome::Done),
        };
        one_step.map_err(Failed::judged)
    }
}

/// A commit in two steps: every condition read first, changing nothing (any failure then
/// leaves nothing behind), then every write (any failure then may have, and rolls the
/// group back).
fn commit(txn: &WriteTransaction, writes: &[Write]) -> Result<Outcome, Failed> {
    writes
        .iter()
        .try_for_each(|w| write::check(txn, w))
        .map_err(|error| Failed {
            error,
            left_behind: false,
        })?;
    // A commit that conflicts with itself (two of its writes on one key) is a bug to
    // report, not a race to retry.
    writes
        .iter()
        .try_for_each(|w| write::apply(txn, w))
        .and_then(|()| status::add(txn, &Tally::of(writes)))
        .map_err(|error| Failed {
            error: match error {
                StoreError::Conflict(what) => {
                    StoreError::Backend(format!("a commit conflicts with itself: {what}"))
                }
                other => other,
            },
            left_behind: true,
        })?;
    Ok(Outcome::Done)
}

impl Outcome {
    /// Whether a conditional change applied.
    pub(super) fn applied(self) -> bool {
        matches!(self, Outcome::Applied(true))
    }

    /// The rows a sweep's batch removed.
    pub(super) fn removed(self) -> usize {
        match self {
            Outcome::Removed(rows) => rows,
            _ => 0,
        }
    }
}
