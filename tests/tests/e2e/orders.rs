//! docs/orders.md: a line-notification change as an order, over HTTP: 変更中 until the back
//! office reports its end, the operators' list and progress route, a member's withdrawal,
//! and the hand-over of each order, once, as its documented event.

use madoguchi_core::service::outbox::hand_over_due;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{HandedOver, TestApp, line_change as change};

async fn w0099(app: &TestApp, token: &str) -> Value {
    let overview = app.get("/v1/line-notification", token).await;
    overview.body["providers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["provider_code"] == "W0099")
        .unwrap()
        .clone()
}

async fn report(
    app: &TestApp,
    order_no: &str,
    event_id: &str,
    status: &str,
) -> crate::support::Answer {
    app.admin_post(
        &format!("/orders/{order_no}/events"),
        json!({"event_id": event_id, "status": status}),
    )
    .await
}

#[tokio::test]
async fn a_change_is_pending_until_its_order_completes() {
    let app = TestApp::spawn().await;
    let (member, token) = app.logged_in().await;
    let applied = app
        .post(
            "/v1/line-notification/applications",
            &token,
            change("do_not_notify", true),
        )
        .await;
    assert_eq!(applied.status, StatusCode::CREATED, "{:?}", applied.body);
    assert_eq!(applied.body["status"], "accepted");
    let order_no = applied.body["order_no"].as_str().unwrap().to_owned();

    let provider = w0099(&app, &token).await;
    assert_eq!(provider["setting"], "notify");
    assert_eq!(
        provider["pending"],
        json!({"setting": "do_not_notify", "order_no": order_no})
    );
    let usage = app.get("/v1/usage", &token).await;
    let line = &usage.body["services"][0];
    assert_eq!(line["service"], "line_notification");
    assert_eq!(line["status"], "changing", "変更中 while the order is open");
    let again = app
        .post(
            "/v1/line-notification/applications",
            &token,
            change("do_not_notify", false),
        )
        .await;
    assert_eq!(again.refusal(), (StatusCode::CONFLICT, "change_pending"));
    let receipts = app.receipts(&token).await;
    assert_eq!(receipts[0]["order_no"], order_no.as_str());
    assert!(
        app.mails_of_kind("taro@example.jp", "works_completed")
            .await
            .is_empty()
    );

    for (event_id, status) in [("bo-1", "in_progress"), ("bo-2", "completed")] {
        let moved = report(&app, &order_no, event_id, status).await;
        assert_eq!(moved.status, StatusCode::OK, "{:?}", moved.body);
    }
    let provider = w0099(&app, &token).await;
    assert_eq!(provider["setting"], "do_not_notify");
    assert_eq!(provider["pending"], Value::Null);
    let mails = app
        .mails_of_kind("taro@example.jp", "works_completed")
        .await;
    assert_eq!(mails.len(), 1);
    assert!(mails[0]["body"].as_str().unwrap().contains("通知しない"));

    let mine = app.get("/v1/orders", &token).await;
    assert_eq!(mine.status, StatusCode::OK);
    let order = &mine.body["orders"][0];
    assert_eq!(order["order_no"], order_no.as_str());
    assert_eq!(order["kind"], "line_notification");
    assert_eq!(order["status"], "completed");
    let steps: Vec<&str> = order["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["status"].as_str().unwrap())
        .collect();
    assert_eq!(steps, ["accepted", "in_progress", "completed"]);
    assert_eq!(order["details"]["completion_email"], true);
    assert!(
        !mine.body.to_string().contains("taro@example.jp"),
        "no address in the view"
    );

    let state = app.state_of(&member).await;
    assert_eq!(state["orders"]["orders"][0]["order_no"], order_no.as_str());
}

#[tokio::test]
async fn the_back_office_cannot_move_an_order_backwards_or_after_its_end() {
    let app = TestApp::spawn().await;
    let (_, token) = app.logged_in().await;
    let applied = app
        .post(
            "/v1/line-notification/applications",
            &token,
            change("do_not_notify", false),
        )
        .await;
    let order_no = applied.body["order_no"].as_str().unwrap().to_owned();

    assert_eq!(
        report(&app, &order_no, "bo-1", "in_progress").await.status,
        StatusCode::OK
    );
    let same = report(&app, &order_no, "bo-1", "in_progress").await;
    assert_eq!(same.status, StatusCode::OK, "the same event again");
    assert_eq!(same.body["steps"].as_array().unwrap().len(), 2);
    let back = report(&app, &order_no, "bo-2", "accepted").await;
    assert_eq!(back.refusal(), (StatusCode::CONFLICT, "invalid_transition"));
    let shipment = report(&app, &order_no, "bo-3", "shipped").await;
    assert_eq!(
        shipment.refusal(),
        (StatusCode::CONFLICT, "invalid_transition")
    );
    let failed = app
        .admin_post(
            &format!("/orders/{order_no}/events"),
            json!({"event_id": "bo-4", "status": "failed", "reason": "設備の故障のため工事できませんでした"}),
        )
        .await;
    assert_eq!(failed.status, StatusCode::OK, "{:?}", failed.body);
    assert_eq!(
        failed.body["reason"],
        "設備の故障のため工事できませんでした"
    );
    let after = report(&app, &order_no, "bo-5", "completed").await;
    assert_eq!(
        after.refusal(),
        (StatusCode::CONFLICT, "invalid_transition")
    );
    assert_eq!(
        w0099(&app, &token).await["setting"],
        "notify",
        "a failure applies nothing"
    );

    let unknown = report(&app, "OD-20261122-ZZZZZZ", "bo-6", "completed").await;
    assert_eq!(unknown.refusal(), (StatusCode::NOT_FOUND, "not_found"));
    let bad = app
        .admin_post(
            &format!("/orders/{order_no}/events"),
            json!({"event_id": "", "status": "done"}),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.has_field_code("event_id", "required"));
    assert!(bad.has_field_code("status", "invalid_value"));
}

#[tokio::test]
async fn a_member_withdraws_an_order_and_operators_list_orders_by_status() {
    let app = TestApp::spawn().await;
    let (_, token) = app.logged_in().await;
    let (_, other) = app.logged_in().await;
    let mut placed = Vec::new();
    for (setting, who) in [("do_not_notify", &token), ("do_not_notify", &other)] {
        let applied = app
            .post(
                "/v1/line-notification/applications",
                who,
                change(setting, false),
            )
            .await;
        placed.push(applied.body["order_no"].as_str().unwrap().to_owned());
        app.advance(jiff::SignedDuration::from_secs(1));
    }
    let path = format!("/v1/orders/{}/withdrawal", placed[0]);
    let by_other = app.post(&path, &other, json!({})).await;
    assert_eq!(by_other.refusal(), (StatusCode::NOT_FOUND, "not_found"));
    let withdrawn = app.post(&path, &token, json!({})).await;
    assert_eq!(withdrawn.status, StatusCode::OK, "{:?}", withdrawn.body);
    assert_eq!(withdrawn.body["status"], "failed");
    assert_eq!(withdrawn.body["reason"], "withdrawn");
    let twice = app.post(&path, &token, json!({})).await;
    assert_eq!(
        twice.refusal(),
        (StatusCode::CONFLICT, "invalid_transition")
    );
    assert_eq!(w0099(&app, &token).await["pending"], Value::Null);

    let failed = app.admin_get("/orders?status=failed&limit=200").await;
    assert_eq!(failed.status, StatusCode::OK, "{:?}", failed.body);
    let numbers: Vec<&str> = failed.body["orders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["order_no"].as_str().unwrap())
        .collect();
    assert!(numbers.contains(&placed[0].as_str()));
    assert!(!numbers.contains(&placed[1].as_str()));
    // Every status, a page of one at a time, newest first.
    let first = app.admin_get("/orders?limit=1").await;
    assert_eq!(first.body["orders"].as_array().unwrap().len(), 1);
    let cursor = first.body["next_cursor"].as_str().expect("more follow");
    let next = app
        .admin_get(&format!("/orders?limit=1&cursor={cursor}"))
        .await;
    assert_eq!(next.status, StatusCode::OK);
    assert_ne!(
        next.body["orders"][0]["order_no"],
        first.body["orders"][0]["order_no"]
    );
    // Placed before a time: none placed before the tests began.
    let none = app
        .admin_get("/orders?placed_before=2020-01-01T00:00:00Z")
        .await;
    assert_eq!(none.body["orders"], json!([]));
    let bad = app
        .admin_get("/orders?status=lost&placed_before=soon")
        .await;
    assert!(bad.has_field_code("status", "invalid_value"));
    assert!(bad.has_field_code("placed_before", "invalid_value"));
}

/// docs/orders.md: every order is handed over once, as an event that holds to
/// docs/order-event.schema.json; a withdrawal is handed over too.
#[tokio::test]
async fn each_order_is_handed_over_once_as_its_documented_event() {
    let app = TestApp::spawn().await;
    let (_, token) = app.logged_in().await;
    let applied = app
        .post(
            "/v1/line-notification/applications",
            &token,
            change("do_not_notify", true),
        )
        .await;
    let order_no = applied.body["order_no"].as_str().unwrap().to_owned();
    let back_office = HandedOver::default();
    for _ in 0..2 {
        hand_over_due(&app.ctx, &back_office, app.ctx.clock.now(), 100)
            .await
            .unwrap();
    }
    let withdrawn = app
        .post(
            &format!("/v1/orders/{order_no}/withdrawal"),
            &token,
            json!({}),
        )
        .await;
    assert_eq!(withdrawn.status, StatusCode::OK);
    hand_over_due(&app.ctx, &back_office, app.ctx.clock.now(), 100)
        .await
        .unwrap();
    let events = back_office.events();
    let types: Vec<&str> = events.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(types, ["OrderPlaced", "OrderStateChanged"]);
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../docs/order-event.schema.json"
    );
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    for (_, event) in &events {
        assert_eq!(event["id"], order_no.as_str());
        let errors: Vec<String> = validator
            .iter_errors(event)
            .map(|e| e.to_string())
            .collect();
        assert!(errors.is_empty(), "{errors:?}\n{event:#}");
    }
}
