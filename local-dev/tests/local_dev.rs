//! The newcomer's path: start local-dev on a fresh data dir, log in with the printed demo
//! login over real HTTP, stop it with SIGTERM, start it again on the same data.

use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::{Value, json};

struct Running {
    child: Child,
    base: String,
    stdout: String,
    stderr: mpsc::Receiver<String>,
    logged: Vec<String>,
}

/// Starts local-dev on a free port and waits for its "ready" log line.
fn start(data_dir: &Path) -> Running {
    let mut child = Command::new(env!("CARGO_BIN_EXE_local-dev"))
        .env("MADOGUCHI_ADDR", "127.0.0.1:0")
        .env("MADOGUCHI_DATA_DIR", data_dir)
        .env_remove("MADOGUCHI_ADMIN_TOKEN")
        .env("RUST_LOG", "debug")
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("local-dev starts");
    let (tx, stderr) = mpsc::channel();
    let err = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(err).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut logged = Vec::new();
    let base = loop {
        let line = stderr
            .recv_timeout(Duration::from_secs(60))
            .expect("a ready line within a minute");
        logged.push(line.clone());
        if let Some(rest) = line.split("ready at ").nth(1) {
            break rest.split_whitespace().next().unwrap().to_owned();
        }
    };
    Running {
        child,
        base,
        stdout: String::new(),
        stderr,
        logged,
    }
}

impl Running {
    /// Stops with SIGTERM and returns whether it exited cleanly.
    fn terminate(mut self) -> (bool, Vec<String>, String) {
        let pid = self.child.id().to_string();
        assert!(
            Command::new("kill")
                .args(["-TERM", &pid])
                .status()
                .unwrap()
                .success()
        );
        let status = self.child.wait().unwrap();
        let mut out = String::new();
        std::io::Read::read_to_string(self.child.stdout.as_mut().unwrap(), &mut out).unwrap();
        self.stdout.push_str(&out);
        while let Ok(line) = self.stderr.recv_timeout(Duration::from_secs(2)) {
            self.logged.push(line);
        }
        (status.success(), self.logged, self.stdout)
    }
}

fn between<'a>(text: &'a str, start: &str, end: &str) -> &'a str {
    let from = text.find(start).expect(start) + start.len();
    let len = text[from..].find(end).expect(end);
    &text[from..from + len]
}

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
    let printed = std::fs::read_to_string(data.join("demo-logins.txt")).unwrap();
    let customer_id = between(&printed, "\"customer_id\":\"", "\"").to_owned();
    let access_key = between(&printed, "\"access_key\":\"", "\"").to_owned();
    let login: Value = client
        .post(format!("{base}/v1/sessions"))
        .json(&json!({"customer_id": customer_id, "access_key": access_key}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = login["token"]
        .as_str()
        .expect("the printed login works")
        .to_owned();
    let usage: Value = client
        .get(format!("{base}/v1/usage"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let serials = usage["serials"].as_array().unwrap();
    assert!(
        serials.iter().any(|s| s["plan"] == "license_plus"),
        "{usage}"
    );

    let token_file = data.join("admin-token");
    let mode = std::fs::metadata(&token_file).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    let admin_token = std::fs::read_to_string(&token_file).unwrap();

    let (clean, logged, stdout) = running.terminate();
    assert!(clean, "SIGTERM ends local-dev with status 0");
    assert!(
        stdout.contains(&customer_id),
        "the demo login is printed: {stdout}"
    );
    let logged = logged.join("\n");
    assert!(logged.contains("stopped cleanly"));
    for secret in [admin_token.trim(), access_key.as_str(), token.as_str()] {
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

#[test]
fn a_second_process_on_the_same_data_dir_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let first = start(dir.path());
    let second = Command::new(env!("CARGO_BIN_EXE_local-dev"))
        .env("MADOGUCHI_ADDR", "127.0.0.1:0")
        .env("MADOGUCHI_DATA_DIR", dir.path())
        .output()
        .unwrap();
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
    ] {
        assert!(text.contains(variable), "{variable} in --help");
    }
}
