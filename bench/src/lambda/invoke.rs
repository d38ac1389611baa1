//! `usage` against two floors, each started and invoked the same way: a hello-world
//! `lambda_http` function (`bench/hello-lambda`), and a typical Rust function that reads one
//! DynamoDB item per event with the same SDK (`bench/sdk-lambda`, reading the member's item
//! of the same table). Each start is handed one `GET /v1/usage` event from API Gateway
//! before it polls (spawn to first answer), then `--warm` more, one at a time with a short
//! pause between, as a warm function is invoked (the median of those, over every start);
//! then the process's resident memory is read.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use madoguchi_bench::results::Results;
use madoguchi_core::http::{AppState, all_operations, app};
use madoguchi_core::store::dynamodb::DynamoStore;
use madoguchi_core::{Context, Settings, SystemClock};
use serde_json::json;

use crate::{Args, Environment, Start, bootstrap, median, ms};

const SDK_FLOOR: &str = "sdk-lambda";
const FIRST_ANSWER_TARGET: f64 = 1.2;
const WARM_TARGET: f64 = 1.3;
/// Between a warm answer and the next event: the function is back at its poll, as a warm
/// function between members' requests is.
const PAUSE: Duration = Duration::from_millis(5);

/// What one start of a function gave.
struct Invoked {
    first_answer: Duration,
    warm: Vec<Duration>,
    rss_kib: u64,
}

/// A member with two serials and a live session, made through the API over the bench's
/// table; returns the member's ID and the session's token.
async fn member(store: &DynamoStore) -> (String, String) {
    let ctx = Context::new(
        Arc::new(store.clone()),
        Arc::new(SystemClock),
        Settings::default(),
    );
    let admin = "lambda-bench-admin-token";
    let state = AppState::new(
        ctx,
        Some(admin.into()),
        madoguchi_core::secret::SealingKey::generate(),
    );
    let base = madoguchi_tests::serve(app(all_operations(), state)).await;
    let client = reqwest::Client::new();
    let created: serde_json::Value = client
        .post(format!("{base}/admin/v1/customers"))
        .bearer_auth(admin)
        .json(&json!({"name": "起動 太郎", "email": "lambda-bench@example.jp", "line": "flets_next",
            "licenses": [{"product": "security-suite", "plan": "standard", "billing": "monthly"},
                         {"product": "mobile-security", "plan": "license_plus", "billing": "monthly"}]}))
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = created["customer_id"].as_str().unwrap().to_owned();
    let session: serde_json::Value = client
        .post(format!("{base}/v1/sessions"))
        .json(&json!({"customer_id": id, "access_key": created["access_key"]}))
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap()
        .json()
        .await
        .unwrap();
    (id, session["token"].as_str().unwrap().to_owned())
}

/// A session of the member as filed before tokens named their member (its own partition,
/// and a pointer in the member's: core/src/store/README.md#sessions), which `usage` reads in two
/// requests, one after the other; returns its token.
async fn earlier_session(table: &str, member: &str) -> String {
    use aws_sdk_dynamodb::types::AttributeValue;
    let token = madoguchi_core::secret::random_secret();
    let digest = madoguchi_core::secret::token_digest(&token);
    let now = jiff::Timestamp::now();
    let session = madoguchi_core::domain::Session {
        token_digest: digest.clone(),
        customer_id: madoguchi_core::domain::CustomerId::parse(member).unwrap(),
        created_at: now,
        last_seen_at: now,
    };
    let mut item: HashMap<String, AttributeValue> = serde_dynamo::to_item(&session).unwrap();
    item.insert("pk".into(), AttributeValue::S(format!("SESSION#{digest}")));
    item.insert("sk".into(), AttributeValue::S("SESSION".into()));
    let pointer = HashMap::from([
        (
            "pk".to_owned(),
            AttributeValue::S(format!("CUSTOMER#{member}")),
        ),
        (
            "sk".to_owned(),
            AttributeValue::S(format!("SESSION#{digest}")),
        ),
    ]);
    let client = aws_sdk_dynamodb::Client::new(&aws_config::load_from_env().await);
    for item in [item, pointer] {
        client
            .put_item()
            .table_name(table)
            .set_item(Some(item))
            .send()
            .await
            .unwrap();
    }
    token
}

/// API Gateway's event for `GET /v1/usage` with `token` (the tests' fixture).
fn usage_event(token: &str) -> String {
    include_str!("../../../tests/fixtures/apigw-v2/usage.json").replace("{{token}}", token)
}

fn resident_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|kib| kib.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS in /proc/<pid>/status")
}

async fn answer(
    name: &str,
    answer: tokio::sync::oneshot::Receiver<crate::runtime_api::Answered>,
) -> crate::runtime_api::Answered {
    match tokio::time::timeout(Duration::from_secs(10), answer).await {
        Ok(Ok(answered)) => answered,
        _ => panic!("{name} did not answer within 10 s"),
    }
}

async fn invoked(
    bootstrap: &Path,
    name: &str,
    own: Vec<(&'static str, String)>,
    event: &str,
    warm: usize,
    env: &Environment,
) -> Invoked {
    let (mut start, mut first) = Start::new(bootstrap, name, own, &[event], env).await;
    start.init().await;
    let answered = answer(name, first.pop().unwrap()).await;
    assert_eq!(answered.status, 200, "{name}: the first answer");
    let first_answer = answered.at - start.spawned;
    let mut times = Vec::with_capacity(warm);
    for _ in 0..warm {
        tokio::time::sleep(PAUSE).await;
        let queued = Instant::now();
        let answered = answer(name, start.api.invoke(event)).await;
        assert_eq!(answered.status, 200, "{name}: a warm answer");
        times.push(answered.at - queued);
    }
    let rss_kib = resident_kib(start.child.id().expect("running"));
    start.end().await;
    Invoked {
        first_answer,
        warm: times,
        rss_kib,
    }
}

pub(crate) async fn against_the_floors(
    args: &Args,
    env: &Environment,
    store: &DynamoStore,
    results: &mut Results,
) {
    let (member, token) = member(store).await;
    let token = if args.earlier_token {
        earlier_session(&env.table, &member).await
    } else {
        token
    };
    let event = usage_event(&token);
    // The member's own item: the key layout of core/src/store/README.md's single table.
    let floor_item = vec![
        ("FLOOR_TABLE", env.table.clone()),
        ("FLOOR_PK", format!("CUSTOMER#{member}")),
        ("FLOOR_SK", "CUSTOMER".to_owned()),
    ];
    let functions = [crate::FLOOR, SDK_FLOOR, "usage"];
    let mut runs: Vec<Vec<Invoked>> = functions.iter().map(|_| Vec::new()).collect();
    for _ in 0..args.runs {
        for (i, name) in functions.iter().enumerate() {
            let own = match *name {
                SDK_FLOOR => floor_item.clone(),
                "usage" => crate::secret_variables(name, crate::Secrets::Read),
                _ => Vec::new(),
            };
            let bootstrap = bootstrap(&args.host, name);
            runs[i].push(invoked(&bootstrap, name, own, &event, args.warm, env).await);
        }
    }

    let summary: Vec<(Duration, Duration, u64)> = runs
        .iter()
        .map(|starts| {
            let first = median(starts.iter().map(|s| s.first_answer).collect());
            let warm = median(starts.iter().flat_map(|s| s.warm.clone()).collect());
            let mut rss: Vec<u64> = starts.iter().map(|s| s.rss_kib).collect();
            rss.sort();
            (first, warm, rss[rss.len() / 2])
        })
        .collect();
    let (floor_first, floor_warm, _) = summary[1];
    if let Some((size, _)) = args.arm64_size(SDK_FLOOR) {
        results.figure(
            format!("`{SDK_FLOOR}` (the floor of a typical function): arm64 bootstrap"),
            size,
        );
    }
    let starts = args.runs;
    let warm = starts * args.warm;
    for (name, (first, warm_p50, rss)) in functions.iter().zip(&summary) {
        let first_measure =
            format!("`{name}`: spawn → first answer (`GET /v1/usage`), median of {starts} starts");
        let warm_measure = format!("`{name}`: warm answer, median of {warm}");
        if *name == "usage" {
            let ratio = first.as_secs_f64() / floor_first.as_secs_f64();
            results.against(
                first_measure,
                format!("{} ({ratio:.2}× `{SDK_FLOOR}`)", ms(*first)),
                format!("≤ {FIRST_ANSWER_TARGET}× `{SDK_FLOOR}`"),
                ratio <= FIRST_ANSWER_TARGET,
            );
            let ratio = warm_p50.as_secs_f64() / floor_warm.as_secs_f64();
            results.against(
                warm_measure,
                format!("{} ({ratio:.2}× `{SDK_FLOOR}`)", ms(*warm_p50)),
                format!("≤ {WARM_TARGET}× `{SDK_FLOOR}`"),
                ratio <= WARM_TARGET,
            );
        } else {
            results.figure(first_measure, ms(*first));
            results.figure(warm_measure, ms(*warm_p50));
        }
        results.figure(
            format!("`{name}`: resident memory after its warm answers, median"),
            format!("{:.1} MiB", *rss as f64 / 1024.0),
        );
    }
}
