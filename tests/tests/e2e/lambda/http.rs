//! The HTTP functions answer API Gateway's events as docs/login.md, usage.md,
//! operators.md and cloud.md say.

use madoguchi_core::Settings;
use madoguchi_core::http::AppState;
use madoguchi_core::lambda::Function;
use reqwest::StatusCode;

use super::{call, deployed, fixture, invoke, with_header};
use crate::support::{Member, TestApp, logs};

async fn log_in(app: &TestApp, member: &Member) -> String {
    let event = fixture(
        "apigw-v2/login.json",
        &[
            ("customer_id", &member.customer_id),
            ("access_key", &member.access_key),
        ],
    );
    let logged_in = call(app, Function::Login, &event).await;
    assert_eq!(
        logged_in.status,
        StatusCode::CREATED,
        "{:?}",
        logged_in.body
    );
    logged_in.body["token"].as_str().unwrap().to_owned()
}

#[tokio::test]
#[ignore = "needs DynamoDB Local: scripts/test starts it"]
async fn a_member_logs_in_and_reads_usage_through_the_functions() {
    let app = TestApp::in_the_cloud().await;
    let member = app.member().await;
    let token = log_in(&app, &member).await;

    let event = fixture("apigw-v2/usage.json", &[("token", &token)]);
    let usage = call(&app, Function::Usage, &event).await;
    assert_eq!(usage.status, StatusCode::OK, "{:?}", usage.body);
    assert_eq!(usage.body["customer_id"], member.customer_id.as_str());
    assert_eq!(
        usage.body["serials"][0]["serial"],
        member.serials[0].as_str()
    );
    // docs/operations.md#request-ids: API Gateway's id, not one of the function's own.
    assert_eq!(usage.headers["x-request-id"], "Bq3xKjRhtjMEbXw=");
}

#[tokio::test]
#[ignore = "needs DynamoDB Local: scripts/test starts it"]
async fn a_named_stage_is_not_part_of_the_route() {
    let app = TestApp::in_the_cloud().await;
    let member = app.member().await;
    let token = log_in(&app, &member).await;

    let event = fixture("apigw-v2/usage-staged.json", &[("token", &token)]);
    assert!(event.contains("\"rawPath\": \"/prod/v1/usage\""));
    let usage = call(&app, Function::Usage, &event).await;
    assert_eq!(usage.status, StatusCode::OK, "{:?}", usage.body);
    assert_eq!(usage.body["customer_id"], member.customer_id.as_str());
}

#[tokio::test]
#[ignore = "needs DynamoDB Local: scripts/test starts it"]
async fn a_base64_encoded_body_is_read() {
    let app = TestApp::in_the_cloud().await;
    let member = app.member().await;
    let token = log_in(&app, &member).await;

    let event = fixture(
        "apigw-v2/activation-base64-body.json",
        &[("token", &token), ("serial", &member.serials[0])],
    );
    let activated = call(&app, Function::Activation, &event).await;
    assert_eq!(activated.status, StatusCode::OK, "{:?}", activated.body);
    assert_eq!(activated.body["status"], "in_use");
    assert_eq!(activated.body["device"]["device_id"], "pc-living-room");
    assert_eq!(activated.body["device"]["name"], "リビングのPC");
}

#[tokio::test]
#[ignore = "needs DynamoDB Local: scripts/test starts it"]
async fn an_iam_caller_is_an_operator_and_is_logged_by_arn() {
    let app = TestApp::in_the_cloud().await;
    let member = app.member().await;
    let id = [("customer_id", member.customer_id.as_str())];

    let event = fixture("apigw-v2/admin-customer-iam.json", &id);
    assert!(!event.contains("authorization"));
    let state = call(&app, Function::Admin, &event).await;
    assert_eq!(state.status, StatusCode::OK, "{:?}", state.body);
    assert_eq!(state.body["customer_id"], member.customer_id.as_str());

    let logged = logs();
    assert!(logged.contains("arn:aws:sts::123456789012:assumed-role/madoguchi-operators/ops-taro"));
    assert!(
        !logged.contains("ASIA2ZJZYVUEREXAMPLE"),
        "the access key ID is logged"
    );
}

#[tokio::test]
#[ignore = "needs DynamoDB Local: scripts/test starts it"]
async fn without_an_iam_caller_the_admin_function_refuses_even_the_local_token() {
    let app = TestApp::in_the_cloud().await;
    let member = app.member().await;
    let event = fixture(
        "apigw-v2/admin-customer.json",
        &[("customer_id", &member.customer_id)],
    );

    let anonymous = call(&app, Function::Admin, &event).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    assert_eq!(anonymous.code(), "unauthorized");

    // The local emulator's token is no key in a function configured without one…
    let bearer = format!("Bearer {}", app.admin_token);
    let with_token = with_header(&event, "authorization", &bearer);
    let refused = call(&app, Function::Admin, &with_token).await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);

    // …and is one where MADOGUCHI_ADMIN_TOKEN is set.
    let configured = AppState::new(
        app.as_function("admin").await,
        Some(app.admin_token.clone().into()),
        app.sealing_key.clone(),
    );
    let accepted = invoke(Function::Admin, configured, &with_token).await;
    assert_eq!(accepted.status, StatusCode::OK, "{:?}", accepted.body);
}

#[tokio::test]
#[ignore = "needs DynamoDB Local: scripts/test starts it"]
async fn an_iam_callers_retry_gets_the_first_answer_again() {
    let app = TestApp::in_the_cloud().await;
    let event = fixture("apigw-v2/admin-codes-iam.json", &[]);
    let first = call(&app, Function::Admin, &event).await;
    assert_eq!(first.status, StatusCode::CREATED, "{:?}", first.body);
    assert_eq!(first.body["codes"].as_array().unwrap().len(), 2);
    let again = call(&app, Function::Admin, &event).await;
    assert_eq!(again.status, StatusCode::CREATED);
    assert_eq!(again.body, first.body);
}

/// docs/login.md, docs/cloud.md: the client address is API Gateway's source IP; an IPv6 caller is
/// counted by its /64.
#[tokio::test]
#[ignore = "needs DynamoDB Local: scripts/test starts it"]
async fn the_login_throttle_counts_the_ipv6_source_address() {
    let app = TestApp::in_the_cloud_with(Settings {
        login_failures_per_client: 3,
        ..Settings::default()
    })
    .await;
    let member = app.member().await;
    let wrong = fixture(
        "apigw-v2/login-ipv6.json",
        &[
            ("customer_id", &member.customer_id),
            ("access_key", "not-the-key-1"),
        ],
    );
    const FIXTURE_64: &str = "2001:db8:4a7f:1c00:";
    assert!(wrong.contains(FIXTURE_64));
    let login = |event: String| {
        let app = &app;
        async move {
            invoke(
                Function::Login,
                deployed(app, Function::Login).await,
                &event,
            )
            .await
        }
    };

    let mut throttled = login(wrong.clone()).await;
    for _ in 0..4 {
        if throttled.status != StatusCode::UNAUTHORIZED {
            break;
        }
        assert_eq!(throttled.code(), "invalid_credentials");
        throttled = login(wrong.clone()).await;
    }
    assert_eq!(throttled.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(throttled.code(), "too_many_attempts");
    assert!(throttled.headers.contains_key("retry-after"));

    let same_64 = wrong.replace("8d2e:31ff:fe4b:9a10", ":1");
    assert_eq!(login(same_64).await.code(), "too_many_attempts");
    let other_64 = wrong.replace(FIXTURE_64, "2001:db8:4a7f:1c01:");
    assert_eq!(login(other_64).await.code(), "invalid_credentials");
    // An IPv4 caller of the same member is not held back either.
    log_in(&app, &member).await;
}
