//! The newcomer's path: start local-dev on a fresh data dir, log in with the printed demo
//! login over real HTTP, stop it with SIGTERM, start it again on the same data.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use serde_json::json;

mod support;

use support::{demo_login, get_json, local_dev, post_json, start, start_command};

#[tokio::test]
async fn a_fresh_start_prints_a_demo_login_that_works_and_stops_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let running = start(&data);
    let base = running.base.clone();
    let client = reqwest::Client::new();

    assert_eq!(
        client
            .get(format!("{base}/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let (customer_id, access_key) = demo_login(&data);
    let credentials = json!({"customer_id": customer_id, "access_key": access_key});
    let login = post_json(&client, format!("{base}/v1/sessions"), None, &credentials).await;
    let token = login["token"]
        .as_str()
        .expect("the printed login works")
        .to_owned();
    let usage = get_json(&client, format!("{base}/v1/usage"), &token).await;
    let serials = usage["serials"].as_array().unwrap();
    assert!(
        serials.iter().any(|s| s["plan"] == "license_plus"),
        "{usage}"
    );
    // One serial is installed, as the tool would have done it, so that the portal shows
    // 利用中 and 利用をやめる.
    assert!(
        serials
            .iter()
            .any(|s| s["status"] == "in_use" && s["device"]["name"] == "居間のPC"),
        "{usage}"
    );

    let token_file = data.join("admin-token");
    let mode = std::fs::metadata(&token_file).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    let admin_token = std::fs::read_to_string(&token_file).unwrap();
    // docs/api.md: the server's own key for stored answers, readable only by its owner.
    let key_file = data.join("sealing-key");
    let mode = std::fs::metadata(&key_file).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    let sealing_key = std::fs::read_to_string(&key_file).unwrap();
    assert!(sealing_key.trim().len() >= 32);

    let (clean, logged, stdout) = running.terminate();
    assert!(clean, "SIGTERM ends local-dev with status 0");
    assert!(
        stdout.contains(&customer_id),
        "the demo login is printed: {stdout}"
    );
    let logged = logged.join("\n");
    assert!(logged.contains("stopped cleanly"));
    for secret in [
        admin_token.trim(),
        sealing_key.trim(),
        access_key.as_str(),
        token.as_str(),
    ] {
        assert!(!logged.contains(secret), "a secret reached the log");
    }

    // Started again on the same data: nothing is seeded twice and the login still works.
    let again = start(&data);
    let status = client
        .post(format!("{}/v1/sessions", again.base))
        .json(&json!({"customer_id": customer_id, "access_key": access_key}))
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, 201);
    let (clean, _, stdout) = again.terminate();
    assert!(clean);
    assert!(stdout.contains("Demo logins:"), "{stdout}");
    assert!(!stdout.contains(&access_key), "keys are printed only once");
}

/// docs/portal.md: the portal at `/` beside the API, its files with the content security policy
/// and their types, while an unknown API path is still the API's problem document.
#[tokio::test]
async fn the_portal_is_served_at_the_root_beside_the_api() {
    let dir = tempfile::tempdir().unwrap();
    let running = start(dir.path());
    let base = running.base.clone();
    let client = reqwest::Client::new();

    let page = client.get(format!("{base}/")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    assert!(
        page.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = page.text().await.unwrap();
    assert!(html.contains(r#"<html lang="ja">"#));
    assert!(html.contains(r#"<script type="module" src="/app/main.js">"#));

    let script = client
        .get(format!("{base}/app/main.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(script.status(), 200);
    assert!(
        script.headers()["content-type"]
            .to_str()
            .unwrap()
            .contains("javascript")
    );
    assert_eq!(script.headers()["x-content-type-options"], "nosniff");

    let missing = client
        .get(format!("{base}/app/nothing.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    let api = client
        .get(format!("{base}/v1/nothing"))
        .send()
        .await
        .unwrap();
    assert_eq!(api.status(), 404);
    assert_eq!(api.headers()["content-type"], "application/problem+json");

    let (clean, _, stdout) = running.terminate();
    assert!(clean);
    assert!(
        stdout.contains(&format!("open {base}/ in a browser")),
        "{stdout}"
    );
}

#[test]
fn a_second_process_on_the_same_data_dir_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let first = start(dir.path());
    let second = local_dev(dir.path()).output().unwrap();
    assert!(!second.status.success());
    let said = String::from_utf8_lossy(&second.stderr);
    assert!(said.contains("already open"), "{said}");
    let (clean, _, _) = first.terminate();
    assert!(clean);
}

#[test]
fn help_describes_the_settings() {
    let help = Command::new(env!("CARGO_BIN_EXE_local-dev"))
        .arg("--help")
        .output()
        .unwrap();
    assert!(help.status.success());
    let text = String::from_utf8_lossy(&help.stdout);
    for variable in [
        "MADOGUCHI_ADDR",
        "MADOGUCHI_DATA_DIR",
        "MADOGUCHI_ADMIN_TOKEN",
        "MADOGUCHI_SEED_DEMO",
        "MADOGUCHI_STORE",
        "MADOGUCHI_TABLE",
        "MADOGUCHI_REMINDER_DAYS",
        "MADOGUCHI_SMTP_URL",
        "MADOGUCHI_MAIL_FROM",
    ] {
        assert!(text.contains(variable), "{variable} in --help");
    }
}

/// The crash test of docs/reliability.md: kill -9 while serial moves are being acknowledged, restart on the
/// same file, and find every acknowledged move in the serial's history. Three rounds.
#[tokio::test]
async fn no_acknowledged_write_is_lost_to_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let admin = "crash-test-admin-token";
    let client = reqwest::Client::new();
    let operator = |data: &Path| {
        let mut command = local_dev(data);
        command
            .env("MADOGUCHI_ADMIN_TOKEN", admin)
            .env("MADOGUCHI_SEED_DEMO", "false");
        start_command(command)
    };

    let running = operator(dir.path());
    let member = json!({"name": "試験 太郎", "email": "crash@example.jp", "line": "flets_next"});
    let url = format!("{}/admin/v1/customers", running.base);
    let created = post_json(&client, url, Some(admin), &member).await;
    let serial = created["serials"][0]["serial"].as_str().unwrap().to_owned();
    let login = json!({"customer_id": created["customer_id"], "access_key": created["access_key"]});
    let mut running = Some(running);
    let mut acknowledged = Vec::new();

    for round in 0..3 {
        let live = running.take().unwrap_or_else(|| operator(dir.path()));
        let base = live.base.clone();
        let token = post_json(&client, format!("{base}/v1/sessions"), None, &login).await;
        let token = token["token"].as_str().unwrap().to_owned();
        let writers = (0..4).map(|writer| {
            let (client, base, token, serial) =
                (client.clone(), base.clone(), token.clone(), serial.clone());
            tokio::spawn(async move {
                let mut done = Vec::new();
                for n in 0.. {
                    let device = format!("r{round}-w{writer}-{n}");
                    let sent = client
                        .post(format!("{base}/v1/serials/{serial}/activation"))
                        .bearer_auth(&token)
                        .json(&json!({"device_id": device, "os": "windows", "name": "PC"}))
                        .send()
                        .await;
                    match sent {
                        Ok(response) if response.status() == 200 => done.push(device),
                        _ => break,
                    }
                }
                done
            })
        });
        let writers: Vec<_> = writers.collect();
        tokio::time::sleep(Duration::from_millis(400)).await;
        let mut child = live.child;
        child.kill().unwrap();
        child.wait().unwrap();
        for writer in writers {
            acknowledged.extend(writer.await.unwrap());
        }
    }
    eprintln!("{} acknowledged moves across 3 kills", acknowledged.len());
    assert!(
        acknowledged.len() > 10,
        "the load produced acknowledged writes: {}",
        acknowledged.len()
    );

    let after = operator(dir.path());
    let token = post_json(&client, format!("{}/v1/sessions", after.base), None, &login).await;
    // The whole history, page by page (docs/usage.md).
    let mut recorded = std::collections::HashSet::new();
    let mut cursor = String::new();
    loop {
        let url = format!(
            "{}/v1/serials/{serial}/history?limit=200&cursor={cursor}",
            after.base
        );
        let page = get_json(&client, url, token["token"].as_str().unwrap()).await;
        let events = page["events"].as_array().expect("a page of events");
        recorded.extend(
            events
                .iter()
                .map(|e| e["device"]["device_id"].as_str().unwrap().to_owned()),
        );
        match page["next_cursor"].as_str() {
            Some(next) => cursor = next.to_owned(),
            None => break,
        }
    }
    let lost: Vec<_> = acknowledged
        .iter()
        .filter(|d| !recorded.contains(d.as_str()))
        .collect();
    assert!(lost.is_empty(), "acknowledged but lost: {lost:?}");
    let (clean, _, _) = after.terminate();
    assert!(clean);
}

/// local-dev pointed at DynamoDB Local: it creates its table, seeds the demo members and
/// serves the printed login.
#[tokio::test]
#[ignore = "needs DynamoDB Local: scripts/test starts it"]
async fn local_dev_serves_from_dynamodb_local() {
    assert!(
        std::env::var("AWS_ENDPOINT_URL_DYNAMODB").is_ok_and(|e| e.contains("127.0.0.1")),
        "run through scripts/test, which starts DynamoDB Local"
    );
    let dir = tempfile::tempdir().unwrap();
    let table = format!("local-dev-{}", std::process::id());
    let mut command = local_dev(dir.path());
    command
        .env("MADOGUCHI_STORE", "dynamodb")
        .env("MADOGUCHI_TABLE", &table);
    let running = start_command(command);
    let client = reqwest::Client::new();
    let (customer_id, access_key) = demo_login(dir.path());
    let credentials = json!({"customer_id": customer_id, "access_key": access_key});
    let login = post_json(
        &client,
        format!("{}/v1/sessions", running.base),
        None,
        &credentials,
    )
    .await;
    let token = login["token"]
        .as_str()
        .expect("the printed login works over DynamoDB");
    let usage = get_json(&client, format!("{}/v1/usage", running.base), token).await;
    assert_eq!(usage["serials"].as_array().unwrap().len(), 3);
    let (clean, logged, _) = running.terminate();
    assert!(clean);
    assert!(logged.join("\n").contains("serving from DynamoDB"));
}
