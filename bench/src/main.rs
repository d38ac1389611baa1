//! The read and write paths and login, measured against the design's targets in one run
//! on this machine (`scripts/bench` runs it; `report` puts its rows in the README):
//!
//! - the read path: wrk, in its own process, on a bare axum route, on `/healthz` through
//!   madoguchi's layers and on `GET /v1/usage`, the same time and connections each;
//! - the write path: renewals over HTTP from a client process of their own (this binary's
//!   `renewal-client`), 32 clients each from its own loopback address, against the rate of
//!   single durable redb commits on the same disk;
//! - login against one argon2id verify.
//!
//! `cargo run --release -p madoguchi-bench --bin bench -- paths --seconds 10`

use std::path::PathBuf;
use std::time::{Duration, Instant};

use clap::{Parser, Subcommand};
use madoguchi_bench::results::{Results, distribution, grouped};
use madoguchi_bench::servers::new_member;
use madoguchi_bench::{generated, servers, wrk};
use madoguchi_core::Context;
use serde::{Deserialize, Serialize};
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

/// One renewal client: a member's term licence and the codes it will redeem.
#[derive(Serialize, Deserialize)]
struct RenewalClient {
    serial: String,
    email: String,
    codes: Vec<String>,
}

#[derive(Serialize, Deserialize)]
struct RenewalLoad {
    renewals: usize,
    seconds: f64,
    /// Clients that used up their codes before the time was over.
    ran_out: usize,
    distribution: Vec<(f64, f64)>,
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
            let load = runtime.block_on(renewal_client(&url, &fixtures, seconds));
            println!("{}", serde_json::to_string(&load).expect("json"));
        }
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
    let wrk = |url: String, caller: Caller| {
        let caller = match caller {
            Caller::Anonymous => wrk::Caller::Anonymous,
            Caller::One => wrk::Caller::Header(format!("Bearer {token}")),
            Caller::Rotating => wrk::Caller::Rotating(tokens.clone()),
        };
        tokio::task::spawn_blocking(move || wrk::run_as(&url, &caller, seconds, connections))
    };
    // The bare route is run before and after every phase, and each phase is held against
    // the mean of the two runs beside it: on a shared 2-core machine the floor itself moves
    // by a quarter between runs a minute apart, and one run at the start would put that
    // into every ratio.
    let bare_route = || wrk(format!("{hello}/hello"), Caller::Anonymous);
    let mut bares = vec![bare_route().await.expect("wrk")];
    let mut phase = async |url: String, caller: Caller| {
        let run = wrk(url, caller).await.expect("wrk");
        bares.push(bare_route().await.expect("wrk"));
        let floor = (bares[bares.len() - 2].per_second + bares[bares.len() - 1].per_second) / 2.0;
        (run, floor)
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
    let raw = raw_redb_commits(dir.path(), 500);
    let renewals = renewals(&ctx, &madoguchi, dir.path(), seconds, connections).await;

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
            "bare axum route, wrk {connections} connections {seconds} s, run before and after each phase"
        ),
        format!(
            "{}/s to {}/s, median {}/s",
            grouped(bare_rates[0]),
            grouped(bare_rates[bare_rates.len() - 1]),
            grouped(bare_rates[bare_rates.len() / 2])
        ),
    );
    // A phase's rate, and its share of the bare route's runs beside it.
    let against = |(run, floor): &(wrk::Run, f64)| {
        format!(
            "{} ({:.0}% of the bare route's {}/s beside it)",
            rate(run),
            run.per_second / floor * 100.0,
            grouped(*floor)
        )
    };
    results.figure("`/healthz` through madoguchi's layers", against(&layers));
    let share = layers.0.per_second / layers.1;
    results.against(
        "`/healthz` ÷ bare route (what the layers leave)",
        format!("{:.0}%", share * 100.0),
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
        let share = measured.0.per_second / measured.1;
        results.against(
            format!("{read} ÷ bare route"),
            format!("{:.0}%", share * 100.0),
            "≥ 60%",
            share >= 0.6,
        );
        let p99 = measured.0.ms_at(99.0);
        results.against(
            format!("{read} p99"),
            format!("{p99:.2} ms"),
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
    // The plot's bare route: the run just before usage's.
    let bare = bares.swap_remove(1);
    results
        .series
        .insert("read: bare route".into(), bare.distribution);
    results
        .series
        .insert("read: GET /v1/usage".into(), usage.0.distribution);

    let raw_rate = 1.0 / raw.as_secs_f64();
    results.figure(
        "single durable redb commit, median of 500",
        format!("{} ({}/s)", ms(raw), grouped(raw_rate)),
    );
    let renewal_rate = renewals.renewals as f64 / renewals.seconds;
    let p50 = renewals
        .distribution
        .iter()
        .find(|(p, _)| *p == 50.0)
        .map_or(0.0, |(_, v)| *v);
    results.figure(
        format!("`POST /v1/renewals`, {connections} clients on their own addresses"),
        format!(
            "{}/s ({} in {:.1} s, p50 {p50:.2} ms)",
            grouped(renewal_rate),
            grouped(renewals.renewals as f64),
            renewals.seconds
        ),
    );
    let share = renewal_rate / raw_rate;
    results.against(
        "renewals ÷ single durable commits",
        format!("{:.0}%", share * 100.0),
        "≥ 120%",
        share >= 1.2,
    );
    if renewals.ran_out > 0 {
        results.notes.push(format!(
            "{} renewal clients used up their codes before the end: the rate is a floor",
            renewals.ran_out
        ));
    }
    results
        .series
        .insert("write: POST /v1/renewals".into(), renewals.distribution);

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

/// The write path: members with a term licence each and enough fresh codes, then the
/// renewal client process against them.
async fn renewals(
    ctx: &Context,
    base: &str,
    dir: &std::path::Path,
    seconds: u64,
    connections: usize,
) -> RenewalLoad {
    use madoguchi_core::domain::{Billing, Plan, Product};
    use madoguchi_core::service::admin::{NewLicense, issue_codes};
    // Enough codes for 12,000 renewals a second; a client that runs out is reported.
    let per_client = (seconds as usize * 12_000)
        .div_ceil(connections)
        .div_ceil(1_000)
        * 1_000;
    let mut clients = Vec::new();
    for n in 0..connections {
        let email = format!("renewal{n}@example.jp");
        let licence = NewLicense {
            product: Product::SecuritySuite,
            plan: Plan::Standard,
            billing: Billing::Term,
            expires_on: Some(ctx.today()),
            version: None,
        };
        let created = new_member(ctx, "更新 太郎", &email, vec![licence]).await;
        let mut codes = Vec::new();
        for _ in 0..per_client / 1_000 {
            let issued = issue_codes(ctx, Product::SecuritySuite, 1, 1_000, None)
                .await
                .expect("codes");
            codes.extend(issued.codes.iter().map(ToString::to_string));
        }
        clients.push(RenewalClient {
            serial: created.serials[0].serial.to_string(),
            email,
            codes,
        });
    }
    let fixtures = dir.join("renewal-clients.json");
    std::fs::write(&fixtures, serde_json::to_vec(&clients).expect("json")).expect("fixtures");
    let output = tokio::process::Command::new(std::env::current_exe().expect("this binary"))
        .args(["renewal-client", "--url", &format!("{base}/v1/renewals")])
        .arg("--fixtures")
        .arg(&fixtures)
        .args(["--seconds", &seconds.to_string()])
        .output()
        .await
        .expect("the renewal client runs");
    assert!(
        output.status.success(),
        "the renewal client failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("the renewal client's result")
}

/// Each client renews from its own loopback address, as members do: one address may only
/// have 20 renewals running at once (docs/login.md, docs/renewal.md).
async fn renewal_client(url: &str, fixtures: &std::path::Path, seconds: u64) -> RenewalLoad {
    let clients: Vec<RenewalClient> =
        serde_json::from_slice(&std::fs::read(fixtures).expect("fixtures")).expect("fixtures");
    let until = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let workers = clients.into_iter().enumerate().map(|(n, client)| {
        let url = url.to_owned();
        let address = std::net::Ipv4Addr::new(127, 0, 1, u8::try_from(n + 2).expect("≤ 250"));
        tokio::spawn(async move {
            let http = reqwest::Client::builder()
                .local_address(std::net::IpAddr::V4(address))
                .build()
                .expect("a client");
            let mut latencies = Vec::new();
            let mut ran_out = true;
            for code in client.codes {
                if Instant::now() >= until {
                    ran_out = false;
                    break;
                }
                let body = json!({"code": code, "serial": client.serial, "email": client.email,
                                  "consent": {"terms_version": "2026-10", "agreed": true}});
                let sent = Instant::now();
                let response = http.post(&url).json(&body).send().await.expect("an answer");
                assert_eq!(response.status(), 201, "a renewal");
                response.bytes().await.expect("its body");
                latencies.push(sent.elapsed());
            }
            (latencies, ran_out)
        })
    });
    let mut latencies = Vec::new();
    let mut ran_out = 0;
    for (mut some, out) in futures::future::join_all(workers)
        .await
        .into_iter()
        .map(|r| r.expect("a client"))
    {
        latencies.append(&mut some);
        ran_out += usize::from(out);
    }
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort();
    RenewalLoad {
        renewals: latencies.len(),
        seconds: elapsed,
        ran_out,
        distribution: distribution(&latencies),
    }
}

/// The floor under every write, on the same disk as the server's file: one durable
/// (fsync'd) redb commit of a small record at a time.
fn raw_redb_commits(dir: &std::path::Path, commits: u64) -> Duration {
    const TABLE: redb::TableDefinition<u64, &[u8]> = redb::TableDefinition::new("raw");
    let db = redb::Database::create(dir.join("raw.redb")).expect("a redb file");
    let value = [7u8; 300];
    let times = (0..commits)
        .map(|n| {
            let started = Instant::now();
            let txn = db.begin_write().expect("a write");
            txn.open_table(TABLE)
                .expect("the table")
                .insert(n, value.as_slice())
                .expect("an insert");
            txn.commit().expect("a commit");
            started.elapsed()
        })
        .collect();
    median(times)
}
