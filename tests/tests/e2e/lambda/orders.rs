//! docs/orders.md, docs/cloud.md: an order through the functions as deployed. A member's change
//! is accepted by `line-notification`; the dispatcher hands it to the back office's bus from
//! the table's stream (`events:PutEvents` on that bus only, as the template allows), as an
//! event that holds to docs/order-event.schema.json; the back office reports progress to
//! `admin`; the member follows it through `services`, and withdraws another.

use madoguchi_core::lambda::Function;
use madoguchi_core::service::outbox::stream::{BatchResponse, dispatch};
use reqwest::StatusCode;
use serde_json::Value;

use super::outbox_dispatcher::order_bus;
use super::{call, fixture};
use crate::outbox::{batch, stream_of};
use crate::support::TestApp;

/// The order item as DynamoDB holds it, in the stream's JSON form.
async fn order_item(table: &str, order_no: &str) -> Value {
    let client = aws_sdk_dynamodb::Client::new(&aws_config::load_from_env().await);
    let scanned = client
        .scan()
        .table_name(table)
        .filter_expression("order_no = :no AND begins_with(sk, :order)")
        .expression_attribute_values(
            ":no",
            aws_sdk_dynamodb::types::AttributeValue::S(order_no.into()),
        )
        .expression_attribute_values(
            ":order",
            aws_sdk_dynamodb::types::AttributeValue::S("ORDER#".into()),
        )
        .consistent_read(true)
        .send()
        .await
        .unwrap();
    let items = scanned.items.unwrap_or_default();
    assert_eq!(items.len(), 1, "one item per order");
    serde_json::to_value(serde_dynamo::Item::from(items[0].clone())).unwrap()
}

fn schema() -> jsonschema::Validator {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../docs/order-event.schema.json"
    );
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    jsonschema::validator_for(&schema).expect("a valid JSON Schema")
}

fn assert_valid(event: &Value) {
    let errors: Vec<String> = schema()
        .iter_errors(event)
        .map(|e| format!("{} at {}", e, e.instance_path))
        .collect();
    assert!(
        errors.is_empty(),
        "the event breaks its schema: {errors:?}\n{event:#}"
    );
}

async fn apply(app: &TestApp, token: &str, setting: &str) -> String {
    let applied = app
        .post(
            "/v1/line-notification/applications",
            token,
            crate::support::line_change(setting, true),
        )
        .await;
    assert_eq!(applied.status, StatusCode::CREATED, "{:?}", applied.body);
    assert_eq!(applied.body["status"], "accepted");
    applied.body["order_no"].as_str().unwrap().to_owned()
}

#[tokio::test]
#[ignore = "needs DynamoDB Local: scripts/test starts it"]
async fn an_order_goes_to_the_bus_once_and_comes_back_through_the_admin_function() {
    let app = TestApp::in_the_cloud().await;
    let member = app.member().await;
    let token = app.login(&member).await;
    let order_no = apply(&app, &token, "do_not_notify").await;

    // The stream hands the new order to the dispatcher, which puts it on the bus; the same
    // record again (a redelivery) puts nothing more.
    let dispatcher = app.as_function("outbox-dispatcher").await;
    let sender = super::outbox_dispatcher::ses(&app).await;
    let bus = order_bus(&app).await;
    let table = app.cloud().stack().table.clone();
    let placed = order_item(&table, &order_no).await;
    for _ in 0..2 {
        let answer = dispatch(&dispatcher, &sender, &bus, stream_of(&placed, &[0]))
            .await
            .unwrap();
        assert_eq!(batch(answer), BatchResponse::default());
    }
    let events = app.cloud().put_events();
    assert_eq!(events.len(), 1, "{events:?}");
    let event = &events[0];
    assert_eq!(event.function, "outbox-dispatcher");
    assert_eq!(event.bus, app.cloud().stack().event_bus_name("OrderBus"));
    assert_eq!(
        (event.source.as_str(), event.detail_type.as_str()),
        ("madoguchi", "OrderPlaced")
    );
    assert_valid(&event.detail);
    assert_eq!(event.detail["id"], order_no.as_str());
    assert_eq!(event.detail["state"], "acknowledged");
    assert_eq!(
        event.detail["relatedParty"][0]["id"],
        member.customer_id.as_str()
    );
    assert_eq!(event.detail["productOrderItem"][0]["action"], "modify");
    assert!(
        !event.detail.to_string().contains("taro@example.jp"),
        "no address goes to the bus"
    );

    // The back office reports through the admin function: 工事中, then 完了; the same
    // event again is one step; a move back is refused.
    let report = |event_id: &str, status: &str| {
        fixture(
            "apigw-v2/admin-order-event-iam.json",
            &[
                ("order_no", &order_no),
                ("event_id", event_id),
                ("status", status),
            ],
        )
    };
    for (event_id, status) in [
        ("bo-1", "in_progress"),
        ("bo-2", "completed"),
        ("bo-2", "completed"),
    ] {
        let moved = call(&app, Function::Admin, &report(event_id, status)).await;
        assert_eq!(moved.status, StatusCode::OK, "{:?}", moved.body);
        assert_eq!(moved.body["status"], status);
    }
    let back = call(&app, Function::Admin, &report("bo-3", "in_progress")).await;
    assert_eq!(back.refusal(), (StatusCode::CONFLICT, "invalid_transition"));
    let listed = call(
        &app,
        Function::Admin,
        &fixture("apigw-v2/admin-orders-iam.json", &[]),
    )
    .await;
    assert_eq!(listed.status, StatusCode::OK, "{:?}", listed.body);

    // The member sees it completed through the services function, and the setting changed.
    let mine = call(
        &app,
        Function::Services,
        &fixture("apigw-v2/orders.json", &[("token", &token)]),
    )
    .await;
    assert_eq!(mine.status, StatusCode::OK, "{:?}", mine.body);
    assert_eq!(mine.body["orders"][0]["order_no"], order_no.as_str());
    assert_eq!(mine.body["orders"][0]["status"], "completed");
    let one = call(
        &app,
        Function::Services,
        &fixture(
            "apigw-v2/order.json",
            &[("token", &token), ("order_no", &order_no)],
        ),
    )
    .await;
    assert_eq!(
        one.body["steps"].as_array().unwrap().len(),
        3,
        "{:?}",
        one.body
    );
    let mails = app
        .mails_of_kind("taro@example.jp", "works_completed")
        .await;
    assert_eq!(mails.len(), 1);

    // A second change, withdrawn through the services function before the work starts:
    // the withdrawal goes to the bus as well.
    let second = apply(&app, &token, "notify").await;
    let withdrawn = call(
        &app,
        Function::Services,
        &fixture(
            "apigw-v2/order-withdrawal.json",
            &[("token", &token), ("order_no", &second)],
        ),
    )
    .await;
    assert_eq!(withdrawn.status, StatusCode::OK, "{:?}", withdrawn.body);
    assert_eq!(withdrawn.body["reason"], "withdrawn");
    let record = order_item(&table, &second).await;
    dispatch(&dispatcher, &sender, &bus, stream_of(&record, &[0]))
        .await
        .unwrap();
    let events = app.cloud().put_events();
    let last = events.last().unwrap();
    assert_eq!(last.detail_type, "OrderStateChanged");
    assert_eq!(last.detail["state"], "cancelled");
    assert_eq!(last.detail["cancellationReason"], "withdrawn");
    assert_valid(&last.detail);
    app.cloud().assert_every_call_allowed();
}

/// The same order's round trip with DynamoDB failing as AWS fails, every other call of each
/// kind of fault: the admin function's reports (sent again until answered, as a back office
/// retries) apply each step once, with one 工事完了通知; the dispatcher's hand-over (run
/// again until it publishes) puts the order on the bus once.
#[tokio::test]
#[ignore = "needs DynamoDB Local: scripts/test starts it"]
async fn an_order_survives_dynamodb_faults_in_the_admin_function_and_the_dispatcher() {
    use madoguchi_tests::cloud::{Fault, FaultPlan};
    for fault in Fault::ALL {
        let app = TestApp::in_the_cloud().await;
        let member = app.member().await;
        let token = app.login(&member).await;
        let order_no = apply(&app, &token, "do_not_notify").await;
        let dispatcher = app.as_function("outbox-dispatcher").await;
        let bus = order_bus(&app).await;
        app.cloud().inject(FaultPlan {
            kinds: vec![fault],
            every: 2,
            burst: 1,
            ..FaultPlan::none()
        });
        let number = madoguchi_core::domain::OrderNo::parse(&order_no).unwrap();
        let mut published = false;
        for _ in 0..10 {
            if let Ok(madoguchi_core::service::outbox::HandOver::Published) =
                madoguchi_core::service::outbox::hand_over(&dispatcher, &bus, &number).await
            {
                published = true;
                break;
            }
        }
        assert!(published, "{fault:?}: never handed over");
        for (event_id, status) in [("bo-1", "in_progress"), ("bo-2", "completed")] {
            let event = fixture(
                "apigw-v2/admin-order-event-iam.json",
                &[
                    ("order_no", &order_no),
                    ("event_id", event_id),
                    ("status", status),
                ],
            );
            let mut answered = None;
            for _ in 0..10 {
                let moved = call(&app, Function::Admin, &event).await;
                assert_ne!(
                    moved.status,
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "{fault:?}: {:?}",
                    moved.body
                );
                if moved.status == StatusCode::OK {
                    answered = Some(moved);
                    break;
                }
            }
            let moved = answered.unwrap_or_else(|| panic!("{fault:?}: {status} never answered"));
            assert_eq!(moved.body["status"], status, "{fault:?}");
        }
        app.cloud().inject(FaultPlan::none());
        let order = app.ctx.store.order(&number).await.unwrap().unwrap();
        let steps: Vec<_> = order.steps.iter().map(|s| s.status).collect();
        use madoguchi_core::domain::OrderStatus::*;
        assert_eq!(steps, [Accepted, InProgress, Completed], "{fault:?}");
        assert!(!order.publication.pending, "{fault:?}: marked handed over");
        let put: Vec<_> = app
            .cloud()
            .put_events()
            .into_iter()
            .filter(|e| e.detail["id"] == order_no.as_str())
            .collect();
        assert_eq!(put.len(), 1, "{fault:?}: put on the bus once");
        assert_eq!(
            app.mails_of_kind("taro@example.jp", "works_completed")
                .await
                .len(),
            1,
            "{fault:?}: one 工事完了通知"
        );
        app.cloud().assert_every_call_allowed();
    }
}

/// docs/operations.md#metrics: the sweep's reading of the status view (the counters in one
/// BatchGetItem, the oldest order of each open status a Query of `gsi1`, the first pending
/// mail one of `gsi2`) is within the dispatcher's role (the proxy holds it to the
/// template), and reads the order placed; with every such call failing as DynamoDB fails,
/// the reading is skipped and the sweep goes on.
#[tokio::test]
#[ignore = "needs DynamoDB Local: scripts/test starts it"]
async fn the_status_is_read_within_the_dispatchers_role_and_a_fault_skips_only_the_reading() {
    use madoguchi_core::domain::OrderStatus;
    use madoguchi_core::service::admin::{measure, status};
    use madoguchi_tests::cloud::{Fault, FaultPlan};
    let app = TestApp::in_the_cloud().await;
    let member = app.member().await;
    let token = app.login(&member).await;
    let order_no = apply(&app, &token, "do_not_notify").await;
    let dispatcher = app.as_function("outbox-dispatcher").await;
    let oldest = dispatcher
        .store
        .oldest_in(OrderStatus::Accepted)
        .await
        .unwrap()
        .expect("the order placed");
    assert_eq!(oldest.order_no.as_str(), order_no);
    let view = status(&dispatcher).await.unwrap();
    assert_eq!(view.open_orders[0].count, 1);

    let reads = ["Query", "BatchGetItem"];
    for fault in Fault::ALL
        .into_iter()
        .filter(|f| reads.iter().any(|op| f.applies_to(op)))
    {
        app.cloud().inject(FaultPlan {
            kinds: vec![fault],
            every: 1,
            burst: 1,
            operations: reads.to_vec(),
            ..FaultPlan::none()
        });
        let before = app
            .cloud()
            .fault_counts()
            .injected
            .get(&fault)
            .copied()
            .unwrap_or(0);
        // It returns (the readings are skipped, logged), within the SDK's own retries.
        tokio::time::timeout(std::time::Duration::from_secs(60), measure(&dispatcher))
            .await
            .unwrap_or_else(|_| panic!("{fault:?}: the reading held the sweep"));
        let after = app
            .cloud()
            .fault_counts()
            .injected
            .get(&fault)
            .copied()
            .unwrap_or(0);
        assert!(after > before, "{fault:?} reached the reading");
        app.cloud().inject(FaultPlan::none());
    }
    app.cloud().assert_every_call_allowed();
}
