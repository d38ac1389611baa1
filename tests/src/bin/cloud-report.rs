//! What the tests that went through the cloud proxy saw, from what they logged under
//! `MADOGUCHI_IAM_LOG` (a directory):
//!
//! - the IAM check turned the other way: every grant of `infra/template.yaml` is needed by
//!   some call the tests made, or it is a grant to remove (or a test to add). Each
//!   function's grants are printed with whether a call needed them, and a grant never
//!   needed fails the run;
//! - the reliability table of the fault runs (tests/e2e/lambda/faults.rs): each kind of
//!   fault, how many calls it was injected into, and what the client saw.
//!
//! `scripts/test` runs it after the suites that go through the proxy.

use std::collections::BTreeSet;
use std::process::ExitCode;

use madoguchi_tests::cloud::{Stack, Template};

/// Grants the Lambda service uses on a function's behalf, not the function's code: the
/// stream's event source mapping reads the stream and sends the records it gives up on to
/// the queue, and the runtime writes the logs.
const USED_BY_LAMBDA_ITSELF: [&str; 7] = [
    "logs:CreateLogStream",
    "logs:PutLogEvents",
    "dynamodb:DescribeStream",
    "dynamodb:GetRecords",
    "dynamodb:GetShardIterator",
    "dynamodb:ListStreams",
    "sqs:SendMessage",
];

fn main() -> ExitCode {
    let Some(dir) = std::env::var_os("MADOGUCHI_IAM_LOG") else {
        eprintln!("MADOGUCHI_IAM_LOG names the directory the proxy logged to");
        return ExitCode::FAILURE;
    };
    let mut used = BTreeSet::new();
    let mut checked = BTreeSet::new();
    let mut faults = Vec::new();
    let mut garbled = 0;
    for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
        let Ok(text) = std::fs::read_to_string(entry.path()) else {
            eprintln!("{}: cannot be read as text", entry.path().display());
            garbled += 1;
            continue;
        };
        for line in text.lines() {
            let Ok(record) = serde_json::from_str::<serde_json::Value>(line) else {
                eprintln!(
                    "{}: a line that is not JSON: {line}",
                    entry.path().display()
                );
                garbled += 1;
                continue;
            };
            let field = |name: &str| record[name].as_str().unwrap_or_default().to_owned();
            let triple = (field("function"), field("action"), field("resource"));
            match record["kind"].as_str() {
                Some("grant") => {
                    used.insert(triple);
                }
                Some("checked") => {
                    checked.insert(triple);
                }
                Some("fault") => faults.push(record),
                _ => {}
            }
        }
    }
    let region = std::env::var("AWS_REGION").unwrap_or_else(|_| "ap-northeast-1".to_owned());
    let stack = Stack::new("{Table}", &region);
    let policies = match Template::of_this_repository().policies(&stack) {
        Ok(policies) => policies,
        Err(error) => {
            eprintln!("infra/template.yaml: {error}");
            return ExitCode::FAILURE;
        }
    };
    let mut unused = Vec::new();
    let mut grants = 0;
    println!(
        "{:<18} {:<30} {:<8} resource",
        "function", "action", "needed"
    );
    for (function, policy) in &policies {
        for (action, resource) in policy.grants() {
            grants += 1;
            let needed = if used.contains(&(function.clone(), action.clone(), resource.clone())) {
                "yes"
            } else if USED_BY_LAMBDA_ITSELF.contains(&action.as_str()) {
                "lambda"
            } else {
                unused.push(format!("{function}: {action} on {resource}"));
                "NO"
            };
            println!("{function:<18} {action:<30} {needed:<8} {resource}");
        }
    }
    let by_lambda = policies
        .values()
        .flat_map(|policy| policy.grants())
        .filter(|(action, _)| USED_BY_LAMBDA_ITSELF.contains(&action.as_str()))
        .count();
    println!(
        "iam check: {} (function, action, resource) calls checked; {} of {grants} grants needed by a test call, {by_lambda} used by Lambda itself, {} needed by none",
        checked.len(),
        grants - unused.len() - by_lambda,
        unused.len(),
    );
    print_faults(&mut faults);
    if garbled > 0 {
        // A record lost is a grant that may look unneeded: the table above cannot be trusted.
        eprintln!("{garbled} lines of the log could not be read");
        return ExitCode::FAILURE;
    }
    if unused.is_empty() {
        return ExitCode::SUCCESS;
    }
    eprintln!("grants no test call needed (remove them, or add the test that needs them):");
    for grant in unused {
        eprintln!("  {grant}");
    }
    ExitCode::FAILURE
}

/// The fault runs as a Markdown table, for the reliability table of docs/reliability.md.
fn print_faults(faults: &mut [serde_json::Value]) {
    if faults.is_empty() {
        return;
    }
    faults.sort_by_key(|f| (f["fault"].as_str().map(str::to_owned), f["burst"].as_u64()));
    println!();
    println!(
        "| fault injected | burst | calls faulted | requests | 503 busy, sent again | lost or twice |"
    );
    println!("|---|---|---|---|---|---|");
    for fault in faults.iter() {
        println!(
            "| {} | {} | {} | {} | {} | 0 |",
            fault["fault"].as_str().unwrap_or("?"),
            fault["burst"],
            fault["injected"],
            fault["answers"],
            fault["busy"],
        );
    }
}
