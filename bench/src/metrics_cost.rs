//! What the metrics cost on the hot path (docs/operations.md#metrics, docs/performance.md):
//! `GET /v1/usage`, each request from one of `--members` members' sessions picked at
//! random (wrk's Lua), against madoguchi served with the metrics recorder installed as
//! local-dev installs it, and without one (every `telemetry` call then a check that does
//! nothing). A recorder stays for its process's life, so each side is a server process of
//! its own, on a fresh redb file; the sides alternate, `--rounds` times each, so that
//! both see the same machine. The target: with the recorder, at least 97% of the rate
//! without (the median of the rounds' ratios).
//!
//! ```sh
//! cargo run --release -p madoguchi-bench --bin metrics-cost -- compare --seconds 10
//! ```

use std::io::{BufRead, BufReader, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::{Parser, Subcommand};
use madoguchi_bench::generated::logged_in_members;
use madoguchi_bench::results::{Results, grouped};
use madoguchi_bench::wrk::{self, Caller};
use madoguchi_core::http::{AppState, all_operations, app};
use madoguchi_core::store::redb::RedbStore;
use madoguchi_core::{Context, Settings, SystemClock};

#[derive(Debug, Parser)]
struct Args {
    #[command(subcommand)]
    command: Part,
}

#[derive(Debug, Subcommand)]
enum Part {
    /// Measures both sides, alternately, and reports the ratio.
    Compare {
        #[arg(long, default_value_t = 10)]
        seconds: u64,
        #[arg(long, default_value_t = 32)]
        connections: usize,
        /// Times each side is measured.
        #[arg(long, default_value_t = 7)]
        rounds: usize,
        /// Members, each with a live session, whose tokens the requests rotate through.
        #[arg(long, default_value_t = 10_000)]
        members: usize,
        #[arg(long)]
        results: Option<PathBuf>,
    },
    /// One side: madoguchi over a fresh redb file with `members` members logged in, their
    /// tokens written to `tokens`; prints `READY <base url>` and serves until killed.
    Serve {
        #[arg(long)]
        members: usize,
        #[arg(long)]
        metrics: bool,
        #[arg(long)]
        tokens: PathBuf,
    },
}

fn main() {
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    match Args::parse().command {
        Part::Compare {
            seconds,
            connections,
            rounds,
            members,
            results,
        } => compare(seconds, connections, rounds, members).finish(results.as_deref()),
        Part::Serve {
            members,
            metrics,
            tokens,
        } => runtime.block_on(serve(members, metrics, &tokens)),
    }
}

async fn serve(members: usize, metrics: bool, tokens: &Path) {
    if metrics {
        let handle = metrics_exporter_prometheus::PrometheusBuilder::new()
            .install_recorder()
            .expect("the process's first recorder");
        madoguchi_core::telemetry::describe();
        // As local-dev does: the histograms' samples are folded in every few seconds.
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(std::time::Duration::from_secs(5)).await;
                handle.run_upkeep();
            }
        });
    }
    let dir = tempfile::tempdir().expect("a temp dir");
    let store = RedbStore::open(&dir.path().join("usage.redb")).expect("a redb file");
    let ctx = Context::new(Arc::new(store), Arc::new(SystemClock), Settings::default());
    logged_in_members(ctx.store.as_ref(), members, tokens).await;
    let state = AppState::new(ctx, None, madoguchi_core::secret::SealingKey::generate());
    let base = madoguchi_tests::serve(app(all_operations(), state)).await;
    println!("READY {base}");
    std::io::stdout().flush().expect("stdout");
    std::future::pending::<()>().await;
}

/// One side's server, started and ready.
struct Side {
    child: Child,
    base: String,
}

impl Side {
    fn start(members: usize, metrics: bool, tokens: &Path) -> Self {
        let mut command = Command::new(std::env::current_exe().expect("this binary"));
        command
            .args(["serve", "--members", &members.to_string(), "--tokens"])
            .arg(tokens)
            .stdout(Stdio::piped());
        if metrics {
            command.arg("--metrics");
        }
        let mut child = command.spawn().expect("the server starts");
        let stdout = child.stdout.take().expect("its stdout");
        let mut lines = BufReader::new(stdout).lines();
        let base = loop {
            let line = lines
                .next()
                .expect("a READY line")
                .expect("the server's output");
            if let Some(base) = line.strip_prefix("READY ") {
                break base.to_owned();
            }
        };
        Self { child, base }
    }
}

impl Side {
    /// The server process's CPU time so far (user and system), from `/proc`.
    fn cpu(&self) -> Duration {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.child.id()))
            .expect("the server's /proc stat");
        // The fields after the command's closing parenthesis; utime and stime are the
        // 14th and 15th of the line, in clock ticks.
        let fields: Vec<&str> = stat[stat.rfind(')').expect("a stat line") + 2..]
            .split_whitespace()
            .collect();
        let ticks: u64 =
            fields[11].parse::<u64>().expect("utime") + fields[12].parse::<u64>().expect("stime");
        Duration::from_secs_f64(ticks as f64 / clock_ticks_per_second())
    }
}

/// The kernel's clock ticks a second (`getconf CLK_TCK`), in which `/proc` counts CPU time.
fn clock_ticks_per_second() -> f64 {
    static TICKS: std::sync::OnceLock<f64> = std::sync::OnceLock::new();
    *TICKS.get_or_init(|| {
        let out = Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .expect("getconf");
        String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse()
            .expect("a number of ticks")
    })
}

/// What recording one answer costs in this process, with the Prometheus recorder installed
/// (the last part of a run: a recorder stays): `answers` answers of one route recorded
/// through the cached handles, then one upkeep folding their samples in, as local-dev's
/// task does every few seconds.
fn recording_cost(answers: u32) -> Duration {
    let handle = metrics_exporter_prometheus::PrometheusBuilder::new()
        .install_recorder()
        .expect("the process's first recorder");
    madoguchi_core::telemetry::describe();
    let started = Instant::now();
    for n in 0..answers {
        madoguchi_core::telemetry::answer("/v1/usage", 200, "none", f64::from(n % 1000) * 1e-6);
    }
    handle.run_upkeep();
    started.elapsed() / answers
}

impl Drop for Side {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn compare(seconds: u64, connections: usize, rounds: usize, members: usize) -> Results {
    let dir = tempfile::tempdir().expect("a temp dir");
    let tokens = dir.path().join("tokens.txt");
    let mut results = Results::new("the metrics on the hot path");
    let (mut with, mut without) = (Vec::new(), Vec::new());
    let mut cpu_per_request = Vec::new();
    for round in 0..rounds {
        // Each round swaps which side goes first, so that a drift of the machine falls on
        // both alike.
        let order = if round % 2 == 0 {
            [false, true]
        } else {
            [true, false]
        };
        for metrics in order {
            let side = Side::start(members, metrics, &tokens);
            let cpu_before = side.cpu();
            let run = wrk::run_as(
                &format!("{}/v1/usage", side.base),
                &Caller::Rotating(tokens.clone()),
                seconds,
                connections,
            );
            eprintln!(
                "round {}: recorder {}: {}/s",
                round + 1,
                if metrics { "on" } else { "off" },
                grouped(run.per_second)
            );
            let served = run.per_second * seconds as f64;
            let cpu = (side.cpu() - cpu_before).as_secs_f64() / served;
            if metrics {
                with.push(run.per_second);
            } else {
                without.push(run.per_second);
                cpu_per_request.push(cpu);
            }
        }
    }
    let listed = |rates: &[f64]| {
        rates
            .iter()
            .map(|r| format!("{}/s", grouped(*r)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    results.figure(
        format!(
            "`GET /v1/usage` without a recorder, {members} sessions in rotation, {rounds} runs of {seconds} s"
        ),
        listed(&without),
    );
    results.figure(
        "`GET /v1/usage` with the Prometheus recorder, the same",
        listed(&with),
    );
    // Each round's two runs are next to each other: their ratio is what the recorder
    // changed, whatever the machine did between rounds (which moves both).
    let mut ratios: Vec<f64> = with.iter().zip(&without).map(|(w, wo)| w / wo).collect();
    ratios.sort_by(f64::total_cmp);
    let share = ratios[ratios.len() / 2];
    results.figure(
        format!(
            "with ÷ without the recorder, median of {rounds} rounds (each round {:.1}%–{:.1}%: the machine's noise is wider than the target)",
            ratios[0] * 100.0,
            ratios[ratios.len() - 1] * 100.0
        ),
        format!("{:.1}%", share * 100.0),
    );
    // The precise figure: what the recorder adds to a request's CPU, both sides measured.
    cpu_per_request.sort_by(f64::total_cmp);
    let cpu = cpu_per_request[cpu_per_request.len() / 2];
    let recording = recording_cost(1_000_000).as_secs_f64();
    results.figure(
        "the server's CPU per `GET /v1/usage` without a recorder (median of the rounds)",
        format!("{:.1} µs", cpu * 1e6),
    );
    results.figure(
        "recording one answer (a counter and a latency sample, with their upkeep), mean of 1,000,000",
        format!("{:.0} ns", recording * 1e9),
    );
    let cost = recording / cpu;
    results.against(
        "the recorder's share of a request's CPU",
        format!("{:.2}%", cost * 100.0),
        "≤ 3%",
        cost <= 0.03,
    );
    results
}
