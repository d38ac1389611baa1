//! What each of madoguchi's layers costs a request (docs/performance.md#the-layers):
//! `GET /healthz` answered in this process without a socket, through madoguchi's router
//! alone and then with each layer of `madoguchi_core::http::app` added in turn from the
//! innermost; the CPU time a request takes through each stack, and what each layer adds.
//!
//! In-process on purpose, and a measure of the layers only: the socket, the kernel and
//! the client, which wrk's figures include, are the same for every stack and would hide a
//! layer's few hundred nanoseconds. The throughput target (`/healthz` against a bare route,
//! from wrk in its own process) is `bench paths`'s.
//!
//! Each stack runs in a process of its own: the log subscriber and the metrics recorder,
//! once a request has met them, stay for the process's life.
//!
//! ```sh
//! cargo run --release -p madoguchi-bench --bin layers
//! ```

use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{StatusCode, header};
use axum::routing::get;
use clap::Parser;
use madoguchi_bench::results::Results;
use madoguchi_core::http::{AppState, BODY_LIMIT, all_operations, app, edge, idempotency};
use madoguchi_core::store::redb::RedbStore;
use madoguchi_core::{Context, Settings, SystemClock};
use tower::{Service, ServiceBuilder, ServiceExt};

/// The stacks, from the bare route to the app as local-dev serves it.
const STACKS: &[&str] = &[
    "a bare axum route (the floor of bench paths)",
    "madoguchi's router: every operation's route, /healthz, the fallbacks",
    "+ the body limit",
    "+ the idempotency guard (a GET passes through)",
    "+ the edge: request id, trace span, language, Cache-Control, metrics, x-request-id",
    "the same three layers, each given to the router in a `layer` call of its own",
    "+ local-dev's log subscriber (info, to a sink here)",
    "+ local-dev's metrics recorder (Prometheus)",
    "http::app itself, with both (the check: the same as the row above)",
];
const SUBSCRIBED: usize = 6;
const RECORDED: usize = 7;

#[derive(Debug, Parser)]
struct Args {
    /// Requests timed per stack, in each of `--rounds` rounds.
    #[arg(long, default_value_t = 300_000)]
    requests: u32,
    #[arg(long, default_value_t = 5)]
    rounds: usize,
    /// Times every stack is measured, in turn.
    #[arg(long, default_value_t = 3)]
    passes: usize,
    /// One stack, measured in this process (the parent runs each in its own).
    #[arg(long)]
    stack: Option<usize>,
    #[arg(long)]
    results: Option<PathBuf>,
}

fn main() {
    let args = Args::parse();
    if let Some(stack) = args.stack {
        let nanos = measure(stack, args.requests, args.rounds);
        println!("NANOS {nanos}");
        return;
    }
    let mut results = Results::new("layers");
    // The stacks in turn, `--passes` times: a machine that slows for a while slows every
    // stack of a pass alike, and each stack's figure is its median over the passes.
    let mut nanos: Vec<Vec<f64>> = vec![Vec::new(); STACKS.len()];
    for _ in 0..args.passes {
        for (stack, taken) in nanos.iter_mut().enumerate() {
            taken.push(in_own_process(stack, &args));
        }
    }
    println!(
        "`/healthz` in process, one thread: the median of {} passes, each the median of {} rounds of {} requests",
        args.passes, args.rounds, args.requests
    );
    let mut previous: Option<f64> = None;
    for (stack, name) in STACKS.iter().enumerate() {
        let nanos = median(&mut nanos[stack]);
        // Each row adds to the one before, but for the bare route and the router (each
        // its own floor) and the separate calls (against the single call's row).
        let added = match (stack, previous) {
            (0 | 1, _) | (_, None) => String::new(),
            (_, Some(before)) => format!(" ({:+.0} ns)", nanos - before),
        };
        let figure = format!("{nanos:.0} ns a request{added}");
        println!("{name}: {figure}");
        results.figure(format!("layers: {name}"), figure);
        // The separate calls and the check are compared with the row before them only.
        if stack != 5 && stack < STACKS.len() - 1 {
            previous = Some(nanos);
        }
    }
    results.finish(args.results.as_deref());
}

fn in_own_process(stack: usize, args: &Args) -> f64 {
    let output = Command::new(std::env::current_exe().expect("this binary"))
        .args(["--stack", &stack.to_string()])
        .args(["--requests", &args.requests.to_string()])
        .args(["--rounds", &args.rounds.to_string()])
        .output()
        .expect("the stack's process runs");
    assert!(output.status.success(), "stack {stack} failed: {output:?}");
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .find_map(|line| line.strip_prefix("NANOS ")?.parse().ok())
        .expect("a NANOS line")
}

/// The median over `rounds` of the wall time per request, on one thread that does
/// nothing else: its CPU time.
fn measure(stack: usize, requests: u32, rounds: usize) -> f64 {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let dir = tempfile::tempdir().expect("a temp dir");
    let _logs = (stack >= SUBSCRIBED).then(|| {
        let subscriber = tracing_subscriber::fmt()
            .with_writer(std::io::sink)
            .with_env_filter("info")
            .finish();
        tracing::subscriber::set_default(subscriber)
    });
    if stack >= RECORDED {
        metrics_exporter_prometheus::PrometheusBuilder::new()
            .install_recorder()
            .expect("the process's first recorder");
        madoguchi_core::telemetry::describe();
    }
    let router = runtime.block_on(async {
        let store = RedbStore::open(&dir.path().join("layers.redb")).expect("a redb file");
        let ctx = Context::new(Arc::new(store), Arc::new(SystemClock), Settings::default());
        let state = AppState::new(ctx, None, madoguchi_core::secret::SealingKey::generate());
        stacked(stack, state)
    });
    let rounds: Vec<Duration> = (0..=rounds)
        .map(|_| runtime.block_on(timed(router.clone(), requests)))
        .skip(1) // the first round warms up
        .collect();
    let mut nanos: Vec<f64> = rounds
        .iter()
        .map(|round| round.as_nanos() as f64 / f64::from(requests))
        .collect();
    median(&mut nanos)
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

async fn timed(mut router: Router, requests: u32) -> Duration {
    let started = Instant::now();
    for _ in 0..requests {
        let request = Request::get("/healthz")
            .header(header::HOST, "127.0.0.1")
            .body(Body::empty())
            .expect("a request");
        let response = ServiceExt::<Request>::ready(&mut router)
            .await
            .expect("ready")
            .call(request)
            .await
            .expect("an answer");
        assert_eq!(response.status(), StatusCode::OK);
    }
    started.elapsed()
}

/// The stack numbered `stack`: the same layers, in the same order, as `http::app` (in a
/// release build, where the panic catcher is left out).
fn stacked(stack: usize, state: AppState) -> Router {
    if stack == 0 {
        return Router::new().route("/healthz", get(|| async { StatusCode::OK }));
    }
    if stack == STACKS.len() - 1 {
        return app(all_operations(), state);
    }
    let (routes, _) = all_operations().split_for_parts();
    let router = routes
        .route("/healthz", get(|| async { StatusCode::OK }))
        .fallback(|| async { StatusCode::NOT_FOUND })
        .with_state(state.clone());
    let limit = DefaultBodyLimit::max(BODY_LIMIT);
    match stack {
        1 => router,
        2 => router.layer(limit),
        3 => router.layer(
            ServiceBuilder::new()
                .layer(idempotency::Guard(state))
                .layer(limit),
        ),
        5 => router
            .layer(limit)
            .layer(idempotency::Guard(state))
            .layer(edge::Edge),
        _ => router.layer(
            ServiceBuilder::new()
                .layer(edge::Edge)
                .layer(idempotency::Guard(state))
                .layer(limit),
        ),
    }
}
