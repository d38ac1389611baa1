//! docs/api.md: the same Idempotency-Key with the same body returns the first answer and has
//! no second effect; with a different body it is 422 `idempotency_key_reused`.

use reqwest::{Method, StatusCode, header};
use serde_json::{Value, json};

use crate::support::{TestApp, activation_path, renewal};

#[tokio::test]
async fn a_retried_creation_returns_the_first_member_and_creates_no_second() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token.clone();
    let body = json!({"name": "山田 太郎", "email": "retry@example.jp", "line": "flets_next"});
    let first = app
        .post_with_key("/admin/v1/customers", &admin, "create-1", &body)
        .await;
    assert_eq!(first.status, StatusCode::CREATED);
    let again = app
        .post_with_key("/admin/v1/customers", &admin, "create-1", &body)
        .await;
    assert_eq!(again.status, StatusCode::CREATED);
    assert_eq!(again.body, first.body, "the same customer, key and serials");
    assert_eq!(again.headers["idempotent-replayed"], "true");
    assert!(first.headers.get("idempotent-replayed").is_none());

    let other = app
        .post_with_key("/admin/v1/customers", &admin, "create-2", &body)
        .await;
    assert_ne!(
        other.body["customer_id"], first.body["customer_id"],
        "a new key is a new request"
    );

    let changed = json!({"name": "山田 次郎", "email": "retry@example.jp", "line": "flets_next"});
    let reused = app
        .post_with_key("/admin/v1/customers", &admin, "create-1", &changed)
        .await;
    assert_eq!(reused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(reused.code(), "idempotency_key_reused");
}

#[tokio::test]
async fn a_retried_move_is_not_a_second_move() {
    let app = TestApp::spawn().await;
    let (member, token) = app.logged_in().await;
    let path = activation_path(&member.serials[0]);
    app.activate(&token, &member.serials[0], "pc-1").await;
    let move_to_mac = json!({"device_id": "mac-1", "os": "mac", "name": "Mac"});
    let first = app
        .post_with_key(&path, &token, "move-1", &move_to_mac)
        .await;
    let retry = app
        .post_with_key(&path, &token, "move-1", &move_to_mac)
        .await;
    assert_eq!(first.status, StatusCode::OK);
    assert_eq!(retry.body, first.body);
    assert_eq!(retry.body["previous_device"]["device_id"], "pc-1");
    let history = app
        .get(
            &format!("/v1/serials/{}/history", member.serials[0]),
            &token,
        )
        .await;
    assert_eq!(
        history.body["events"].as_array().unwrap().len(),
        2,
        "one activation, one move"
    );
    let moved = app.mails_to(&member.email).await;
    assert_eq!(moved.len(), 1, "one move, one mail");

    // A new session of the same member is the same caller…
    let second_token = app.login(&member).await;
    let same_member = app
        .post_with_key(&path, &second_token, "move-1", &move_to_mac)
        .await;
    assert_eq!(same_member.body, first.body);
    // …another member's identical key is their own.
    let (other, other_token) = app.logged_in().await;
    let other_path = activation_path(&other.serials[0]);
    let theirs = app
        .post_with_key(&other_path, &other_token, "move-1", &move_to_mac)
        .await;
    assert_eq!(theirs.status, StatusCode::OK);
    assert_eq!(theirs.body["previous_device"], Value::Null);
}

#[tokio::test]
async fn a_refusal_is_replayed_too_and_a_bad_key_is_refused() {
    let app = TestApp::spawn().await;
    let member = app.member_with("collab", json!([])).await;
    let token = app.login(&member).await;
    let path = activation_path(&member.serials[0]);
    let body = json!({"device_id": "pc-1", "os": "windows", "name": "PC"});
    let first = app.post_with_key(&path, &token, "k-1", &body).await;
    assert_eq!(first.code(), "serial_unavailable");
    let again = app.post_with_key(&path, &token, "k-1", &body).await;
    assert_eq!((again.status, &again.body), (first.status, &first.body));
    assert_eq!(
        again.headers[header::CONTENT_TYPE],
        "application/problem+json"
    );

    for bad in ["", &"k".repeat(256), "キー"] {
        let headers = [("idempotency-key", bad)];
        let refused = app
            .call_with(
                Method::POST,
                &path,
                Some(&token),
                &headers,
                Some(body.clone()),
            )
            .await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad:?}");
        assert_eq!(
            refused.field_codes(),
            vec![(
                "Idempotency-Key".to_owned(),
                "invalid_idempotency_key".to_owned()
            )]
        );
    }
}

#[tokio::test]
async fn concurrent_retries_of_one_key_have_one_effect() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token.clone();
    let body = json!({"name": "山田 太郎", "email": "burst@example.jp", "line": "flets_next"});
    let burst = (0..20).map(|_| app.post_with_key("/admin/v1/customers", &admin, "burst", &body));
    let answers = futures::future::join_all(burst).await;
    let created: Vec<_> = answers
        .iter()
        .filter(|a| a.status == StatusCode::CREATED)
        .collect();
    assert!(!created.is_empty());
    for answer in &answers {
        match answer.status {
            StatusCode::CREATED => assert_eq!(answer.body, created[0].body),
            StatusCode::CONFLICT => assert_eq!(answer.code(), "idempotency_key_in_use"),
            other => panic!("unexpected {other}: {:?}", answer.body),
        }
    }
}

#[tokio::test]
async fn the_guards_own_refusals_speak_english_when_asked() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token.clone();
    let body = json!({"name": "山田 太郎", "email": "lang@example.jp", "line": "flets_next"});
    app.post_with_key("/admin/v1/customers", &admin, "lang-1", &body)
        .await;
    let changed = json!({"name": "山田 花子", "email": "lang@example.jp", "line": "flets_next"});
    let headers = [("idempotency-key", "lang-1"), ("accept-language", "en")];
    let reused = app
        .call_with(
            Method::POST,
            "/admin/v1/customers",
            Some(&admin),
            &headers,
            Some(changed),
        )
        .await;
    assert_eq!(reused.code(), "idempotency_key_reused");
    assert_eq!(reused.headers[header::CONTENT_LANGUAGE], "en");
}

#[tokio::test]
async fn a_renewal_without_login_is_idempotent_by_client() {
    let app = TestApp::spawn().await;
    let member = app.member_until("2027-01-01").await;
    let code = app.issue_codes("security-suite", 12, 1).await.remove(0);
    let body = renewal(&code, &member, false);
    let headers = [("idempotency-key", "renew-1")];
    let send = || {
        app.call_with(
            Method::POST,
            "/v1/renewals",
            None,
            &headers,
            Some(body.clone()),
        )
    };
    let first = send().await;
    let retry = send().await;
    assert_eq!(first.status, StatusCode::CREATED, "{:?}", first.body);
    assert_eq!((retry.status, &retry.body), (first.status, &first.body));
    assert_eq!(retry.headers["idempotent-replayed"], "true");
    let state = app.state_of(&member).await;
    assert_eq!(
        state["serials"][0]["expires_on"], "2028-01-01",
        "renewed once"
    );
    assert_eq!(app.mails_to(&member.email).await.len(), 1);
}

#[tokio::test]
async fn a_replayed_application_returns_its_receipt() {
    let app = TestApp::spawn().await;
    let (_, token) = app.logged_in().await;
    let body = json!({"changes": [{"provider_code": "W0099", "setting": "do_not_notify"}],
                      "consent": {"terms_version": crate::support::LINE_TERMS, "agreed": true},
                      "applicant": {"name": "山田 太郎", "phone": "0312345678"}});
    let path = "/v1/line-notification/applications";
    let first = app.post_with_key(path, &token, "apply-1", &body).await;
    let retry = app.post_with_key(path, &token, "apply-1", &body).await;
    assert_eq!(first.status, StatusCode::CREATED);
    assert_eq!(retry.body, first.body);
    let without_key = app.post(path, &token, body).await;
    assert_eq!(
        without_key.code(),
        "change_pending",
        "the first one accepted, once"
    );
    assert_eq!(app.receipts(&token).await.len(), 1);
}

#[tokio::test]
async fn without_a_login_a_malformed_key_is_still_401() {
    let app = TestApp::spawn().await;
    let refused = app
        .call_with(
            Method::POST,
            "/v1/readers",
            None,
            &[("idempotency-key", "キー")],
            Some(json!({"type": "usb_windows", "payment_method": "chocom"})),
        )
        .await;
    assert_eq!(
        refused.refusal(),
        (StatusCode::UNAUTHORIZED, "unauthorized")
    );
}

#[tokio::test]
async fn without_a_login_a_key_a_renewal_used_is_still_401() {
    let app = TestApp::spawn().await;
    let member = app.member_until("2027-01-01").await;
    let code = app.issue_codes("security-suite", 12, 1).await.remove(0);
    let headers = [("idempotency-key", "same-key")];
    let renewed = app
        .call_with(
            Method::POST,
            "/v1/renewals",
            None,
            &headers,
            Some(renewal(&code, &member, true)),
        )
        .await;
    assert_eq!(renewed.status, StatusCode::OK, "{:?}", renewed.body);
    // The same address and key on a member's route: the missing login is what is wrong.
    let refused = app
        .call_with(
            Method::POST,
            "/v1/readers",
            None,
            &headers,
            Some(json!({"type": "usb_windows", "payment_method": "chocom"})),
        )
        .await;
    assert_eq!(
        refused.refusal(),
        (StatusCode::UNAUTHORIZED, "unauthorized")
    );
}
