//! schemathesis against `/openapi.json` with a member's and an operator's bearer token: no
//! 5xx, no answer outside the schema. Three runs: the member's routes, the operators'
//! routes, and last the two that end the member's session (logout, cancellation), with a
//! member of their own so that they cannot cut the first run short.

use std::path::Path;

use serde_json::json;
use tokio::process::Command;

use crate::Failure;
use crate::member::{self, Secrets};
use crate::server::LocalDev;

pub struct Figures {
    pub cases: usize,
    pub operations: usize,
}

/// Checks left out, and why: each asserts something the API does not promise (docs/).
const EXCLUDED_CHECKS: &str = "positive_data_acceptance";

/// The routes whose success ends the member's session.
const SESSION_ENDING: &[&str] = &["/v1/membership/cancellation", "/v1/sessions/current"];

pub async fn run(
    server: &LocalDev,
    schemathesis: &Path,
    examples: usize,
    every_phase: bool,
    work: &Path,
    secrets: &Secrets,
) -> Result<Figures, Failure> {
    let api = &server.api;
    let admin = &server.admin_token;
    let fuzzed = member::create(api, admin, "試験 花子", "fuzz", secrets).await?;
    let token = member::login(api, &fuzzed, secrets).await?;
    // An installed serial gives the generated requests something to find.
    api.ok(
        reqwest::Method::POST,
        &format!("/v1/serials/{}/activation", fuzzed.serials[0]),
        Some(&token),
        Some(&json!({"device_id": "fuzz-pc", "os": "windows", "name": "PC"})),
    )
    .await?;
    let leaving = member::create(api, admin, "退会 次郎", "fuzz.leaving", secrets).await?;
    let leaving_token = member::login(api, &leaving, secrets).await?;

    let mut runs: Vec<(&str, String, Vec<String>)> = vec![
        (
            "member",
            token,
            [
                vec!["--include-path-regex".to_owned(), "^/v1/".to_owned()],
                excluded(SESSION_ENDING),
            ]
            .concat(),
        ),
        (
            "operator",
            admin.clone(),
            vec!["--include-path-regex".to_owned(), "^/admin/".to_owned()],
        ),
    ];
    runs.push(("session-ending", leaving_token, included(SESSION_ENDING)));

    let mut figures = Figures {
        cases: 0,
        operations: 0,
    };
    let mut failures = Vec::new();
    for (name, bearer, filter) in runs {
        let report_dir = work.join(format!("schemathesis-{name}"));
        let mut command = Command::new(schemathesis);
        command
            .arg("--no-color")
            .arg("run")
            .arg(format!("{}/openapi.json", api.base))
            .args(["--checks", "all", "--exclude-checks", EXCLUDED_CHECKS])
            .args(["--max-examples", &examples.to_string()])
            // One worker: with two threads, CPython 3.11's `ast` (which Hypothesis uses to
            // describe its strategies) can fail with "AST constructor recursion depth
            // mismatch", an error of the tool, not of the server (seen once in scripts/test).
            .args(["--workers", "1", "--generation-database", "none"])
            .args(["--report", "junit", "--report-junit-path"])
            .arg(report_dir.join("junit.xml"))
            .args(["--header", &format!("Authorization: Bearer {bearer}")])
            .args(&filter)
            .env("NO_COLOR", "1")
            .current_dir(work);
        if !every_phase {
            command.args(["--phases", "examples,coverage,fuzzing"]);
        }
        println!("schemathesis: the {name} routes");
        let output = command
            .output()
            .await
            .map_err(|e| format!("{}: {e}", schemathesis.display()))?;
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
        .replace(&bearer, "<token>");
        println!("{text}");
        let (cases, operations) = counted(&text);
        figures.cases += cases;
        figures.operations += operations;
        if !output.status.success() {
            failures.push(format!("the {name} run failed ({})", output.status));
        }
    }
    if failures.is_empty() {
        Ok(figures)
    } else {
        Err(failures.join("; ").into())
    }
}

fn excluded(paths: &[&str]) -> Vec<String> {
    paths
        .iter()
        .flat_map(|p| ["--exclude-path".to_owned(), (*p).to_owned()])
        .collect()
}

fn included(paths: &[&str]) -> Vec<String> {
    paths
        .iter()
        .flat_map(|p| ["--include-path".to_owned(), (*p).to_owned()])
        .collect()
}

/// Test cases generated and operations tested, from the run's summary ("Tested: 12",
/// "Test cases:" then "362 generated, …").
fn counted(output: &str) -> (usize, usize) {
    let number_after = |label: &str| {
        output
            .split(label)
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    };
    (number_after("Test cases:"), number_after("Tested:"))
}
