//! Measures the read path and login against the design's targets, in one run on this
//! machine: a bare axum "hello" route and madoguchi's `GET /v1/usage` under the same load,
//! and login latency against one argon2id verify. Everything runs on loopback.
//!
//! `cargo run --release -p madoguchi-bench --bin bench -- --seconds 10 --connections 32`

mod servers;

use std::time::{Duration, Instant};

use clap::Parser;
use madoguchi_core::Context;
use serde_json::json;
use servers::new_member;

#[derive(Debug, Parser)]
struct Args {
    /// How long each load phase runs.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Concurrent connections in each load phase.
    #[arg(long, default_value_t = 32)]
    connections: usize,
    /// Logins (and argon2 verifies) to time.
    #[arg(long, default_value_t = 30)]
    logins: usize,
}

struct Load {
    requests: usize,
    per_second: f64,
    p50: Duration,
    p99: Duration,
}

/// `connections` clients, each sending one request after another for `seconds`.
async fn load(url: String, token: Option<String>, args: &Args) -> Load {
    let until = Instant::now() + Duration::from_secs(args.seconds);
    let workers = (0..args.connections).map(|_| {
        let url = url.clone();
        let token = token.clone();
        tokio::spawn(async move {
            let client = reqwest::Client::builder()
                .pool_max_idle_per_host(1)
                .build()
                .unwrap();
            let mut latencies = Vec::new();
            while Instant::now() < until {
                let started = Instant::now();
                let mut request = client.get(&url);
                if let Some(token) = &token {
                    request = request.bearer_auth(token);
                }
                let response = request.send().await.unwrap();
                assert!(response.status().is_success(), "{}", response.status());
                response.bytes().await.unwrap();
                latencies.push(started.elapsed());
            }
            latencies
        })
    });
    let started = Instant::now();
    let mut latencies: Vec<Duration> = futures::future::join_all(workers)
        .await
        .into_iter()
        .flat_map(Result::unwrap)
        .collect();
    let elapsed = started.elapsed();
    latencies.sort();
    let at = |q: f64| latencies[((latencies.len() as f64 * q) as usize).min(latencies.len() - 1)];
    Load {
        requests: latencies.len(),
        per_second: latencies.len() as f64 / elapsed.as_secs_f64(),
        p50: at(0.50),
        p99: at(0.99),
    }
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let servers::Servers {
        ctx,
        madoguchi,
        hello,
        dir,
    } = servers::start().await;
    let created = new_member(&ctx, "山田 太郎", "bench@example.jp", Vec::new()).await;

    let client = reqwest::Client::new();
    let login_body =
        json!({"customer_id": created.customer_id.to_string(), "access_key": created.access_key});
    // Logins and bare verifies alternate, so that both see the same machine.
    let hash = madoguchi_core::secret::hash_access_key("bench-access-key");
    let mut login_times = Vec::new();
    let mut verify_times = Vec::new();
    let mut token = String::new();
    for _ in 0..args.logins {
        let started = Instant::now();
        let answer: serde_json::Value = client
            .post(format!("{madoguchi}/v1/sessions"))
            .json(&login_body)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        login_times.push(started.elapsed());
        token = answer["token"].as_str().unwrap().to_owned();

        let started = Instant::now();
        assert!(madoguchi_core::secret::verify_access_key(
            "bench-access-key",
            Some(&hash)
        ));
        verify_times.push(started.elapsed());
    }

    let bare = load(format!("{hello}/hello"), None, &args).await;
    let layers = load(format!("{madoguchi}/healthz"), None, &args).await;
    let usage = load(format!("{madoguchi}/v1/usage"), Some(token), &args).await;

    let renewals = renewals(&ctx, &madoguchi, &args).await;
    let commit = raw_redb_commit(dir.path(), 200);

    println!("| measure | value |");
    println!("| --- | --- |");
    println!(
        "| bare axum hello: requests/s ({} conns, {} s) | {:.0} ({} requests, p50 {}, p99 {}) |",
        args.connections,
        args.seconds,
        bare.per_second,
        bare.requests,
        ms(bare.p50),
        ms(bare.p99)
    );
    println!(
        "| GET /v1/usage: requests/s | {:.0} ({} requests, p50 {}, p99 {}) |",
        usage.per_second,
        usage.requests,
        ms(usage.p50),
        ms(usage.p99)
    );
    println!(
        "| GET /healthz through madoguchi's layers | {:.0} (p50 {}, p99 {}) |",
        layers.per_second,
        ms(layers.p50),
        ms(layers.p99)
    );
    println!(
        "| usage ÷ hello (target ≥ 50%) | {:.0}% |",
        100.0 * usage.per_second / bare.per_second
    );
    let login = median(login_times);
    let verify = median(verify_times);
    println!(
        "| login p50 over HTTP ({} logins) | {} |",
        args.logins,
        ms(login)
    );
    println!("| one argon2id verify, median | {} |", ms(verify));
    println!(
        "| login ÷ verify (target ≤ 1.2×) | {:.2}× |",
        login.as_secs_f64() / verify.as_secs_f64()
    );
    println!(
        "| raw redb durable commit, median of 200 | {} ({:.0} commits/s) |",
        ms(commit),
        1.0 / commit.as_secs_f64()
    );
    let (renewed, per_second) = renewals;
    println!(
        "| POST /v1/renewals ({} conns): renewals/s | {:.0} ({} renewals) |",
        args.connections, per_second, renewed
    );
    println!(
        "| renewals ÷ raw commits (target ≥ 70%) | {:.0}% |",
        100.0 * per_second * commit.as_secs_f64()
    );
}

/// The write path: `connections` clients renewing their own licences with fresh codes,
/// over HTTP, for `seconds`.
async fn renewals(ctx: &Context, base: &str, args: &Args) -> (usize, f64) {
    use madoguchi_core::domain::{Billing, Plan, Product};
    use madoguchi_core::service::admin::{NewLicense, issue_codes};
    let per_client = 2_000;
    let mut clients = Vec::new();
    for n in 0..args.connections {
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
            codes.extend(
                issue_codes(ctx, Product::SecuritySuite, 1, 1_000, None)
                    .await
                    .unwrap()
                    .codes,
            );
        }
        clients.push((created.serials[0].serial.to_string(), email, codes));
    }
    let until = Instant::now() + Duration::from_secs(args.seconds);
    let started = Instant::now();
    let workers = clients
        .into_iter()
        .enumerate()
        .map(|(n, (serial, email, codes))| {
            let url = format!("{base}/v1/renewals");
            // Each client from its own loopback address, as members are: one address may only
            // have 20 renewals running at once (SPEC §2, §5).
            let address = std::net::Ipv4Addr::new(127, 0, 1, n as u8 + 2);
            tokio::spawn(async move {
                let client = reqwest::Client::builder()
                    .local_address(std::net::IpAddr::V4(address))
                    .build()
                    .unwrap();
                let mut done = 0;
                for code in codes {
                    if Instant::now() >= until {
                        break;
                    }
                    let body = json!({"code": code.to_string(), "serial": serial, "email": email,
                                  "consent": {"terms_version": "2026-10", "agreed": true}});
                    let response = client.post(&url).json(&body).send().await.unwrap();
                    assert_eq!(response.status(), 201);
                    done += 1;
                }
                done
            })
        });
    let done: usize = futures::future::join_all(workers)
        .await
        .into_iter()
        .map(Result::unwrap)
        .sum();
    (done, done as f64 / started.elapsed().as_secs_f64())
}

/// The floor under every write: one durable (fsync'd) redb commit of a small record.
fn raw_redb_commit(dir: &std::path::Path, commits: u64) -> Duration {
    const TABLE: redb::TableDefinition<u64, &[u8]> = redb::TableDefinition::new("raw");
    let db = redb::Database::create(dir.join("raw.redb")).unwrap();
    let value = [7u8; 300];
    let times = (0..commits)
        .map(|n| {
            let started = Instant::now();
            let txn = db.begin_write().unwrap();
            txn.open_table(TABLE)
                .unwrap()
                .insert(n, value.as_slice())
                .unwrap();
            txn.commit().unwrap();
            started.elapsed()
        })
        .collect();
    median(times)
}
