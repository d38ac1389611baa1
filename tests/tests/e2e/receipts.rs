//! docs/api.md: 受付一覧, the member's ledger, newest first, a page at a time.

use jiff::SignedDuration;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{LINE_TERMS, TestApp};

/// Submits `count` line-notification applications a minute apart, turning W0099 off and on;
/// their receipt numbers, oldest first.
async fn applications(app: &TestApp, token: &str, count: usize) -> Vec<String> {
    let mut numbers = Vec::new();
    for n in 0..count {
        let setting = if n.is_multiple_of(2) {
            "do_not_notify"
        } else {
            "notify"
        };
        let application = json!({
            "changes": [{"provider_code": "W0099", "setting": setting}],
            "consent": {"terms_version": LINE_TERMS, "agreed": true},
            "applicant": {"name": "山田 太郎", "phone": "06-0000-0000"},
        });
        let applied = app
            .post("/v1/line-notification/applications", token, application)
            .await;
        assert_eq!(applied.status, StatusCode::CREATED, "{:?}", applied.body);
        app.carry_out(applied.body["order_no"].as_str().unwrap())
            .await;
        numbers.push(applied.body["receipt_no"].as_str().unwrap().to_owned());
        app.advance(SignedDuration::from_mins(1));
    }
    numbers
}

fn numbers_of(receipts: &[Value]) -> Vec<String> {
    receipts
        .iter()
        .map(|r| r["receipt_no"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn the_ledger_is_read_a_page_at_a_time_newest_first() {
    let app = TestApp::spawn().await;
    let (_member, token) = app.logged_in().await;
    let mut submitted = applications(&app, &token, 5).await;
    submitted.reverse();

    let pages = app.pages("/v1/receipts", &token, "receipts", 2).await;
    let sizes: Vec<usize> = pages.iter().map(Vec::len).collect();
    assert_eq!(sizes, [2, 2, 1]);
    assert_eq!(numbers_of(&pages.concat()), submitted);

    let all = app.get("/v1/receipts", &token).await;
    assert_eq!(
        numbers_of(all.body["receipts"].as_array().unwrap()),
        submitted
    );
    assert_eq!(all.body["next_cursor"], Value::Null);
    let exact = app.pages("/v1/receipts", &token, "receipts", 5).await;
    assert_eq!(exact.len(), 1, "a page that ends at the oldest is the last");
}

#[tokio::test]
async fn a_bad_limit_or_cursor_is_a_field_error() {
    let app = TestApp::spawn().await;
    let (_member, token) = app.logged_in().await;
    let cases = [
        ("limit=0", "limit", "invalid_limit"),
        ("limit=201", "limit", "invalid_limit"),
        ("limit=ten", "limit", "invalid_limit"),
        ("cursor=%E3%81%82", "cursor", "invalid_cursor"),
        ("cursor=AAAA", "cursor", "invalid_cursor"),
    ];
    app.assert_queries_refused("/v1/receipts", &token, &cases)
        .await;
}

#[tokio::test]
async fn a_cursor_reads_only_the_callers_own_ledger() {
    let app = TestApp::spawn().await;
    let (_owner, owner_token) = app.logged_in().await;
    let theirs = applications(&app, &owner_token, 3).await;
    let page = app.get("/v1/receipts?limit=1", &owner_token).await;
    let cursor = page.body["next_cursor"]
        .as_str()
        .expect("more follow")
        .to_owned();

    let (_other, token) = app.logged_in().await;
    let mine = applications(&app, &token, 1).await;
    let read = app
        .get(&format!("/v1/receipts?cursor={cursor}"), &token)
        .await;
    assert_eq!(read.status, StatusCode::OK, "{:?}", read.body);
    let listed = numbers_of(read.body["receipts"].as_array().unwrap());
    assert!(listed.iter().all(|no| !theirs.contains(no)), "{listed:?}");
    assert!(listed.iter().all(|no| mine.contains(no)), "{listed:?}");
}
