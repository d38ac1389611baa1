//! docs/reminders.md, docs/cloud.md: the expiry-reminder function runs for the Japan date of its event.

use madoguchi_core::lambda::remind;
use serde_json::{Value, json};

use super::fixture;
use crate::support::TestApp;

fn event(name: &str) -> Value {
    serde_json::from_str(&fixture(name, &[])).unwrap()
}

/// The job as its function runs it: through its own endpoint of the proxy.
async fn summary(app: &TestApp, event: &Value) -> Value {
    let summary = remind(&app.as_function("expiry-reminder").await, event)
        .await
        .unwrap();
    serde_json::to_value(summary).unwrap()
}

#[tokio::test]
#[ignore = "needs DynamoDB Local: scripts/test starts it"]
async fn the_schedules_events_remind_once_for_the_japan_date_they_name() {
    let app = TestApp::in_the_cloud().await;
    // The test clock stands at 2026-11-22 09:00 in Japan: seven days left.
    app.member_with(
        "flets_next",
        json!([{"product": "security-suite", "plan": "standard", "billing": "term",
                "expires_on": "2026-11-29"}]),
    )
    .await;

    let scheduler = event("schedule/scheduler-input.json");
    assert_eq!(scheduler, json!({"scheduled_time": "2026-11-22T00:00:00Z"}));
    assert_eq!(
        summary(&app, &scheduler).await,
        json!({"date": "2026-11-22", "due": 1, "sent": 1, "skipped": 0})
    );

    // 15:30 UTC on the 21st is already the 22nd in Japan: the same day's work, done.
    let eventbridge = event("schedule/eventbridge-scheduled-event.json");
    assert_eq!(eventbridge["time"], "2026-11-21T15:30:00Z");
    assert_eq!(
        summary(&app, &eventbridge).await,
        json!({"date": "2026-11-22", "due": 1, "sent": 0, "skipped": 1})
    );

    assert_eq!(
        summary(&app, &json!({"date": "2026-11-22"})).await["skipped"],
        1
    );
}

#[tokio::test]
#[ignore = "needs DynamoDB Local: scripts/test starts it"]
async fn an_event_it_cannot_read_or_a_day_ahead_is_refused() {
    let app = TestApp::in_the_cloud().await;
    let unknown = remind(
        &app.as_function("expiry-reminder").await,
        &json!({"source": "aws.s3"}),
    )
    .await
    .unwrap_err()
    .to_string();
    assert!(
        unknown.contains("scheduled_time") && unknown.contains("YYYY-MM-DD"),
        "{unknown}"
    );

    let ahead = remind(
        &app.as_function("expiry-reminder").await,
        &json!({"date": "2026-11-23"}),
    )
    .await
    .unwrap_err()
    .to_string();
    assert!(ahead.contains("2026-11-23"), "{ahead}");
}

/// docs/readers.md#payment: the daily run also fails a card-reader order still unpaid the
/// day after its due date, through the function's own grants (the orders' status index),
/// and mails the member why; on the due date itself the order stands.
#[tokio::test]
#[ignore = "needs DynamoDB Local: scripts/test starts it"]
async fn the_daily_run_fails_a_reader_order_left_unpaid() {
    let app = TestApp::in_the_cloud().await;
    let (member, token) = app.logged_in().await;
    let ordered = app
        .order_reader(
            &token,
            json!({"type": "usb_windows", "payment_method": "chocom"}),
        )
        .await;
    assert_eq!(ordered.status, 201, "{:?}", ordered.body);
    let order_no = ordered.body["order_no"].as_str().unwrap().to_owned();
    assert_eq!(ordered.body["payment"]["due_on"], "2026-11-29");
    let status = |answer: &crate::support::Answer| answer.body["status"].clone();

    app.advance(jiff::SignedDuration::from_hours(24 * 8));
    // A week later the session is long over: the member logs in again.
    let token = app.login(&member).await;
    summary(&app, &json!({"date": "2026-11-29"})).await;
    let order = app.get(&format!("/v1/orders/{order_no}"), &token).await;
    assert_eq!(status(&order), "awaiting_payment");

    summary(&app, &json!({"date": "2026-11-30"})).await;
    let order = app.get(&format!("/v1/orders/{order_no}"), &token).await;
    assert_eq!(status(&order), "failed");
    assert_eq!(order.body["reason"], "payment_expired");
    assert_eq!(
        app.mails_of_kind(&member.email, "order_failed").await.len(),
        1
    );
    let readers = app.get("/v1/readers", &token).await;
    assert_eq!(
        readers.body["readers"].as_array().unwrap().len(),
        1,
        "the starter kit only"
    );
}
