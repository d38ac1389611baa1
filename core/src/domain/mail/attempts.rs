//! Failed deliveries (docs/mail.md): a mail that fails is retried later with backoff, and after
//! `MAX_ATTEMPTS` failures it is `failed` and waits for an operator.

use jiff::{SignedDuration, Timestamp};

use super::{Mail, MailStatus};

/// Failed deliveries after which a mail is given up.
pub const MAX_ATTEMPTS: u32 = 10;

/// The wait before the next attempt, after `attempts` failed ones: a minute, doubling, at
/// most an hour (1, 2, 4, 8, 16, 32, 60, 60, 60 minutes; about four hours in all before a
/// mail is given up).
pub fn backoff(attempts: u32) -> SignedDuration {
    let minutes = 1_i64 << attempts.saturating_sub(1).min(6);
    SignedDuration::from_mins(minutes.min(60))
}

/// What an operator decides for a failed mail (docs/mail.md#failed-mails).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FailedMailAction {
    /// Deliver it again: pending, due at once, with a fresh set of attempts.
    Retry,
    /// Do not send it: `abandoned`, off the failed list.
    Abandon,
}

/// The longest reason kept with a mail: enough to tell what went wrong.
const MAX_REASON_CHARS: usize = 200;

impl Mail {
    /// The mail after a delivery that failed at `at` for `reason`: counted, and due again
    /// after the backoff, or `failed` once it has failed `MAX_ATTEMPTS` times.
    pub fn after_failed_attempt(&self, at: Timestamp, reason: &str) -> Mail {
        let mut mail = self.clone();
        mail.attempts += 1;
        mail.last_error = Some(scrub(reason));
        if mail.attempts >= MAX_ATTEMPTS {
            mail.status = MailStatus::Failed;
            mail.next_attempt_at = None;
        } else {
            mail.next_attempt_at = Some(at + backoff(mail.attempts));
        }
        mail
    }
}

/// A failure's reason as it may be kept and logged: every address in it masked (a server's
/// refusal often quotes the recipient), on one line, and short.
pub fn scrub(reason: &str) -> String {
    let masked = mask_addresses(reason);
    let one_line: String = masked.split_whitespace().collect::<Vec<_>>().join(" ");
    match one_line.char_indices().nth(MAX_REASON_CHARS) {
        Some((cut, _)) => format!("{}…", &one_line[..cut]),
        None => one_line,
    }
}

/// `someone@example.jp` becomes `s***@example.jp`, wherever it appears in the text.
fn mask_addresses(text: &str) -> String {
    let local_char = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~.-".contains(c);
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut start = 0;
    for (at, &c) in chars.iter().enumerate() {
        if c != '@' || at < start {
            continue;
        }
        let mut local = at;
        while local > start && local_char(chars[local - 1]) {
            local -= 1;
        }
        if local == at {
            continue;
        }
        out.extend(&chars[start..local]);
        out.push(chars[local]);
        out.push_str("***");
        start = at;
    }
    out.extend(&chars[start..]);
    out
}

impl Mail {
    /// The failed mail as an operator settled it at `at`. Retried, it is due at once with
    /// no attempts counted (its last error kept until the next attempt), so it gets the
    /// same ten attempts as a new mail.
    pub fn settled(&self, action: FailedMailAction, at: Timestamp) -> Mail {
        let mut mail = self.clone();
        match action {
            FailedMailAction::Retry => {
                mail.status = MailStatus::Pending;
                mail.attempts = 0;
                mail.next_attempt_at = Some(at);
            }
            FailedMailAction::Abandon => {
                mail.status = MailStatus::Abandoned;
                mail.next_attempt_at = None;
            }
        }
        mail
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Email;
    use crate::domain::MailKind;

    #[test]
    fn the_wait_doubles_from_a_minute_up_to_an_hour() {
        let minutes: Vec<i64> = (1..MAX_ATTEMPTS)
            .map(|n| backoff(n).as_secs() / 60)
            .collect();
        assert_eq!(minutes, [1, 2, 4, 8, 16, 32, 60, 60, 60]);
    }

    #[test]
    fn a_mail_is_failed_after_its_tenth_failure_and_not_before() {
        let at: Timestamp = "2026-11-22T00:00:00Z".parse().unwrap();
        let to = Email::parse("retry@example.jp").unwrap();
        let mut mail = Mail::new(&to, MailKind::SerialMoved, "s".into(), "b".into(), at);
        for n in 1..MAX_ATTEMPTS {
            mail = mail.after_failed_attempt(at, "451 try later");
            assert_eq!(mail.status, MailStatus::Pending, "after {n}");
            assert_eq!(mail.attempts, n);
            assert_eq!(mail.next_attempt_at, Some(at + backoff(n)));
            assert!(!mail.is_due(at));
            assert!(mail.is_due(at + backoff(n)));
        }
        mail = mail.after_failed_attempt(at, "451 try later");
        assert_eq!(mail.status, MailStatus::Failed);
        assert_eq!(mail.attempts, MAX_ATTEMPTS);
        assert!(!mail.is_due(at + SignedDuration::from_hours(24)));
    }

    #[test]
    fn a_kept_reason_masks_addresses_and_is_short() {
        assert_eq!(
            scrub("550 5.1.1 <taro.yamada@example.jp>: Recipient\r\n address rejected"),
            "550 5.1.1 <t***@example.jp>: Recipient address rejected"
        );
        assert_eq!(
            scrub("not verified: a@b.jp, bob+x@example.jp"),
            "not verified: a***@b.jp, b***@example.jp"
        );
        assert_eq!(scrub("@ alone, and x@"), "@ alone, and x***@");
        let long = scrub(&"エラー".repeat(200));
        assert_eq!(long.chars().count(), MAX_REASON_CHARS + 1);
    }
}
