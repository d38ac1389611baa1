//! One module per operation: plain async functions over the store port, no HTTP.

pub mod activation;
pub mod admin;
pub mod applications;
pub mod cancellation;
mod error;
pub mod line_notification;
pub mod login;
pub mod orders;
pub mod outbox;
pub mod paging;
pub mod reader;
pub mod receipts;
pub mod reminders;
pub mod renewal;
pub mod services;
pub mod session;
pub mod terms;
mod throttle;
pub mod unlock;
pub mod usage;

#[cfg(test)]
pub(crate) mod tests;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

pub use error::Error;

use tokio::sync::Semaphore;

use crate::clock::Clock;
use crate::settings::Settings;
use crate::store::{Store, StoreError};

/// Everything an operation needs: the store, the clock, the settings, and the queue where
/// argon2 work waits its turn.
#[derive(Clone)]
pub struct Context {
    pub store: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
    pub settings: Arc<Settings>,
    argon2: Arc<Argon2Queue>,
    /// Attempts waiting for a place in their client's count (`throttle.rs`).
    waiting: Arc<throttle::Queues>,
}

impl Context {
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>, settings: Settings) -> Self {
        Self {
            store,
            clock,
            settings: Arc::new(settings),
            argon2: Arc::new(Argon2Queue::for_this_machine()),
            waiting: Arc::default(),
        }
    }

    /// The same context over another store: the clock, settings and argon2 queue are
    /// shared (a deployment's functions each reach the one table their own way).
    pub fn with_store(&self, store: Arc<dyn Store>) -> Self {
        Self {
            store,
            ..self.clone()
        }
    }

    /// Runs argon2 hashing or verifying in this context's queue, or refuses with 503
    /// `busy`.
    pub(crate) async fn argon2<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, Error> {
        self.argon2.run(work).await
    }

    pub fn today(&self) -> jiff::civil::Date {
        crate::domain::japan::date_of(self.clock.now())
    }

    /// The stored member, or 404 `not_found`.
    pub(crate) async fn member(
        &self,
        customer_id: &crate::domain::CustomerId,
    ) -> Result<crate::domain::Customer, Error> {
        self.store
            .customer(customer_id)
            .await?
            .ok_or(Error::NotFound)
    }
}

/// Where a submission's answer is kept for an `Idempotency-Key` (docs/api.md). A submitting
/// service adds `record`'s write to the same commit as its effect, so the effect and the
/// answer a retry will get are stored together or not at all.
pub trait AnswerLog: Send + Sync {
    fn record(&self, status: u16, body: &[u8]) -> crate::store::Write;

    /// The same answer, filed also for the session this submission ends (a cancellation),
    /// so that a retry with the now dead token still gets it (docs/api.md). `None` when the
    /// caller has no session.
    fn record_for_ended_session(&self, status: u16, body: &[u8]) -> Option<crate::store::Write>;
}

/// The write that keeps a submission's answer (201) for retries, when it has a key.
pub(crate) fn keep_answer<T: serde::Serialize>(
    log: Option<&dyn AnswerLog>,
    answer: &T,
) -> Option<crate::store::Write> {
    keep_answer_as(log, 201, answer)
}

/// The writes that keep a submission's answer when it ends the caller's session.
pub(crate) fn keep_answer_past_session<T: serde::Serialize>(
    log: Option<&dyn AnswerLog>,
    answer: &T,
) -> Vec<crate::store::Write> {
    let Some(log) = log else {
        return Vec::new();
    };
    let body = serde_json::to_vec(answer).expect("answers serialise");
    let mut writes = vec![log.record(201, &body)];
    writes.extend(log.record_for_ended_session(201, &body));
    writes
}

/// The same for an answer with another status (200 for an activation or a reissue).
pub(crate) fn keep_answer_as<T: serde::Serialize>(
    log: Option<&dyn AnswerLog>,
    status: u16,
    answer: &T,
) -> Option<crate::store::Write> {
    log.map(|log| {
        let body = serde_json::to_vec(answer).expect("answers serialise");
        log.record(status, &body)
    })
}

/// How many times an operation re-reads and tries again after a write conflict before it
/// gives up with 503. Conflicts mean another request won; each round, one of them does.
const MAX_ATTEMPTS: u32 = 200;

/// Tries of an operation the store throttled, before it gives up with 503 `busy`. The
/// store's client has already retried each call; a caller is better told to come back
/// than held for long.
const THROTTLED_TRIES: u32 = 4;

/// Runs a read-decide-commit attempt until it commits without a conflict (docs/usage.md: "the
/// server retries its own write conflicts"). A store that throttles is tried again after a
/// growing pause, a few times only.
pub(crate) async fn retry_on_conflict<T, F, Fut>(mut attempt: F) -> Result<T, Error>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, Error>>,
{
    let mut throttled = 0;
    for round in 0..MAX_ATTEMPTS {
        match attempt().await {
            Err(Error::Store(StoreError::Conflict(what))) => {
                tracing::debug!(%what, round, "write conflict; retrying");
                crate::telemetry::store_conflict_retried();
                // A short random pause spreads the contenders apart.
                let pause = rand::random_range(0..=u64::from(round.min(20)));
                if pause > 0 {
                    tokio::time::sleep(Duration::from_millis(pause)).await;
                }
            }
            Err(Error::Store(StoreError::Throttled(what))) => {
                throttled += 1;
                crate::telemetry::store_throttled();
                if throttled == THROTTLED_TRIES {
                    tracing::warn!(%what, "the store kept throttling; giving up");
                    return Err(Error::Busy);
                }
                tracing::debug!(%what, throttled, "throttled; backing off");
                tokio::time::sleep(crate::store::backoff::pause(throttled)).await;
            }
            other => return other,
        }
    }
    Err(Error::Busy)
}

/// Where argon2 work waits its turn. Each hash or verify takes 19 MiB and a core, so only
/// a few run at once; a flood of logins must be refused quickly (503 `busy`), not queued
/// without end: the queue is bounded, and nobody waits in it past a deadline.
pub(crate) struct Argon2Queue {
    running: Arc<Semaphore>,
    waiting: std::sync::atomic::AtomicUsize,
    max_waiting: usize,
    deadline: Duration,
}

impl Argon2Queue {
    /// Two running per core, 128 waiting per core (about a second of work), at most 2 s of
    /// waiting. A process has one context, so one queue: its limits are the process's.
    fn for_this_machine() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Self::new(cores * 2, cores * 128, Duration::from_secs(2))
    }

    pub(crate) fn new(running: usize, max_waiting: usize, deadline: Duration) -> Self {
        Self {
            running: Arc::new(Semaphore::new(running)),
            waiting: std::sync::atomic::AtomicUsize::new(0),
            max_waiting,
            deadline,
        }
    }

    /// Runs argon2 hashing or verifying off the async runtime once a slot is free. The slot
    /// travels with the work, so a caller that goes away does not free it early.
    pub(crate) async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, Error> {
        let slot = match self.running.clone().try_acquire_owned() {
            Ok(slot) => slot,
            Err(_) => {
                // Counted while waiting, and uncounted however the wait ends, a caller that
                // goes away (its future dropped) included.
                let _waiting = Waiting::join(&self.waiting, self.max_waiting).ok_or_else(|| {
                    tracing::warn!("argon2 queue full: request refused");
                    Error::Busy
                })?;
                let waited =
                    tokio::time::timeout(self.deadline, self.running.clone().acquire_owned()).await;
                match waited {
                    Ok(slot) => slot.expect("the semaphore is never closed"),
                    Err(_) => {
                        tracing::warn!("argon2 queue deadline passed: request refused");
                        return Err(Error::Busy);
                    }
                }
            }
        };
        let result = tokio::task::spawn_blocking(move || {
            let result = work();
            drop(slot);
            result
        })
        .await
        .expect("argon2 work does not panic");
        Ok(result)
    }
}

/// One place in the argon2 queue's waiting line, given up when dropped.
struct Waiting<'a>(&'a std::sync::atomic::AtomicUsize);

impl<'a> Waiting<'a> {
    fn join(waiting: &'a std::sync::atomic::AtomicUsize, max: usize) -> Option<Self> {
        use std::sync::atomic::Ordering;
        let joined = Waiting(waiting);
        (waiting.fetch_add(1, Ordering::AcqRel) < max).then_some(joined)
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, std::sync::atomic::Ordering::AcqRel);
    }
}

#[cfg(test)]
mod retry_tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;

    async fn tries_until_answer(failure: fn() -> StoreError) -> (Result<(), Error>, u32) {
        let tries = AtomicU32::new(0);
        let answer = retry_on_conflict(|| async {
            tries.fetch_add(1, Ordering::SeqCst);
            Err::<(), _>(Error::Store(failure()))
        })
        .await;
        (answer, tries.load(Ordering::SeqCst))
    }

    #[tokio::test(start_paused = true)]
    async fn throttling_gives_up_sooner_than_conflicts() {
        let (answer, tries) = tries_until_answer(|| StoreError::Throttled("t".into())).await;
        assert!(matches!(answer, Err(Error::Busy)), "{answer:?}");
        assert_eq!(tries, THROTTLED_TRIES);

        let (answer, tries) = tries_until_answer(|| StoreError::Conflict("c".into())).await;
        assert!(matches!(answer, Err(Error::Busy)), "{answer:?}");
        assert_eq!(tries, MAX_ATTEMPTS);

        let (answer, tries) = tries_until_answer(|| StoreError::Backend("b".into())).await;
        assert!(matches!(answer, Err(Error::Store(StoreError::Backend(_)))));
        assert_eq!(tries, 1);
    }
}
