//! The reminder job at scale (docs/reminders.md; docs/performance.md#targets): for each size, a fresh store
//! gets that many members with one term licence each, their expiry dates spread over
//! three years and exactly `--due` of them inside the job's window; then the job for today
//! is timed. The target: the job with the same 1,000 due takes at most 1.5× as long at
//! 1,000,000 licences as at 100,000, because it reads only the expiry index's due days.
//!
//! The data generator writes through the store's own commits, in batches, with a progress
//! bar; every member shares one access-key hash (argon2 per member would take hours).
//!
//! ```sh
//! cargo run --release -p madoguchi-bench --bin reminders -- --engine redb --sizes 100000,1000000
//! eval "$(scripts/dynamodb-local start)"
//! cargo run --release -p madoguchi-bench --bin reminders -- --engine dynamodb --sizes 2000,20000
//! ```

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::{Parser, ValueEnum};
use futures::{StreamExt, TryStreamExt};
use indicatif::{ProgressBar, ProgressStyle};
use jiff::ToSpan;
use jiff::civil::Date;
use madoguchi_bench::results::{Results, grouped};
use madoguchi_core::service::reminders;
use madoguchi_core::store::dynamodb::Consumed;
use madoguchi_core::store::{Store, Write};
use madoguchi_core::{Context, Settings, SystemClock};

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Engine {
    Redb,
    /// DynamoDB at `AWS_ENDPOINT_URL_DYNAMODB` (DynamoDB Local), one new table per size.
    Dynamodb,
}

#[derive(Debug, Parser)]
struct Args {
    #[arg(long, value_enum, default_value_t = Engine::Redb)]
    engine: Engine,
    /// Licences (one member each) in the store, one run per size, smallest first.
    #[arg(long, value_delimiter = ',', default_values_t = [100_000, 1_000_000])]
    sizes: Vec<usize>,
    /// Licences inside the job's window, the same at every size.
    #[arg(long, default_value_t = 1_000)]
    due: usize,
    /// Where the redb files go (each removed after its run).
    #[arg(long)]
    dir: Option<PathBuf>,
    /// Where to keep the results for `report`.
    #[arg(long)]
    results: Option<PathBuf>,
}

struct Run {
    licences: usize,
    generated_in: Duration,
    job: Duration,
    file_bytes: Option<u64>,
    /// On DynamoDB: what the job's calls consumed, as DynamoDB reports it.
    consumed: Option<Consumed>,
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let mut sizes = args.sizes.clone();
    sizes.sort_unstable();
    let mut runs = Vec::new();
    for &licences in &sizes {
        assert!(licences >= args.due, "a size below --due");
        runs.push(run(&args, licences).await);
    }
    let engine = match args.engine {
        Engine::Redb => "redb",
        Engine::Dynamodb => "DynamoDB Local",
    };
    let mut results = Results::new(&format!("reminder job on {engine}"));
    for run in &runs {
        let file = run
            .file_bytes
            .map(|bytes| format!(", file {:.0} MB", bytes as f64 / 1e6))
            .unwrap_or_default();
        results.figure(
            format!(
                "{} licences: generated (one member each)",
                grouped(run.licences as f64)
            ),
            format!(
                "{:.1} s, {}/s{file}",
                run.generated_in.as_secs_f64(),
                grouped(run.licences as f64 / run.generated_in.as_secs_f64())
            ),
        );
        results.figure(
            format!(
                "{} licences: job with {} due",
                grouped(run.licences as f64),
                grouped(args.due as f64)
            ),
            format!("{:.2} s", run.job.as_secs_f64()),
        );
        if let Some(used) = run.consumed {
            results.figure(
                format!(
                    "{} licences: the job's DynamoDB calls and units",
                    grouped(run.licences as f64)
                ),
                format!(
                    "{} calls, {:.1} read, {:.1} write units (as Local counts them)",
                    grouped(used.calls as f64),
                    used.read_units,
                    used.write_units + used.transaction_units
                ),
            );
        }
    }
    if let [small, .., large] = runs.as_slice() {
        let between = format!(
            "{} ÷ {} licences",
            grouped(large.licences as f64),
            grouped(small.licences as f64)
        );
        let time = large.job.as_secs_f64() / small.job.as_secs_f64();
        match (small.consumed, large.consumed) {
            // On DynamoDB the target is the work: the calls and units the job spends,
            // which DynamoDB bills and its latency follows. Local's own time grows with
            // its table whatever the job does, so its time is context only.
            (Some(s), Some(l)) => {
                let units = |c: Consumed| c.read_units + c.write_units + c.transaction_units;
                let ratio = (l.calls as f64 / s.calls as f64).max(units(l) / units(s));
                results.against(
                    format!("the job's calls and units at {between} (the larger ratio)"),
                    format!("{ratio:.2}×"),
                    "≤ 1.1×",
                    ratio <= 1.1,
                );
                results.figure(
                    format!("the job's time at {between} (DynamoDB Local's own slowdown)"),
                    format!("{time:.2}×"),
                );
            }
            _ => results.against(
                format!("job at {between}"),
                format!("{time:.2}×"),
                "≤ 1.5×",
                time <= 1.5,
            ),
        }
    }
    results.series.insert(
        format!("reminders: {engine}"),
        runs.iter()
            .map(|run| (run.licences as f64, run.job.as_secs_f64()))
            .collect(),
    );
    results.finish(args.results.as_deref());
}

async fn run(args: &Args, licences: usize) -> Run {
    let dir = match &args.dir {
        Some(dir) => tempfile::tempdir_in(dir),
        None => tempfile::tempdir(),
    }
    .expect("a temp dir");
    let file = dir.path().join("reminders.redb");
    let (store, meter): (Arc<dyn Store>, _) = match args.engine {
        Engine::Redb => (
            Arc::new(madoguchi_core::store::redb::RedbStore::open(&file).expect("a redb file")),
            None,
        ),
        Engine::Dynamodb => {
            let table = format!("reminders-{licences}-{}", std::process::id());
            let store = madoguchi_core::store::dynamodb::DynamoStore::from_env(table).await;
            store.ensure_table().await.expect("a table");
            let (store, meter) = store.metered();
            (Arc::new(store), Some(meter))
        }
    };
    let ctx = Context::new(store.clone(), Arc::new(SystemClock), Settings::default());
    let today = ctx.today();
    let started = Instant::now();
    generate(&*store, args.engine, licences, args.due, today).await;
    let generated_in = started.elapsed();

    let before = meter.as_ref().map(|meter| meter.read());
    let started = Instant::now();
    let summary = reminders::run(&ctx, today).await.expect("the job runs");
    let job = started.elapsed();
    let consumed = meter
        .zip(before)
        .map(|(meter, before)| meter.read() - before);
    assert_eq!(
        (summary.due, summary.sent),
        (args.due, args.due),
        "the job found and mailed exactly the licences generated due"
    );
    let file_bytes = std::fs::metadata(&file).ok().map(|m| m.len());
    Run {
        licences,
        generated_in,
        job,
        file_bytes,
        consumed,
    }
}

/// Licence `n`'s last day: the first `due` fall on the 30 days from today (inside the
/// job's window, the widest reminder being 30 days ahead), the rest on the days after,
/// spread evenly over three years.
fn expires_on(n: usize, due: usize, today: Date) -> Date {
    let days = if n < due {
        n % 30
    } else {
        31 + (n - due) % (3 * 365)
    };
    today.checked_add((days as i64).days()).expect("a date")
}

async fn generate(store: &dyn Store, engine: Engine, licences: usize, due: usize, today: Date) {
    // DynamoDB: a member is three items (member, serial, serial's owner) of a transaction
    // of at most 100, several in flight; redb: large transactions, one at a time.
    let (batch, in_flight) = match engine {
        Engine::Redb => (2_000, 1),
        Engine::Dynamodb => (32, 8),
    };
    let hash = madoguchi_core::secret::hash_access_key("generated-access-key");
    let now = jiff::Timestamp::now();
    let bar = ProgressBar::new(licences as u64).with_style(
        ProgressStyle::with_template(
            "{msg} {wide_bar} {human_pos}/{human_len} licences, {per_sec}, eta {eta}",
        )
        .expect("a template"),
    );
    bar.set_message("generating");
    futures::stream::iter((0..licences).step_by(batch))
        .map(|first| {
            let writes: Vec<Write> = (first..(first + batch).min(licences))
                .flat_map(|n| {
                    madoguchi_bench::generated::member_with_licence(
                        n,
                        expires_on(n, due, today),
                        &hash,
                        now,
                    )
                })
                .collect();
            let count = writes.len() / 2;
            let bar = bar.clone();
            async move {
                store.commit(writes).await?;
                bar.inc(count as u64);
                Ok::<_, madoguchi_core::store::StoreError>(())
            }
        })
        .buffer_unordered(in_flight)
        .try_collect::<()>()
        .await
        .expect("the generated members are written");
    bar.finish_and_clear();
}
