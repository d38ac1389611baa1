//! Shows the redb file stays flat under a long anonymous flood: local-dev's routers over a
//! real redb file, a stream of requests without login that each leave records behind
//! (renewals with fresh Idempotency-Keys and unknown codes, wrong logins with unknown IDs,
//! from many loopback addresses, and now and then a real login), and the sweep running
//! on a short interval. Every record's lifetime is shortened alike (`--lifetime`), so that
//! what takes a day in service takes seconds here; the file should stop growing once the
//! first records have ended, and keep growing with `--sweep-every 0`.
//!
//! `cargo run --release -p madoguchi-bench --bin flood -- --seconds 180`

use std::net::{IpAddr, Ipv4Addr};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use clap::Parser;
use jiff::SignedDuration;
use madoguchi_core::domain::RenewalCode;
use madoguchi_core::http::{AppState, all_operations, app};
use madoguchi_core::service::admin::{NewCustomer, create_customer};
use madoguchi_core::store::redb::{RedbStore, Swept};
use madoguchi_core::{Context, Settings, SystemClock};
use madoguchi_tests::serve;
use serde_json::json;

#[derive(Debug, Parser)]
struct Args {
    /// How long the flood runs.
    #[arg(long, default_value_t = 180)]
    seconds: u64,
    /// Requests in flight at once.
    #[arg(long, default_value_t = 16)]
    clients: usize,
    /// Distinct client addresses (127.0.x.y), each with its own per-client counts.
    #[arg(long, default_value_t = 1000)]
    addresses: usize,
    /// Seconds between sweeps; 0: no sweep, to see the file grow.
    #[arg(long, default_value_t = 5)]
    sweep_every: u64,
    /// Seconds every record lives: idempotency answers, sessions' idle timeout, failure
    /// windows (a lapsed claim: a sixth of it).
    #[arg(long, default_value_t = 30)]
    lifetime: u64,
    /// Seconds between two lines of the report.
    #[arg(long, default_value_t = 10)]
    report_every: u64,
}

/// The settings of service, with every lifetime cut to `seconds`.
fn shortened(seconds: u64) -> Settings {
    let lifetime = SignedDuration::from_secs(seconds as i64);
    Settings {
        session_idle_timeout: lifetime,
        session_lifetime: lifetime * 2,
        login_failure_window: lifetime,
        renewal_failure_window: lifetime,
        idempotency_kept_for: lifetime,
        idempotency_claim_lapse: lifetime / 6,
        ..Settings::default()
    }
}

/// A loopback address of its own for client `n`.
fn address(n: usize) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(
        127,
        0,
        1 + (n / 250) as u8,
        1 + (n % 250) as u8,
    ))
}

fn megabytes(path: &Path) -> f64 {
    std::fs::metadata(path).map_or(0.0, |m| m.len() as f64 / 1_048_576.0)
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("flood.redb");
    let store = RedbStore::open(&path).unwrap();
    let ctx = Context::new(
        Arc::new(store.clone()),
        Arc::new(SystemClock),
        shortened(args.lifetime),
    );
    let member = create_customer(
        &ctx,
        NewCustomer {
            name: madoguchi_core::domain::PersonName::parse("洪水 太郎").unwrap(),
            email: madoguchi_core::domain::Email::parse("flood@example.jp").unwrap(),
            line: madoguchi_core::domain::Line::FletsNext,
            licenses: Vec::new(),
            services: Vec::new(),
        },
        None,
    )
    .await
    .unwrap();
    let state = AppState::new(
        ctx.clone(),
        None,
        madoguchi_core::secret::SealingKey::generate(),
    );
    let base = serve(app(all_operations(), state)).await;

    // One client per address; no kept connections, so a thousand addresses stay within the
    // process's file limit.
    let clients: Arc<Vec<reqwest::Client>> = Arc::new(
        (0..args.addresses)
            .map(|n| {
                reqwest::Client::builder()
                    .local_address(address(n))
                    .pool_max_idle_per_host(0)
                    .build()
                    .unwrap()
            })
            .collect(),
    );
    let sent = Arc::new(AtomicUsize::new(0));
    let until = Instant::now() + Duration::from_secs(args.seconds);
    let login = json!({"customer_id": member.customer_id.to_string(),
                       "access_key": member.access_key});
    let workers: Vec<_> = (0..args.clients)
        .map(|worker| {
            let (clients, sent, base, login) =
                (clients.clone(), sent.clone(), base.clone(), login.clone());
            tokio::spawn(async move {
                let mut n = worker;
                while Instant::now() < until {
                    let client = &clients[n % clients.len()];
                    let key = format!("flood-{}", madoguchi_core::secret::random_digits(16));
                    let request = match n % 20 {
                        // A real login now and then: a session, left to end idle.
                        0 => client.post(format!("{base}/v1/sessions")).json(&login),
                        // Wrong logins cost an argon2 verify each: a few of them.
                        1..=3 => client.post(format!("{base}/v1/sessions")).json(&json!({
                            "customer_id": format!("CAF{}", madoguchi_core::secret::random_digits(7)),
                            "access_key": "not-the-key-123"})),
                        _ => client.post(format!("{base}/v1/renewals")).json(&json!({
                            "code": RenewalCode::generate().to_string(),
                            "serial": "ESS-00000000",
                            "email": "nobody@example.jp",
                            "consent": {"terms_version": "2026-10", "agreed": true}})),
                    };
                    let answered = request.header("idempotency-key", key).send().await;
                    let status = answered.unwrap().status().as_u16();
                    assert!(status < 500, "{status}");
                    sent.fetch_add(1, Ordering::Relaxed);
                    n += args.clients;
                }
            })
        })
        .collect();

    let swept = Arc::new(std::sync::Mutex::new(Swept::default()));
    let sweeper = (args.sweep_every > 0).then(|| {
        let (store, ctx, swept) = (store.clone(), ctx.clone(), swept.clone());
        tokio::spawn(async move {
            while Instant::now() < until {
                tokio::time::sleep(Duration::from_secs(args.sweep_every)).await;
                let round = store.sweep(&ctx.settings, ctx.clock.now()).await.unwrap();
                let mut total = swept.lock().unwrap();
                total.sessions += round.sessions;
                total.idempotency += round.idempotency;
                total.client_counts += round.client_counts;
                total.reminders += round.reminders;
            }
        })
    });

    println!(
        "flood: {} s, {} clients from {} addresses, records live {} s, sweep {}",
        args.seconds,
        args.clients,
        args.addresses,
        args.lifetime,
        match args.sweep_every {
            0 => "off".to_owned(),
            s => format!("every {s} s"),
        }
    );
    println!("| elapsed | requests | file size | swept (idempotency / client counts / sessions) |");
    println!("| --- | --- | --- | --- |");
    let started = Instant::now();
    let report = |elapsed: u64| {
        let total = *swept.lock().unwrap();
        println!(
            "| {elapsed} s | {} | {:.2} MB | {} / {} / {} |",
            sent.load(Ordering::Relaxed),
            megabytes(&path),
            total.idempotency,
            total.client_counts,
            total.sessions
        );
    };
    report(0);
    while Instant::now() < until {
        tokio::time::sleep(Duration::from_secs(args.report_every)).await;
        report(started.elapsed().as_secs());
    }
    for worker in workers {
        worker.await.unwrap();
    }
    if let Some(sweeper) = sweeper {
        sweeper.await.unwrap();
    }
    report(started.elapsed().as_secs());
}
