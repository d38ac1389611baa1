//! Per-client limits (SPEC §2 login, §2a unlock codes, §5 renewal guesses), counted in the
//! store so that they hold across processes and Lambda instances.
//!
//! Every attempt takes a place in its client's count *before* its answer is known and
//! holds it while it runs; only the answers the rule names keep it, every other answer
//! gives it back. So a burst of concurrent attempts can never run more tries than the
//! limit, and once `limit` answers have been given in the window, every further attempt is
//! refused with 429, a right guess included (it must not tell a guesser which guess was
//! right). The window opens with its first place and lasts `length`.

use std::net::IpAddr;

use jiff::{SignedDuration, Timestamp};

use super::{Context, Error};
use crate::store::{Admission, CountRule, Place};

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
    /// window closes.
    pub(crate) async fn take(&self, ctx: &Context, now: Timestamp) -> Result<Held<'_>, Error> {
        match ctx.store.take_place(&self.rule, now).await? {
            Admission::Admitted(place) => Ok(Held {
                window: self,
                place,
            }),
            Admission::Refused { reopens_at } => {
                let wait = reopens_at.duration_since(now).as_secs_f64().ceil().max(1.0);
                tracing::info!(rule = %self.rule.key, "attempt refused: per-client limit reached");
                Err(Error::TooManyAttempts {
                    retry_after_seconds: wait as u64,
                })
            }
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
