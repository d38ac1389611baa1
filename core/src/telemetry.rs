//! Every metric madoguchi emits, in one place (docs/operations.md#metrics): the names, units
//! and labels, and the one call that records each. The calls go through the `metrics`
//! facade; local-dev installs a Prometheus recorder (`GET /metrics`), the functions the
//! CloudWatch embedded metric format. Without a recorder a call costs a check and does
//! nothing.
//!
//! Labels stay few and known in advance: a route's template, a status, a problem `code`,
//! an outcome. Never a customer, a serial, an address or a token.

use metrics::{Unit, counter, describe_counter, describe_histogram, histogram};

/// The namespace of the functions' metrics in CloudWatch, which the template's alarms and
/// dashboard name.
pub const NAMESPACE: &str = "Madoguchi";

pub const ANSWERS: &str = "madoguchi_http_answers_total";
pub const ANSWER_SECONDS: &str = "madoguchi_http_answer_seconds";
pub const LOGINS: &str = "madoguchi_logins_total";
pub const ACCOUNTS_LOCKED: &str = "madoguchi_accounts_locked_total";
pub const UNLOCK_CODES: &str = "madoguchi_unlock_codes_total";
pub const RENEWALS: &str = "madoguchi_renewals_total";
pub const REMINDER_RUNS: &str = "madoguchi_reminder_runs_total";
pub const REMINDERS: &str = "madoguchi_reminders_total";
pub const MAILS: &str = "madoguchi_mails_total";
pub const OLDEST_PENDING_MAIL: &str = "madoguchi_outbox_oldest_pending_seconds";
pub const ORDERS: &str = "madoguchi_orders_total";
pub const OLDEST_OPEN_ORDER: &str = "madoguchi_orders_oldest_open_seconds";
pub const OUTBOX_MAILS: &str = "madoguchi_outbox_mails";
pub const OPEN_ORDERS: &str = "madoguchi_orders_open";
pub const STORE_CONFLICTS: &str = "madoguchi_store_conflicts_retried_total";
pub const STORE_THROTTLED: &str = "madoguchi_store_throttled_total";
pub const BUSY: &str = "madoguchi_busy_answers_total";

/// Every metric with its kind, its labels (in the order CloudWatch's dimensions follow
/// `Function`) and its meaning: the recorder's help text, the table of
/// docs/operations.md and what the template's alarms may name (tests compare all three).
pub const CATALOGUE: [(&str, Kind, &[&str], &str); 17] = [
    (
        ANSWERS,
        Kind::Counter,
        &["route", "status", "code"],
        "answers by route, status and problem code",
    ),
    (
        ANSWER_SECONDS,
        Kind::Histogram,
        &["route"],
        "time from request to answer, by route",
    ),
    (
        LOGINS,
        Kind::Counter,
        &["outcome"],
        "login attempts by outcome",
    ),
    (
        ACCOUNTS_LOCKED,
        Kind::Counter,
        &[],
        "accounts locked by their tenth wrong key",
    ),
    (
        UNLOCK_CODES,
        Kind::Counter,
        &["event"],
        "unlock codes sent and used",
    ),
    (RENEWALS, Kind::Counter, &[], "licences renewed"),
    (
        REMINDER_RUNS,
        Kind::Counter,
        &[],
        "runs of the reminder job that finished",
    ),
    (
        REMINDERS,
        Kind::Counter,
        &["result"],
        "reminders by result: due, sent, skipped",
    ),
    (
        MAILS,
        Kind::Counter,
        &["result"],
        "mail deliveries by result: sent, retried, failed; operators' retried_by_operator, abandoned",
    ),
    (
        OLDEST_PENDING_MAIL,
        Kind::Histogram,
        &[],
        "how long the first mail of the pending list has been due, at each sweep",
    ),
    (
        ORDERS,
        Kind::Counter,
        &["kind", "status"],
        "orders entering a status, by kind and status",
    ),
    (
        OLDEST_OPEN_ORDER,
        Kind::Histogram,
        &["status"],
        "age of the oldest order waiting on the back office, by status, at each sweep",
    ),
    (
        OUTBOX_MAILS,
        Kind::Histogram,
        &["status"],
        "mails pending and failed, as the status view counts them, at each sweep",
    ),
    (
        OPEN_ORDERS,
        Kind::Histogram,
        &["status"],
        "open orders by status, as the status view counts them, at each sweep",
    ),
    (
        STORE_CONFLICTS,
        Kind::Counter,
        &[],
        "store write conflicts retried",
    ),
    (
        STORE_THROTTLED,
        Kind::Counter,
        &[],
        "store calls the database throttled",
    ),
    (BUSY, Kind::Counter, &[], "503 busy answers"),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Counter,
    Histogram,
}

/// Gives the recorder each metric's unit and help text; called once after it is installed.
pub fn describe() {
    for (name, kind, _, help) in CATALOGUE {
        let unit = if name.ends_with("_seconds") {
            Unit::Seconds
        } else {
            Unit::Count
        };
        match kind {
            Kind::Counter => describe_counter!(name, unit, help),
            Kind::Histogram => describe_histogram!(name, unit, help),
        }
    }
}

/// One HTTP answer: its route's template (`/v1/orders/{order_no}`, or `unmatched`), its
/// status, its problem `code` (`none` for a success) and how long it took.
pub fn answer(route: &str, status: u16, code: &'static str, seconds: f64) {
    let known = ROUTES
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .record(route, status, code, seconds);
    if !known {
        ROUTES
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .register(route, status, code)
            .record(route, status, code, seconds);
    }
    if code == "busy" {
        counter!(BUSY).increment(1);
    }
}

/// The handles of every route's answers, taken from the recorder at a kind of answer's
/// first: an answer then records through them, without building its labels' key or
/// allocating (docs/performance.md: the metrics' cost on the hot path). Routes are the
/// router's templates and statuses and codes a known few, so this stays small.
static ROUTES: std::sync::LazyLock<std::sync::RwLock<Routes>> =
    std::sync::LazyLock::new(Default::default);

#[derive(Default)]
struct Routes(std::collections::HashMap<Box<str>, RouteHandles>);

struct RouteHandles {
    seconds: metrics::Histogram,
    /// (status, code, its counter): a route answers a handful of kinds.
    answers: Vec<(u16, &'static str, metrics::Counter)>,
}

impl Routes {
    /// Records one answer through the handles already taken; `false` when this kind of
    /// answer has none yet.
    fn record(&self, route: &str, status: u16, code: &'static str, seconds: f64) -> bool {
        let Some(handles) = self.0.get(route) else {
            return false;
        };
        let Some((.., answers)) = handles
            .answers
            .iter()
            .find(|(s, c, _)| *s == status && *c == code)
        else {
            return false;
        };
        answers.increment(1);
        handles.seconds.record(seconds);
        true
    }

    /// Takes the handles of this kind of answer from the recorder.
    fn register(&mut self, route: &str, status: u16, code: &'static str) -> &Self {
        let handles = self.0.entry(route.into()).or_insert_with(|| RouteHandles {
            seconds: histogram!(ANSWER_SECONDS, "route" => route.to_owned()),
            answers: Vec::new(),
        });
        if !handles
            .answers
            .iter()
            .any(|(s, c, _)| *s == status && *c == code)
        {
            let answers = counter!(
                ANSWERS,
                "route" => route.to_owned(),
                "status" => status.to_string(),
                "code" => code
            );
            handles.answers.push((status, code, answers));
        }
        self
    }
}

/// A login's outcome: `succeeded`, `failed` (a wrong key or ID), `locked`, `cancelled`,
/// `throttled`, or `error`.
pub fn login(outcome: &'static str) {
    counter!(LOGINS, "outcome" => outcome).increment(1);
}

pub fn account_locked() {
    counter!(ACCOUNTS_LOCKED).increment(1);
}

/// `sent` or `used`.
pub fn unlock_code(event: &'static str) {
    counter!(UNLOCK_CODES, "event" => event).increment(1);
}

pub fn renewal() {
    counter!(RENEWALS).increment(1);
}

/// One finished run of the reminder job, with what it found due, sent and skipped.
pub fn reminder_run(due: u64, sent: u64, skipped: u64) {
    counter!(REMINDER_RUNS).increment(1);
    counter!(REMINDERS, "result" => "due").increment(due);
    counter!(REMINDERS, "result" => "sent").increment(sent);
    counter!(REMINDERS, "result" => "skipped").increment(skipped);
}

/// One delivery: `sent`, `retried` (failed, tried again later) or `failed` (given up); or
/// an operator's decision on a failed mail: `retried_by_operator`, `abandoned`.
pub fn mail(result: &'static str) {
    counter!(MAILS, "result" => result).increment(1);
}

/// Seconds from `then` to `now`, 0 when `then` is later: how every age here is measured,
/// and the status view's ages with them (docs/operations.md#the-status-view).
pub fn seconds_since(then: jiff::Timestamp, now: jiff::Timestamp) -> f64 {
    now.duration_since(then).as_secs_f64().max(0.0)
}

/// How long the first mail of the pending list has been due, 0 when none is. A reading
/// per sweep, not a gauge: CloudWatch then gets a value only from a sweep that measured,
/// and a sweep that stopped shows as missing data (a gauge would be written again by every
/// invocation, stale).
pub fn oldest_pending_mail(seconds: f64) {
    histogram!(OLDEST_PENDING_MAIL).record(seconds);
}

/// An order entering `status` (placed, moved by the back office, withdrawn).
pub fn order(kind: &'static str, status: &'static str) {
    counter!(ORDERS, "kind" => kind, "status" => status).increment(1);
}

/// How long ago the oldest order now in `status` (one the back office is to move on) was
/// placed; a reading per sweep, as `oldest_pending_mail`.
pub fn oldest_open_order(status: &'static str, seconds: f64) {
    histogram!(OLDEST_OPEN_ORDER, "status" => status).record(seconds);
}

/// The outbox's count of mails in `status` (`pending`, `failed`), as the status view reads
/// it; a reading per sweep, as `oldest_pending_mail`.
pub fn outbox_mails(status: &'static str, count: i64) {
    histogram!(OUTBOX_MAILS, "status" => status).record(count as f64);
}

/// The count of open orders in `status`, as the status view reads it; a reading per sweep.
pub fn open_orders(status: &'static str, count: i64) {
    histogram!(OPEN_ORDERS, "status" => status).record(count as f64);
}

pub fn store_conflict_retried() {
    counter!(STORE_CONFLICTS).increment(1);
}

pub fn store_throttled() {
    counter!(STORE_THROTTLED).increment(1);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// docs/operations.md's table names every metric here, with its kind and labels, and no
    /// other.
    #[test]
    fn the_operations_page_lists_every_metric_its_kind_and_labels() {
        let page = include_str!("../../docs/operations.md");
        let listed: Vec<(String, String, String)> = page
            .lines()
            .filter(|line| line.starts_with("| `madoguchi_"))
            .map(|line| {
                let cells: Vec<&str> = line.split('|').map(str::trim).collect();
                let kind = cells[2].split(',').next().unwrap().to_owned();
                let labels = cells[3].replace('`', "");
                (cells[1].trim_matches('`').to_owned(), kind, labels)
            })
            .collect();
        let emitted: Vec<(String, String, String)> = CATALOGUE
            .iter()
            .map(|(name, kind, labels, _)| {
                let kind = match kind {
                    Kind::Counter => "counter",
                    Kind::Histogram => "histogram",
                };
                ((*name).to_owned(), kind.to_owned(), labels.join(", "))
            })
            .collect();
        assert_eq!(listed, emitted);
    }
}
