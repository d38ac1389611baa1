//! What the operators' status view reads (docs/operations.md#the-status-view): counters kept
//! in the same commit as the changes they count, and the reminder job's last run, so that
//! the view is a few single reads, never a scan of the mails or the orders.
//!
//! What a commit adds to the counters is worked out here, once, from its writes (`Tally::
//! of`); each engine only stores the sum. The dispatcher's own writes, which are no
//! commits, count through `Tally::mail_sent` and `Tally::mail_given_up`, an operator's
//! decision on a failed mail through `Tally::mail_settled`.

use std::collections::BTreeMap;

use async_trait::async_trait;
use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::domain::{Mail, MailStatus, OrderStatus};
use crate::store::{StoreError, Write};

/// Counters, or what one change adds to them (negative: taken away).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    /// Mails queued and not yet sent or given up.
    pub mails_pending: i64,
    /// Mails given up after their last attempt (docs/mail.md).
    pub mails_failed: i64,
    /// Open orders (not completed, not failed) by status.
    pub open_orders: BTreeMap<OrderStatus, i64>,
}

impl Tally {
    /// What a commit of `writes` adds: a mail queued is pending; an order counts under its
    /// status while it is open, and leaves the count of the status it was in.
    pub fn of(writes: &[Write]) -> Self {
        let mut tally = Self::default();
        for write in writes {
            match write {
                Write::EnqueueMail(mail) => tally.add_mail(mail.status, 1),
                Write::PutOrder { order, was } => {
                    if let Some(was) = was {
                        tally.add_order(*was, -1);
                    }
                    tally.add_order(order.record.status, 1);
                }
                _ => {}
            }
        }
        tally
    }

    /// A pending mail marked sent.
    pub fn mail_sent() -> Self {
        Self {
            mails_pending: -1,
            ..Self::default()
        }
    }

    /// What recording a failed attempt of `mail` adds: nothing while it is still to be
    /// retried; once given up, it moves from pending to failed.
    pub fn mail_given_up(mail: &Mail) -> Self {
        match mail.status {
            MailStatus::Failed => Self {
                mails_pending: -1,
                mails_failed: 1,
                ..Self::default()
            },
            MailStatus::Pending | MailStatus::Sent | MailStatus::Abandoned => Self::default(),
        }
    }

    /// A failed mail an operator settled as `mail` (`Mail::settled`): off the failed
    /// count, and pending again when retried.
    pub fn mail_settled(mail: &Mail) -> Self {
        let mut tally = Self {
            mails_failed: -1,
            ..Self::default()
        };
        tally.add_mail(mail.status, 1);
        tally
    }

    fn add_mail(&mut self, status: MailStatus, n: i64) {
        match status {
            MailStatus::Pending => self.mails_pending += n,
            MailStatus::Failed => self.mails_failed += n,
            MailStatus::Sent | MailStatus::Abandoned => {}
        }
    }

    fn add_order(&mut self, status: OrderStatus, n: i64) {
        if !status.is_final() {
            *self.open_orders.entry(status).or_default() += n;
        }
    }

    /// Every counter by its stored name, zeros left out: what an engine adds to its rows.
    pub fn counters(&self) -> Vec<(String, i64)> {
        let mails = [
            ("mails_pending".to_owned(), self.mails_pending),
            ("mails_failed".to_owned(), self.mails_failed),
        ];
        let orders = self
            .open_orders
            .iter()
            .map(|(status, n)| (format!("orders_{}", status.as_str()), *n));
        mails
            .into_iter()
            .chain(orders)
            .filter(|(_, n)| *n != 0)
            .collect()
    }

    /// Adds one stored counter, by its name, to the sum; a name this build does not know
    /// (written by a newer one) is left out.
    pub fn add_counter(&mut self, name: &str, n: i64) {
        match name {
            "mails_pending" => self.mails_pending += n,
            "mails_failed" => self.mails_failed += n,
            _ => {
                if let Some(status) = name.strip_prefix("orders_").and_then(OrderStatus::parse) {
                    self.add_order(status, n);
                }
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.counters().is_empty()
    }
}

/// The reminder job's last run (docs/reminders.md), as its summary said.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReminderRun {
    /// The day it ran for.
    pub date: Date,
    pub due: u64,
    pub sent: u64,
    pub skipped: u64,
    /// When it finished.
    pub finished_at: Timestamp,
    /// `schedule` or `operator` (`POST /admin/v1/jobs/expiry-reminders`).
    pub by: String,
}

/// What the status view reads from storage.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Status {
    pub tally: Tally,
    pub last_reminder_run: Option<ReminderRun>,
    /// `redb` or `dynamodb`.
    pub engine: &'static str,
    /// The database file's size, on redb (none in memory).
    pub file_bytes: Option<u64>,
}

#[async_trait]
pub trait StatusReads: Send + Sync {
    /// The counters and the last reminder run, in one read of a few rows.
    async fn status(&self) -> Result<Status, StoreError>;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Email, MailKind, Order, OrderDetails};

    fn order(status: OrderStatus) -> Order {
        let mut order = Order::place(
            &crate::domain::CustomerId::generate(),
            "R-1",
            OrderDetails::LineTermination,
            "2026-11-22T00:00:00Z".parse().unwrap(),
        );
        order.status = status;
        order
    }

    #[test]
    fn a_commit_counts_its_mails_and_the_orders_it_opens_moves_and_closes() {
        let to = Email::parse("t@example.jp").unwrap();
        let at = "2026-11-22T00:00:00Z".parse().unwrap();
        let mail = Mail::new(&to, MailKind::SerialMoved, "s".into(), "b".into(), at);
        let placed = Write::place_order(order(OrderStatus::Accepted));
        let moved = Write::move_order(
            order(OrderStatus::InProgress),
            &order(OrderStatus::Accepted),
        );
        let closed = Write::move_order(order(OrderStatus::Completed), &order(OrderStatus::Shipped));
        let tally = Tally::of(&[Write::EnqueueMail(mail.clone()), placed, moved, closed]);
        assert_eq!(tally.mails_pending, 1);
        assert_eq!(
            tally.open_orders,
            BTreeMap::from([
                (OrderStatus::Accepted, 0),
                (OrderStatus::InProgress, 1),
                (OrderStatus::Shipped, -1),
            ])
        );
        assert_eq!(
            tally.counters(),
            vec![
                ("mails_pending".to_owned(), 1),
                ("orders_in_progress".to_owned(), 1),
                ("orders_shipped".to_owned(), -1),
            ]
        );

        let mut summed = Tally::default();
        for (name, n) in tally.counters() {
            summed.add_counter(&name, n);
        }
        summed.add_counter("orders_from_a_newer_build", 5);
        assert_eq!(summed.counters(), tally.counters());

        let mut given_up = mail.clone();
        given_up.status = MailStatus::Failed;
        assert_eq!(Tally::mail_given_up(&mail), Tally::default());
        assert_eq!(Tally::mail_given_up(&given_up).counters().len(), 2);
    }
}
