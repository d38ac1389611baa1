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
    assert!(ordered.body["order_no"].as_str().unwrap().starts_with("O-"));
    assert_eq!(reader_count(&app, &token).await, 2);

    let mails = app.mails_to(&member.email).await;
    assert_eq!(mails[0]["kind"], "reader_ordered");
    assert!(mails[0]["body"].as_str().unwrap().contains("2777円"));
    let receipts = app.receipts(&token).await;
    assert_eq!(receipts[0]["receipt_no"], ordered.body["receipt_no"]);
    assert_eq!(receipts[0]["kind"], "reader_order");
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
