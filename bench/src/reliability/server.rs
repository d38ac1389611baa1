//! local-dev as a child process on a loopback port: started, killed with SIGKILL or stopped
//! with SIGTERM, every line it logs kept for the scan.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::Method;
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::Failure;

/// madoguchi's own crates at debug level, so that the scan sees everything they could log.
const LOG_FILTER: &str = "debug,hyper=info,hyper_util=info,h2=info,tower=info";

/// Every line every local-dev of the run wrote, in order.
#[derive(Clone, Default)]
pub struct LogBook(Arc<Mutex<Vec<String>>>);

impl LogBook {
    fn push(&self, line: String) {
        self.0.lock().unwrap().push(line);
    }

    pub fn lines(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }

    fn last(&self, n: usize) -> String {
        let lines = self.0.lock().unwrap();
        lines[lines.len().saturating_sub(n)..].join("\n")
    }
}

pub struct LocalDev {
    child: Child,
    pub api: Api,
    pub admin_token: String,
    pub data_dir: PathBuf,
    reader: JoinHandle<()>,
}

impl LocalDev {
    /// Starts `binary` on a free loopback port over `data_dir` (no demo members) and waits
    /// for its "ready" line: that the line comes is what "the file opens" means.
    pub async fn start(binary: &Path, data_dir: &Path, log: &LogBook) -> Result<Self, Failure> {
        let mut child = Command::new(binary)
            .env("MADOGUCHI_ADDR", "127.0.0.1:0")
            .env("MADOGUCHI_DATA_DIR", data_dir)
            .env("MADOGUCHI_SEED_DEMO", "false")
            // Orders carried out at once by the simulated back office: the checks after a
            // restart find each acknowledged one completed, with its effect and its mail.
            .env("MADOGUCHI_WORKS_MINUTES", "0")
            .env_remove("MADOGUCHI_ADMIN_TOKEN")
            .env_remove("MADOGUCHI_SMTP_URL")
            .env_remove("MADOGUCHI_STORE")
            .env("RUST_LOG", LOG_FILTER)
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("{}: {e}", binary.display()))?;
        let stderr = child.stderr.take().expect("stderr is piped");
        let (ready_tx, ready_rx) = oneshot::channel();
        let book = log.clone();
        let reader = tokio::spawn(async move {
            let mut ready = Some(ready_tx);
            let mut lines = BufReader::new(stderr).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                if let Some(rest) = line.split("ready at ").nth(1)
                    && let (Some(tx), Some(base)) = (ready.take(), rest.split_whitespace().next())
                {
                    let _ = tx.send(base.to_owned());
                }
                book.push(line);
            }
        });
        let base = match tokio::time::timeout(Duration::from_secs(60), ready_rx).await {
            Ok(Ok(base)) => base,
            _ => {
                let _ = child.start_kill();
                let _ = child.wait().await;
                return Err(format!(
                    "local-dev over {} did not become ready; its last lines:\n{}",
                    data_dir.display(),
                    log.last(20)
                )
                .into());
            }
        };
        let admin_token = std::fs::read_to_string(data_dir.join("admin-token"))?
            .trim()
            .to_owned();
        Ok(Self {
            child,
            api: Api::new(base),
            admin_token,
            data_dir: data_dir.to_owned(),
            reader,
        })
    }

    /// `kill -9`: no chance to flush, close or finish a request.
    pub async fn kill(mut self) -> Result<(), Failure> {
        self.child.start_kill()?;
        self.child.wait().await?;
        let _ = self.reader.await;
        Ok(())
    }

    /// SIGTERM, and whether local-dev then stopped cleanly.
    pub async fn stop(mut self) -> Result<bool, Failure> {
        if let Some(pid) = self.child.id() {
            Command::new("kill")
                .args(["-TERM", &pid.to_string()])
                .status()
                .await?;
        }
        let status = tokio::time::timeout(Duration::from_secs(30), self.child.wait()).await;
        let clean = matches!(status, Ok(Ok(s)) if s.success());
        if !clean {
            let _ = self.child.start_kill();
            let _ = self.child.wait().await;
        }
        let _ = self.reader.await;
        Ok(clean)
    }
}

/// What a request came back with: its status and its body (JSON, or the raw text as a
/// JSON string when it is not JSON, or null when empty).
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub content_type: String,
    pub body: Value,
    pub text: String,
}

impl Reply {
    pub fn code(&self) -> &str {
        self.body["code"].as_str().unwrap_or("")
    }

    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

#[derive(Clone)]
pub struct Api {
    client: reqwest::Client,
    pub base: String,
}

impl Api {
    pub fn new(base: String) -> Self {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .expect("an HTTP client");
        Self { client, base }
    }

    pub async fn send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> Result<Reply, reqwest::Error> {
        let mut request = self.client.request(method, format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await?;
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let text = response.text().await?;
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or_else(|_| Value::String(text.clone()))
        };
        Ok(Reply {
            status,
            content_type,
            body,
            text,
        })
    }

    /// A request that must be answered: a transport error is a failure of the run.
    pub async fn must(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> Result<Reply, Failure> {
        self.send(method.clone(), path, token, body)
            .await
            .map_err(|e| format!("{method} {path}: {e}").into())
    }

    /// A request that must succeed with a 2xx status.
    pub async fn ok(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> Result<Value, Failure> {
        let reply = self.must(method.clone(), path, token, body).await?;
        if !reply.is_success() {
            return Err(format!("{method} {path}: {} {}", reply.status, reply.text).into());
        }
        Ok(reply.body)
    }
}
