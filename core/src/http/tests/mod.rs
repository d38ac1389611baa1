//! The app `Router` driven with `oneshot`, no socket (axum's `examples/testing`): how
//! requests are read and refusals written (docs/api.md), over an in-memory store.

mod store_faults;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use serde_json::{Value, json};
use tower::ServiceExt;

use super::{AppState, BODY_LIMIT, all_operations, app};
use crate::clock::ManualClock;
use crate::domain::{Email, Line, PersonName};
use crate::service::Context;
use crate::service::admin::{NewCustomer, create_customer};
use crate::settings::Settings;
use crate::store::redb::RedbStore;

/// The peer every request comes from unless a test says otherwise.
const PEER: [u8; 4] = [192, 0, 2, 1];

fn context(settings: Settings) -> Context {
    let store = RedbStore::in_memory().expect("an in-memory database");
    let clock = ManualClock::new("2026-11-22T00:00:00Z".parse().expect("an instant"));
    Context::new(Arc::new(store), Arc::new(clock), settings)
}

/// Every operation's router, as local-dev serves them.
fn served(ctx: &Context) -> Router {
    let state = AppState::new(
        ctx.clone(),
        Some("admin-token-for-tests".into()),
        crate::secret::SealingKey::generate(),
    );
    app(all_operations(), state)
}

/// A request from `peer`, as axum's `into_make_service_with_connect_info` delivers it.
fn request(method: Method, uri: &str, peer: [u8; 4]) -> axum::http::request::Builder {
    Request::builder()
        .method(method)
        .uri(uri)
        .extension(ConnectInfo(SocketAddr::from((peer, 50_000))))
}

/// A request without a body.
fn bare(method: Method, uri: &str) -> Request<Body> {
    request(method, uri, PEER)
        .body(Body::empty())
        .expect("a request")
}

/// A POST of raw bytes declared as JSON.
fn post(uri: &str, body: impl Into<Vec<u8>>) -> Request<Body> {
    let body = body.into();
    request(Method::POST, uri, PEER)
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::CONTENT_LENGTH, body.len())
        .body(Body::from(body))
        .expect("a request")
}

fn login(customer_id: &str, access_key: &str) -> Request<Body> {
    let body = json!({"customer_id": customer_id, "access_key": access_key});
    post("/v1/sessions", body.to_string())
}

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Value,
}

impl Answer {
    /// The problem `code`, checking that the answer is a problem document.
    fn code(&self) -> &str {
        assert_eq!(
            self.headers[header::CONTENT_TYPE],
            "application/problem+json",
            "{} {}",
            self.status,
            self.body
        );
        self.body["code"].as_str().expect("a problem has a code")
    }
}

async fn send(router: &Router, request: Request<Body>) -> Answer {
    let response = router
        .clone()
        .oneshot(request)
        .await
        .expect("the router answers");
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .expect("a body");
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).expect("a JSON body")
    };
    Answer {
        status,
        headers,
        body,
    }
}

/// docs/api.md: a refusal is an RFC 9457 problem document with a stable `code`, in Japanese
/// by default.
#[tokio::test]
async fn a_refusal_is_a_problem_document_in_japanese() {
    let router = served(&context(Settings::default()));
    let answer = send(&router, login("CAF0000000", "Wrong-Key-123")).await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert_eq!(answer.code(), "invalid_credentials");
    assert_eq!(answer.headers[header::CONTENT_LANGUAGE], "ja");
    assert_eq!(
        answer.body["type"],
        "urn:madoguchi:problem:invalid_credentials"
    );
    assert_eq!(answer.body["status"], 401);
    let title = answer.body["title"].as_str().expect("a title");
    assert!(!title.is_empty() && !title.is_ascii(), "{title}");
    let detail = answer.body["detail"].as_str().expect("a detail");
    assert!(detail.contains("アクセスキー"), "{detail}");
    assert!(answer.body.get("errors").is_none(), "no field errors here");
}

/// docs/api.md: human text is English when `Accept-Language` prefers it, and says so in
/// `Content-Language`; the `code` does not change.
#[tokio::test]
async fn accept_language_en_gets_english_text() {
    let router = served(&context(Settings::default()));
    let ask = |languages: &'static str| {
        let mut request = login("CAF0000000", "Wrong-Key-123");
        request.headers_mut().insert(
            header::ACCEPT_LANGUAGE,
            header::HeaderValue::from_static(languages),
        );
        request
    };
    let english = send(&router, ask("en")).await;
    assert_eq!(english.code(), "invalid_credentials");
    assert_eq!(english.headers[header::CONTENT_LANGUAGE], "en");
    let title = english.body["title"].as_str().expect("a title");
    assert!(!title.is_empty() && title.is_ascii(), "{title}");
    assert!(
        english.body["detail"]
            .as_str()
            .expect("a detail")
            .contains("access key")
    );
    let japanese_first = send(&router, ask("ja,en;q=0.5")).await;
    assert_eq!(japanese_first.headers[header::CONTENT_LANGUAGE], "ja");
    assert_eq!(japanese_first.code(), "invalid_credentials");
}

/// docs/api.md: bodies over 64 KiB are 413 `payload_too_large`; one of exactly 64 KiB is read.
#[tokio::test]
async fn a_body_over_64_kib_is_413() {
    let router = served(&context(Settings::default()));
    let body_of = |len: usize| {
        let frame = r#"{"customer_id":"CAF1234567","access_key":""}"#;
        let key = "a".repeat(len - frame.len());
        format!(r#"{{"customer_id":"CAF1234567","access_key":"{key}"}}"#)
    };
    let at_limit = body_of(BODY_LIMIT);
    assert_eq!(at_limit.len(), 64 * 1024);
    let read = send(&router, post("/v1/sessions", at_limit)).await;
    assert_eq!(read.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        read.code(),
        "validation_failed",
        "read, and the key is too long"
    );

    let over = send(&router, post("/v1/sessions", body_of(BODY_LIMIT + 1))).await;
    assert_eq!(over.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(over.code(), "payload_too_large");
}

/// docs/api.md: a body that is not JSON is 400 `malformed_json`.
#[tokio::test]
async fn malformed_json_is_400() {
    let router = served(&context(Settings::default()));
    let answer = send(&router, post("/v1/sessions", r#"{"customer_id":"#)).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(answer.code(), "malformed_json");
    assert_eq!(answer.body["status"], 400);
}

/// docs/api.md: unknown JSON fields are rejected with 422 `validation_failed`, the field named
/// in `errors`.
#[tokio::test]
async fn an_unknown_field_is_422_and_named() {
    let router = served(&context(Settings::default()));
    let body = r#"{"customer_id":"CAF1234567","access_key":"abcdefgh","remember":true}"#;
    let answer = send(&router, post("/v1/sessions", body)).await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(answer.code(), "validation_failed");
    let errors = answer.body["errors"].as_array().expect("field errors");
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0]["field"], "remember");
    assert_eq!(errors[0]["code"], "unknown_field");
    assert!(errors[0]["message"].as_str().is_some_and(|m| !m.is_empty()));
}

/// docs/api.md–2: a customer endpoint without a live token is 401 `unauthorized` with a
/// Bearer challenge.
#[tokio::test]
async fn a_customer_endpoint_without_a_token_is_401_with_a_bearer_challenge() {
    let router = served(&context(Settings::default()));
    for authorization in [None, Some("Bearer not-a-token"), Some("Basic YTpi")] {
        let mut request = request(Method::GET, "/v1/usage", PEER);
        if let Some(value) = authorization {
            request = request.header(header::AUTHORIZATION, value);
        }
        let answer = send(&router, request.body(Body::empty()).unwrap()).await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{authorization:?}");
        assert_eq!(answer.code(), "unauthorized");
        assert_eq!(answer.headers[header::WWW_AUTHENTICATE], "Bearer");
    }
}

/// docs/api.md: an unknown path is a 404 problem, a known path with another method a 405 one.
#[tokio::test]
async fn unknown_paths_and_methods_are_problems() {
    let router = served(&context(Settings::default()));
    let answer = send(&router, bare(Method::GET, "/v1/nowhere")).await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
    assert_eq!(answer.code(), "not_found");
    assert_eq!(answer.body["status"], 404);
    let answer = send(&router, bare(Method::PUT, "/v1/usage")).await;
    assert_eq!(answer.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(answer.code(), "method_not_allowed");
}

/// docs/login.md: locally the client address is the socket peer; its failures are its own.
#[tokio::test]
async fn the_client_address_is_the_connections_peer() {
    let settings = Settings {
        login_failures_per_client: 1,
        ..Settings::default()
    };
    let router = served(&context(settings));
    let guesser = [198, 51, 100, 9];
    let from = |peer: [u8; 4]| {
        let body = json!({"customer_id": "CAF0000000", "access_key": "Wrong-Key-123"});
        request(Method::POST, "/v1/sessions", peer)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string()))
            .unwrap()
    };
    assert_eq!(
        send(&router, from(guesser)).await.code(),
        "invalid_credentials"
    );
    let throttled = send(&router, from(guesser)).await;
    assert_eq!(throttled.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(throttled.code(), "too_many_attempts");
    assert!(throttled.headers.contains_key(header::RETRY_AFTER));
    let neighbour = send(&router, from(PEER)).await;
    assert_eq!(neighbour.code(), "invalid_credentials");
}

/// docs/login.md–3: a whole flow through the router: log in, then read usage with the token.
#[tokio::test]
async fn a_login_opens_a_session_the_usage_route_accepts() {
    let ctx = context(Settings::default());
    let member = NewCustomer {
        name: PersonName::parse("山田 太郎").unwrap(),
        email: Email::parse("oneshot@example.jp").unwrap(),
        line: Line::FletsNext,
        licenses: Vec::new(),
        services: Vec::new(),
    };
    let created = create_customer(&ctx, member, None).await.unwrap();
    let router = served(&ctx);
    let logged_in = send(
        &router,
        login(created.customer_id.as_str(), &created.access_key),
    )
    .await;
    assert_eq!(logged_in.status, StatusCode::CREATED, "{}", logged_in.body);
    assert_eq!(logged_in.body["idle_timeout_seconds"], 780);
    let token = logged_in.body["token"].as_str().expect("a token");
    let usage = request(Method::GET, "/v1/usage", PEER)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap();
    let usage = send(&router, usage).await;
    assert_eq!(usage.status, StatusCode::OK, "{}", usage.body);
    assert_eq!(usage.body["customer_id"], created.customer_id.as_str());
    assert_eq!(
        usage.body["serials"][0]["serial"],
        created.serials[0].serial.as_str()
    );
}
