//! docs/operations.md: what operators read of local-dev: `GET /metrics` after a run, and
//! the runbook's local commands as written.

mod support;

use std::time::Duration;

use serde_json::json;
use support::{demo_logins, start};

/// The value of the sample `name` whose labels include `labels`, summed over the rest.
fn sample(scrape: &prometheus_parse::Scrape, name: &str, labels: &[(&str, &str)]) -> f64 {
    scrape
        .samples
        .iter()
        .filter(|s| s.metric == name)
        .filter(|s| labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v)))
        .map(|s| match s.value {
            prometheus_parse::Value::Counter(v)
            | prometheus_parse::Value::Gauge(v)
            | prometheus_parse::Value::Untyped(v) => v,
            _ => 0.0,
        })
        .sum()
}

/// docs/operations.md#metrics: after a run, `GET /metrics` (operators only) parses as
/// Prometheus' text format and holds the counts the run caused: one login, ten wrong keys,
/// one lock, one refusal of the locked account, and the lock notice's delivery.
#[tokio::test]
async fn metrics_hold_the_counts_a_run_caused() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let running = start(&data);
    let base = running.base.clone();
    let client = reqwest::Client::new();
    let admin_token = std::fs::read_to_string(data.join("admin-token")).unwrap();
    let logins = demo_logins(&data);
    let (member, locked) = (&logins[0], &logins[1]);
    let log_in = |id: &str, key: &str| {
        client
            .post(format!("{base}/v1/sessions"))
            .json(&json!({"customer_id": id, "access_key": key}))
            .send()
    };
    assert_eq!(log_in(&member.0, &member.1).await.unwrap().status(), 201);
    for n in 0..10 {
        let wrong = log_in(&locked.0, &format!("Wrong-Key-{n:02}"))
            .await
            .unwrap();
        assert_eq!(wrong.status(), 401);
    }
    assert_eq!(log_in(&locked.0, &locked.1).await.unwrap().status(), 423);

    let unauthorised = client.get(format!("{base}/metrics")).send().await.unwrap();
    assert_eq!(unauthorised.status(), 401, "the metrics are the operators'");

    // The lock notice is delivered by local-dev's dispatcher a moment later.
    let mut scrape = None;
    for _ in 0..100 {
        let text = client
            .get(format!("{base}/metrics"))
            .bearer_auth(admin_token.trim())
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let lines = text.lines().map(|line| Ok(line.to_owned()));
        let parsed = prometheus_parse::Scrape::parse(lines).expect("Prometheus text format");
        if sample(&parsed, "madoguchi_mails_total", &[("result", "sent")]) >= 1.0 {
            scrape = Some(parsed);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let scrape = scrape.expect("the lock notice was delivered and counted");
    let logins = |outcome| sample(&scrape, "madoguchi_logins_total", &[("outcome", outcome)]);
    assert_eq!(logins("succeeded"), 1.0);
    assert_eq!(logins("failed"), 10.0);
    assert_eq!(logins("locked"), 1.0);
    assert_eq!(sample(&scrape, "madoguchi_accounts_locked_total", &[]), 1.0);
    let answers = |status, code| {
        sample(
            &scrape,
            "madoguchi_http_answers_total",
            &[
                ("route", "/v1/sessions"),
                ("status", status),
                ("code", code),
            ],
        )
    };
    assert_eq!(answers("201", "none"), 1.0);
    assert_eq!(answers("401", "invalid_credentials"), 10.0);
    assert_eq!(answers("423", "account_locked"), 1.0);
    assert!(
        scrape
            .samples
            .iter()
            .any(|s| s.metric == "madoguchi_http_answer_seconds_count"
                || s.metric.starts_with("madoguchi_http_answer_seconds")),
        "the answers are timed"
    );
    // No label names a member.
    for s in &scrape.samples {
        for value in s.labels.values() {
            assert!(
                !value.contains(&member.0) && !value.contains(&locked.0),
                "{s:?}"
            );
        }
    }
    running.terminate();
}

/// docs/runbook.md's local blocks: each fenced `sh` block after a line ending in
/// "locally:", in order.
fn runbook_local_blocks() -> (String, Vec<String>) {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/runbook.md"))
        .unwrap();
    let mut setup = None;
    let mut blocks = Vec::new();
    let mut last_line = String::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        let trimmed = line.trim();
        if trimmed == "```sh" {
            let body: Vec<&str> = lines
                .by_ref()
                .take_while(|l| l.trim() != "```")
                .map(str::trim_start)
                .collect();
            let body = body.join("\n");
            if body.contains("TOKEN=$(cat .madoguchi/admin-token)") {
                setup = Some(body);
            } else if last_line.to_lowercase().ends_with("locally:") {
                blocks.push(body);
            }
        } else if !trimmed.is_empty() {
            last_line = trimmed.to_owned();
        }
    }
    (setup.expect("the runbook's local set-up"), blocks)
}

/// docs/runbook.md: "Every command in it is one the project supports." Each local block
/// runs with bash, after the runbook's own set-up (its `TOKEN` line as written, from a
/// directory holding local-dev's `.madoguchi`), against a local-dev whose back office
/// waits, with an order waiting on it: every one exits 0 (`curl --fail-with-body`), and
/// the order the runbook reports on moves.
#[tokio::test]
async fn the_runbooks_local_commands_run_as_written() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join(".madoguchi");
    let mut command = support::local_dev(&data);
    command.env("MADOGUCHI_WORKS_MINUTES", "off");
    let running = support::start_command(command);
    let base = running.base.clone();
    let client = reqwest::Client::new();

    // An order waiting on the back office.
    let (id, key) = support::demo_login(&data);
    let login = support::post_json(
        &client,
        format!("{base}/v1/sessions"),
        None,
        &json!({"customer_id": id, "access_key": key}),
    )
    .await;
    let token = login["token"].as_str().unwrap().to_owned();
    let terms = support::get_json(
        &client,
        format!("{base}/v1/terms/line-notification"),
        &token,
    )
    .await;
    let applied = support::post_json(
        &client,
        format!("{base}/v1/line-notification/applications"),
        Some(&token),
        &json!({
            "changes": [{"provider_code": "W0099", "setting": "do_not_notify"}],
            "consent": {"terms_version": terms["version"], "agreed": true},
            "applicant": {"name": "運用 太郎", "phone": "06-0000-0000", "email": "", "completion_email": false},
        }),
    )
    .await;
    let order_no = applied["order_no"].as_str().expect("an order").to_owned();

    let (setup, blocks) = runbook_local_blocks();
    assert!(blocks.len() >= 4, "{blocks:?}");
    for block in &blocks {
        // The values the runbook asks the reader for: local-dev's address, the order
        // waiting, and an id of the reader's own for the report.
        let script = format!(
            "set -euo pipefail\n{setup}\nBASE={base}\nORDER={order_no}\nEVENT=runbook-1\n{block}\n"
        );
        let run = std::process::Command::new("bash")
            .arg("-c")
            .arg(&script)
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert!(
            run.status.success(),
            "{block}\nexit {:?}\n{}{}",
            run.status.code(),
            String::from_utf8_lossy(&run.stdout),
            String::from_utf8_lossy(&run.stderr)
        );
    }
    let admin_token = std::fs::read_to_string(data.join("admin-token")).unwrap();
    let moved = support::get_json(
        &client,
        format!("{base}/admin/v1/orders?status=in_progress"),
        admin_token.trim(),
    )
    .await;
    assert_eq!(moved["orders"][0]["order_no"], order_no.as_str(), "{moved}");
    running.terminate();
}
