//! Per-client failure counting (SPEC §2): a sliding window kept in the store, so it holds
//! across processes and Lambda instances.
//!
//! Two ways to count, for two costs of being wrong:
//! - login reserves a failure *before* the access key is verified and gives it back when
//!   the answer is not `invalid_credentials`, so a burst of concurrent guesses cannot all
//!   pass a check that none has yet counted against (a right guess must not slip through);
//! - renewal checks, then records each failure after the fact; a failure recorded past the
//!   limit (a burst) is answered 429 instead, so it tells the guesser nothing. Concurrent
//!   honest requests from one address are never held back.

use jiff::{SignedDuration, Timestamp};

use super::{Context, Error, retry_on_conflict};
use crate::store::{Expect, Throttle, Write};

pub(crate) struct Window {
    pub key: String,
    /// Failures allowed per window; attempts after more than this many are refused.
    pub limit: usize,
    pub length: SignedDuration,
}

fn recent(throttle: &Throttle, window: &Window, now: Timestamp) -> Vec<Timestamp> {
    let since = now - window.length;
    throttle
        .failures
        .iter()
        .copied()
        .filter(|at| *at > since)
        .collect()
}

fn put(window: &Window, failures: Vec<Timestamp>, expect: Expect) -> Write {
    Write::put_throttle(
        window.key.clone(),
        Throttle {
            failures,
            version: 0,
        },
        expect,
    )
}

/// 429 once more than `limit` failures are in the window; it reopens when enough of its
/// oldest failures have left it.
fn refusal(failures: &[Timestamp], window: &Window, now: Timestamp) -> Option<Error> {
    if failures.len() <= window.limit {
        return None;
    }
    let reopens = failures[failures.len() - window.limit - 1] + window.length;
    let wait = reopens.duration_since(now).as_secs_f64().ceil().max(1.0) as u64;
    Some(Error::TooManyAttempts {
        retry_after_seconds: wait,
    })
}

/// Refuses with 429 once the client has had more than `limit` failures in the window.
pub(crate) async fn check(ctx: &Context, window: &Window, now: Timestamp) -> Result<(), Error> {
    let stored = ctx.store.throttle(&window.key).await?.unwrap_or_default();
    match refusal(&recent(&stored, window, now), window, now) {
        Some(refused) => Err(refused),
        None => Ok(()),
    }
}

/// Records one failure; past the limit, the failure is answered 429 instead of itself.
pub(crate) async fn record(
    ctx: &Context,
    window: &Window,
    now: Timestamp,
    failure: Error,
) -> Error {
    let recorded = retry_on_conflict(|| async {
        let stored = ctx.store.throttle(&window.key).await?;
        let expect = stored
            .as_ref()
            .map_or(Expect::Absent, |t| Expect::Version(t.version));
        let mut failures = stored.map_or_else(Vec::new, |t| recent(&t, window, now));
        failures.push(now);
        let excess = failures.len().saturating_sub(window.limit + 2);
        failures.drain(..excess);
        let over = failures.len() > window.limit + 1;
        ctx.store
            .commit(vec![put(window, failures.clone(), expect)])
            .await?;
        Ok(over.then(|| refusal(&failures, window, now)).flatten())
    })
    .await;
    match recorded {
        Ok(Some(refused)) => refused,
        Ok(None) => failure,
        Err(error) => error,
    }
}

/// Counts this attempt as a failure at `now`, or refuses with 429 once the client has had
/// more than `limit` failures in the window.
pub(crate) async fn reserve(ctx: &Context, window: &Window, now: Timestamp) -> Result<(), Error> {
    retry_on_conflict(|| async {
        let stored = ctx.store.throttle(&window.key).await?;
        let expect = stored
            .as_ref()
            .map_or(Expect::Absent, |t| Expect::Version(t.version));
        let mut failures = stored.map_or_else(Vec::new, |t| recent(&t, window, now));
        if let Some(refused) = refusal(&failures, window, now) {
            return Err(refused);
        }
        failures.push(now);
        // Only the newest `limit + 1` failures can ever decide a refusal.
        let excess = failures.len().saturating_sub(window.limit + 1);
        failures.drain(..excess);
        ctx.store
            .commit(vec![put(window, failures, expect)])
            .await?;
        Ok(())
    })
    .await
}

/// The write that gives back the reservation made at `at`, to be committed with whatever
/// the attempt's real outcome changes.
pub(crate) async fn release(ctx: &Context, window: &Window, at: Timestamp) -> Result<Write, Error> {
    let stored = ctx.store.throttle(&window.key).await?.unwrap_or_default();
    let expect = if stored.version == 0 {
        Expect::Absent
    } else {
        Expect::Version(stored.version)
    };
    let mut failures = stored.failures;
    if let Some(mine) = failures.iter().rposition(|f| *f == at) {
        failures.remove(mine);
    }
    Ok(put(window, failures, expect))
}

/// The write that leaves the reservation standing: the attempt was a failure. It rewrites
/// the same record, so that every outcome costs the same number of commits.
pub(crate) async fn confirm(ctx: &Context, window: &Window) -> Result<Write, Error> {
    let stored = ctx.store.throttle(&window.key).await?.unwrap_or_default();
    let expect = if stored.version == 0 {
        Expect::Absent
    } else {
        Expect::Version(stored.version)
    };
    Ok(put(window, stored.failures, expect))
}

/// The attempt turned out not to be a failure: its reservation is given back.
pub(crate) async fn give_back(ctx: &Context, window: &Window, at: Timestamp) -> Result<(), Error> {
    retry_on_conflict(|| async {
        let release = release(ctx, window, at).await?;
        ctx.store.commit(vec![release]).await?;
        Ok(())
    })
    .await
}
