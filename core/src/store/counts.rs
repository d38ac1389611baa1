//! Per-client counts (docs/login.md#per-client-throttling, docs/renewal.md): places taken
//! before an attempt's answer is known, then kept or given back.

use async_trait::async_trait;
use jiff::Timestamp;

use crate::store::StoreError;

/// A place taken in a per-client count (docs/login.md, docs/renewal.md): the window it was counted in, so
/// that giving it back never frees a place of a later window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    pub window_opened_at: Timestamp,
    /// Who holds it: a random id the store gives each place it admits, so that a write about
    /// this place sent twice (an answer lost on the way) counts once.
    pub holder: String,
}

/// Whether a client may try once more.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Admission {
    /// The attempt holds this place until it is given back or kept.
    Admitted(Place),
    /// Every place of the open window is taken; it closes at `reopens_at`. `running` of
    /// them are held by attempts still running (taken, neither kept nor given back), so a
    /// place may yet be given back before the window closes.
    Refused { reopens_at: Timestamp, running: u32 },
}

/// The rule of one per-client count: at most `limit` places in a window that opens with
/// its first place and lasts `length`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CountRule {
    /// `login:<client>`, `renewal:<client>`: the count and the client it is kept for.
    pub key: String,
    pub limit: u32,
    pub length: jiff::SignedDuration,
}

#[async_trait]
pub trait ClientCounts: Send + Sync {
    /// Takes a place in a per-client count, one conditional write of its own (never part
    /// of a commit, so that concurrent attempts from one client never conflict): refused
    /// while `rule.limit` places are taken in the open window; a window that has closed
    /// is replaced by a new one opening `now`.
    async fn take_place(&self, rule: &CountRule, now: Timestamp) -> Result<Admission, StoreError>;

    /// Whether `take_place` may admit now: a read, which takes nothing. An attempt waiting
    /// for a running one to settle asks this, so that its waiting adds no writes to the
    /// count every attempt of the client writes.
    async fn place_may_be_free(&self, rule: &CountRule, now: Timestamp)
    -> Result<bool, StoreError>;

    /// Gives a place back (the attempt's answer is not one the rule counts). A window that
    /// has been replaced since means nothing to do.
    async fn give_back_place(&self, key: &str, place: Place) -> Result<(), StoreError>;

    /// Keeps a place: the answer is one the rule counts. The place already counts; this
    /// records it as kept, one write, so that an attempt costs the same writes whichever
    /// way it is refused.
    async fn keep_place(&self, key: &str, place: Place) -> Result<(), StoreError>;
}
