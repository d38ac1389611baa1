//! The tunable numbers of docs/login.md, with their documented defaults.

use jiff::SignedDuration;

#[derive(Debug, Clone)]
pub struct Settings {
    /// docs/login.md: consecutive failures that lock an account (結果コード58).
    pub lock_after_failures: u32,
    /// docs/login.md: `invalid_credentials` answers (and wrong unlock codes) one client
    /// address may receive per window; every attempt after that is 429.
    pub login_failures_per_client: u32,
    pub login_failure_window: SignedDuration,
    /// docs/renewal.md: `code_not_found` and `serial_or_email_mismatch` answers per client address.
    pub renewal_failures_per_client: u32,
    pub renewal_failure_window: SignedDuration,
    /// docs/login.md: a session dies after this long without a request…
    pub session_idle_timeout: SignedDuration,
    /// …and this long after login, whatever happens.
    pub session_lifetime: SignedDuration,
    /// docs/reminders.md: days before expiry at which a reminder is mailed.
    pub reminder_thresholds: Vec<u32>,
    /// `last_seen` is written at most this often, so that reads stay reads.
    pub session_touch_interval: SignedDuration,
    /// docs/api.md: how long the first answer to an `Idempotency-Key` is kept for replays…
    pub idempotency_kept_for: SignedDuration,
    /// …and how long a claim whose request never answered (the process died) holds the key.
    pub idempotency_claim_lapse: SignedDuration,
    /// docs/readers.md#payment: the e-money payment page of an order, with `{order_no}` and
    /// `{amount}` filled in.
    pub payment_url: String,
    /// docs/support.md: the desk members are sent to, in the portal and in every mail.
    pub support: crate::support::Support,
    /// The members' portal, where the reminder mails link (docs/reminders.md); unknown, the
    /// mails go without the link.
    pub portal_url: Option<String>,
}

/// The payment page when none is configured: the demo's, on a name reserved for examples.
pub const DEFAULT_PAYMENT_URL: &str =
    "https://payment.chocom.example/pay?order={order_no}&amount={amount}";

impl Default for Settings {
    fn default() -> Self {
        Self {
            lock_after_failures: 10,
            login_failures_per_client: 100,
            login_failure_window: SignedDuration::from_mins(10),
            renewal_failures_per_client: 20,
            renewal_failure_window: SignedDuration::from_mins(10),
            session_idle_timeout: SignedDuration::from_secs(780),
            session_lifetime: SignedDuration::from_hours(12),
            session_touch_interval: SignedDuration::from_mins(1),
            reminder_thresholds: vec![30, 14, 7, 1],
            idempotency_kept_for: SignedDuration::from_hours(24),
            idempotency_claim_lapse: SignedDuration::from_mins(1),
            payment_url: DEFAULT_PAYMENT_URL.to_owned(),
            support: crate::support::Support::default(),
            portal_url: None,
        }
    }
}
