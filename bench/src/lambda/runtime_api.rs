//! A stand-in for Lambda's runtime API, and for Secrets Manager, served on loopback for one
//! start of one function: it tells the bench when the function first polls for an event,
//! hands it the events the bench queues, and tells the bench when each answer came back.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tokio::sync::{mpsc, oneshot};

pub const SEALING_KEY: &str = "bench-sealing-key-of-at-least-32-characters";
pub const SEALING_KEY_ARN: &str =
    "arn:aws:secretsmanager:ap-northeast-1:000000000000:secret:madoguchi-sealing-key-AbCdEf";
pub const EDGE_SECRET_ARN: &str =
    "arn:aws:secretsmanager:ap-northeast-1:000000000000:secret:madoguchi-edge-secret-AbCdEf";
pub const EDGE_SECRET: &str = "bench-edge-secret-of-at-least-32-characters";

/// An answer the function posted: when it arrived, and its status (from the API Gateway
/// response's `statusCode`; 0 when the function reported an invocation error).
pub struct Answered {
    pub at: Instant,
    pub status: u16,
}

struct Event {
    id: String,
    body: String,
    answered: oneshot::Sender<Answered>,
}

struct Shared {
    polled: Mutex<Option<oneshot::Sender<Instant>>>,
    init_errors: Mutex<Vec<String>>,
    secret_reads: AtomicU64,
    /// The events queued for the function, taken one per poll.
    events: tokio::sync::Mutex<mpsc::UnboundedReceiver<Event>>,
    waiting: Mutex<HashMap<String, oneshot::Sender<Answered>>>,
}

/// One start's runtime API. Dropping it stops the server.
pub struct RuntimeApi {
    pub address: String,
    shared: Arc<Shared>,
    queue: mpsc::UnboundedSender<Event>,
    next_id: AtomicU64,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for RuntimeApi {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl RuntimeApi {
    /// Serves a runtime API on a loopback port of its own; `polled` is told the instant of
    /// the function's first poll.
    pub async fn serve(polled: oneshot::Sender<Instant>) -> Self {
        let (queue, events) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            polled: Mutex::new(Some(polled)),
            init_errors: Mutex::default(),
            secret_reads: AtomicU64::new(0),
            events: tokio::sync::Mutex::new(events),
            waiting: Mutex::default(),
        });
        let router = Router::new()
            .route("/", post(secret_value))
            .route("/2018-06-01/runtime/invocation/next", get(next))
            .route(
                "/2018-06-01/runtime/invocation/{id}/response",
                post(response),
            )
            .route("/2018-06-01/runtime/invocation/{id}/error", post(error))
            .route("/2018-06-01/runtime/init/error", post(init_error))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap().to_string();
        let server = tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        Self {
            address,
            shared,
            queue,
            next_id: AtomicU64::new(1),
            server,
        }
    }

    /// Queues an event (an API Gateway request, as JSON); the receiver is told when its
    /// answer comes back.
    pub fn invoke(&self, body: &str) -> oneshot::Receiver<Answered> {
        let (answered, receiver) = oneshot::channel();
        let id = format!("bench-{}", self.next_id.fetch_add(1, Ordering::Relaxed));
        self.queue
            .send(Event {
                id,
                body: body.to_owned(),
                answered,
            })
            .expect("the runtime API is serving");
        receiver
    }

    pub fn init_errors(&self) -> Vec<String> {
        self.shared.init_errors.lock().unwrap().clone()
    }

    pub fn secret_reads(&self) -> u64 {
        self.shared.secret_reads.load(Ordering::Relaxed)
    }
}

async fn next(State(shared): State<Arc<Shared>>) -> Response {
    if let Some(tell) = shared.polled.lock().unwrap().take() {
        let _ = tell.send(Instant::now());
    }
    // One function polls at a time; without an event queued it waits, as Lambda's does.
    let event = shared.events.lock().await.recv().await;
    match event {
        Some(event) => deliver(&shared, event),
        None => std::future::pending().await,
    }
}

fn deliver(shared: &Shared, event: Event) -> Response {
    let deadline = SystemTime::now() + Duration::from_secs(10);
    let deadline_ms = deadline.duration_since(UNIX_EPOCH).unwrap().as_millis();
    shared
        .waiting
        .lock()
        .unwrap()
        .insert(event.id.clone(), event.answered);
    (
        [
            ("lambda-runtime-aws-request-id", event.id),
            ("lambda-runtime-deadline-ms", deadline_ms.to_string()),
            (
                "lambda-runtime-invoked-function-arn",
                "arn:aws:lambda:ap-northeast-1:000000000000:function:bench".to_owned(),
            ),
            (header::CONTENT_TYPE.as_str(), "application/json".to_owned()),
        ],
        event.body,
    )
        .into_response()
}

async fn response(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    body: String,
) -> StatusCode {
    let at = Instant::now();
    let answer: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
    let status = answer["statusCode"].as_u64().unwrap_or(0) as u16;
    answered(&shared, &id, Answered { at, status })
}

async fn error(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> StatusCode {
    let at = Instant::now();
    answered(&shared, &id, Answered { at, status: 0 })
}

fn answered(shared: &Shared, id: &str, answer: Answered) -> StatusCode {
    match shared.waiting.lock().unwrap().remove(id) {
        Some(tell) => {
            let _ = tell.send(answer);
            StatusCode::ACCEPTED
        }
        None => StatusCode::NOT_FOUND,
    }
}

async fn init_error(State(shared): State<Arc<Shared>>, body: String) -> StatusCode {
    shared.init_errors.lock().unwrap().push(body);
    StatusCode::ACCEPTED
}

/// The stand-in's answer to `GetSecretValue`: each secret's value by its ARN.
async fn secret_value(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: String,
) -> Response {
    let target = headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let asked: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
    let arn = asked["SecretId"].as_str().unwrap_or("");
    let value = match arn {
        SEALING_KEY_ARN => SEALING_KEY,
        EDGE_SECRET_ARN => EDGE_SECRET,
        _ => "",
    };
    if target != "secretsmanager.GetSecretValue" || value.is_empty() {
        return (StatusCode::BAD_REQUEST, "unknown").into_response();
    }
    shared.secret_reads.fetch_add(1, Ordering::Relaxed);
    let answer =
        serde_json::json!({"ARN": arn, "Name": arn, "SecretString": value, "VersionId": "v1"});
    (
        [(header::CONTENT_TYPE, "application/x-amz-json-1.1")],
        answer.to_string(),
    )
        .into_response()
}
