//! The store conformance suite on DynamoDB Local (the same suite redb passes in core's unit
//! tests). `scripts/test` starts DynamoDB Local and runs these.

use std::collections::HashMap;
use std::sync::Arc;

use aws_sdk_dynamodb::types::AttributeValue;
use madoguchi_core::Clock;
use madoguchi_core::store::conformance;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::support::{TestApp, dynamodb_table, fresh_dynamodb_table, renewal};
use madoguchi_core::store::Commit;
use madoguchi_core::store::Ledger;

#[tokio::test]
#[ignore = "needs DynamoDB Local: scripts/test starts it"]
async fn dynamodb_passes_the_store_conformance_suite() {
    let store = fresh_dynamodb_table().await;
    conformance::run_all(&store).await;
}

#[tokio::test]
#[ignore = "needs DynamoDB Local: scripts/test starts it"]
async fn dynamodb_creates_its_table_once_however_often_asked() {
    let store = fresh_dynamodb_table().await;
    store.ensure_table().await.unwrap();
    store.ensure_table().await.unwrap();
}

/// docs/api.md, docs/usage.md: "a request costs the same however long the history grows". A page is one
/// Query of the page's items, whatever lies beyond it: the capacity DynamoDB reports for a
/// page of a long history (or ledger) is what a page of a short one costs.
#[tokio::test]
#[ignore = "needs DynamoDB Local: scripts/test starts it"]
async fn a_page_costs_the_same_however_long_the_list() {
    use madoguchi_core::domain::{
        CustomerId, Device, DeviceId, DeviceName, EventKind, HistoryEvent, Os, Product, Receipt,
        ReceiptKind, Serial,
    };
    use madoguchi_core::store::Write;

    let (store, meter) = fresh_dynamodb_table().await.metered();
    let at: jiff::Timestamp = "2026-11-22T00:00:00Z".parse().unwrap();
    let device = Device {
        device_id: DeviceId::parse("pc-1").unwrap(),
        os: Os::Windows,
        name: DeviceName::parse("居間のPC").unwrap(),
        activated_at: at,
    };
    let history_of = |events: u64| {
        let serial = Serial::generate(Product::SecuritySuite);
        let writes: Vec<Write> = (0..events)
            .map(|seq| Write::AppendHistory {
                serial: serial.clone(),
                seq,
                event: HistoryEvent {
                    at,
                    kind: EventKind::Moved,
                    device: device.clone(),
                    previous_device: Some(device.clone()),
                },
            })
            .collect();
        (serial, writes)
    };
    let ledger_of = |receipts: usize| {
        let owner = CustomerId::generate();
        let writes: Vec<Write> = (0..receipts)
            .map(|n| Write::PutReceipt {
                customer_id: owner.clone(),
                receipt: Receipt {
                    receipt_no: format!("R-{}-{n:06}", &owner.as_str()[3..]),
                    accepted_at: at + jiff::SignedDuration::from_secs(n as i64),
                    kind: ReceiptKind::Renewal,
                    summary: "セキュリティ対策ツールの更新（12か月）".into(),
                    order_no: None,
                },
            })
            .collect();
        (owner, writes)
    };
    let (short_serial, short_history) = history_of(6);
    let (long_serial, long_history) = history_of(600);
    let (short_owner, short_ledger) = ledger_of(6);
    let (long_owner, long_ledger) = ledger_of(600);
    for writes in [short_history, long_history, short_ledger, long_ledger] {
        for chunk in writes.chunks(40) {
            store.commit(chunk.to_vec()).await.unwrap();
        }
    }
    let cost = |before| meter.read() - before;

    let before = meter.read();
    let short = store.history(&short_serial, None, 5).await.unwrap();
    let short_cost = cost(before);
    let before = meter.read();
    let long = store.history(&long_serial, Some(300), 5).await.unwrap();
    let long_cost = cost(before);
    assert_eq!((short.items.len(), long.items.len()), (5, 5));
    assert_eq!(short_cost, long_cost, "a page of 6 events, a page of 600");
    assert_eq!(short_cost.calls, 1, "one Query");

    let before = meter.read();
    let short = store.receipts_of(&short_owner, None, 5).await.unwrap();
    let short_cost = cost(before);
    let before = meter.read();
    let long = store.receipts_of(&long_owner, None, 5).await.unwrap();
    let long_cost = cost(before);
    assert_eq!((short.items.len(), long.items.len()), (5, 5));
    assert_eq!(short_cost, long_cost, "a page of 6 receipts, a page of 600");
    assert_eq!(short_cost.calls, 1, "one Query");
}

type Item = HashMap<String, AttributeValue>;

/// Every item of a table, as DynamoDB holds it.
async fn raw_items(table: &str) -> Vec<Item> {
    let config = aws_config::load_from_env().await;
    let client = aws_sdk_dynamodb::Client::new(&config);
    let mut items = Vec::new();
    let mut start = None;
    loop {
        let page = client
            .scan()
            .table_name(table)
            .set_exclusive_start_key(start)
            .send()
            .await
            .unwrap();
        items.extend(page.items.unwrap_or_default());
        start = page.last_evaluated_key;
        if start.is_none() {
            return items;
        }
    }
}

fn text<'a>(item: &'a Item, name: &str) -> &'a str {
    match item.get(name) {
        Some(AttributeValue::S(text)) => text,
        other => panic!("{name}: {other:?}"),
    }
}

/// What kind of record an item is, when it is one that ends.
fn ending_kind(item: &Item) -> Option<&'static str> {
    let (pk, sk) = (text(item, "pk"), text(item, "sk"));
    [
        ("SESSION#", "session"),
        ("COUNT#", "client count"),
        ("IDEMPOTENCY#", "idempotency record"),
        ("REMINDER#", "reminder sent"),
    ]
    .into_iter()
    .find_map(|(prefix, kind)| pk.starts_with(prefix).then_some(kind))
    .or_else(|| sk.starts_with("SESSION#").then_some("session pointer"))
}

/// The kinds of ending items, each checked: a TTL DynamoDB honours (a Number of epoch
/// seconds) that lies after `now`. An expiry of 0, or none, would keep it forever.
fn check_expiries(items: &[Item], now: jiff::Timestamp) -> Vec<&'static str> {
    let mut kinds = Vec::new();
    for item in items {
        let Some(kind) = ending_kind(item) else {
            continue;
        };
        let expires_at = match item.get("expires_at") {
            Some(AttributeValue::N(seconds)) => seconds.parse::<i64>().unwrap(),
            other => panic!("{kind} without a TTL DynamoDB honours: {other:?}"),
        };
        assert!(
            expires_at > now.as_second(),
            "{kind} expires at {expires_at}, not after {now}"
        );
        kinds.push(kind);
    }
    kinds.sort_unstable();
    kinds.dedup();
    kinds
}

/// Every item with an end carries it in `expires_at`, the table's TTL attribute (as in
/// infra/template.yaml): sessions and their pointers, per-client counts, idempotency
/// records, sent reminders.
#[tokio::test]
#[ignore = "needs DynamoDB Local: scripts/test starts it"]
async fn everything_that_ends_carries_a_ttl_in_the_future() {
    let table = format!("test-{}", madoguchi_core::secret::random_digits(12));
    let app = TestApp::spawn_over(Arc::new(dynamodb_table(&table).await)).await;
    let member = app.member_until("2026-12-10").await;

    // A success gives its place back: the client's count stays, with nothing kept.
    let token = app.login(&member).await;
    let now = app.clock.now();
    let kinds = check_expiries(&raw_items(&table).await, now);
    assert_eq!(kinds, ["client count", "session", "session pointer"]);

    let wrong = app.try_login(&member.customer_id, "not-the-key-1").await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    let code = app.issue_codes("mobile-security", 12, 1).await.remove(0);
    let mismatch = app
        .call_with(
            Method::POST,
            "/v1/renewals",
            None,
            &[("idempotency-key", "ttl-check-1")],
            Some(renewal(&code, &member, false)),
        )
        .await;
    assert_eq!(mismatch.status, StatusCode::CONFLICT, "{:?}", mismatch.body);
    let run = app
        .admin_post("/jobs/expiry-reminders", json!({"date": "2026-11-22"}))
        .await;
    assert_eq!(run.body["sent"], 1, "{:?}", run.body);
    assert_eq!(app.get("/v1/usage", &token).await.status, StatusCode::OK);

    let kinds = check_expiries(&raw_items(&table).await, app.clock.now());
    assert_eq!(
        kinds,
        [
            "client count",
            "idempotency record",
            "reminder sent",
            "session",
            "session pointer"
        ]
    );
}
