//! Claims on mails being delivered (docs/mail.md, docs/cloud.md). redb is opened by one process, so its
//! dispatchers' claims live in that process's memory: a crash ends them all, as a lapsed
//! claim would, and the mails are delivered by the next sweep.
//!
//! A claim is checked against the attempts the claimer read, not against the file: one
//! that read the mail before another dispatcher recorded a failed attempt (attempts one
//! fewer) is refused, so a stale read never sends a mail whose attempt was just counted.

use std::collections::HashMap;
use std::sync::Mutex;

use jiff::Timestamp;

/// Claims are pruned once this many are kept, dropping the lapsed ones.
const PRUNE_ABOVE: usize = 1_000;

struct Claim {
    claimer: String,
    until: Timestamp,
    /// The mail's failed attempts when it was claimed (or recorded).
    attempts: u32,
}

#[derive(Default)]
pub(super) struct Claims {
    by_mail: Mutex<HashMap<String, Claim>>,
}

impl Claims {
    /// Whether `claimer` now holds the mail until `until`.
    pub(super) fn claim(
        &self,
        mail_id: &str,
        attempts: u32,
        claimer: &str,
        now: Timestamp,
        until: Timestamp,
    ) -> bool {
        let mut claims = self.by_mail.lock().unwrap_or_else(|e| e.into_inner());
        if claims.len() > PRUNE_ABOVE {
            claims.retain(|_, claim| claim.until > now);
        }
        let free = match claims.get(mail_id) {
            None => true,
            // Read before a failed attempt was recorded: stale.
            Some(held) if attempts < held.attempts => false,
            Some(held) => held.claimer == claimer || held.until <= now || attempts > held.attempts,
        };
        if free {
            claims.insert(
                mail_id.to_owned(),
                Claim {
                    claimer: claimer.to_owned(),
                    until,
                    attempts,
                },
            );
        }
        free
    }

    /// A failed attempt was recorded: the claim is over, and a claim made from a read of
    /// the mail before it is refused.
    pub(super) fn end_with_attempt(&self, mail_id: &str, attempts: u32) {
        let mut claims = self.by_mail.lock().unwrap_or_else(|e| e.into_inner());
        claims.insert(
            mail_id.to_owned(),
            Claim {
                claimer: String::new(),
                until: Timestamp::UNIX_EPOCH,
                attempts,
            },
        );
    }

    /// An operator settled the failed mail: what was recorded of its attempts is over (a
    /// mail retried counts its attempts from none again).
    pub(super) fn forget(&self, mail_id: &str) {
        let mut claims = self.by_mail.lock().unwrap_or_else(|e| e.into_inner());
        claims.remove(mail_id);
    }
}
