//! docs/usage.md: the services of the line and every serial.

use reqwest::StatusCode;
use serde_json::json;

use crate::support::TestApp;

#[tokio::test]
async fn usage_lists_every_service_and_serial() {
    let app = TestApp::spawn().await;
    let member = app
        .member_with(
            "flets_next",
            json!([
                {"product": "security-suite", "plan": "standard", "billing": "term", "expires_on": "2027-03-31"},
                {"product": "security-suite", "plan": "license_plus", "billing": "monthly"},
                {"product": "mobile-security", "plan": "license_plus", "billing": "term", "expires_on": "2027-01-15"},
            ]),
        )
        .await;
    let token = app.login(&member).await;
    let usage = app.get("/v1/usage", &token).await;
    assert_eq!(usage.status, StatusCode::OK);
    assert_eq!(usage.body["customer_id"], member.customer_id.as_str());
    assert_eq!(usage.body["name"], "山田 太郎");
    let services: Vec<(&str, &str)> = usage.body["services"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["service"].as_str().unwrap(),
                s["status"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        services,
        vec![
            ("line_notification", "in_use"),
            ("security", "in_use"),
            ("remote_support", "not_contracted"),
            ("session_plus", "not_contracted"),
            ("vpn_wide", "not_contracted"),
        ]
    );
    let serials = usage.body["serials"].as_array().unwrap();
    assert_eq!(serials.len(), 3);
    assert_eq!(serials[0]["serial"], member.serials[0].as_str());
    assert_eq!(serials[0]["plan"], "standard");
    assert_eq!(serials[0]["billing"], "term");
    assert_eq!(serials[0]["expires_on"], "2027-03-31");
    assert_eq!(serials[0]["status"], "awaiting_install");
    assert_eq!(serials[0]["device"], serde_json::Value::Null);
    assert_eq!(serials[1]["plan"], "license_plus");
    assert_eq!(serials[1]["billing"], "monthly");
    assert_eq!(serials[1]["expires_on"], serde_json::Value::Null);
    assert_eq!(serials[2]["product"], "mobile-security");
}

#[tokio::test]
async fn on_a_collaboration_line_the_standard_serial_is_unavailable() {
    let app = TestApp::spawn().await;
    let member = app
        .member_with(
            "collab",
            json!([{"product": "security-suite", "plan": "license_plus", "billing": "monthly"}]),
        )
        .await;
    let token = app.login(&member).await;
    let usage = app.get("/v1/usage", &token).await;
    let serials = usage.body["serials"].as_array().unwrap();
    // The line's standard serial is added first, and it is 利用不可 here.
    assert_eq!(serials.len(), 2);
    assert_eq!(serials[0]["plan"], "standard");
    assert_eq!(serials[0]["status"], "unavailable");
    assert_eq!(serials[1]["status"], "awaiting_install");
}

#[tokio::test]
async fn a_service_with_applications_in_several_states_shows_in_use() {
    let app = TestApp::spawn().await;
    let created = app
        .create_customer(json!({
            "name": "佐藤 花子", "email": "hanako@example.jp", "line": "flets_next",
            "services": [
                {"service": "remote_support", "status": "registering"},
                {"service": "remote_support", "status": "in_use"},
                {"service": "remote_support", "status": "terminating"},
                {"service": "vpn_wide", "status": "changing"},
            ],
        }))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    let answer = app
        .try_login(
            created.body["customer_id"].as_str().unwrap(),
            created.body["access_key"].as_str().unwrap(),
        )
        .await;
    let token = answer.body["token"].as_str().unwrap();
    let usage = app.get("/v1/usage", token).await;
    let status_of = |name: &str| {
        usage.body["services"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["service"] == name)
            .unwrap()["status"]
            .clone()
    };
    assert_eq!(status_of("remote_support"), "in_use");
    assert_eq!(status_of("vpn_wide"), "changing");
    assert_eq!(status_of("session_plus"), "not_contracted");
}

/// docs/usage.md: a term licence past its last day is `expired`, keeping the device it was
/// on; one on a program too old to renew says `upgrade_required`; 利用不可 says why; and
/// only what a purchase code can renew is `renewable`.
#[tokio::test]
async fn each_serial_says_whether_it_is_expired_renewable_or_why_unavailable() {
    let app = TestApp::spawn().await;
    let member = app
        .member_with(
            "collab",
            json!([
                {"product": "security-suite", "plan": "standard", "billing": "term", "expires_on": "2027-03-31"},
                {"product": "security-suite", "plan": "license_plus", "billing": "term", "expires_on": "2026-11-25"},
                {"product": "security-suite", "plan": "license_plus", "billing": "term", "expires_on": "2027-05-01", "version": 16},
                {"product": "mobile-security", "plan": "license_plus", "billing": "monthly"},
            ]),
        )
        .await;
    let token = app.login(&member).await;
    let before = app.get("/v1/usage", &token).await;
    let serials = before.body["serials"].as_array().unwrap().clone();
    let expiring = serials[1]["serial"].as_str().unwrap().to_owned();
    let activated = app.activate(&token, &expiring, "PC-1").await;
    assert_eq!(activated.status, StatusCode::OK, "{:?}", activated.body);

    // Past its last day (2026-11-25), in Japan.
    app.advance(jiff::SignedDuration::from_hours(24 * 4));
    let token = app.login(&member).await;
    let usage = app.get("/v1/usage", &token).await;
    let shown: Vec<_> = usage.body["serials"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["status"].as_str().unwrap().to_owned(),
                s["unavailable_reason"].clone(),
                s["renewable"].as_bool().unwrap(),
                s["upgrade_required"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        shown,
        vec![
            (
                "unavailable".into(),
                json!("not_offered_on_line"),
                false,
                false
            ),
            ("expired".into(), json!(null), true, false),
            ("awaiting_install".into(), json!(null), false, true),
            ("awaiting_install".into(), json!(null), false, false),
        ]
    );
    assert_eq!(usage.body["serials"][1]["device"]["device_id"], "PC-1");
}

/// docs/usage.md: a serial's status is as on today in Japan, from the first moment of the day
/// after its last, even for a session that read its usage a moment before midnight.
#[tokio::test]
async fn a_licence_shows_expired_from_midnight_in_japan() {
    let app = TestApp::spawn().await;
    // The tests start at 09:00 in Japan on 2026-11-22: to 23:59:40 that day.
    app.advance(jiff::SignedDuration::from_secs(15 * 3600 - 20));
    let member = app.member_until("2026-11-22").await;
    let token = app.login(&member).await;
    let status = |usage: &serde_json::Value| usage["serials"][0]["status"].clone();
    let before = app.get("/v1/usage", &token).await;
    assert_eq!(before.status, StatusCode::OK, "{:?}", before.body);
    assert_eq!(status(&before.body), "awaiting_install");
    assert_eq!(
        status(&app.get("/v1/usage", &token).await.body),
        "awaiting_install"
    );

    // 00:00:20 on 2026-11-23: within the minute, so the session is not even refreshed.
    app.advance(jiff::SignedDuration::from_secs(40));
    let after = app.get("/v1/usage", &token).await;
    assert_eq!(after.status, StatusCode::OK, "{:?}", after.body);
    assert_eq!(status(&after.body), "expired");
    assert_eq!(after.body["serials"][0]["expires_on"], "2026-11-22");
}
