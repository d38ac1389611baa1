//! The IAM proxy of `tests/src/cloud` as a process of its own, for `scripts/emulator`:
//! every function under `cargo lambda watch` reaches DynamoDB Local through it, telling
//! which function it is with `AWS_SDK_UA_APP_ID` (set per function in its Cargo.toml), and
//! each call is held against that function's policy in `infra/template.yaml`.
//!
//! Reads `AWS_ENDPOINT_URL_DYNAMODB` (DynamoDB Local), `MADOGUCHI_TABLE` and `AWS_REGION`;
//! prints `AWS_ENDPOINT_URL_DYNAMODB=<its endpoint>` on its first line, then serves until
//! it is sent SIGTERM (or SIGINT). It then prints every call the template did not allow,
//! and exits non-zero if there was one.

use std::process::ExitCode;

use madoguchi_tests::cloud::Cloud;
use tokio::signal::unix::{SignalKind, signal};

#[tokio::main]
async fn main() -> ExitCode {
    let var = |name: &str| std::env::var(name).map_err(|_| format!("{name} is not set"));
    let (upstream, table, region) = match (
        var("AWS_ENDPOINT_URL_DYNAMODB"),
        var("MADOGUCHI_TABLE"),
        var("AWS_REGION"),
    ) {
        (Ok(upstream), Ok(table), Ok(region)) => (upstream, table, region),
        (upstream, table, region) => {
            for error in [upstream.err(), table.err(), region.err()]
                .into_iter()
                .flatten()
            {
                eprintln!("{error}");
            }
            return ExitCode::FAILURE;
        }
    };
    let cloud = Cloud::start(&upstream, &table, &region).await;
    println!("AWS_ENDPOINT_URL_DYNAMODB={}", cloud.shared_endpoint());
    let (Ok(mut term), Ok(mut interrupt)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        eprintln!("cannot wait for a signal");
        return ExitCode::FAILURE;
    };
    tokio::select! {
        _ = term.recv() => {}
        _ = interrupt.recv() => {}
    }
    let denials = cloud.take_denials();
    let checked = cloud.checked();
    println!(
        "iam proxy: {} (function, action, resource) calls checked, {} refused",
        checked.len(),
        denials.len()
    );
    for denial in &denials {
        println!("  refused: {denial}");
    }
    if denials.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
