//! docs/services.md: サービスの申込・変更・廃止 over HTTP: the list, an application with its dry
//! run and receipt, 登録中 until the back office completes it, the catalogue operators keep.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{SERVICE_TERMS, TestApp};

fn application(action: &str, options: Value, dry_run: bool) -> Value {
    json!({
        "action": action,
        "options": options,
        "consent": {"terms_version": SERVICE_TERMS, "agreed": true},
        "applicant": {"name": "西日本 太郎", "phone": "06-0000-0000",
                      "email": "taro@example.jp", "completion_email": true},
        "dry_run": dry_run,
    })
}

fn service<'a>(list: &'a Value, name: &str) -> &'a Value {
    list["services"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["service"] == name)
        .unwrap()
}

#[tokio::test]
async fn a_subscription_goes_through_its_order_and_the_catalogue_sets_its_fee() {
    let app = TestApp::spawn().await;
    let (_, token) = app.logged_in().await;
    let listed = app.get("/v1/services", &token).await;
    assert_eq!(listed.status, StatusCode::OK, "{:?}", listed.body);
    let remote = service(&listed.body, "remote_support");
    assert_eq!(remote["status"], "not_contracted");
    assert_eq!(remote["actions"], json!(["subscribe"]));
    assert_eq!(remote["monthly_fee"], 550);
    assert_eq!(service(&listed.body, "vpn_wide")["actions"], json!([]));

    // Operators change the fee; the member sees it.
    let entry = json!({"name": "リモートサポートサービス", "description": "遠隔操作でサポートします。",
                       "monthly_fee": 770, "actions": ["subscribe", "terminate"]});
    let put = app
        .call(
            reqwest::Method::PUT,
            "/admin/v1/services/remote_support",
            Some(&app.admin_token),
            Some(entry),
        )
        .await;
    assert_eq!(put.status, StatusCode::OK, "{:?}", put.body);
    // The member's list read before the change is not answered again after it.
    let listed = app.get("/v1/services", &token).await;
    assert_eq!(service(&listed.body, "remote_support")["monthly_fee"], 770);
    let path = "/v1/services/remote_support/applications";
    let confirm = app
        .post(path, &token, application("subscribe", json!({}), true))
        .await;
    assert_eq!(confirm.status, StatusCode::OK, "{:?}", confirm.body);
    assert_eq!(confirm.body["monthly_fee"], 770);
    assert_eq!(confirm.body["after"], "in_use");

    let applied = app
        .post(path, &token, application("subscribe", json!({}), false))
        .await;
    assert_eq!(applied.status, StatusCode::CREATED, "{:?}", applied.body);
    assert_eq!(applied.body["status"], "accepted");
    let order_no = applied.body["order_no"].as_str().unwrap().to_owned();
    let listed = app.get("/v1/services", &token).await;
    let remote = service(&listed.body, "remote_support");
    assert_eq!(remote["status"], "registering");
    assert_eq!(remote["pending_order"], order_no.as_str());
    let usage = app.get("/v1/usage", &token).await;
    assert_eq!(
        service(&usage.body, "remote_support")["status"],
        "registering"
    );
    let again = app
        .post(path, &token, application("subscribe", json!({}), false))
        .await;
    assert_eq!(
        again.refusal(),
        (StatusCode::CONFLICT, "application_pending")
    );

    app.carry_out(&order_no).await;
    let listed = app.get("/v1/services", &token).await;
    assert_eq!(service(&listed.body, "remote_support")["status"], "in_use");
    assert_eq!(
        app.mails_of_kind("taro@example.jp", "works_completed")
            .await
            .len(),
        1
    );
    let receipts = app.receipts(&token).await;
    assert_eq!(receipts[0]["kind"], "service_application");
    assert_eq!(receipts[0]["order_no"], order_no.as_str());
}

#[tokio::test]
async fn refusals_name_their_code() {
    let app = TestApp::spawn().await;
    let (_, token) = app.logged_in().await;
    let not_offered = app
        .post(
            "/v1/services/vpn_wide/applications",
            &token,
            application("subscribe", json!({}), false),
        )
        .await;
    assert_eq!(
        not_offered.refusal(),
        (StatusCode::CONFLICT, "not_applicable")
    );
    let unknown = app
        .post(
            "/v1/services/telephone/applications",
            &token,
            application("subscribe", json!({}), false),
        )
        .await;
    assert_eq!(unknown.refusal(), (StatusCode::NOT_FOUND, "not_found"));
    let too_many = app
        .post(
            "/v1/services/security/applications",
            &token,
            application("change", json!({"license_plus": 6}), true),
        )
        .await;
    assert!(too_many.has_field_code("options.license_plus", "invalid_value"));
    let mut no_consent = application("subscribe", json!({}), false);
    no_consent["consent"]["agreed"] = json!(false);
    let refused = app
        .post("/v1/services/session_plus/applications", &token, no_consent)
        .await;
    assert_eq!(
        refused.refusal(),
        (StatusCode::UNPROCESSABLE_ENTITY, "consent_required")
    );
    let mut mobile = application("subscribe", json!({}), false);
    mobile["applicant"]["email"] = json!("taro@docomo.ne.jp");
    mobile["applicant"]["name"] = json!("");
    let fields = app
        .post("/v1/services/session_plus/applications", &token, mobile)
        .await;
    assert!(fields.has_field_code("applicant.email", "mobile_email_not_allowed"));
    assert!(fields.has_field_code("applicant.name", "required"));
}
