//! Per-client failure counting (SPEC §2): a sliding window kept in the store, so it holds
//! across processes and Lambda instances.

use jiff::{SignedDuration, Timestamp};

use super::{Context, Error};
use crate::store::{Expect, Throttle, Write};

pub(crate) struct Window {
    /// Failures allowed per window; the one after them is refused ("more than N").
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

/// Refuses with 429 once the client has had more than `limit` failures in the window.
pub(crate) async fn check(
    ctx: &Context,
    key: &str,
    window: &Window,
    now: Timestamp,
) -> Result<(), Error> {
    let Some(throttle) = ctx.store.throttle(key).await? else {
        return Ok(());
    };
    let recent = recent(&throttle, window, now);
    if recent.len() <= window.limit {
        return Ok(());
    }
    // The window reopens when enough of its oldest failures have left it.
    let reopens = recent[recent.len() - window.limit - 1] + window.length;
    let wait = reopens.duration_since(now).as_secs_f64().ceil().max(1.0) as u64;
    Err(Error::TooManyAttempts {
        retry_after_seconds: wait,
    })
}

/// The write that counts one more failure against the client, to be committed together
/// with whatever else the failure changes.
pub(crate) async fn count_failure(
    ctx: &Context,
    key: &str,
    window: &Window,
    now: Timestamp,
) -> Result<Write, Error> {
    let stored = ctx.store.throttle(key).await?;
    let expect = stored
        .as_ref()
        .map_or(Expect::Absent, |t| Expect::Version(t.version));
    let mut failures = stored.map_or_else(Vec::new, |t| recent(&t, window, now));
    failures.push(now);
    // Only the newest `limit + 1` failures can ever decide a refusal.
    let excess = failures.len().saturating_sub(window.limit + 1);
    failures.drain(..excess);
    Ok(Write::PutThrottle {
        key: key.to_owned(),
        throttle: Throttle {
            failures,
            version: 0,
        },
        expect,
    })
}
