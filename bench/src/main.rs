//! The read and write paths and login, measured against the design's targets in one run
//! on this machine (`scripts/bench` runs it; `report` puts its rows in the README):
//!
//! - the read path: wrk, in its own process, on a bare axum route, on `/healthz` through
//!   madoguchi's layers and on `GET /v1/usage`, `/v1/services` and `/v1/orders`, the same
//!   connections each, in slices that alternate with the bare route;
//! - the write path (`write_path`): renewals over HTTP from a client process of their own
//!   (this binary's `renewal-client`), 32 clients each from its own loopback address,
//!   against the rate of single durable redb commits on the same disk, also in slices;
//! - login against one argon2id verify.
//!
//! `cargo run --release -p madoguchi-bench --bin bench -- paths --seconds 10`

use std::path::PathBuf;
use std::time::{Duration, Instant};

use clap::{Parser, Subcommand};
use madoguchi_bench::results::{Results, grouped, percent};
use madoguchi_bench::servers::new_member;
use madoguchi_bench::{SLICES, generated, servers, write_path, wrk};
use madoguchi_core::Context;
use serde_json::json;

#[derive(Debug, Parser)]
struct Args {
    #[command(subcommand)]
    command: Part,
}

#[derive(Debug, Subcommand)]
enum Part {
    /// Serves madoguchi and a bare route, and measures them.
    Paths {
        /// How long each load phase runs.
        #[arg(long, default_value_t = 10)]
        seconds: u64,
        /// Concurrent connections (and renewal clients) in each load phase.
        #[arg(long, default_value_t = 32)]
        connections: usize,
        /// Logins (and argon2 verifies) to time.
        #[arg(long, default_value_t = 30)]
        logins: usize,
        /// Members, each logged in, whose tokens the reads rotate through.
        #[arg(long, default_value_t = 10_000)]
        sessions: usize,
        /// Where to keep the results for `report`.
        #[arg(long)]
        results: Option<PathBuf>,
    },
    /// The renewals' load, run by `paths` in a process of its own: prints its result as
    /// JSON.
    RenewalClient {
        #[arg(long)]
        url: String,
        /// The renewal clients' serials, addresses and codes, as `paths` wrote them.
        #[arg(long)]
        fixtures: PathBuf,
        #[arg(long)]
        seconds: u64,
    },
}

fn main() {
    match Args::parse().command {
        Part::Paths {
            seconds,
            connections,
            logins,
            sessions,
            results,
        } => {
            let runtime = tokio::runtime::Runtime::new().expect("a runtime");
            let measured = runtime.block_on(paths(seconds, connections, logins, sessions));
            measured.finish(results.as_deref());
        }
        Part::RenewalClient {
            url,
            fixtures,
            seconds,
        } => {
            let runtime = tokio::runtime::Runtime::new().expect("a runtime");
            let load = runtime.block_on(write_path::renewal_client(&url, &fixtures, seconds));
            println!("{}", serde_json::to_string(&load).expect("json"));
        }
    }
}

/// A read phase: its median slice, the bare route's mean rate beside that slice, and every
/// slice's ratio to its bare route, lowest first.
struct Phase {
    run: wrk::Run,
    floor: f64,
    ratios: Vec<f64>,
    /// Each slice's p99, in the order the slices ran.
    p99s: Vec<f64>,
}

impl Phase {
    fn share(&self) -> f64 {
        self.run.per_second / self.floor
    }

    /// The highest p99 of any slice: the median slice's alone would hide a slow one.
    fn worst_p99(&self) -> f64 {
        self.p99s.iter().copied().fold(0.0, f64::max)
    }
}

/// Who a read path's requests are from.
#[derive(Clone, Copy)]
enum Caller {
    Anonymous,
    /// The login's one token: every read after the first is the session views' best case.
    One,
    /// One of the generated members' tokens, picked at random per request.
    Rotating,
}

/// This process's resident memory, from `/proc`.
fn rss_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|kb| kb.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

/// The connections the latency of usage is measured at, one wrk run each.
const CONCURRENCY: [usize; 4] = [1, 8, 32, 128];

async fn paths(seconds: u64, connections: usize, logins: usize, sessions: usize) -> Results {
    let servers::Servers {
        ctx,
        redb,
        madoguchi,
        hello,
        dir,
    } = servers::start().await;
    let mut results = Results::new("read and write paths, login");

    let (login, verify, token) = login_against_verify(&ctx, &madoguchi, logins).await;
    // Members as they load a server: many, each with a session of their own.
    let rss_before = rss_bytes();
    let tokens = dir.path().join("tokens.txt");
    generated::logged_in_members(ctx.store.as_ref(), sessions, &tokens).await;

    // wrk runs in its own process; `spawn_blocking` keeps this runtime serving meanwhile.
    let wrk = |url: String, caller: Caller, seconds: u64| {
        let caller = match caller {
            Caller::Anonymous => wrk::Caller::Anonymous,
            Caller::One => wrk::Caller::Header(format!("Bearer {token}")),
            Caller::Rotating => wrk::Caller::Rotating(tokens.clone()),
        };
        tokio::task::spawn_blocking(move || wrk::run_as(&url, &caller, seconds, connections))
    };
    // Each phase runs in `SLICES` slices, the bare route before and after each, and is held
    // against the mean of the two runs beside it; the slice with the median ratio is the
    // phase's figure. On a shared 2-core machine the floor itself moves by a quarter
    // between runs a minute apart, and slices seconds apart follow it closer.
    let slice = (seconds / SLICES as u64).max(1);
    let bare_route = || wrk(format!("{hello}/hello"), Caller::Anonymous, slice);
    let mut bares = vec![bare_route().await.expect("wrk")];
    let mut phase = async |url: String, caller: Caller| {
        let mut slices = Vec::new();
        for _ in 0..SLICES {
            let run = wrk(url.clone(), caller, slice).await.expect("wrk");
            bares.push(bare_route().await.expect("wrk"));
            let floor =
                (bares[bares.len() - 2].per_second + bares[bares.len() - 1].per_second) / 2.0;
            slices.push((run, floor));
        }
        let p99s = slices.iter().map(|(run, _)| run.ms_at(99.0)).collect();
        slices.sort_by(|(a, fa), (b, fb)| (a.per_second / fa).total_cmp(&(b.per_second / fb)));
        let ratios = slices
            .iter()
            .map(|(run, floor)| run.per_second / floor)
            .collect();
        let (run, floor) = slices.swap_remove(SLICES / 2);
        Phase {
            run,
            floor,
            ratios,
            p99s,
        }
    };
    let layers = phase(format!("{madoguchi}/healthz"), Caller::Anonymous).await;
    let usage = phase(format!("{madoguchi}/v1/usage"), Caller::Rotating).await;
    let rss_after = rss_bytes();
    let one_token = phase(format!("{madoguchi}/v1/usage"), Caller::One).await;
    // A write to a member forgets the views of its sessions: the read after it goes to the
    // file. With no view kept, every read is that read.
    redb.keep_session_views(false);
    let after_write = phase(format!("{madoguchi}/v1/usage"), Caller::Rotating).await;
    redb.keep_session_views(true);
    let services = phase(format!("{madoguchi}/v1/services"), Caller::Rotating).await;
    let orders = phase(format!("{madoguchi}/v1/orders"), Caller::Rotating).await;
    // Latency as members add up: usage with the sessions in rotation, at each concurrency.
    let mut by_connections = Vec::new();
    for concurrency in CONCURRENCY {
        let url = format!("{madoguchi}/v1/usage");
        let caller = wrk::Caller::Rotating(tokens.clone());
        let run =
            tokio::task::spawn_blocking(move || wrk::run_as(&url, &caller, seconds, concurrency))
                .await
                .expect("wrk");
        by_connections.push((concurrency, run));
    }
    let writes = write_path::measure(&ctx, &madoguchi, dir.path(), seconds, connections, 100).await;

    let rate = |r: &wrk::Run| {
        format!(
            "{}/s (p50 {:.2} ms, p99 {:.2} ms)",
            grouped(r.per_second),
            r.ms_at(50.0),
            r.ms_at(99.0)
        )
    };
    let mut bare_rates: Vec<f64> = bares.iter().map(|run| run.per_second).collect();
    bare_rates.sort_by(f64::total_cmp);
    results.figure(
        format!(
            "bare axum route, wrk {connections} connections {slice} s, run before and after each slice"
        ),
        format!(
            "{}/s to {}/s, median {}/s",
            grouped(bare_rates[0]),
            grouped(bare_rates[bare_rates.len() - 1]),
            grouped(bare_rates[bare_rates.len() / 2])
        ),
    );
    // A phase's median slice, its share of the bare route's runs beside it, and the range
    // of every slice's share.
    let against = |phase: &Phase| {
        format!(
            "{} ({} of the bare route's {}/s beside it; {SLICES} slices of {slice} s: {}–{})",
            rate(&phase.run),
            percent(phase.share()),
            grouped(phase.floor),
            percent(phase.ratios[0]),
            percent(phase.ratios[SLICES - 1]),
        )
    };
    results.figure("`/healthz` through madoguchi's layers", against(&layers));
    let share = layers.share();
    results.against(
        "`/healthz` ÷ bare route (what the layers leave)",
        percent(share),
        "≥ 80%",
        share >= 0.8,
    );
    for (read, measured) in [
        ("`GET /v1/usage`", &usage),
        ("`GET /v1/services`", &services),
        ("`GET /v1/orders`", &orders),
    ] {
        results.figure(
            format!("{read}, {sessions} members' sessions in rotation"),
            against(measured),
        );
        let share = measured.share();
        results.against(
            format!("{read} ÷ bare route"),
            percent(share),
            "≥ 60%",
            share >= 0.6,
        );
        let p99 = measured.worst_p99();
        let in_order: Vec<String> = measured.p99s.iter().map(|p| format!("{p:.2}")).collect();
        results.against(
            format!("{read} p99, the highest of the {SLICES} slices'"),
            format!("{p99:.2} ms (slices in order: {} ms)", in_order.join(", ")),
            "< 5 ms",
            p99 < 5.0,
        );
    }
    results.figure(
        "`GET /v1/usage` with one member's token: the session views' best case",
        against(&one_token),
    );
    results.figure(
        "`GET /v1/usage`, sessions in rotation, each read as the first after a write to its member (no view kept)",
        against(&after_write),
    );
    results.figure(
        format!(
            "the server's memory (RSS) before and after {sessions} sessions were written and read"
        ),
        format!(
            "{:.1} MB, then {:.1} MB (the session views keep at most 16,384)",
            rss_before as f64 / 1e6,
            rss_after as f64 / 1e6
        ),
    );
    for (concurrency, run) in &by_connections {
        results.figure(
            format!("`GET /v1/usage`, sessions in rotation, {concurrency} connections"),
            rate(run),
        );
    }
    for (percentile, name) in [(50.0, "p50"), (99.0, "p99")] {
        let points = by_connections
            .iter()
            .map(|(concurrency, run)| (*concurrency as f64, run.ms_at(percentile)))
            .collect();
        results
            .series
            .insert(format!("concurrency: GET /v1/usage {name}"), points);
    }
    // The plot's bare route: the run just before usage's first slice.
    let bare = bares.swap_remove(SLICES);
    results
        .series
        .insert("read: bare route".into(), bare.distribution);
    results
        .series
        .insert("read: GET /v1/usage".into(), usage.run.distribution);

    let renewals = &writes.renewals;
    results.figure(
        format!(
            "single durable redb commit, median of {} before and after the median slice",
            writes.commits
        ),
        format!(
            "{:.2} ms ({}/s)",
            1000.0 / writes.commits_per_second,
            grouped(writes.commits_per_second)
        ),
    );
    results.figure(
        format!("`POST /v1/renewals`, {connections} clients on their own addresses"),
        format!(
            "{}/s ({} in {:.1} s, p50 {:.2} ms; the median of {SLICES} slices)",
            grouped(renewals.per_second()),
            grouped(renewals.renewals as f64),
            renewals.seconds,
            renewals
                .distribution
                .iter()
                .find(|(p, _)| *p == 50.0)
                .map_or(0.0, |(_, v)| *v)
        ),
    );
    let share = writes.ratio();
    let each: Vec<String> = writes
        .slices
        .iter()
        .map(|(renewals, commits)| {
            format!(
                "{} ({} ÷ {}/s)",
                percent(renewals / commits),
                grouped(*renewals),
                grouped(*commits)
            )
        })
        .collect();
    results.against(
        "renewals ÷ single durable commits",
        format!("{} (slices in order: {})", percent(share), each.join(", ")),
        "≥ 120%",
        share >= 1.2,
    );
    if writes.ran_out > 0 {
        results.notes.push(format!(
            "{} times a renewal client used up its slice's codes before the slice ended: the rate is a floor",
            writes.ran_out
        ));
    }
    results.series.insert(
        "write: POST /v1/renewals".into(),
        writes.renewals.distribution.clone(),
    );

    results.figure(format!("login over HTTP, median of {logins}"), ms(login));
    results.figure("one argon2id verify, median", ms(verify));
    let ratio = login.as_secs_f64() / verify.as_secs_f64();
    results.against(
        "login ÷ one verify",
        format!("{ratio:.2}×"),
        "≤ 1.2×",
        ratio <= 1.2,
    );
    results
}

/// Logins over HTTP alternating with bare argon2id verifies, so that both see the same
/// machine; the last login's token serves the read path.
async fn login_against_verify(
    ctx: &Context,
    base: &str,
    logins: usize,
) -> (Duration, Duration, String) {
    let created = new_member(ctx, "山田 太郎", "bench@example.jp", Vec::new()).await;
    let client = reqwest::Client::new();
    let body =
        json!({"customer_id": created.customer_id.to_string(), "access_key": created.access_key});
    let hash = madoguchi_core::secret::hash_access_key("bench-access-key");
    let (mut login_times, mut verify_times) = (Vec::new(), Vec::new());
    let mut token = String::new();
    for _ in 0..logins {
        let started = Instant::now();
        let answer: serde_json::Value = client
            .post(format!("{base}/v1/sessions"))
            .json(&body)
            .send()
            .await
            .expect("a login")
            .json()
            .await
            .expect("its answer");
        login_times.push(started.elapsed());
        token = answer["token"].as_str().expect("a token").to_owned();

        let started = Instant::now();
        assert!(madoguchi_core::secret::verify_access_key(
            "bench-access-key",
            Some(&hash)
        ));
        verify_times.push(started.elapsed());
    }
    (median(login_times), median(verify_times), token)
}
