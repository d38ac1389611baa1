//! The Lambda functions against their targets (docs/performance.md#targets): each function's stripped
//! arm64 `bootstrap` at most 8 MB, and its init — process start to its first poll of the
//! runtime API — at most 1.5× that of a hello-world `lambda_http` function built the same
//! way (`bench/hello-lambda`).
//!
//! arm64 binaries do not run on this machine, so init is timed on the x86_64 release
//! builds of the same code. Each bootstrap is started with a Lambda environment and
//! nothing else, against a stand-in runtime API served here on loopback; the functions'
//! one warm-up read goes to DynamoDB Local (plain HTTP on loopback: no TLS handshake, which
//! is what the warm-up saves in the cloud).
//!
//! The HTTP functions read their secrets at init from Secrets Manager, by the ARNs the
//! template gives them, while the warm-up read runs. Here a stand-in answers those reads on
//! the same loopback server; each function is also started with its secrets given as
//! values, and the difference is what reading them costs (on loopback, without TLS: the
//! cloud's read is a TLS round trip, and overlaps the warm-up's).
//!
//! `scripts/bench` builds the functions with cargo-lambda for both architectures, starts
//! DynamoDB Local and runs this.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::{get, post};
use clap::Parser;
use madoguchi_bench::results::Results;
use madoguchi_core::store::dynamodb::DynamoStore;
use tokio::sync::oneshot;

/// The functions, by their binary's name (docs/cloud.md).
const FUNCTIONS: [&str; 11] = [
    "login",
    "usage",
    "activation",
    "line-notification",
    "renewal",
    "reader",
    "cancellation",
    "services",
    "admin",
    "expiry-reminder",
    "outbox-dispatcher",
];
/// The functions that read no secret: the scheduled job and the dispatcher. The others
/// serve HTTP and read the sealing key (and, but for `admin`, the portal's edge secret) at
/// init, as the template configures them.
const WITHOUT_SECRETS: [&str; 2] = ["expiry-reminder", "outbox-dispatcher"];

fn reads_secrets(name: &str) -> bool {
    FUNCTIONS.contains(&name) && !WITHOUT_SECRETS.contains(&name)
}

const SEALING_KEY: &str = "bench-sealing-key-of-at-least-32-characters";
const SEALING_KEY_ARN: &str =
    "arn:aws:secretsmanager:ap-northeast-1:000000000000:secret:madoguchi-sealing-key-AbCdEf";
const EDGE_SECRET_ARN: &str =
    "arn:aws:secretsmanager:ap-northeast-1:000000000000:secret:madoguchi-edge-secret-AbCdEf";
const EDGE_SECRET: &str = "bench-edge-secret-of-at-least-32-characters";
const FLOOR: &str = "hello-lambda";
/// 8 MB, read strictly (10⁶ bytes each).
const SIZE_TARGET: u64 = 8_000_000;
const INIT_TARGET: f64 = 1.5;

#[derive(Debug, Parser)]
struct Args {
    /// cargo lambda's `--lambda-dir` of the arm64 build: `<function>/bootstrap` inside.
    #[arg(long)]
    arm64: PathBuf,
    /// The same for the build of this machine's architecture, whose bootstraps are started.
    #[arg(long)]
    host: PathBuf,
    /// Starts of each function; the median is reported.
    #[arg(long, default_value_t = 21)]
    runs: usize,
    /// Where to keep the results for `report` (`scripts/bench`).
    #[arg(long)]
    results: Option<PathBuf>,
}

/// Where the stand-in runtime API tells the bench that a function polled for its first
/// event, and what a function reported as its init error.
#[derive(Default)]
struct RuntimeApi {
    polled: Mutex<Option<oneshot::Sender<Instant>>>,
    init_errors: Mutex<Vec<String>>,
    /// Secrets Manager reads answered.
    secret_reads: std::sync::atomic::AtomicU64,
}

/// How a function is given its secrets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Secrets {
    /// By ARN, read at init from Secrets Manager: as deployed.
    Read,
    /// As values in the environment (`scripts/emulator`'s way).
    Given,
}

/// The stand-in's answer to `GetSecretValue`: each secret's value by its ARN.
async fn secret_value(
    api: Arc<RuntimeApi>,
    headers: axum::http::HeaderMap,
    body: String,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let target = headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let asked: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
    let arn = asked["SecretId"].as_str().unwrap_or("");
    let value = match arn {
        SEALING_KEY_ARN => SEALING_KEY,
        EDGE_SECRET_ARN => EDGE_SECRET,
        _ => "",
    };
    if target != "secretsmanager.GetSecretValue" || value.is_empty() {
        return (axum::http::StatusCode::BAD_REQUEST, "unknown").into_response();
    }
    api.secret_reads
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let answer =
        serde_json::json!({"ARN": arn, "Name": arn, "SecretString": value, "VersionId": "v1"});
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "application/x-amz-json-1.1",
        )],
        answer.to_string(),
    )
        .into_response()
}

async fn serve_runtime_api(api: Arc<RuntimeApi>) -> String {
    let polled = api.clone();
    let reported = api.clone();
    let secrets = api.clone();
    let router = Router::new()
        .route(
            "/",
            post(move |headers, body| secret_value(secrets.clone(), headers, body)),
        )
        .route(
            "/2018-06-01/runtime/invocation/next",
            get(move || async move {
                let at = Instant::now();
                if let Some(tell) = polled.polled.lock().unwrap().take() {
                    let _ = tell.send(at);
                }
                // No event comes: the bench ends the process once it has polled.
                std::future::pending::<()>().await;
            }),
        )
        .route(
            "/2018-06-01/runtime/init/error",
            post(move |body: String| async move {
                reported.init_errors.lock().unwrap().push(body);
                axum::http::StatusCode::ACCEPTED
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap().to_string();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    address
}

struct Environment {
    runtime_api: String,
    /// This process's region, endpoint and (dummy) credentials: DynamoDB Local keeps
    /// tables apart by access key and region.
    aws: Vec<(&'static str, String)>,
    table: String,
}

/// Starts a bootstrap as Lambda would (its environment and nothing else) and returns how
/// long it took to poll for its first event.
async fn init_time(
    bootstrap: &Path,
    name: &str,
    secrets: Secrets,
    env: &Environment,
    api: &RuntimeApi,
) -> Duration {
    let (tell, polled) = oneshot::channel();
    *api.polled.lock().unwrap() = Some(tell);
    let started = Instant::now();
    let mut child = tokio::process::Command::new(bootstrap)
        .env_clear()
        .env("AWS_LAMBDA_RUNTIME_API", &env.runtime_api)
        .env("AWS_LAMBDA_FUNCTION_NAME", name)
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_LOG_FORMAT", "JSON")
        .env("RUST_LOG", "info")
        .env("MADOGUCHI_TABLE", &env.table)
        .envs(secret_variables(name, secrets, &env.runtime_api))
        .env("MADOGUCHI_MAIL_FROM", "madoguchi <no-reply@example.jp>")
        .envs(env.aws.iter().map(|(name, value)| (name, value)))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap_or_else(|e| panic!("{}: {e}", bootstrap.display()));
    let polled_at = tokio::select! {
        at = polled => at.unwrap(),
        status = child.wait() => {
            let errors = api.init_errors.lock().unwrap().clone();
            panic!("{name} exited ({status:?}) before polling; init errors: {errors:?}")
        }
        _ = tokio::time::sleep(Duration::from_secs(10)) => panic!("{name} never polled"),
    };
    child.kill().await.unwrap();
    polled_at - started
}

/// The variables that give function `name` its secrets, as `secrets` says: the template's
/// ARNs (and the stand-in's address), or the values themselves.
fn secret_variables(name: &str, secrets: Secrets, stand_in: &str) -> Vec<(&'static str, String)> {
    if !reads_secrets(name) {
        return Vec::new();
    }
    let edge = name != "admin";
    match secrets {
        Secrets::Read => {
            let mut variables = vec![
                (
                    "AWS_ENDPOINT_URL_SECRETS_MANAGER",
                    format!("http://{stand_in}"),
                ),
                ("MADOGUCHI_SEALING_KEY_SECRET_ARN", SEALING_KEY_ARN.into()),
            ];
            if edge {
                variables.push(("MADOGUCHI_EDGE_SECRET_ARN", EDGE_SECRET_ARN.into()));
            }
            variables
        }
        Secrets::Given => {
            let mut variables = vec![("MADOGUCHI_SEALING_KEY", SEALING_KEY.into())];
            if edge {
                variables.push(("MADOGUCHI_EDGE_SECRET", EDGE_SECRET.into()));
            }
            variables
        }
    }
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn bootstrap(dir: &Path, name: &str) -> PathBuf {
    let path = dir.join(name).join("bootstrap");
    assert!(
        path.is_file(),
        "{} is missing: build it first",
        path.display()
    );
    path
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let endpoint = std::env::var("AWS_ENDPOINT_URL_DYNAMODB").unwrap_or_default();
    assert!(
        endpoint.contains("127.0.0.1"),
        "start DynamoDB Local first: eval \"$(scripts/dynamodb-local start)\""
    );
    // The template makes the table; here the bench does, before any function starts.
    let table = format!("lambda-{}", madoguchi_core::secret::random_digits(8));
    DynamoStore::from_env(table.clone())
        .await
        .ensure_table()
        .await
        .unwrap();
    let api = Arc::new(RuntimeApi::default());
    let aws = [
        "AWS_REGION",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_ENDPOINT_URL_DYNAMODB",
    ]
    .into_iter()
    .filter_map(|name| Some((name, std::env::var(name).ok()?)))
    .collect();
    let env = Environment {
        runtime_api: serve_runtime_api(api.clone()).await,
        aws,
        table,
    };

    let all: Vec<&str> = std::iter::once(FLOOR).chain(FUNCTIONS).collect();
    let mut times: Vec<Vec<Duration>> = vec![Vec::new(); all.len()];
    let mut given: Vec<Vec<Duration>> = vec![Vec::new(); all.len()];
    // One start of each per round, so that whatever else the machine does falls on all.
    for _ in 0..args.runs {
        for (i, name) in all.iter().enumerate() {
            let bootstrap = bootstrap(&args.host, name);
            let took = init_time(&bootstrap, name, Secrets::Read, &env, &api).await;
            times[i].push(took);
            if reads_secrets(name) {
                let took = init_time(&bootstrap, name, Secrets::Given, &env, &api).await;
                given[i].push(took);
            }
        }
    }
    let errors = api.init_errors.lock().unwrap().clone();
    assert!(errors.is_empty(), "init errors: {errors:?}");
    let reads = api.secret_reads.load(std::sync::atomic::Ordering::Relaxed);
    let with_secrets = FUNCTIONS.iter().filter(|name| reads_secrets(name)).count();
    let expected = (2 * with_secrets - 1) * args.runs;
    assert_eq!(
        reads as usize, expected,
        "every start as deployed read its secrets"
    );

    let floor = median(times[0].clone());
    let mut results = Results::new("Lambda functions (init timed on x86_64 builds)");
    for (i, name) in all.iter().enumerate() {
        let size = std::fs::metadata(bootstrap(&args.arm64, name))
            .expect("a bootstrap")
            .len();
        let init = median(times[i].clone());
        let ratio = init.as_secs_f64() / floor.as_secs_f64();
        results.against(
            format!("`{name}`: arm64 bootstrap"),
            format!("{:.2} MB", size as f64 / 1e6),
            "≤ 8 MB",
            size <= SIZE_TARGET,
        );
        let how = if reads_secrets(name) {
            " (its secrets read by ARN)"
        } else {
            ""
        };
        let measure = format!(
            "`{name}`: init as deployed{how}, median of {} starts",
            args.runs
        );
        let value = format!("{:.2} ms", init.as_secs_f64() * 1000.0);
        if *name == FLOOR {
            results.figure(format!("{measure} (the floor)"), value);
        } else {
            if reads_secrets(name) {
                let without = median(given[i].clone());
                let cost = init.as_secs_f64() - without.as_secs_f64();
                results.figure(
                    format!("`{name}`: init with its secrets given as values, median"),
                    format!(
                        "{:.2} ms (reading them by ARN: {:+.2} ms)",
                        without.as_secs_f64() * 1000.0,
                        cost * 1000.0
                    ),
                );
            }
            results.against(
                measure,
                format!("{value} ({ratio:.2}× the floor)"),
                format!("≤ {INIT_TARGET}× the floor"),
                ratio <= INIT_TARGET,
            );
        }
    }
    results.finish(args.results.as_deref());
}
