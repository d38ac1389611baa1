//! SPEC §1: `/openapi.json` is generated from the code; `/healthz` answers.

use reqwest::{Method, StatusCode};

use crate::support::TestApp;

#[tokio::test]
async fn the_openapi_document_describes_every_route() {
    let app = TestApp::spawn().await;
    let doc = app.call(Method::GET, "/openapi.json", None, None).await;
    assert_eq!(doc.status, StatusCode::OK);
    assert_eq!(doc.body["openapi"], "3.1.0");
    let paths = doc.body["paths"].as_object().unwrap();
    for (path, method) in [
        ("/v1/sessions", "post"),
        ("/v1/sessions/current", "delete"),
        ("/v1/usage", "get"),
        ("/v1/serials/{serial}/activation", "post"),
        ("/v1/serials/{serial}/activation", "delete"),
        ("/v1/serials/{serial}/history", "get"),
        ("/admin/v1/customers", "post"),
        ("/admin/v1/customers/{customer_id}", "get"),
        ("/admin/v1/customers/{customer_id}/access-key", "post"),
        ("/admin/v1/outbox", "get"),
    ] {
        assert!(
            paths.get(path).and_then(|p| p.get(method)).is_some(),
            "{method} {path}"
        );
    }
    let schemas = doc.body["components"]["schemas"].as_object().unwrap();
    for schema in [
        "Usage",
        "Activation",
        "LoggedIn",
        "ProblemBody",
        "LoginRequest",
    ] {
        assert!(schemas.contains_key(schema), "{schema}");
    }
}

#[tokio::test]
async fn healthz_answers() {
    let app = TestApp::spawn().await;
    assert_eq!(
        app.call(Method::GET, "/healthz", None, None).await.status,
        StatusCode::OK
    );
}
