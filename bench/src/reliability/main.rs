//! The reliability suite, against the local-dev binary on loopback: `kill -9` under a mixed
//! write load with every acknowledged write checked after each restart; the BOLA matrix
//! built from `/openapi.json`; schemathesis with a member's and an operator's token; and a
//! scan of every line local-dev logged for secrets. Prints a figure per part and
//! `reliability result: N passed; N failed`.
//!
//! `scripts/reliability` (the long form) and `scripts/reliability --short` (scripts/test)
//! build what it needs and run it.

mod bola;
mod crash;
mod fuzz;
mod logscan;
mod member;
mod server;
mod verify;

use std::path::PathBuf;
use std::time::Instant;

use clap::Parser;

use crate::member::Secrets;
use crate::server::{LocalDev, LogBook};

type Failure = Box<dyn std::error::Error + Send + Sync>;

#[derive(Debug, Parser)]
struct Args {
    /// The short form: a few kill rounds and few examples per operation.
    #[arg(long)]
    short: bool,
    /// The local-dev binary under test.
    #[arg(long)]
    local_dev: PathBuf,
    /// The schemathesis command (scripts/python-tools schemathesis installs it).
    #[arg(long)]
    schemathesis: PathBuf,
    /// Kill rounds (short: 3, long: 20).
    #[arg(long)]
    rounds: Option<usize>,
    /// schemathesis examples per operation (short: 5, long: 100).
    #[arg(long)]
    examples: Option<usize>,
    /// Keeps the data dirs, logs and reports here; a temporary dir, removed at the end,
    /// when unset.
    #[arg(long)]
    work_dir: Option<PathBuf>,
}

struct Part {
    name: &'static str,
    outcome: Result<String, Failure>,
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let started = Instant::now();
    let temporary = tempfile::tempdir().expect("a temporary dir");
    let work = args
        .work_dir
        .clone()
        .unwrap_or_else(|| temporary.path().to_owned());
    std::fs::create_dir_all(&work).expect("the work dir");
    let log = LogBook::default();
    let secrets = Secrets::default();
    let mut parts = Vec::new();

    let crash_options = crash::Options {
        rounds: args.rounds.unwrap_or(if args.short { 3 } else { 20 }),
        load_ms: if args.short { (300, 1200) } else { (300, 3000) },
        workers: 8,
        members_per_round: 2,
    };
    println!(
        "\n-- kill -9 under mixed write load ({} rounds)",
        crash_options.rounds
    );
    let outcome = crash::run(
        &crash_options,
        &args.local_dev,
        &work.join("crash"),
        &log,
        &secrets,
    )
    .await
    .map(|f| {
        format!(
            "{} rounds survived; {} acknowledged writes checked after restarts \
                 ({} cut off by the kill, {} refused by rule, {} checks)",
            f.rounds, f.acknowledged, f.cut_off, f.refused, f.checks
        )
    });
    parts.push(Part {
        name: "kill -9",
        outcome,
    });

    println!("\n-- one local-dev for the BOLA matrix and schemathesis");
    match LocalDev::start(&args.local_dev, &work.join("api"), &log).await {
        Ok(server) => {
            secrets.add("admin token", &server.admin_token);
            println!("\n-- BOLA matrix from /openapi.json");
            let outcome = bola::run(&server, &secrets).await.map(|f| {
                format!(
                    "{} routes × objects tried ({} calls, {} routes naming an object: {}); \
                     {} answers scanned for member B's data",
                    f.tried,
                    f.calls,
                    f.routes.len(),
                    f.routes.join(", "),
                    f.scanned
                )
            });
            parts.push(Part {
                name: "BOLA matrix",
                outcome,
            });

            println!("\n-- unlock codes for the log scan");
            let outcome = logscan::obtain_unlock_codes(&server, &secrets).await;
            parts.push(Part {
                name: "unlock codes",
                outcome,
            });

            println!("\n-- schemathesis");
            let examples = args.examples.unwrap_or(if args.short { 5 } else { 100 });
            let outcome = fuzz::run(
                &server,
                &args.schemathesis,
                examples,
                !args.short,
                &work,
                &secrets,
            )
            .await
            .map(|f| {
                format!(
                    "{} cases run over {} operations, no 5xx, no answer outside the schema",
                    f.cases, f.operations
                )
            });
            parts.push(Part {
                name: "schemathesis",
                outcome,
            });

            let stopped = server.stop().await;
            if !matches!(stopped, Ok(true)) {
                parts.push(Part {
                    name: "clean stop",
                    outcome: Err("local-dev did not stop cleanly on SIGTERM".into()),
                });
            }
        }
        Err(error) => parts.push(Part {
            name: "BOLA matrix and schemathesis",
            outcome: Err(error),
        }),
    }

    println!("\n-- log scan");
    let lines = log.lines();
    let _ = std::fs::write(work.join("local-dev.log"), lines.join("\n"));
    let outcome = logscan::scan(&lines, &secrets.all()).map(|f| {
        format!(
            "{} log lines scanned for {} secrets, none found",
            f.lines, f.secrets
        )
    });
    parts.push(Part {
        name: "log scan",
        outcome,
    });

    println!(
        "\n-- reliability figures ({:.0} s)",
        started.elapsed().as_secs_f64()
    );
    let mut failed = 0;
    for part in &parts {
        match &part.outcome {
            Ok(figure) => println!("ok     {}: {figure}", part.name),
            Err(error) => {
                failed += 1;
                println!("FAILED {}: {error}", part.name);
            }
        }
    }
    if args.work_dir.is_some() {
        println!(
            "data dirs, reports and local-dev.log are in {}",
            work.display()
        );
    }
    println!(
        "reliability result: {} passed; {failed} failed",
        parts.len() - failed
    );
    drop(temporary);
    std::process::exit(if failed == 0 { 0 } else { 1 });
}
