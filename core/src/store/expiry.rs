//! When a stored record has served its purpose and may go: what redb's sweep removes and
//! what DynamoDB's TTL attribute says (a per-client count's TTL is its window's end,
//! written with it in `dynamodb/counts.rs`). One function per kind of record, so a change of a
//! record's shape changes one rule here.

use jiff::civil::Date;
use jiff::{Timestamp, ToSpan};

use super::IdempotencyRecord;
use crate::domain::{Serial, Session};
use crate::settings::Settings;

/// The end of a session: 13 idle minutes after it was last seen, or 12 hours after login,
/// whichever comes first (docs/login.md). Past it, authentication refuses the token anyway.
pub fn session_ends(session: &Session, settings: &Settings) -> Timestamp {
    let idle = session.last_seen_at + settings.session_idle_timeout;
    let lifetime = session.created_at + settings.session_lifetime;
    idle.min(lifetime)
}

/// When a per-client count's window, opened at `opened_at`, has closed by every rule that
/// keeps counts (docs/login.md, docs/renewal.md): the next place taken opens a new window, so the count is
/// read by nothing any more.
pub fn count_window_ends(opened_at: Timestamp, settings: &Settings) -> Timestamp {
    let window = settings
        .login_failure_window
        .max(settings.renewal_failure_window);
    opened_at + window
}

/// When an `Idempotency-Key` may be used afresh (docs/api.md): an answer is kept its 24 hours,
/// a claim that never got one lapses sooner. Past it, the record is replaced on next use.
pub fn idempotency_ends(record: &IdempotencyRecord, settings: &Settings) -> Timestamp {
    let kept = match record.response {
        Some(_) => settings.idempotency_kept_for,
        None => settings.idempotency_claim_lapse,
    };
    record.created_at + kept
}

/// The key a sent reminder is recorded under (docs/reminders.md: at most one mail per serial, expiry
/// date and threshold): `<serial>|<expiry date>|<threshold, or "expired">`.
pub fn reminder_key(serial: &Serial, expires_on: Date, which: &str) -> String {
    format!("{serial}|{expires_on}|{which}")
}

/// When a sent reminder's record may go: a year after the expiry date it was for. Long
/// before then the licence has been renewed (reminders go by the new date, another key) or
/// had its "expired" notice, which takes it out of the reminder job's index for good.
/// `None` for a key not written by `reminder_key`.
pub fn reminder_kept_until(key: &str) -> Option<Timestamp> {
    let expires_on: Date = key.split('|').nth(1)?.parse().ok()?;
    let until = expires_on.checked_add(1.year()).ok()?;
    until
        .to_zoned(crate::domain::japan::zone())
        .ok()
        .map(|zoned| zoned.timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reminder_is_kept_a_year_past_its_expiry_date() {
        let serial = Serial::parse("ESS-12345678").unwrap();
        let key = reminder_key(&serial, "2026-12-10".parse().unwrap(), "30");
        assert_eq!(
            reminder_kept_until(&key),
            Some("2027-12-10T00:00:00+09:00".parse().unwrap())
        );
        assert_eq!(reminder_kept_until("not|a date|30"), None);
        assert_eq!(reminder_kept_until("nothing"), None);
    }
}
