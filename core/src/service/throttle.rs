//! Per-client failure counting (SPEC §2): a sliding window kept in the store, so it holds
//! across processes and Lambda instances.

use jiff::{SignedDuration, Timestamp};

use super::{Context, Error, retry_on_conflict};
use crate::store::{Expect, Throttle, Write};

pub(crate) struct Window {
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

/// Refuses with 429 when the client has used up its failures for the window.
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
    if recent.len() < window.limit {
        return Ok(());
    }
    // The window reopens when its oldest failure leaves it.
    let reopens = recent[recent.len() - window.limit] + window.length;
    let wait = reopens.duration_since(now).as_secs_f64().ceil().max(1.0) as u64;
    Err(Error::TooManyAttempts {
        retry_after_seconds: wait,
    })
}

/// Counts one failure against the client.
pub(crate) async fn record_failure(
    ctx: &Context,
    key: &str,
    window: &Window,
    now: Timestamp,
) -> Result<(), Error> {
    retry_on_conflict(|| async {
        let stored = ctx.store.throttle(key).await?;
        let expect = stored
            .as_ref()
            .map_or(Expect::Absent, |t| Expect::Version(t.version));
        let mut failures = stored.map_or_else(Vec::new, |t| recent(&t, window, now));
        failures.push(now);
        // Only the newest `limit` failures can ever decide a refusal.
        let excess = failures.len().saturating_sub(window.limit);
        failures.drain(..excess);
        let throttle = Throttle {
            failures,
            version: 0,
        };
        ctx.store
            .commit(vec![Write::PutThrottle {
                key: key.to_owned(),
                throttle,
                expect,
            }])
            .await?;
        Ok(())
    })
    .await
}
