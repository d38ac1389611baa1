//! What the local-dev tests share: local-dev started on a fresh data dir over real HTTP,
//! its logs and its demo logins.

#![allow(dead_code)] // Each test file uses its own part.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::Value;

pub struct Running {
    pub child: Child,
    pub base: String,
    pub stdout: String,
    pub stderr: mpsc::Receiver<String>,
    pub logged: Vec<String>,
}

/// local-dev on a free port over `data_dir`.
pub fn local_dev(data_dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_local-dev"));
    command
        .env("MADOGUCHI_ADDR", "127.0.0.1:0")
        .env("MADOGUCHI_DATA_DIR", data_dir)
        .env_remove("MADOGUCHI_ADMIN_TOKEN")
        .env("RUST_LOG", "debug")
        .env("NO_COLOR", "1");
    command
}

/// Starts local-dev and waits for its "ready" log line.
pub fn start(data_dir: &Path) -> Running {
    start_command(local_dev(data_dir))
}

pub fn start_command(mut command: Command) -> Running {
    let mut child = command
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
    pub fn terminate(mut self) -> (bool, Vec<String>, String) {
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

pub async fn post_json(
    client: &reqwest::Client,
    url: String,
    token: Option<&str>,
    body: &Value,
) -> Value {
    let mut request = client.post(url).json(body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap().json().await.unwrap()
}

pub async fn get_json(client: &reqwest::Client, url: String, token: &str) -> Value {
    client
        .get(url)
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

pub fn between<'a>(text: &'a str, start: &str, end: &str) -> &'a str {
    let from = text.find(start).expect(start) + start.len();
    let len = text[from..].find(end).expect(end);
    &text[from..from + len]
}

/// The customer ID and access key of the first demo login written to `data_dir`.
pub fn demo_login(data_dir: &Path) -> (String, String) {
    let printed = std::fs::read_to_string(data_dir.join("demo-logins.txt")).unwrap();
    let customer_id = between(&printed, "\"customer_id\":\"", "\"").to_owned();
    let access_key = between(&printed, "\"access_key\":\"", "\"").to_owned();
    (customer_id, access_key)
}

/// Every demo login written to `data_dir`: (customer ID, access key), in order.
pub fn demo_logins(data_dir: &Path) -> Vec<(String, String)> {
    let printed = std::fs::read_to_string(data_dir.join("demo-logins.txt")).unwrap();
    printed
        .lines()
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            let id = words.next()?;
            (words.next()? == "access" && words.next()? == "key")
                .then(|| (id.to_owned(), words.next().unwrap().to_owned()))
        })
        .collect()
}
