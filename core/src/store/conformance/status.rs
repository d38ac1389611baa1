//! The status view's counters: kept in the same write as the mails and orders they count,
//! so that they always agree with the lists themselves.

use std::collections::BTreeMap;

use super::outbox::fresh_address;
use super::*;
use crate::domain::{Order, OrderDetails, OrderStatus};
use crate::store::{ReminderRun, Tally};

/// What the counters moved by between two readings.
fn moved(before: &Tally, after: &Tally) -> Tally {
    let mut moved = Tally {
        mails_pending: after.mails_pending - before.mails_pending,
        mails_failed: after.mails_failed - before.mails_failed,
        open_orders: BTreeMap::new(),
    };
    for status in OrderStatus::ALL {
        let by = |t: &Tally| t.open_orders.get(&status).copied().unwrap_or(0);
        if by(after) != by(before) {
            moved.open_orders.insert(status, by(after) - by(before));
        }
    }
    moved
}

pub(super) async fn counters_follow_mails_orders_and_runs(store: &dyn Store) {
    let before = store.status().await.expect("the status").tally;
    let to = fresh_address("status");
    let id = fresh_id();
    let sent = Mail::new(&to, MailKind::SerialMoved, "1".into(), "b".into(), at(30));
    let mut failing = Mail::new(&to, MailKind::SerialMoved, "2".into(), "b".into(), at(30));
    let moving = Order::place(&id, "R-S1", OrderDetails::LineTermination, at(30));
    let closing = Order::place(&id, "R-S2", OrderDetails::LineTermination, at(30));
    store
        .commit(vec![
            Write::EnqueueMail(sent.clone()),
            Write::EnqueueMail(failing.clone()),
            Write::place_order(moving.clone()),
            Write::place_order(closing.clone()),
        ])
        .await
        .expect("two mails and two orders");
    let queued = store.status().await.expect("the status").tally;
    assert_eq!(
        moved(&before, &queued),
        Tally {
            mails_pending: 2,
            mails_failed: 0,
            open_orders: BTreeMap::from([(OrderStatus::Accepted, 2)]),
        }
    );

    // A commit refused changes no count.
    assert!(is_conflict(
        store.commit(vec![Write::place_order(moving.clone())]).await
    ));
    // One mail sent, the other given up; marking one twice counts once.
    assert!(
        store
            .mark_mail_sent(&to, &sent.mail_id, at(31))
            .await
            .expect("mark")
    );
    assert!(
        !store
            .mark_mail_sent(&to, &sent.mail_id, at(31))
            .await
            .expect("mark")
    );
    let mut now = at(31);
    for _ in 0..crate::domain::MAX_ATTEMPTS {
        failing = failing.after_failed_attempt(now, "550 5.1.1 no such user");
        assert!(store.record_failed_attempt(&failing).await.expect("record"));
        now = failing.next_attempt_at.unwrap_or(now);
    }
    assert!(!store.record_failed_attempt(&failing).await.expect("record"));
    // One order moves on, the other ends.
    let mut started = moving.clone();
    started
        .advance(Some("s-1"), OrderStatus::InProgress, None, at(32))
        .expect("a move on its track");
    let mut ended = closing.clone();
    ended
        .withdraw(crate::domain::order::reason::WITHDRAWN, at(32))
        .expect("withdrawable");
    let stored = |order: &Order| {
        let mut stored = order.clone();
        stored.version = 1;
        stored
    };
    store
        .commit(vec![
            Write::move_order(started, &stored(&moving)),
            Write::move_order(ended, &stored(&closing)),
        ])
        .await
        .expect("moved");
    let after = store.status().await.expect("the status").tally;
    assert_eq!(
        moved(&before, &after),
        Tally {
            mails_pending: 0,
            mails_failed: 1,
            open_orders: BTreeMap::from([(OrderStatus::InProgress, 1)]),
        }
    );

    // The reminder job's run, the last one kept.
    for (day, sent) in [(21, 3), (22, 4)] {
        let run = ReminderRun {
            date: jiff::civil::date(2026, 11, day),
            due: 5,
            sent,
            skipped: 5 - sent,
            finished_at: at(40 + i64::from(day)),
            by: "schedule".into(),
        };
        store
            .commit(vec![Write::RecordReminderRun(run.clone())])
            .await
            .expect("recorded");
        assert_eq!(
            store.status().await.expect("the status").last_reminder_run,
            Some(run)
        );
    }
}

/// What the lists hold, counted item by item: the pending and failed mails, and the open
/// orders of each status. What the counters must equal, here and after the fault runs.
pub async fn counted_from_the_lists(store: &dyn Store) -> Tally {
    let far = Timestamp::from_second(4_000_000_000).expect("in range");
    let mut listed = Tally {
        mails_pending: store
            .pending_mails(far, None, usize::MAX)
            .await
            .expect("the pending mails")
            .len() as i64,
        mails_failed: store.failed_mails().await.expect("the failed mails").len() as i64,
        open_orders: BTreeMap::new(),
    };
    for status in OrderStatus::ALL.into_iter().filter(|s| !s.is_final()) {
        let mut after = None;
        loop {
            let page = store
                .orders_in(status, after.as_ref(), 100)
                .await
                .expect("a page");
            if !page.items.is_empty() {
                *listed.open_orders.entry(status).or_default() += page.items.len() as i64;
            }
            match page.next {
                Some(next) => after = Some(next),
                None => break,
            }
        }
    }
    listed
}

/// After every other check: the counters are what the lists hold, counted item by item.
pub(super) async fn the_counters_agree_with_the_lists(store: &dyn Store) {
    let listed = counted_from_the_lists(store).await;
    let counted = store.status().await.expect("the status").tally;
    assert_eq!(counted.counters(), listed.counters());
    assert!(listed.mails_failed > 0 && !listed.open_orders.is_empty());
}
