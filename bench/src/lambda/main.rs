//! The Lambda functions against their targets (docs/performance.md#targets): each function's
//! stripped arm64 `bootstrap` at most 8 MB; its init (process start to its first poll of the
//! runtime API) at most 2.5× that of a hello-world `lambda_http` function built the same way
//! (`bench/hello-lambda`); and for `usage`, against a typical function that reads one item
//! with the same SDK (`bench/sdk-lambda`), its spawn to first answer at most 1.2× and its
//! warm median at most 1.3× that floor's (`invoke.rs`).
//!
//! arm64 binaries do not run on this machine, so time is measured on the x86_64 release
//! builds of the same code. Each bootstrap is started with a Lambda environment and
//! nothing else, against a stand-in runtime API served here on loopback; the functions'
//! one warm-up read goes to DynamoDB Local (plain HTTP on loopback: no TLS handshake, which
//! is what the warm-up saves in the cloud). Every function is given the template's
//! `SSL_CERT_FILE`: this machine's bundle in place of Amazon Linux 2023's.
//!
//! The HTTP functions read their secrets at init from Secrets Manager, by the ARNs the
//! template gives them, while the warm-up read runs. Here a stand-in answers those reads on
//! the same loopback server; each function is also started with its secrets given as
//! values, and the difference is what reading them costs (on loopback, without TLS: the
//! cloud's read is a TLS round trip, and overlaps the warm-up's).
//!
//! `scripts/bench` builds the functions with cargo-lambda for both architectures, starts
//! DynamoDB Local and runs this.

mod invoke;
mod runtime_api;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use clap::Parser;
use madoguchi_bench::results::Results;
use madoguchi_core::store::dynamodb::DynamoStore;
use runtime_api::{EDGE_SECRET, EDGE_SECRET_ARN, RuntimeApi, SEALING_KEY, SEALING_KEY_ARN};
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

const FLOOR: &str = "hello-lambda";
/// 8 MB, read strictly (10⁶ bytes each).
const SIZE_TARGET: u64 = 8_000_000;
const INIT_TARGET: f64 = 2.5;
/// Where a distribution keeps its bundle of root certificates: Amazon Linux 2023 (and
/// Fedora's kin), then Debian's.
const CERT_FILES: [&str; 2] = [
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/certs/ca-certificates.crt",
];

#[derive(Debug, Parser)]
struct Args {
    /// cargo lambda's `--lambda-dir` of the arm64 build: `<function>/bootstrap` inside.
    /// Without it, no size is reported.
    #[arg(long)]
    arm64: Option<PathBuf>,
    /// The same for the build of this machine's architecture, whose bootstraps are started.
    #[arg(long)]
    host: PathBuf,
    /// Starts of each function; the median is reported.
    #[arg(long, default_value_t = 21)]
    runs: usize,
    /// Warm invocations after each start's first, for `usage` and its floors.
    #[arg(long, default_value_t = 30)]
    warm: usize,
    /// The bundle of root certificates `SSL_CERT_FILE` names (by default this machine's,
    /// in place of Amazon Linux 2023's).
    #[arg(long)]
    cert_file: Option<String>,
    /// Starts the functions without `SSL_CERT_FILE`, to see what loading every root
    /// certificate of this machine costs.
    #[arg(long, conflicts_with = "cert_file")]
    without_cert_file: bool,
    /// `usage` is invoked with a token of the earlier form, whose session is read in two
    /// requests (core/src/store/README.md#sessions), to compare with the one Query of today's.
    #[arg(long)]
    earlier_token: bool,
    /// Only these functions' inits (comma-separated names; `usage` is invoked whatever).
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
    /// Where to keep the results for `report` (`scripts/bench`).
    #[arg(long)]
    results: Option<PathBuf>,
}

impl Args {
    /// The stripped arm64 bootstrap's size, in MB, when an arm64 build was given.
    fn arm64_size(&self, name: &str) -> Option<(String, u64)> {
        let size = std::fs::metadata(bootstrap(self.arm64.as_deref()?, name))
            .expect("a bootstrap")
            .len();
        Some((format!("{:.2} MB", size as f64 / 1e6), size))
    }
}

/// How a function is given its secrets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Secrets {
    /// By ARN, read at init from Secrets Manager: as deployed.
    Read,
    /// As values in the environment (`scripts/emulator`'s way).
    Given,
}

/// What every start shares.
struct Environment {
    /// This process's region, endpoint and (dummy) credentials: DynamoDB Local keeps
    /// tables apart by access key and region; and `SSL_CERT_FILE`, as the template sets it.
    shared: Vec<(&'static str, String)>,
    table: String,
}

/// One function's process, started as Lambda starts it: its environment and nothing else.
struct Start {
    child: tokio::process::Child,
    api: RuntimeApi,
    spawned: Instant,
    polled: oneshot::Receiver<Instant>,
    name: String,
}

impl Start {
    /// Serves the start's runtime API, queues `events` on it, and starts the bootstrap.
    async fn new(
        bootstrap: &Path,
        name: &str,
        own: Vec<(&'static str, String)>,
        events: &[&str],
        env: &Environment,
    ) -> (Self, Vec<oneshot::Receiver<runtime_api::Answered>>) {
        let (tell, polled) = oneshot::channel();
        let api = RuntimeApi::serve(tell).await;
        let answers = events.iter().map(|event| api.invoke(event)).collect();
        let spawned = Instant::now();
        let child = tokio::process::Command::new(bootstrap)
            .env_clear()
            .env("AWS_LAMBDA_RUNTIME_API", &api.address)
            .env(
                "AWS_ENDPOINT_URL_SECRETS_MANAGER",
                format!("http://{}", api.address),
            )
            .env("AWS_LAMBDA_FUNCTION_NAME", name)
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env("AWS_LAMBDA_LOG_FORMAT", "JSON")
            .env("RUST_LOG", "info")
            .env("MADOGUCHI_TABLE", &env.table)
            .env("MADOGUCHI_MAIL_FROM", "madoguchi <no-reply@example.jp>")
            // The dispatcher's bus (orders' hand-over): named at init, not called.
            .env("MADOGUCHI_ORDER_BUS", "madoguchi-orders")
            .envs(env.shared.iter().map(|(name, value)| (name, value)))
            .envs(own)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("{}: {e}", bootstrap.display()));
        let start = Self {
            child,
            api,
            spawned,
            polled,
            name: name.to_owned(),
        };
        (start, answers)
    }

    /// Process start to the first poll for an event.
    async fn init(&mut self) -> Duration {
        let polled_at = tokio::select! {
            at = &mut self.polled => at.unwrap(),
            status = self.child.wait() => {
                panic!("{} exited ({status:?}) before polling; init errors: {:?}",
                    self.name, self.api.init_errors())
            }
            _ = tokio::time::sleep(Duration::from_secs(10)) => panic!("{} never polled", self.name),
        };
        polled_at - self.spawned
    }

    /// Ends the process; returns how many secrets it read.
    async fn end(mut self) -> u64 {
        self.child.kill().await.unwrap();
        let errors = self.api.init_errors();
        assert!(errors.is_empty(), "{}: init errors: {errors:?}", self.name);
        self.api.secret_reads()
    }
}

/// Starts a bootstrap and returns how long it took to poll for its first event, and how
/// many secrets it read.
async fn init_time(
    bootstrap: &Path,
    name: &str,
    secrets: Secrets,
    env: &Environment,
) -> (Duration, u64) {
    let (mut start, _) =
        Start::new(bootstrap, name, secret_variables(name, secrets), &[], env).await;
    let init = start.init().await;
    (init, start.end().await)
}

/// The variables that give function `name` its secrets, as `secrets` says: the template's
/// ARNs (and the stand-in's address, filled in by the start), or the values themselves.
fn secret_variables(name: &str, secrets: Secrets) -> Vec<(&'static str, String)> {
    if !reads_secrets(name) {
        return Vec::new();
    }
    let edge = name != "admin";
    let mut variables = match secrets {
        Secrets::Read => vec![("MADOGUCHI_SEALING_KEY_SECRET_ARN", SEALING_KEY_ARN.into())],
        Secrets::Given => vec![("MADOGUCHI_SEALING_KEY", SEALING_KEY.into())],
    };
    if edge {
        variables.push(match secrets {
            Secrets::Read => ("MADOGUCHI_EDGE_SECRET_ARN", EDGE_SECRET_ARN.into()),
            Secrets::Given => ("MADOGUCHI_EDGE_SECRET", EDGE_SECRET.into()),
        });
    }
    variables
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn ms(time: Duration) -> String {
    format!("{:.2} ms", time.as_secs_f64() * 1000.0)
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
    let store = DynamoStore::from_env(table.clone()).await;
    store.ensure_table().await.unwrap();
    let mut shared: Vec<(&'static str, String)> = [
        "AWS_REGION",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_ENDPOINT_URL_DYNAMODB",
    ]
    .into_iter()
    .filter_map(|name| Some((name, std::env::var(name).ok()?)))
    .collect();
    let cert_file = args.cert_file.clone().or_else(|| {
        CERT_FILES
            .into_iter()
            .find(|f| Path::new(f).is_file())
            .map(Into::into)
    });
    let certificates = match (args.without_cert_file, cert_file) {
        (false, Some(file)) => {
            shared.push(("SSL_CERT_FILE", file.clone()));
            format!("`SSL_CERT_FILE={file}`")
        }
        (false, None) => panic!("no bundle of root certificates at {CERT_FILES:?}"),
        (true, _) => "no `SSL_CERT_FILE`: every root certificate of this machine".to_owned(),
    };
    let env = Environment { shared, table };

    let all: Vec<&str> = std::iter::once(FLOOR)
        .chain(FUNCTIONS)
        .filter(|name| {
            *name == FLOOR || args.only.is_empty() || args.only.iter().any(|o| o == name)
        })
        .collect();
    let mut times: Vec<Vec<Duration>> = vec![Vec::new(); all.len()];
    let mut given: Vec<Vec<Duration>> = vec![Vec::new(); all.len()];
    let mut reads = 0;
    // One start of each per round, so that whatever else the machine does falls on all.
    for _ in 0..args.runs {
        for (i, name) in all.iter().enumerate() {
            let bootstrap = bootstrap(&args.host, name);
            let (took, read) = init_time(&bootstrap, name, Secrets::Read, &env).await;
            times[i].push(took);
            reads += read;
            if reads_secrets(name) {
                let (took, read) = init_time(&bootstrap, name, Secrets::Given, &env).await;
                given[i].push(took);
                assert_eq!(read, 0, "{name} read a secret it was given");
            }
        }
    }
    let expected = args.runs
        * all
            .iter()
            .map(|name| secret_variables(name, Secrets::Read).len())
            .sum::<usize>();
    assert_eq!(
        reads as usize, expected,
        "every start as deployed read its secrets"
    );

    let floor = median(times[0].clone());
    let mut results = Results::new("Lambda functions (timed on x86_64 builds)");
    results.figure(
        "Root certificates the functions were started with",
        certificates,
    );
    for (i, name) in all.iter().enumerate() {
        let init = median(times[i].clone());
        let ratio = init.as_secs_f64() / floor.as_secs_f64();
        if let Some((size, bytes)) = args.arm64_size(name) {
            results.against(
                format!("`{name}`: arm64 bootstrap"),
                size,
                "≤ 8 MB",
                bytes <= SIZE_TARGET,
            );
        }
        let how = if reads_secrets(name) {
            " (its secrets read by ARN)"
        } else {
            ""
        };
        let measure = format!(
            "`{name}`: init as deployed{how}, median of {} starts",
            args.runs
        );
        if *name == FLOOR {
            results.figure(format!("{measure} (the floor)"), ms(init));
            continue;
        }
        if reads_secrets(name) {
            let without = median(given[i].clone());
            let cost = init.as_secs_f64() - without.as_secs_f64();
            results.figure(
                format!("`{name}`: init with its secrets given as values, median"),
                format!(
                    "{} (reading them by ARN: {:+.2} ms)",
                    ms(without),
                    cost * 1000.0
                ),
            );
        }
        results.against(
            measure,
            format!("{} ({ratio:.2}× the floor)", ms(init)),
            format!("≤ {INIT_TARGET}× the floor"),
            ratio <= INIT_TARGET,
        );
    }
    invoke::against_the_floors(&args, &env, &store, &mut results).await;
    results.finish(args.results.as_deref());
}
