//! Per-client limits (logins and unlock codes: docs/login.md; renewal guesses:
//! docs/renewal.md), counted in the store so that they hold across processes and Lambda
//! instances.
//!
//! Every attempt takes a place in its client's count *before* its answer is known and
//! holds it while it runs; only the answers the rule names keep it, every other answer
//! gives it back. So a burst of concurrent attempts can never run more tries than the
//! limit, and once `limit` answers have been given in the window, every further attempt is
//! refused with 429, a right guess included (it must not tell a guesser which guess was
//! right). The window opens with its first place and lasts `length`.
//!
//! An attempt that finds every place taken while some are still held by running attempts
//! waits for one of them to settle (at most `SETTLE_WAIT`) before it is refused: a burst of
//! attempts the rule does not count (right keys, `code_already_redeemed`, …) gives its
//! places back as it answers, and is never refused merely for being a burst.
//!
//! Within one process the waiters of a count take their turns in order (`Queues`): while
//! one waits, a newcomer queues behind it instead of taking the next place given back, so
//! no waiter is passed over until it gives up. Across processes (Lambda instances, each
//! answering one request at a time) waiters poll the store and the first to ask wins; an
//! attempt there holds its place for tens of milliseconds, so 2 s is many turns.

use std::net::IpAddr;
use std::sync::Arc;

use jiff::{SignedDuration, Timestamp};

use super::{Context, Error};
use crate::store::{Admission, CountRule, Place};

/// How long an attempt waits for a place held by a running attempt (docs/login.md: 2 s).
const SETTLE_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

/// The queues of waiting attempts, one per count, in this process.
#[derive(Default)]
pub(crate) struct Queues {
    by_count: std::sync::Mutex<std::collections::HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl Queues {
    fn of(&self, key: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut queues = self.by_count.lock().unwrap_or_else(|e| e.into_inner());
        queues.entry(key.to_owned()).or_default().clone()
    }

    /// Forgets a count's queue once nobody is in it, so that the map holds only the counts
    /// being waited on.
    fn leave(&self, key: &str, queue: Arc<tokio::sync::Mutex<()>>) {
        let mut queues = self.by_count.lock().unwrap_or_else(|e| e.into_inner());
        // Ours and the map's: nobody else is queued or about to be.
        if Arc::strong_count(&queue) == 2 {
            queues.remove(key);
        }
    }
}

/// An attempt's place in its count's queue, left however the attempt ends (a request
/// dropped half-way included), so that the map forgets queues nobody is in.
struct InQueue<'a> {
    queues: &'a Queues,
    key: &'a str,
    queue: Option<Arc<tokio::sync::Mutex<()>>>,
}

impl Drop for InQueue<'_> {
    fn drop(&mut self) {
        if let Some(queue) = self.queue.take() {
            self.queues.leave(self.key, queue);
        }
    }
}

/// One client's count under one rule.
pub(crate) struct Window {
    rule: CountRule,
}

impl Window {
    pub(crate) fn new(rule: &str, client: IpAddr, limit: u32, length: SignedDuration) -> Self {
        Window {
            rule: CountRule {
                key: format!("{rule}:{client}"),
                limit,
                length,
            },
        }
    }

    /// Takes a place for this attempt, or refuses with 429 and the seconds until the
    /// window closes. While places are held by attempts still running, it waits for one to
    /// settle, up to `SETTLE_WAIT`.
    pub(crate) async fn take(&self, ctx: &Context, now: Timestamp) -> Result<Held<'_>, Error> {
        let give_up_at = tokio::time::Instant::now() + SETTLE_WAIT;
        let queue = InQueue {
            queues: &ctx.waiting,
            key: &self.rule.key,
            queue: Some(ctx.waiting.of(&self.rule.key)),
        };
        let lock = queue.queue.as_deref().expect("just made");
        self.take_in_turn(ctx, now, lock, give_up_at).await
    }

    /// Takes a place at once when nobody in this process waits for one; otherwise queues
    /// behind those who do, and waits its turn.
    async fn take_in_turn(
        &self,
        ctx: &Context,
        now: Timestamp,
        queue: &tokio::sync::Mutex<()>,
        give_up_at: tokio::time::Instant,
    ) -> Result<Held<'_>, Error> {
        if let Ok(_alone) = queue.try_lock() {
            match ctx.store.take_place(&self.rule, now).await? {
                Admission::Admitted(place) => {
                    return Ok(Held {
                        window: self,
                        place,
                    });
                }
                Admission::Refused {
                    running: 0,
                    reopens_at,
                } => {
                    return Err(self.refused(now, reopens_at));
                }
                Admission::Refused { .. } => {}
            }
        }
        // Waiting, in order (tokio's mutex is fair), for at most the rest of SETTLE_WAIT.
        // Past that, one last ask: the answer says when the window reopens.
        let _turn = tokio::time::timeout_at(give_up_at, queue.lock()).await.ok();
        loop {
            match ctx.store.take_place(&self.rule, now).await? {
                Admission::Admitted(place) => {
                    return Ok(Held {
                        window: self,
                        place,
                    });
                }
                Admission::Refused { running, .. }
                    if running > 0 && self.settles(ctx, now, give_up_at).await? => {}
                Admission::Refused { reopens_at, .. } => {
                    return Err(self.refused(now, reopens_at));
                }
            }
        }
    }

    /// 429, with the seconds until the window closes.
    fn refused(&self, now: Timestamp, reopens_at: Timestamp) -> Error {
        let wait = reopens_at.duration_since(now).as_secs_f64().ceil().max(1.0);
        tracing::info!(rule = %self.rule.key, "attempt refused: per-client limit reached");
        Error::TooManyAttempts {
            retry_after_seconds: wait as u64,
        }
    }

    /// Waits until a place may be free (a running attempt gave its place back), reading
    /// the count, never writing it; false once `give_up_at` comes first.
    async fn settles(
        &self,
        ctx: &Context,
        now: Timestamp,
        give_up_at: tokio::time::Instant,
    ) -> Result<bool, Error> {
        let mut pause = std::time::Duration::from_millis(10);
        loop {
            // Jittered, so that the waiters of a burst do not all ask at once.
            let jitter = rand::random_range(0..=pause.as_millis() as u64 / 2);
            let pause_now = pause + std::time::Duration::from_millis(jitter);
            if tokio::time::Instant::now() + pause_now >= give_up_at {
                return Ok(false);
            }
            tokio::time::sleep(pause_now).await;
            if ctx.store.place_may_be_free(&self.rule, now).await? {
                return Ok(true);
            }
            pause = (pause * 2).min(std::time::Duration::from_millis(100));
        }
    }
}

/// A place held by a running attempt. Dropping it without settling leaves it taken until
/// its window closes: a crash never frees a place early.
#[must_use = "a place is either kept or given back"]
pub(crate) struct Held<'a> {
    window: &'a Window,
    place: Place,
}

impl Held<'_> {
    /// The answer is one the rule counts: the place stays taken.
    pub(crate) async fn keep(self, ctx: &Context) {
        let key = &self.window.rule.key;
        if let Err(error) = ctx.store.keep_place(key, self.place).await {
            tracing::warn!(rule = %key, %error, "could not record a kept place");
        }
    }

    /// The answer is not one the rule counts: the place is free again. A failure to give it
    /// back only leaves the count higher until the window closes, never lets more through,
    /// so it does not fail the request whose answer is already decided.
    pub(crate) async fn give_back(self, ctx: &Context) {
        let key = &self.window.rule.key;
        if let Err(error) = ctx.store.give_back_place(key, self.place).await {
            tracing::warn!(rule = %key, %error, "could not give back a place");
        }
    }
}
