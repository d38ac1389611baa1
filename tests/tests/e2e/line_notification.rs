//! docs/line-notification.md: 回線情報通知の通知可否設定.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{Answer, LINE_TERMS, SERVICE_TERMS, TERMS, TestApp};

fn application(changes: Value, applicant: Value, dry_run: bool) -> Value {
    json!({
        "changes": changes,
        "consent": {"terms_version": LINE_TERMS, "agreed": true},
        "applicant": applicant,
        "dry_run": dry_run,
    })
}

/// `POST /v1/line-notification/applications`.
async fn submit(app: &TestApp, token: &str, application: Value) -> Answer {
    app.post("/v1/line-notification/applications", token, application)
        .await
}

fn applicant() -> Value {
    json!({"name": "西日本 太郎", "phone": "06-0000-0000", "email": "taro@example.jp", "completion_email": true})
}

fn stop_w0099() -> Value {
    json!([{"provider_code": "W0099", "setting": "do_not_notify"}])
}

fn setting_of<'a>(overview: &'a Value, code: &str) -> &'a Value {
    overview["providers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["provider_code"] == code)
        .unwrap_or_else(|| panic!("{code} listed"))
}

#[tokio::test]
async fn every_seeded_provider_starts_at_notify() {
    let app = TestApp::spawn().await;
    let (_, token) = app.logged_in().await;
    let overview = app.get("/v1/line-notification", &token).await;
    assert_eq!(overview.status, StatusCode::OK);
    for code in ["W0099", "060000"] {
        let provider = setting_of(&overview.body, code);
        assert_eq!(provider["setting"], "notify");
        assert_eq!(provider["set_on"], Value::Null);
    }
    assert_eq!(
        setting_of(&overview.body, "W0099")["provider_name"],
        "NTT西日本(試験用)"
    );
}

#[tokio::test]
async fn the_terms_are_served_with_their_version() {
    let app = TestApp::spawn().await;
    for (kind, version) in [
        ("line-notification", LINE_TERMS),
        ("renewal", TERMS),
        ("services", SERVICE_TERMS),
    ] {
        let terms = app
            .call(Method::GET, &format!("/v1/terms/{kind}"), None, None)
            .await;
        assert_eq!(terms.status, StatusCode::OK);
        assert_eq!(terms.body["kind"], kind);
        assert_eq!(terms.body["version"], version);
        assert!(!terms.body["body"].as_str().unwrap().is_empty());
    }
    let unknown = app.call(Method::GET, "/v1/terms/cookies", None, None).await;
    assert_eq!(unknown.code(), "not_found");
}

#[tokio::test]
async fn a_dry_run_confirms_and_a_submit_applies_with_a_receipt_and_a_mail() {
    let app = TestApp::spawn().await;
    let (_, token) = app.logged_in().await;

    let confirm = submit(&app, &token, application(stop_w0099(), applicant(), true)).await;
    assert_eq!(confirm.status, StatusCode::OK, "{:?}", confirm.body);
    assert_eq!(confirm.body["changes"][0]["before"], "notify");
    assert_eq!(confirm.body["changes"][0]["after"], "do_not_notify");
    assert_eq!(confirm.body["applicant"]["name"], "西日本 太郎");
    let unchanged = app.get("/v1/line-notification", &token).await;
    assert_eq!(setting_of(&unchanged.body, "W0099")["setting"], "notify");

    let applied = submit(&app, &token, application(stop_w0099(), applicant(), false)).await;
    assert_eq!(applied.status, StatusCode::CREATED, "{:?}", applied.body);
    assert_eq!(applied.body["status"], "accepted");
    let receipt_no = applied.body["receipt_no"].as_str().unwrap();
    let order_no = applied.body["order_no"].as_str().unwrap();
    // docs/orders.md: the setting stands until the back office carries the order out.
    let pending = app.get("/v1/line-notification", &token).await;
    assert_eq!(setting_of(&pending.body, "W0099")["setting"], "notify");
    assert!(app.mails_to("taro@example.jp").await.is_empty());
    app.advance(jiff::SignedDuration::from_mins(10));
    app.carry_out(order_no).await;
    assert!(
        receipt_no.starts_with("R-20261122-") && receipt_no.len() == 17,
        "{receipt_no}"
    );
    assert_eq!(applied.body["accepted_at"], "2026-11-22T09:00:00+09:00");

    let overview = app.get("/v1/line-notification", &token).await;
    let w0099 = setting_of(&overview.body, "W0099");
    assert_eq!(w0099["setting"], "do_not_notify");
    assert_eq!(w0099["set_on"], "2026-11-22", "the day the 工事 completed");
    assert_eq!(w0099["set_via"], "web");
    assert_eq!(setting_of(&overview.body, "060000")["setting"], "notify");

    let receipts = app.receipts(&token).await;
    assert_eq!(receipts[0]["receipt_no"], receipt_no);
    assert_eq!(receipts[0]["kind"], "line_notification");

    let mails = app.mails_to("taro@example.jp").await;
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0]["kind"], "works_completed");
    let body = mails[0]["body"].as_str().unwrap();
    assert!(body.contains("W0099") && body.contains("通知しない") && body.contains(receipt_no));
    assert!(body.contains(order_no) && body.contains("工事"));

    // And back again, without a completion mail.
    let back = json!([{"provider_code": "W0099", "setting": "notify"}]);
    let quiet = json!({"name": "西日本 太郎", "phone": "0600000000", "completion_email": false});
    let restored = submit(&app, &token, application(back, quiet, false)).await;
    assert_eq!(restored.status, StatusCode::CREATED, "{:?}", restored.body);
    app.carry_out(restored.body["order_no"].as_str().unwrap())
        .await;
    assert_eq!(app.mails_to("taro@example.jp").await.len(), 1);
}

#[tokio::test]
async fn all_changes_apply_together_or_none_do() {
    let app = TestApp::spawn().await;
    let (_, token) = app.logged_in().await;
    let changes = json!([
        {"provider_code": "W0099", "setting": "do_not_notify"},
        {"provider_code": "Z9999", "setting": "do_not_notify"},
    ]);
    let missing = submit(&app, &token, application(changes, applicant(), false)).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.code(), "provider_not_found");
    let same = json!([
        {"provider_code": "W0099", "setting": "do_not_notify"},
        {"provider_code": "060000", "setting": "notify"},
    ]);
    let no_change = submit(&app, &token, application(same, applicant(), false)).await;
    assert_eq!(no_change.refusal(), (StatusCode::CONFLICT, "no_change"));
    let overview = app.get("/v1/line-notification", &token).await;
    assert_eq!(
        setting_of(&overview.body, "W0099")["setting"],
        "notify",
        "nothing half-applied"
    );
    assert!(app.receipts(&token).await.is_empty());
}

#[tokio::test]
async fn consent_is_required_for_the_current_terms() {
    let app = TestApp::spawn().await;
    let (_, token) = app.logged_in().await;
    for consent in [
        json!({"terms_version": LINE_TERMS, "agreed": false}),
        json!({"terms_version": "2020-01", "agreed": true}),
        json!({"agreed": true}),
        Value::Null,
    ] {
        let mut body = application(stop_w0099(), applicant(), false);
        if consent.is_null() {
            body.as_object_mut().unwrap().remove("consent");
        } else {
            body["consent"] = consent.clone();
        }
        let refused = submit(&app, &token, body).await;
        assert_eq!(
            refused.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{consent}"
        );
        assert_eq!(refused.code(), "consent_required", "{consent}");
    }
}

/// Every field error of docs/line-notification.md, each sent on its own.
#[tokio::test]
async fn every_field_rule_has_its_code() {
    let app = TestApp::spawn().await;
    let (_, token) = app.logged_in().await;
    let with_applicant = |field: &str, value: Value| {
        let mut applicant = applicant();
        applicant[field] = value;
        application(stop_w0099(), applicant, true)
    };
    let mut cases = Vec::new();
    for (field, value, code) in [
        ("name", json!(""), "required"),
        ("name", json!("あ".repeat(21)), "name_too_long"),
        ("name", json!("西日本\u{7}太郎"), "forbidden_character"),
        ("phone", json!("06-0000-000"), "invalid_phone"),
        ("phone", json!("090-1234-56789"), "invalid_phone"),
        ("phone", json!(""), "required"),
        ("email", json!("taro@"), "invalid_email"),
        ("email", Value::Null, "required"),
        (
            "email",
            json!("taro@docomo.ne.jp"),
            "mobile_email_not_allowed",
        ),
        (
            "email",
            json!("taro@ezweb.ne.jp"),
            "mobile_email_not_allowed",
        ),
    ] {
        cases.push((
            with_applicant(field, value),
            format!("applicant.{field}"),
            code,
        ));
    }
    for (changes, field, code) in [
        (json!([]), "changes", "required"),
        (
            json!([{"provider_code": "W0099", "setting": "notify"}, {"provider_code": "w0099", "setting": "do_not_notify"}]),
            "changes[1].provider_code",
            "duplicate_provider",
        ),
        (
            json!([{"provider_code": "W0099", "setting": "maybe"}]),
            "changes[0].setting",
            "invalid_value",
        ),
        (
            json!([{"provider_code": "W-0099", "setting": "notify"}]),
            "changes[0].provider_code",
            "invalid_provider_code",
        ),
    ] {
        cases.push((
            application(changes, applicant(), true),
            field.to_owned(),
            code,
        ));
    }
    for forbidden in ["~", "～", "|", "｜", "&", "%"] {
        cases.push((
            with_applicant("name", json!(format!("西日本{forbidden}太郎"))),
            "applicant.name".to_owned(),
            "forbidden_character",
        ));
    }
    for (body, field, code) in cases {
        let refused = submit(&app, &token, body.clone()).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(refused.code(), "validation_failed");
        assert!(
            refused.has_field_code(&field, code),
            "{field} {code}: {:?}",
            refused.field_codes()
        );
    }
    // A mobile address is fine when no completion mail is asked for.
    let mut quiet = applicant();
    quiet["email"] = json!("taro@docomo.ne.jp");
    quiet["completion_email"] = json!(false);
    let accepted = submit(&app, &token, application(stop_w0099(), quiet, true)).await;
    assert_eq!(accepted.status, StatusCode::OK, "{:?}", accepted.body);
}

#[tokio::test]
async fn operators_register_providers_and_see_members_settings() {
    let app = TestApp::spawn().await;
    let (member, token) = app.logged_in().await;
    let provider = json!({"provider_code": "W0100", "provider_name": "試験プロバイダ", "service_name": "試験サービス"});
    let registered = app.admin_post("/providers", provider.clone()).await;
    assert_eq!(
        registered.status,
        StatusCode::CREATED,
        "{:?}",
        registered.body
    );
    let again = app.admin_post("/providers", provider).await;
    assert_eq!(again.refusal(), (StatusCode::CONFLICT, "provider_exists"));

    let overview = app.get("/v1/line-notification", &token).await;
    assert_eq!(setting_of(&overview.body, "W0100")["setting"], "notify");
    let change = json!([{"provider_code": "w0100", "setting": "do_not_notify"}]);
    let applied = submit(&app, &token, application(change, applicant(), false)).await;
    assert_eq!(applied.status, StatusCode::CREATED);
    app.carry_out(applied.body["order_no"].as_str().unwrap())
        .await;
    let state = app.state_of(&member).await;
    assert_eq!(setting_of(&state, "W0100")["setting"], "do_not_notify");
    assert_eq!(setting_of(&state, "W0099")["setting"], "notify");
}

/// W0099 off, then on, then off…: the `n`th of a run of applications that each change it.
fn toggle_w0099(n: usize) -> Value {
    let setting = if n.is_multiple_of(2) {
        "do_not_notify"
    } else {
        "notify"
    };
    json!([{"provider_code": "W0099", "setting": setting}])
}

#[tokio::test]
async fn ten_applications_a_day_then_429_until_midnight_in_japan() {
    let app = TestApp::spawn().await;
    let (member, token) = app.logged_in().await;
    for n in 0..10 {
        let applied = submit(
            &app,
            &token,
            application(toggle_w0099(n), applicant(), false),
        )
        .await;
        assert_eq!(
            applied.status,
            StatusCode::CREATED,
            "{n}: {:?}",
            applied.body
        );
        app.carry_out(applied.body["order_no"].as_str().unwrap())
            .await;
    }
    let eleventh = submit(
        &app,
        &token,
        application(toggle_w0099(10), applicant(), false),
    )
    .await;
    assert_eq!(
        eleventh.refusal(),
        (StatusCode::TOO_MANY_REQUESTS, "too_many_applications")
    );
    // 09:00 in Japan: fifteen hours to midnight.
    assert_eq!(eleventh.headers["retry-after"], "54000");
    // A confirmation screen is no submission.
    let dry = submit(
        &app,
        &token,
        application(toggle_w0099(10), applicant(), true),
    )
    .await;
    assert_eq!(dry.status, StatusCode::OK, "{:?}", dry.body);
    assert_eq!(app.receipts(&token).await.len(), 10);

    app.advance(jiff::SignedDuration::from_hours(15));
    let member_token = app.login(&member).await;
    let next_day = submit(
        &app,
        &member_token,
        application(toggle_w0099(10), applicant(), false),
    )
    .await;
    assert_eq!(next_day.status, StatusCode::CREATED, "{:?}", next_day.body);
}

#[tokio::test]
async fn fifteen_applications_at_once_give_exactly_ten_receipts() {
    let app = TestApp::spawn().await;
    let (_member, token) = app.logged_in().await;
    let codes: Vec<String> = (0..15).map(|n| format!("T{n:04}")).collect();
    for code in &codes {
        let provider =
            json!({"provider_code": code, "provider_name": "試験", "service_name": "試験"});
        assert_eq!(
            app.admin_post("/providers", provider).await.status,
            StatusCode::CREATED
        );
    }
    let answers = futures::future::join_all(codes.iter().map(|code| {
        let change = json!([{"provider_code": code, "setting": "do_not_notify"}]);
        submit(&app, &token, application(change, applicant(), false))
    }))
    .await;
    let statuses: Vec<StatusCode> = answers.iter().map(|a| a.status).collect();
    let created = statuses
        .iter()
        .filter(|s| **s == StatusCode::CREATED)
        .count();
    let refused = answers
        .iter()
        .filter(|a| {
            a.status == StatusCode::TOO_MANY_REQUESTS && a.code() == "too_many_applications"
        })
        .count();
    assert_eq!((created, refused), (10, 5), "{statuses:?}");
    assert_eq!(app.receipts(&token).await.len(), 10);
}
