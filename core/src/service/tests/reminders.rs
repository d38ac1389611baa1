//! docs/reminders.md: the daily expiry reminders.

use super::{CLIENT, Counter, Member, date, renewal};
use crate::domain::MailKind;
use crate::service::cancellation::{CancellationRequest, cancel};
use crate::service::reminders::{Summary, run};
use crate::service::renewal::renew;
use crate::settings::Settings;

async fn run_on(counter: &Counter, day: &str) -> Summary {
    run(&counter.ctx, date(day)).await.expect("the job runs")
}

fn counts(summary: &Summary) -> (usize, usize, usize) {
    (summary.due, summary.sent, summary.skipped)
}

/// How many reminders and how many "expired" notices the member has been sent.
async fn notices(counter: &Counter, member: &Member) -> (usize, usize) {
    (
        counter.mail_count(member, MailKind::ExpiryReminder).await,
        counter.mail_count(member, MailKind::LicenseExpired).await,
    )
}

/// docs/reminders.md: the job sends the most urgent threshold reached and not yet sent, so a first
/// run six days out sends one mail (not the 30-, 14- and 7-day ones), later runs send each
/// remaining threshold once, and one "expired" notice follows the expiry.
#[tokio::test]
async fn missed_days_catch_up_with_one_mail_for_the_most_urgent_threshold() {
    let counter = Counter::open().await;
    let member = counter.member_until("2026-11-28").await;
    assert_eq!(counts(&run_on(&counter, "2026-11-22").await), (1, 1, 0));
    let reminders = counter.mails(&member, MailKind::ExpiryReminder).await;
    assert_eq!(reminders.len(), 1);
    assert!(reminders[0].body.contains("あと6日"));
    assert!(reminders[0].body.contains(member.serials[0].as_str()));
    // Again the same day, and the next: the 7-day reminder is out already.
    assert_eq!(counts(&run_on(&counter, "2026-11-22").await), (1, 0, 1));
    assert_eq!(counts(&run_on(&counter, "2026-11-23").await), (1, 0, 1));
    // One day left: the 1-day threshold; the last day itself sends nothing new.
    assert_eq!(counts(&run_on(&counter, "2026-11-27").await), (1, 1, 0));
    assert_eq!(counts(&run_on(&counter, "2026-11-28").await).1, 0);
    // The first run after the expiry: one "expired" notice, then the licence is done.
    assert_eq!(counts(&run_on(&counter, "2026-11-29").await), (1, 1, 0));
    assert_eq!(counts(&run_on(&counter, "2026-11-30").await), (0, 0, 0));
    assert_eq!(notices(&counter, &member).await, (2, 1));
}

/// docs/reminders.md: the thresholds are configurable; only the configured ones send.
#[tokio::test]
async fn the_thresholds_are_configurable() {
    let counter = Counter::with(Settings {
        reminder_thresholds: vec![10, 3],
        ..Settings::default()
    })
    .await;
    let member = counter.member_until("2026-12-12").await;
    assert_eq!(counts(&run_on(&counter, "2026-11-22").await), (0, 0, 0));
    assert_eq!(counts(&run_on(&counter, "2026-12-02").await), (1, 1, 0));
    assert_eq!(
        counts(&run_on(&counter, "2026-12-05").await).1,
        0,
        "7 is not configured"
    );
    assert_eq!(counts(&run_on(&counter, "2026-12-09").await), (1, 1, 0));
    let reminders = counter.mails(&member, MailKind::ExpiryReminder).await;
    assert_eq!(reminders.len(), 2);
    for days_left in ["あと10日", "あと3日"] {
        assert!(
            reminders.iter().any(|m| m.body.contains(days_left)),
            "{days_left}"
        );
    }
}

/// docs/reminders.md: a renewal gives a new expiry date, for which reminders start again; a
/// cancelled member's licences get none.
#[tokio::test]
async fn a_renewal_starts_reminders_again_and_a_cancellation_ends_them() {
    let counter = Counter::open().await;
    let renewing = counter.member_until("2026-12-20").await;
    let leaving = counter.member_until("2026-12-01").await;
    let leave = CancellationRequest {
        reason: None,
        dry_run: false,
    };
    cancel(&counter.ctx, &leaving.id, leave, None)
        .await
        .unwrap();
    assert_eq!(counts(&run_on(&counter, "2026-11-22").await), (1, 1, 0));

    let code = counter.codes(1, 1).await.remove(0);
    let renewing_for_a_month = renewal(&code, &renewing, 0, false);
    renew(&counter.ctx, renewing_for_a_month, None, CLIENT, None)
        .await
        .unwrap();
    // The old date (2026-12-20) is no longer due; the new one (2027-01-20) is, 30 days out.
    assert_eq!(counts(&run_on(&counter, "2026-12-01").await).0, 0);
    assert_eq!(counts(&run_on(&counter, "2026-12-21").await), (1, 1, 0));
    assert_eq!(notices(&counter, &renewing).await.0, 2);
    assert_eq!(notices(&counter, &leaving).await, (0, 0));
}
