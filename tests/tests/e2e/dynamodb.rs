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
    .or_else(|| sk.starts_with("CUSTOMER#SESSION#").then_some("session"))
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
/// infra/template.yaml): sessions (and the pointers of sessions filed before tokens named
/// their member), per-client counts, idempotency
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
    assert_eq!(kinds, ["client count", "session"]);

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
            "session"
        ]
    );
}

/// core/src/store/README.md#sessions: a member's request reads its session and member in
/// one request: for usage with the serials, one Query of the member's partition at one
/// read unit (under 4 KB, strongly consistent), which is the whole of usage's reads; for
/// the others one BatchGetItem, before what the route itself reads. A refresh of
/// `last_seen_at`, once a minute, is the only other call.
#[tokio::test]
#[ignore = "needs DynamoDB Local: scripts/test starts it"]
async fn a_members_read_is_one_query() {
    let (store, meter) = fresh_dynamodb_table().await.metered();
    let app = TestApp::spawn_over(Arc::new(store)).await;
    let member = app.member_until("2026-12-10").await;
    let token = app.login(&member).await;
    // Usage is the view; services read the catalogue too, orders and receipts a page; the
    // last two find the session and member in one BatchGetItem.
    let reads = [
        ("/v1/usage", 1),
        ("/v1/services", 2),
        ("/v1/orders", 2),
        ("/v1/receipts", 2),
    ];
    for (path, calls) in reads {
        let before = meter.read();
        let answer = app.get(path, &token).await;
        assert_eq!(answer.status, StatusCode::OK, "{path}: {:?}", answer.body);
        let cost = meter.read() - before;
        assert_eq!(cost.calls, calls, "{path}: {cost:?}");
    }
    let before = meter.read();
    app.get("/v1/usage", &token).await;
    assert_eq!(
        (meter.read() - before).read_units,
        1.0,
        "the view of a member with two serials"
    );
    app.advance(jiff::SignedDuration::from_secs(61));
    let before = meter.read();
    assert_eq!(app.get("/v1/usage", &token).await.status, StatusCode::OK);
    let cost = meter.read() - before;
    assert_eq!(cost.calls, 2, "the read and the refresh: {cost:?}");
}

/// docs/renewal.md: with a session, a renewal reads the code, the serial and the member in
/// one BatchGetItem, the caller's partition naming the serial's; without one it reads the
/// serial's owner first, in a second. Both take the client's place and give it back (two
/// UpdateItems), so the session's own read is what the logged-in quote adds.
#[tokio::test]
#[ignore = "needs DynamoDB Local: scripts/test starts it"]
async fn a_members_renewal_reads_in_one_request() {
    let (store, meter) = fresh_dynamodb_table().await.metered();
    let app = TestApp::spawn_over(Arc::new(store)).await;
    let member = app.member_until("2026-12-10").await;
    let token = app.login(&member).await;
    let code = app.issue_codes("security-suite", 12, 1).await.remove(0);
    // The first renewal from this address opens its window (a read and a put): not counted.
    let opening = app.renew(renewal(&code, &member, true)).await;
    assert_eq!(opening.status, StatusCode::OK, "{:?}", opening.body);

    let before = meter.read();
    let anonymous = app.renew(renewal(&code, &member, true)).await;
    assert_eq!(anonymous.status, StatusCode::OK, "{:?}", anonymous.body);
    let cost = meter.read() - before;
    assert_eq!(
        cost.calls, 4,
        "place, owner and code, serial and member, place: {cost:?}"
    );

    let before = meter.read();
    let logged_in = app
        .post("/v1/renewals", &token, renewal(&code, &member, true))
        .await;
    assert_eq!(logged_in.status, StatusCode::OK, "{:?}", logged_in.body);
    let cost = meter.read() - before;
    assert_eq!(
        cost.calls, 4,
        "session, place, code with serial and member, place: {cost:?}"
    );
    assert_eq!(logged_in.body, anonymous.body, "the same quote");
}

/// docs/login.md#sessions: a token issued before tokens named their member (the 43 random
/// characters alone, its session in a partition of its own with a pointer in the
/// member's) is honoured until its session ends; logging out deletes both of its items,
/// and a cancellation ends it with the member's other sessions.
#[tokio::test]
#[ignore = "needs DynamoDB Local: scripts/test starts it"]
async fn a_token_of_the_earlier_form_works_until_its_session_ends() {
    let table = format!("test-{}", madoguchi_core::secret::random_digits(12));
    let app = TestApp::spawn_over(Arc::new(dynamodb_table(&table).await)).await;
    let member = app.member_until("2026-12-10").await;
    let client = aws_sdk_dynamodb::Client::new(&aws_config::load_from_env().await);
    let names = |digest: &str| {
        let key = format!("SESSION#{digest}");
        move |item: &Item| text(item, "pk") == key || text(item, "sk") == key
    };

    let (token, digest) =
        earlier_session(&client, &table, &member.customer_id, app.clock.now()).await;
    assert_eq!(app.get("/v1/usage", &token).await.status, StatusCode::OK);
    // Its refresh goes to where it is filed.
    let last_seen = |items: Vec<Item>| {
        let key = format!("SESSION#{digest}");
        let session = items.into_iter().find(|i| text(i, "pk") == key).unwrap();
        text(&session, "last_seen_at").to_owned()
    };
    let seen = last_seen(raw_items(&table).await);
    app.advance(jiff::SignedDuration::from_secs(61));
    assert_eq!(app.get("/v1/usage", &token).await.status, StatusCode::OK);
    assert_ne!(last_seen(raw_items(&table).await), seen, "refreshed");
    let logout = app
        .call(Method::DELETE, "/v1/sessions/current", Some(&token), None)
        .await;
    assert_eq!(logout.status, StatusCode::NO_CONTENT, "{:?}", logout.body);
    assert!(!raw_items(&table).await.iter().any(names(&digest)));
    assert_eq!(
        app.get("/v1/usage", &token).await.status,
        StatusCode::UNAUTHORIZED
    );

    let (earlier, digest) =
        earlier_session(&client, &table, &member.customer_id, app.clock.now()).await;
    let current = app.login(&member).await;
    let cancelled = app.cancel_membership(&current).await;
    assert_eq!(
        cancelled.status,
        StatusCode::CREATED,
        "{:?}",
        cancelled.body
    );
    assert!(!raw_items(&table).await.iter().any(names(&digest)));
    for token in [earlier, current] {
        assert_eq!(
            app.get("/v1/usage", &token).await.status,
            StatusCode::UNAUTHORIZED
        );
    }
}

/// A session as it was filed before tokens named their member: its item in a partition of
/// its own, and a pointer in the member's. Returns its token and the token's digest.
async fn earlier_session(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
    member: &str,
    now: jiff::Timestamp,
) -> (String, String) {
    let token = madoguchi_core::secret::random_secret();
    let digest = madoguchi_core::secret::token_digest(&token);
    let session = madoguchi_core::domain::Session {
        token_digest: digest.clone(),
        customer_id: madoguchi_core::domain::CustomerId::parse(member).unwrap(),
        created_at: now,
        last_seen_at: now,
    };
    let expires = AttributeValue::N((now.as_second() + 12 * 3600).to_string());
    let mut item: Item = serde_dynamo::to_item(&session).unwrap();
    item.insert("pk".into(), AttributeValue::S(format!("SESSION#{digest}")));
    item.insert("sk".into(), AttributeValue::S("SESSION".into()));
    item.insert("expires_at".into(), expires.clone());
    let pointer: Item = HashMap::from([
        ("pk".into(), AttributeValue::S(format!("CUSTOMER#{member}"))),
        ("sk".into(), AttributeValue::S(format!("SESSION#{digest}"))),
        ("expires_at".into(), expires),
    ]);
    for item in [item, pointer] {
        client
            .put_item()
            .table_name(table)
            .set_item(Some(item))
            .send()
            .await
            .unwrap();
    }
    (token, digest)
}
