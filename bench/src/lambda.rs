//! The Lambda functions against their targets (DESIGN "Targets"): each function's stripped
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

/// The functions, by their binary's name (SPEC §12).
const FUNCTIONS: [&str; 10] = [
    "login",
    "usage",
    "activation",
    "line-notification",
    "renewal",
    "reader",
    "cancellation",
    "admin",
    "expiry-reminder",
    "outbox-dispatcher",
];
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
}

async fn serve_runtime_api(api: Arc<RuntimeApi>) -> String {
    let polled = api.clone();
    let reported = api.clone();
    let router = Router::new()
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
async fn init_time(bootstrap: &Path, name: &str, env: &Environment, api: &RuntimeApi) -> Duration {
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
        .env(
            "MADOGUCHI_SEALING_KEY",
            "bench-sealing-key-of-at-least-32-characters",
        )
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
    // One start of each per round, so that whatever else the machine does falls on all.
    for _ in 0..args.runs {
        for (i, name) in all.iter().enumerate() {
            let took = init_time(&bootstrap(&args.host, name), name, &env, &api).await;
            times[i].push(took);
        }
    }
    let errors = api.init_errors.lock().unwrap().clone();
    assert!(errors.is_empty(), "init errors: {errors:?}");

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
        let measure = format!("`{name}`: init, median of {} starts", args.runs);
        let value = format!("{:.2} ms", init.as_secs_f64() * 1000.0);
        if *name == FLOOR {
            results.figure(format!("{measure} (the floor)"), value);
        } else {
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
