//! The write path: renewals over HTTP from a client process of their own (the `bench`
//! binary's `renewal-client`), each client from its own loopback address, held against
//! single durable redb commits on the same disk.
//!
//! Both are measured in [`SLICES`] alternating slices, commits before and after each
//! renewal slice, and the ratio is the median of the slices' ratios: on a shared 2-core
//! machine the commits' own rate moves by a third between runs a minute apart, and one
//! batch of commits before the renewals put that move into the ratio.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use madoguchi_core::Context;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::SLICES;
use crate::results::distribution;
use crate::servers::new_member;

/// One renewal client: a member's term licence and the codes it will redeem.
#[derive(Serialize, Deserialize)]
pub struct RenewalClient {
    serial: String,
    email: String,
    codes: Vec<String>,
}

/// What one run of the renewal client process measured.
#[derive(Serialize, Deserialize)]
pub struct RenewalLoad {
    pub renewals: usize,
    pub seconds: f64,
    /// Clients that used up their codes before the time was over.
    pub ran_out: usize,
    pub distribution: Vec<(f64, f64)>,
}

impl RenewalLoad {
    pub fn per_second(&self) -> f64 {
        self.renewals as f64 / self.seconds
    }
}

/// The slice whose ratio is the median, and what the others add to it.
pub struct WritePath {
    /// The median slice's renewals.
    pub renewals: RenewalLoad,
    /// The median slice's floor: single durable commits a second, the mean of the batches
    /// before and after it.
    pub commits_per_second: f64,
    /// Each slice's renewals a second and its floor, in the order they ran.
    pub slices: Vec<(f64, f64)>,
    /// Times a client ran out of its slice's codes, over every slice.
    pub ran_out: usize,
    /// Single commits a batch.
    pub commits: u64,
}

impl WritePath {
    pub fn ratio(&self) -> f64 {
        self.renewals.per_second() / self.commits_per_second
    }
}

/// Members with a term licence each and enough fresh codes, then [`SLICES`] renewal slices
/// of `seconds / SLICES` (at least 1 s), each between two batches of `commits` single
/// commits.
pub async fn measure(
    ctx: &Context,
    base: &str,
    dir: &Path,
    seconds: u64,
    connections: usize,
    commits: u64,
) -> WritePath {
    let slice = (seconds / SLICES as u64).max(1);
    let fixtures = renewal_clients(ctx, dir, slice, connections).await;
    let db = redb::Database::create(dir.join("raw.redb")).expect("a redb file");
    let mut batches = vec![single_commits(&db, 0, commits)];
    let mut slices = Vec::new();
    for (n, fixtures) in fixtures.iter().enumerate() {
        let load = run_renewals(base, fixtures, slice).await;
        batches.push(single_commits(&db, (n as u64 + 1) * commits, commits));
        let floor = (rate(batches[n]) + rate(batches[n + 1])) / 2.0;
        slices.push((load, floor));
    }
    let rates = slices.iter().map(|(l, f)| (l.per_second(), *f)).collect();
    let ran_out = slices.iter().map(|(l, _)| l.ran_out).sum();
    slices.sort_by(|(a, fa), (b, fb)| (a.per_second() / fa).total_cmp(&(b.per_second() / fb)));
    let (renewals, commits_per_second) = slices.swap_remove(SLICES / 2);
    WritePath {
        renewals,
        commits_per_second,
        slices: rates,
        ran_out,
        commits,
    }
}

fn rate(median_commit: Duration) -> f64 {
    1.0 / median_commit.as_secs_f64()
}

/// Each slice's fixtures file: `connections` members, each with enough codes for 12,000
/// renewals a second over `seconds` (a client that runs out is reported).
async fn renewal_clients(
    ctx: &Context,
    dir: &Path,
    seconds: u64,
    connections: usize,
) -> Vec<PathBuf> {
    use madoguchi_core::domain::{Billing, Plan, Product};
    use madoguchi_core::service::admin::{NewLicense, issue_codes};
    let per_slice = (seconds as usize * 12_000)
        .div_ceil(connections)
        .div_ceil(1_000)
        * 1_000;
    let mut slices: Vec<Vec<RenewalClient>> = (0..SLICES).map(|_| Vec::new()).collect();
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
        for clients in &mut slices {
            let mut codes = Vec::new();
            for _ in 0..per_slice / 1_000 {
                let issued = issue_codes(ctx, Product::SecuritySuite, 1, 1_000, None)
                    .await
                    .expect("codes");
                codes.extend(issued.codes.iter().map(ToString::to_string));
            }
            clients.push(RenewalClient {
                serial: created.serials[0].serial.to_string(),
                email: email.clone(),
                codes,
            });
        }
    }
    slices
        .into_iter()
        .enumerate()
        .map(|(n, clients)| {
            let file = dir.join(format!("renewal-clients-{n}.json"));
            std::fs::write(&file, serde_json::to_vec(&clients).expect("json")).expect("fixtures");
            file
        })
        .collect()
}

/// One slice: the renewal client process, as `bench renewal-client`.
async fn run_renewals(base: &str, fixtures: &Path, seconds: u64) -> RenewalLoad {
    let output = tokio::process::Command::new(std::env::current_exe().expect("this binary"))
        .args(["renewal-client", "--url", &format!("{base}/v1/renewals")])
        .arg("--fixtures")
        .arg(fixtures)
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

/// The renewal client process: each client renews from its own loopback address, as
/// members do, since one address may only have 20 renewals running at once (docs/login.md,
/// docs/renewal.md).
pub async fn renewal_client(url: &str, fixtures: &Path, seconds: u64) -> RenewalLoad {
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

/// The floor under every write, on the same disk as the server's file: the median of
/// `commits` durable (fsync'd) redb commits of a small record, one at a time, keys from
/// `first` on.
fn single_commits(db: &redb::Database, first: u64, commits: u64) -> Duration {
    const TABLE: redb::TableDefinition<u64, &[u8]> = redb::TableDefinition::new("raw");
    let value = [7u8; 300];
    let mut times: Vec<Duration> = (first..first + commits)
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
    times.sort();
    times[times.len() / 2]
}
