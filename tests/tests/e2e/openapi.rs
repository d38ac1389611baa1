//! docs/api.md: `/openapi.json` is generated from the code; `/healthz` answers.

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
        ("/admin/v1/outbox/failed/{mail_id}", "post"),
        ("/admin/v1/codes", "post"),
        ("/admin/v1/providers", "post"),
        ("/v1/terms/{kind}", "get"),
        ("/v1/line-notification", "get"),
        ("/v1/line-notification/applications", "post"),
        ("/v1/renewals", "post"),
        ("/v1/readers", "get"),
        ("/v1/readers", "post"),
        ("/v1/membership/cancellation", "post"),
        ("/v1/receipts", "get"),
        ("/v1/services", "get"),
        ("/v1/services/{service}/applications", "post"),
        ("/v1/orders", "get"),
        ("/v1/orders/{order_no}", "get"),
        ("/v1/orders/{order_no}/withdrawal", "post"),
        ("/admin/v1/orders", "get"),
        ("/admin/v1/orders/{order_no}/events", "post"),
        ("/admin/v1/services/{service}", "put"),
        ("/admin/v1/status", "get"),
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

/// Every submitting POST documents its request, its dry-run and submit answers, and its
/// problems.
#[tokio::test]
async fn submitting_posts_document_both_answers_and_their_problems() {
    let app = TestApp::spawn().await;
    let doc = app.call(Method::GET, "/openapi.json", None, None).await;
    for path in [
        "/v1/line-notification/applications",
        "/v1/renewals",
        "/v1/readers",
        "/v1/services/{service}/applications",
        "/v1/membership/cancellation",
    ] {
        let post = &doc.body["paths"][path]["post"];
        assert!(
            post["requestBody"]["content"]["application/json"].is_object(),
            "{path}"
        );
        for status in ["200", "201", "400", "413", "415", "422"] {
            assert!(post["responses"][status].is_object(), "{path} {status}");
        }
        let problem = &post["responses"]["422"]["content"]["application/problem+json"]["schema"];
        assert_eq!(
            problem["$ref"], "#/components/schemas/ProblemBody",
            "{path}"
        );
    }
}

/// docs/api.md, docs/usage.md: the paged lists document `limit` and `cursor`, and `next_cursor` in their
/// answers; the daily limit of applications documents its 429.
#[tokio::test]
async fn paged_lists_and_the_daily_limit_are_documented() {
    let app = TestApp::spawn().await;
    let doc = app.call(Method::GET, "/openapi.json", None, None).await;
    for (path, schema) in [
        ("/v1/serials/{serial}/history", "History"),
        ("/v1/receipts", "Ledger"),
        ("/v1/orders", "OrderList"),
    ] {
        let get = &doc.body["paths"][path]["get"];
        let query: Vec<&str> = get["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["in"] == "query")
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        assert_eq!(query, ["limit", "cursor"], "{path}");
        assert!(get["responses"]["422"].is_object(), "{path}");
        let fields = &doc.body["components"]["schemas"][schema]["properties"];
        assert!(fields["next_cursor"].is_object(), "{schema}");
    }
    let apply = &doc.body["paths"]["/v1/line-notification/applications"]["post"];
    let too_many = &apply["responses"]["429"];
    assert!(
        too_many["description"]
            .as_str()
            .unwrap()
            .contains("too_many_applications")
    );
    assert!(too_many["headers"]["Retry-After"].is_object());
    let job = &doc.body["paths"]["/admin/v1/jobs/expiry-reminders"]["post"];
    assert!(
        job["responses"]["422"]["description"]
            .as_str()
            .unwrap()
            .contains("date_in_future")
    );
}
