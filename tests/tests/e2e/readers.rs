//! docs/readers.md: ICカードリーダーの追加申込み.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::TestApp;

fn order(reader_type: &str, dry_run: bool) -> Value {
    json!({"type": reader_type, "payment_method": "chocom", "dry_run": dry_run})
}

/// How many readers the member has, the starter-kit one included.
async fn reader_count(app: &TestApp, token: &str) -> usize {
    let readers = app.get("/v1/readers", token).await;
    readers.body["readers"].as_array().unwrap().len()
}

#[tokio::test]
async fn the_catalogue_is_priced_to_the_yen_and_lists_the_starter_reader() {
    let app = TestApp::spawn().await;
    let (_, token) = app.logged_in().await;
    let readers = app.get("/v1/readers", &token).await;
    assert_eq!(readers.status, StatusCode::OK);
    let own = readers.body["readers"].as_array().unwrap();
    assert_eq!(own.len(), 1);
    assert_eq!(own[0]["rental"], false);
    assert_eq!(own[0]["ordered_on"], "2026-11-22");
    let catalog = readers.body["catalog"].as_array().unwrap();
    let price = json!({"base": 2500, "tax": 250, "fee": 27, "total": 2777});
    for (reader_type, available) in [
        ("usb_windows", true),
        ("usb_mac", true),
        ("pc_card_windows", false),
    ] {
        let entry = catalog.iter().find(|c| c["type"] == reader_type).unwrap();
        assert_eq!(entry["available"], available, "{reader_type}");
        assert_eq!(entry["price"], price);
    }
}

#[tokio::test]
async fn an_order_awaits_payment_with_a_receipt_and_a_mail() {
    let app = TestApp::spawn().await;
    let (member, token) = app.logged_in().await;

    let quote = app.order_reader(&token, order("usb_mac", true)).await;
    assert_eq!(quote.status, StatusCode::OK, "{:?}", quote.body);
    assert_eq!(
        quote.body,
        json!({"type": "usb_mac", "price": {"base": 2500, "tax": 250, "fee": 27, "total": 2777}})
    );
    assert_eq!(reader_count(&app, &token).await, 1);

    let ordered = app.order_reader(&token, order("usb_mac", false)).await;
    assert_eq!(ordered.status, StatusCode::CREATED, "{:?}", ordered.body);
    assert_eq!(ordered.body["status"], "awaiting_payment");
    assert_eq!(ordered.body["reader"]["type"], "usb_mac");
    assert_eq!(ordered.body["reader"]["rental"], true);
    assert_eq!(ordered.body["price"]["total"], 2777);
    let order_no = ordered.body["order_no"].as_str().unwrap().to_owned();
    assert!(order_no.starts_with("OD-20261122-"), "{order_no}");
    let payment = &ordered.body["payment"];
    assert_eq!(payment["amount"], 2777);
    assert_eq!(payment["due_on"], "2026-11-29", "seven days to pay");
    let url = payment["url"].as_str().unwrap();
    assert!(url.starts_with("https://") && url.contains(&order_no) && url.contains("2777"));
    assert_eq!(ordered.body["reader"]["order_no"], order_no.as_str());
    assert_eq!(reader_count(&app, &token).await, 2);

    let mails = app.mails_to(&member.email).await;
    assert_eq!(mails[0]["kind"], "reader_ordered");
    let body = mails[0]["body"].as_str().unwrap();
    assert!(body.contains("2,777円") && body.contains(url) && body.contains("2026年11月29日"));
    let receipts = app.receipts(&token).await;
    assert_eq!(receipts[0]["receipt_no"], ordered.body["receipt_no"]);
    assert_eq!(receipts[0]["kind"], "reader_order");
    assert_eq!(receipts[0]["order_no"], order_no.as_str());

    // The back office: paid, shipped (mailed), completed; the reader follows.
    for status in ["paid", "shipped", "completed"] {
        let moved = app
            .admin_post(
                &format!("/orders/{order_no}/events"),
                json!({"event_id": format!("bo-{status}"), "status": status}),
            )
            .await;
        assert_eq!(moved.status, StatusCode::OK, "{:?}", moved.body);
        let listed = app.get("/v1/readers", &token).await;
        let reader = listed.body["readers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["order_no"] == order_no.as_str())
            .unwrap()
            .clone();
        let expected = if status == "completed" {
            "delivered"
        } else {
            status
        };
        assert_eq!(reader["status"], expected);
    }
    assert_eq!(
        app.mails_of_kind(&member.email, "reader_shipped")
            .await
            .len(),
        1
    );
}

#[tokio::test]
async fn five_readers_at_most_even_when_ordered_at_once() {
    let app = TestApp::spawn().await;
    let (_, token) = app.logged_in().await;
    let orders = (0..10).map(|_| app.order_reader(&token, order("usb_windows", false)));
    let answers = futures::future::join_all(orders).await;
    let placed = answers
        .iter()
        .filter(|a| a.status == StatusCode::CREATED)
        .count();
    assert_eq!(placed, 4, "the starter-kit reader counts towards the five");
    for refused in answers.iter().filter(|a| a.status != StatusCode::CREATED) {
        assert_eq!(
            refused.refusal(),
            (StatusCode::CONFLICT, "reader_limit_reached")
        );
    }
    assert_eq!(reader_count(&app, &token).await, 5);
}

#[tokio::test]
async fn each_refusal_has_its_code() {
    let app = TestApp::spawn().await;
    let (_, token) = app.logged_in().await;
    let announced = app
        .order_reader(&token, order("pc_card_windows", true))
        .await;
    assert_eq!(
        announced.refusal(),
        (StatusCode::CONFLICT, "reader_type_unavailable")
    );
    let card = app
        .order_reader(
            &token,
            json!({"type": "usb_windows", "payment_method": "credit_card"}),
        )
        .await;
    assert_eq!(
        card.refusal(),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            "unsupported_payment_method"
        )
    );
    let unknown = app.order_reader(&token, order("bluetooth", true)).await;
    assert_eq!(unknown.code(), "validation_failed");
    assert_eq!(
        unknown.field_codes(),
        vec![("type".to_owned(), "invalid_value".to_owned())]
    );
}

#[tokio::test]
async fn a_replayed_order_returns_the_same_receipt_and_orders_once() {
    let app = TestApp::spawn().await;
    let (_, token) = app.logged_in().await;
    let body = order("usb_windows", false);
    let send = || app.post_with_key("/v1/readers", &token, "order-1", &body);
    let first = send().await;
    let replay = send().await;
    assert_eq!(first.status, StatusCode::CREATED);
    assert_eq!(replay.status, StatusCode::CREATED);
    assert_eq!(replay.body, first.body);
    assert_eq!(replay.headers["idempotent-replayed"], "true");
    assert_eq!(reader_count(&app, &token).await, 2);
    assert_eq!(app.receipts(&token).await.len(), 1);
}
