//! docs/cloud.md: the Lambda functions, driven with the events API Gateway (HTTP API, payload
//! 2.0), EventBridge and the table's stream send, kept as JSON in `tests/fixtures`. Each
//! function's app is the one its binary serves, called without a socket, over the table
//! of the test's loopback server (where the test creates its members) in DynamoDB Local,
//! through that function's endpoint of the IAM proxy: a call its policy in
//! `infra/template.yaml` does not allow fails the test, naming the function, the action
//! and the resource.

mod alarms;
mod expiry_reminder;
mod faults;
mod http;
mod iam;
mod orders;
mod outbox_dispatcher;
mod routes;
mod secrets;
mod start;

use madoguchi_core::http::AppState;
use madoguchi_core::lambda::Function;
use serde_json::Value;
use tower::ServiceExt;

use crate::support::{Answer, TestApp};

/// A fixture with its `{{placeholders}}` filled in.
pub fn fixture(name: &str, fill: &[(&str, &str)]) -> String {
    let path = format!("{}/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    let mut text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    for (placeholder, value) in fill {
        text = text.replace(&format!("{{{{{placeholder}}}}}"), value);
    }
    assert!(
        !text.contains("{{"),
        "{name}: a placeholder is left unfilled"
    );
    text
}

/// The event with one more request header.
pub fn with_header(event: &str, name: &str, value: &str) -> String {
    let mut event: Value = serde_json::from_str(event).unwrap();
    event["headers"][name] = value.into();
    event.to_string()
}

/// The function as deployed: its own client through the proxy, no admin token (operators
/// are IAM callers).
pub async fn deployed(app: &TestApp, function: Function) -> AppState {
    AppState::new(
        app.as_function(function.name()).await,
        None,
        app.sealing_key.clone(),
    )
}

/// Hands an API Gateway event to the function as deployed.
pub async fn call(app: &TestApp, function: Function, event: &str) -> Answer {
    invoke(function, deployed(app, function).await, event).await
}

/// Hands an API Gateway event to a function's app, as `lambda_http` does.
pub async fn invoke(function: Function, state: AppState, event: &str) -> Answer {
    let request = lambda_http::request::from_str(event).expect("an HTTP API event");
    let response = function.app(state, None).oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).unwrap()
    };
    Answer {
        status,
        headers,
        body,
    }
}
