//! docs/operations.md#metrics: the functions' metrics, as CloudWatch reads them. A function's
//! app (the login function's, as its binary serves it) is driven with API Gateway events in
//! a process of its own, where the functions' recorder is installed as `run_http` installs
//! it; what it writes after each invocation must hold to the embedded metric format's rules
//! (CloudWatch drops a line that does not, silently) and carry the counts the run caused.

use std::sync::Arc;

use madoguchi_core::domain::{Email, Line, PersonName};
use madoguchi_core::http::AppState;
use madoguchi_core::lambda::{Function, emf};
use madoguchi_core::secret::SealingKey;
use madoguchi_core::service::admin::{NewCustomer, create_customer};
use madoguchi_core::store::redb::RedbStore;
use madoguchi_core::{Context, Settings, SystemClock};
use serde_json::Value;
use tower::ServiceExt;

/// CloudWatch's units (MetricDatum's `Unit`).
const UNITS: [&str; 27] = [
    "Seconds",
    "Microseconds",
    "Milliseconds",
    "Bytes",
    "Kilobytes",
    "Megabytes",
    "Gigabytes",
    "Terabytes",
    "Bits",
    "Kilobits",
    "Megabits",
    "Gigabits",
    "Terabits",
    "Percent",
    "Count",
    "Bytes/Second",
    "Kilobytes/Second",
    "Megabytes/Second",
    "Gigabytes/Second",
    "Terabytes/Second",
    "Bits/Second",
    "Kilobits/Second",
    "Megabits/Second",
    "Gigabits/Second",
    "Terabits/Second",
    "Count/Second",
    "None",
];

/// The rules of the EMF specification a line must follow for CloudWatch to extract it.
fn check_emf(line: &str) -> Value {
    let doc: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
    let aws = &doc["_aws"];
    assert!(aws["Timestamp"].is_u64(), "Timestamp in ms: {line}");
    let directives = aws["CloudWatchMetrics"]
        .as_array()
        .expect("CloudWatchMetrics");
    assert!(!directives.is_empty(), "{line}");
    for directive in directives {
        assert_eq!(directive["Namespace"], madoguchi_core::telemetry::NAMESPACE);
        for set in directive["Dimensions"].as_array().expect("Dimensions") {
            let set = set.as_array().expect("a dimension set");
            assert!(set.len() <= 30, "at most 30 dimensions: {line}");
            for name in set {
                let name = name.as_str().expect("a dimension's name");
                assert!(
                    doc[name].is_string(),
                    "dimension {name} has a string value: {line}"
                );
            }
        }
        let metrics = directive["Metrics"].as_array().expect("Metrics");
        assert!(!metrics.is_empty() && metrics.len() <= 100, "{line}");
        for metric in metrics {
            let name = metric["Name"].as_str().expect("a metric's name");
            assert!((1..=1024).contains(&name.len()));
            if let Some(unit) = metric.get("Unit") {
                assert!(
                    UNITS.contains(&unit.as_str().unwrap()),
                    "unit {unit}: {line}"
                );
            }
            let value = &doc[name];
            let numbers = match value {
                Value::Array(values) => values.len() <= 100 && values.iter().all(Value::is_number),
                other => other.is_number(),
            };
            assert!(
                numbers,
                "{name} has a number or at most 100 of them: {line}"
            );
        }
    }
    doc
}

/// The sum of `metric` over the documents whose dimensions include `dimensions`.
fn total(docs: &[Value], metric: &str, dimensions: &[(&str, &str)]) -> f64 {
    docs.iter()
        .filter(|doc| dimensions.iter().all(|(k, v)| doc[*k] == *v))
        .filter_map(|doc| doc[metric].as_f64())
        .sum()
}

/// Every value of `metric` (a histogram's readings, or a counter's sums) in the documents
/// whose dimensions include `dimensions`.
fn readings(docs: &[Value], metric: &str, dimensions: &[(&str, &str)]) -> Vec<f64> {
    docs.iter()
        .filter(|doc| dimensions.iter().all(|(k, v)| doc[*k] == *v))
        .flat_map(|doc| match &doc[metric] {
            Value::Array(values) => values.iter().filter_map(Value::as_f64).collect(),
            value => value.as_f64().into_iter().collect::<Vec<_>>(),
        })
        .collect()
}

fn login_event(customer_id: &str, access_key: &str) -> lambda_http::Request {
    let path = format!(
        "{}/fixtures/apigw-v2/login.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let event = std::fs::read_to_string(path)
        .unwrap()
        .replace("{{customer_id}}", customer_id)
        .replace("{{access_key}}", access_key);
    lambda_http::request::from_str(&event).unwrap()
}

#[tokio::test]
async fn the_login_functions_metrics_follow_the_embedded_metric_format_and_count_the_run() {
    let collector = emf::install(Function::Login.name());
    assert!(collector.is_some(), "the recorder is the process's first");
    let store = Arc::new(RedbStore::in_memory().unwrap());
    let ctx = Context::new(store, Arc::new(SystemClock), Settings::default());
    let member = create_customer(
        &ctx,
        NewCustomer {
            name: PersonName::parse("指標 太郎").unwrap(),
            email: Email::parse("metrics@example.jp").unwrap(),
            line: Line::FletsNext,
            licenses: Vec::new(),
            services: Vec::new(),
        },
        None,
    )
    .await
    .unwrap();
    let id = member.customer_id.to_string();
    let state = AppState::new(ctx.clone(), None, SealingKey::generate());
    let app = Function::Login.app(state, None);

    // One invocation at a time, each flushed after it, as `run_http` does.
    let mut written = Vec::new();
    let mut statuses = Vec::new();
    let mut invoke = async |key: &str| {
        let answer = app.clone().oneshot(login_event(&id, key)).await.unwrap();
        statuses.push(answer.status().as_u16());
        emf::flush(collector, &mut written);
    };
    invoke(&member.access_key).await;
    for n in 0..10 {
        invoke(&format!("Wrong-Key-{n:02}")).await;
    }
    invoke(&member.access_key).await;
    assert_eq!(statuses[0], 201);
    assert_eq!(statuses[11], 423);

    let text = String::from_utf8(written).unwrap();
    let docs: Vec<Value> = text.lines().map(check_emf).collect();
    assert!(docs.iter().all(|doc| doc["Function"] == "login"));
    let logins = |outcome| total(&docs, "madoguchi_logins_total", &[("outcome", outcome)]);
    assert_eq!(logins("succeeded"), 1.0);
    assert_eq!(logins("failed"), 10.0);
    assert_eq!(logins("locked"), 1.0);
    assert_eq!(total(&docs, "madoguchi_accounts_locked_total", &[]), 1.0);
    let answers = |status, code| {
        total(
            &docs,
            "madoguchi_http_answers_total",
            &[
                ("route", "/v1/sessions"),
                ("status", status),
                ("code", code),
            ],
        )
    };
    assert_eq!(answers("201", "none"), 1.0);
    assert_eq!(answers("401", "invalid_credentials"), 10.0);
    assert_eq!(answers("423", "account_locked"), 1.0);
    // Each answer is timed, in seconds.
    let timed: usize = docs
        .iter()
        .filter_map(|doc| doc["madoguchi_http_answer_seconds"].as_array())
        .map(Vec::len)
        .sum();
    assert_eq!(timed, 12);
    // No dimension names the member.
    assert!(!text.contains(&id), "a customer ID in a metric");

    // docs/operations.md#the-status-view: the sweep's reading of the status view carries
    // the view's own figures: the lock notice, still pending (no dispatcher ran here).
    let view = madoguchi_core::service::admin::status(&ctx).await.unwrap();
    assert_eq!((view.outbox.pending, view.outbox.failed), (1, 0));
    madoguchi_core::service::admin::measure(&ctx).await;
    let mut measured = Vec::new();
    emf::flush(collector, &mut measured);
    let docs: Vec<Value> = String::from_utf8(measured)
        .unwrap()
        .lines()
        .map(check_emf)
        .collect();
    let mails = |status| readings(&docs, "madoguchi_outbox_mails", &[("status", status)]);
    assert_eq!(mails("pending"), [1.0]);
    assert_eq!(mails("failed"), [0.0]);
    for status in [
        "accepted",
        "in_progress",
        "awaiting_payment",
        "paid",
        "shipped",
    ] {
        let open = readings(&docs, "madoguchi_orders_open", &[("status", status)]);
        assert_eq!(open, [0.0], "{status}: read, and none is open");
    }
}
