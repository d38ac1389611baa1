//! A mail server on loopback that keeps what it is sent: enough SMTP (RFC 5321) for a
//! client to deliver to it, and a list of recipients it refuses as a real server would.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// One message as the sink took it.
#[derive(Debug, Clone)]
pub struct Received {
    pub from: String,
    pub to: Vec<String>,
    /// The message as sent after DATA, dot-stuffing undone.
    pub data: String,
}

#[derive(Default)]
struct Shared {
    received: Mutex<Vec<Received>>,
    refused: Mutex<HashSet<String>>,
    /// How long the sink takes over each message before accepting it.
    slowness: Mutex<std::time::Duration>,
}

#[derive(Clone)]
pub struct SmtpSink {
    /// `smtp://127.0.0.1:<port>`: plain text, as `MADOGUCHI_SMTP_URL` names a local sink.
    pub url: String,
    shared: Arc<Shared>,
}

impl SmtpSink {
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("smtp://{}", listener.local_addr().unwrap());
        let shared = Arc::new(Shared::default());
        let serving = shared.clone();
        tokio::spawn(async move {
            loop {
                let (stream, _) = listener.accept().await.unwrap();
                tokio::spawn(session(stream, serving.clone()));
            }
        });
        Self { url, shared }
    }

    /// From now on, RCPT TO this address is answered 550, a permanent refusal.
    pub fn refuse(&self, address: &str) {
        self.shared
            .refused
            .lock()
            .unwrap()
            .insert(address.to_owned());
    }

    /// From now on, the address is accepted again (its mailbox fixed).
    pub fn accept(&self, address: &str) {
        self.shared.refused.lock().unwrap().remove(address);
    }

    /// From now on, each message takes this long to be accepted, as a busy server's do.
    pub fn slow_down(&self, by: std::time::Duration) {
        *self.shared.slowness.lock().unwrap() = by;
    }

    pub fn received(&self) -> Vec<Received> {
        self.shared.received.lock().unwrap().clone()
    }

    /// The messages one address was sent.
    pub fn received_by(&self, address: &str) -> Vec<Received> {
        self.received()
            .into_iter()
            .filter(|r| r.to.iter().any(|to| to == address))
            .collect()
    }
}

/// The address inside `MAIL FROM:<…>` or `RCPT TO:<…>`.
fn address(argument: &str) -> String {
    let start = argument.find('<').map_or(0, |i| i + 1);
    let end = argument[start..]
        .find('>')
        .map_or(argument.len(), |i| start + i);
    argument[start..end].to_owned()
}

async fn session(stream: TcpStream, shared: Arc<Shared>) {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read).lines();
    let mut reply = async |text: &str| {
        let _ = write.write_all(format!("{text}\r\n").as_bytes()).await;
    };
    reply("220 sink.invalid ESMTP").await;
    let (mut from, mut to) = (String::new(), Vec::new());
    while let Ok(Some(line)) = lines.next_line().await {
        let verb = line.get(..4).unwrap_or(&line).to_ascii_uppercase();
        match verb.as_str() {
            "EHLO" | "HELO" => reply("250 sink.invalid").await,
            "MAIL" => {
                from = address(&line);
                to.clear();
                reply("250 2.1.0 OK").await;
            }
            "RCPT" => {
                let recipient = address(&line);
                if shared.refused.lock().unwrap().contains(&recipient) {
                    // As real servers do, the refusal quotes the address.
                    reply(&format!(
                        "550 5.1.1 <{recipient}>: Recipient address rejected"
                    ))
                    .await;
                } else {
                    to.push(recipient);
                    reply("250 2.1.5 OK").await;
                }
            }
            "DATA" => {
                reply("354 End data with <CR><LF>.<CR><LF>").await;
                let mut data = String::new();
                while let Ok(Some(line)) = lines.next_line().await {
                    if line == "." {
                        break;
                    }
                    data.push_str(line.strip_prefix('.').unwrap_or(&line));
                    data.push('\n');
                }
                let slowness = *shared.slowness.lock().unwrap();
                tokio::time::sleep(slowness).await;
                shared.received.lock().unwrap().push(Received {
                    from: from.clone(),
                    to: std::mem::take(&mut to),
                    data,
                });
                reply("250 2.0.0 OK queued").await;
            }
            "RSET" | "NOOP" => reply("250 2.0.0 OK").await,
            "QUIT" => {
                reply("221 2.0.0 Bye").await;
                return;
            }
            _ => reply("502 5.5.2 Command not recognised").await,
        }
    }
}
