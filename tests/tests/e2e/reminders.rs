//! docs/reminders.md: 有効期限のお知らせ.

use jiff::Timestamp;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{Member, TestApp, licence, renewal};

/// Runs the job for `date` on that day (the clock moves on to 09:00 in Japan of it when it
/// is later): operators cannot run it for a day still to come.
async fn run_job(app: &TestApp, date: &str) -> Value {
    let nine_in_japan: Timestamp = format!("{date}T00:00:00Z").parse().unwrap();
    let now = app.ctx.clock.now();
    if nine_in_japan > now {
        app.advance(nine_in_japan.duration_since(now));
    }
    let summary = app
        .admin_post("/jobs/expiry-reminders", json!({"date": date}))
        .await;
    assert_eq!(summary.status, StatusCode::OK, "{:?}", summary.body);
    summary.body
}

async fn reminder_kinds(app: &TestApp, member: &Member) -> Vec<String> {
    app.mail_kinds(&member.email).await
}

#[tokio::test]
async fn thirty_days_out_gets_one_reminder_however_often_the_job_runs() {
    let app = TestApp::spawn().await;
    let member = app.member_until("2026-12-22").await;
    let first = run_job(&app, "2026-11-22").await;
    assert_eq!(
        first,
        json!({"date": "2026-11-22", "due": 1, "sent": 1, "skipped": 0})
    );
    let again = run_job(&app, "2026-11-22").await;
    assert_eq!(
        again,
        json!({"date": "2026-11-22", "due": 1, "sent": 0, "skipped": 1})
    );
    let next_day = run_job(&app, "2026-11-23").await;
    assert_eq!(
        (next_day["due"].as_u64(), next_day["sent"].as_u64()),
        (Some(1), Some(0))
    );
    assert_eq!(reminder_kinds(&app, &member).await, ["expiry_reminder"]);
    let mail = &app.mails_to(&member.email).await[0];
    let body = mail["body"].as_str().unwrap();
    assert!(
        body.contains(&member.serials[0])
            && body.contains("2026年12月22日")
            && body.contains("あと30日")
    );
}

#[tokio::test]
async fn missed_days_catch_up_with_one_mail() {
    let app = TestApp::spawn().await;
    let member = app.member_until("2026-11-28").await;
    // First run six days before: the 30, 14 and 7 day thresholds are all reached; one mail.
    let summary = run_job(&app, "2026-11-22").await;
    assert_eq!(summary["sent"], 1);
    assert!(
        app.mails_to(&member.email).await[0]["body"]
            .as_str()
            .unwrap()
            .contains("あと6日")
    );
    run_job(&app, "2026-11-23").await;
    run_job(&app, "2026-11-27").await; // one day left: the 1-day reminder
    run_job(&app, "2026-11-28").await;
    run_job(&app, "2026-11-29").await; // expired
    run_job(&app, "2026-11-30").await;
    let mut kinds = reminder_kinds(&app, &member).await;
    kinds.sort();
    assert_eq!(
        kinds,
        ["expiry_reminder", "expiry_reminder", "license_expired"]
    );
}

#[tokio::test]
async fn monthly_licences_and_cancelled_members_get_none() {
    let app = TestApp::spawn().await;
    let monthly = app.member_with("flets_next", json!([licence(None)])).await;
    let leaving = app.member_until("2026-12-01").await;
    let token = app.login(&leaving).await;
    assert_eq!(
        app.cancel_membership(&token).await.status,
        StatusCode::CREATED
    );
    let far = app.member_until("2027-06-01").await;
    let summary = run_job(&app, "2026-11-22").await;
    assert_eq!(summary["due"], 0, "{summary}");
    assert!(reminder_kinds(&app, &monthly).await.is_empty());
    assert_eq!(
        reminder_kinds(&app, &leaving).await,
        ["membership_cancelled"]
    );
    assert!(reminder_kinds(&app, &far).await.is_empty());
}

#[tokio::test]
async fn runs_at_once_send_each_reminder_once() {
    let app = TestApp::spawn().await;
    let members = futures::future::join_all((0..5).map(|_| app.member_until("2026-12-05"))).await;
    let runs = futures::future::join_all((0..4).map(|_| run_job(&app, "2026-11-22"))).await;
    let sent: u64 = runs.iter().map(|r| r["sent"].as_u64().unwrap()).sum();
    assert_eq!(sent, 5);
    for member in &members {
        assert_eq!(reminder_kinds(&app, member).await, ["expiry_reminder"]);
    }
}

#[tokio::test]
async fn a_renewal_starts_the_reminders_again_for_the_new_date() {
    let app = TestApp::spawn().await;
    let member = app.member_until("2026-12-20").await;
    run_job(&app, "2026-11-22").await;
    let code = app.issue_codes("security-suite", 1, 1).await.remove(0);
    let renewed = app.renew(renewal(&code, &member, false)).await;
    assert_eq!(renewed.body["expires_on"], "2027-01-20");
    // The old date is no longer due; the new one is, 30 days before it.
    assert_eq!(run_job(&app, "2026-12-01").await["due"], 0);
    assert_eq!(run_job(&app, "2026-12-21").await["sent"], 1);
    let kinds = reminder_kinds(&app, &member).await;
    assert_eq!(kinds.iter().filter(|k| *k == "expiry_reminder").count(), 2);
}

#[tokio::test]
async fn a_long_gap_still_gets_one_expired_notice_and_then_nothing() {
    let app = TestApp::spawn().await;
    // Created already expired, and the job first runs three months later.
    let member = app.member_until("2026-08-01").await;
    let summary = run_job(&app, "2026-11-22").await;
    assert_eq!(
        (summary["due"].as_u64(), summary["sent"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(reminder_kinds(&app, &member).await, ["license_expired"]);
    // Notified, the licence left the index: later runs do not even see it.
    assert_eq!(run_job(&app, "2026-11-23").await["due"], 0);
}

#[tokio::test]
async fn operators_cannot_run_the_job_for_a_day_still_to_come() {
    let app = TestApp::spawn().await;
    // Tomorrow's run would tell this member the licence had expired.
    let member = app.member_until("2026-11-22").await;
    let refused = app
        .admin_post("/jobs/expiry-reminders", json!({"date": "2026-11-23"}))
        .await;
    assert_eq!(
        refused.refusal(),
        (StatusCode::UNPROCESSABLE_ENTITY, "date_in_future")
    );
    assert!(reminder_kinds(&app, &member).await.is_empty());
    // Today (Japan time) is not in the future.
    let today = app
        .admin_post("/jobs/expiry-reminders", json!({"date": "2026-11-22"}))
        .await;
    assert_eq!(today.status, StatusCode::OK, "{:?}", today.body);
    assert_eq!(reminder_kinds(&app, &member).await, ["expiry_reminder"]);
}
