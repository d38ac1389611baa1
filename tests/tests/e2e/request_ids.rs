//! docs/operations.md#request-ids: one member's complaint followed end to end. Every answer
//! names its request in `x-request-id`; the request's log lines, the order it places (and
//! the order's hand-over to the back office) and the mail it queues name the same id.

use madoguchi_core::service::outbox::hand_over_due;
use reqwest::StatusCode;

use crate::support::{HandedOver, TestApp, line_change, logs, renewal};

fn id_of(answer: &crate::support::Answer) -> String {
    answer.headers["x-request-id"].to_str().unwrap().to_owned()
}

#[tokio::test]
async fn every_answer_names_its_request_and_a_client_cannot_choose_it() {
    let app = TestApp::spawn().await;
    let first = app.call(reqwest::Method::GET, "/healthz", None, None).await;
    let second = app.call(reqwest::Method::GET, "/nowhere", None, None).await;
    assert_eq!(second.status, StatusCode::NOT_FOUND);
    let (first, second) = (id_of(&first), id_of(&second));
    assert_eq!(first.len(), 20, "{first}");
    assert_ne!(first, second);

    let chosen = reqwest::Client::new()
        .get(format!("{}/healthz", app.base))
        .header("x-request-id", "chosen-by-the-client")
        .send()
        .await
        .unwrap();
    let given = chosen.headers()["x-request-id"].to_str().unwrap();
    assert_ne!(given, "chosen-by-the-client");
}

#[tokio::test]
async fn an_order_its_hand_over_its_mail_and_its_log_lines_name_the_request() {
    let app = TestApp::spawn().await;
    let (member, token) = app.logged_in().await;

    let applied = app
        .post(
            "/v1/line-notification/applications",
            &token,
            line_change("do_not_notify", false),
        )
        .await;
    assert_eq!(applied.status, StatusCode::CREATED, "{}", applied.body);
    let placed_by = id_of(&applied);
    let order_no = applied.body["order_no"].as_str().unwrap();
    let order = app.get(&format!("/v1/orders/{order_no}"), &token).await;
    assert_eq!(order.body["request_id"], placed_by.as_str());

    let back_office = HandedOver::default();
    hand_over_due(&app.ctx, &back_office, app.ctx.clock.now(), 100)
        .await
        .unwrap();
    let events = back_office.events();
    let (_, placed) = events
        .iter()
        .find(|(_, event)| event["id"] == order_no)
        .expect("the order was handed over");
    assert_eq!(placed["madoguchiRequestId"], placed_by.as_str());

    // A renewal queues its mail in the request: the mail names it too.
    let licensed = app.member_until("2027-01-01").await;
    let code = app.issue_codes("security-suite", 12, 1).await.remove(0);
    let renewed = app.renew(renewal(&code, &licensed, false)).await;
    assert_eq!(renewed.status, StatusCode::CREATED, "{}", renewed.body);
    let renewed_by = id_of(&renewed);
    let outbox = app
        .admin_get(&format!("/outbox?to={}", licensed.email))
        .await;
    let mail = &outbox.body["mails"][0];
    assert_eq!(mail["kind"], "renewal_completed");
    assert_eq!(mail["request_id"], renewed_by.as_str());

    // The request's own log lines carry its id.
    let logs = logs();
    let lines: Vec<&str> = logs
        .lines()
        .filter(|line| line.contains(&placed_by))
        .collect();
    assert!(
        lines.iter().any(|line| line.contains(&member.customer_id)),
        "no log line of the request names it: {lines:?}"
    );
}
