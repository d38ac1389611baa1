//! docs/cloud.md: a function that cannot start tells the Lambda runtime why, naming the variable.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::http::HeaderMap;
use axum::routing::post;
use madoguchi_core::config::Config;
use madoguchi_core::lambda::report_init_error;
use serde_json::Value;

/// What a stand-in runtime API on loopback received at `/runtime/init/error`.
type Received = Arc<Mutex<Vec<(HeaderMap, Value)>>>;

async fn runtime_api() -> (String, Received) {
    let received = Received::default();
    let store = received.clone();
    let api = Router::new().route(
        "/2018-06-01/runtime/init/error",
        post(move |headers: HeaderMap, body: Bytes| async move {
            let body = serde_json::from_slice(&body).unwrap();
            store.lock().unwrap().push((headers, body));
            axum::http::StatusCode::ACCEPTED
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, api).await.unwrap() });
    (addr.to_string(), received)
}

#[tokio::test]
async fn a_missing_table_is_reported_as_the_init_error_by_name() {
    let (address, received) = runtime_api().await;
    let error = Config::from_lookup(|_| Err(std::env::VarError::NotPresent))
        .err()
        .expect("MADOGUCHI_TABLE is required");
    report_init_error(&address, &error).await.unwrap();

    let received = received.lock().unwrap();
    let [(headers, body)] = received.as_slice() else {
        panic!("one report expected, got {received:?}");
    };
    assert_eq!(
        headers["lambda-runtime-function-error-type"],
        "Runtime.InitError"
    );
    assert_eq!(body["errorType"], "Runtime.InitError");
    assert_eq!(body["errorMessage"], "MADOGUCHI_TABLE is not set");
}
