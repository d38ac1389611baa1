//! docs/operators.md: the operators' API for members.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::support::{TestApp, renewal};

#[tokio::test]
async fn the_admin_api_needs_the_admin_token() {
    let app = TestApp::spawn().await;
    let body = json!({"name": "山田 太郎", "email": "t@example.jp", "line": "flets_next"});
    let none = app
        .call(
            Method::POST,
            "/admin/v1/customers",
            None,
            Some(body.clone()),
        )
        .await;
    assert_eq!(none.status, StatusCode::UNAUTHORIZED);
    let wrong = app
        .call(
            Method::POST,
            "/admin/v1/customers",
            Some("not-the-admin-token"),
            Some(body),
        )
        .await;
    assert_eq!(wrong.refusal(), (StatusCode::UNAUTHORIZED, "unauthorized"));
    // A member's token is not an operator's either.
    let (member, token) = app.logged_in().await;
    let as_member = app
        .get(
            &format!("/admin/v1/customers/{}", member.customer_id),
            &token,
        )
        .await;
    assert_eq!(as_member.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_created_member_has_serials_with_product_keys_and_a_full_state() {
    let app = TestApp::spawn().await;
    let created = app
        .create_customer(json!({
            "name": "鈴木 一郎", "email": "Ichiro@Example.JP", "line": "flets_next",
            "licenses": [
                {"product": "security-suite", "plan": "standard", "billing": "term", "expires_on": "2027-11-30", "version": 17},
                {"product": "mobile-security", "plan": "license_plus", "billing": "monthly"},
            ],
        }))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    let id = created.body["customer_id"].as_str().unwrap();
    assert!(id.starts_with("CAF") && id.len() == 10);
    let key = created.body["access_key"].as_str().unwrap();
    assert!((8..=64).contains(&key.len()));
    let serials = created.body["serials"].as_array().unwrap();
    assert_eq!(serials.len(), 2);
    for serial in serials {
        assert_eq!(serial["product_key"].as_str().unwrap().len(), 24);
    }

    let state = app
        .admin_get(&format!("/customers/{}", id.to_lowercase()))
        .await;
    assert_eq!(state.status, StatusCode::OK);
    assert_eq!(state.body["customer_id"], id);
    assert_eq!(state.body["email"], "Ichiro@example.jp");
    assert_eq!(state.body["membership"], "active");
    assert_eq!(state.body["locked"], false);
    assert_eq!(state.body["serials"][0]["program_version"], 17);
    assert_eq!(
        state.body["serials"][0]["product_key"],
        serials[0]["product_key"]
    );
    assert_eq!(state.body["serials"][1]["product"], "mobile-security");
    assert_eq!(state.body["serials"][1]["status"], "awaiting_install");
    assert!(!state.body.to_string().contains("argon2"), "no hash leaks");

    let missing = app.admin_get("/customers/CAF0000000").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn licences_are_checked_across_fields() {
    let app = TestApp::spawn().await;
    let licenses = json!([
        {"product": "security-suite", "plan": "standard", "billing": "term"},
        {"product": "security-suite", "plan": "standard", "billing": "monthly", "expires_on": "2027-01-01"},
    ]);
    let answer = app
        .create_customer(json!({
            "name": "山田 太郎", "email": "not-an-address", "line": "dialup",
            "licenses": licenses.clone(),
        }))
        .await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(answer.code(), "validation_failed");
    for (field, code) in [("email", "invalid_email"), ("line", "invalid_value")] {
        let fields = answer.field_codes();
        assert!(answer.has_field_code(field, code), "{fields:?}");
    }

    let licences = app
        .create_customer(json!({
            "name": "山田 太郎", "email": "t@example.jp", "line": "flets_next",
            "licenses": licenses,
        }))
        .await;
    for (field, code) in [
        ("licenses", "more_than_one_standard"),
        ("licenses[0].expires_on", "required"),
        ("licenses[1].expires_on", "not_allowed_for_monthly"),
    ] {
        let fields = licences.field_codes();
        assert!(licences.has_field_code(field, code), "{fields:?}");
    }
}

/// A member is created with at most 40 serials, the line's standard one included.
#[tokio::test]
async fn a_member_is_created_with_at_most_forty_serials() {
    let app = TestApp::spawn().await;
    let plus = json!({"product": "mobile-security", "plan": "license_plus", "billing": "monthly"});
    let create = |count: usize| {
        let licenses = vec![plus.clone(); count];
        app.create_customer(json!({
            "name": "山田 太郎", "email": "t@example.jp", "line": "flets_next",
            "licenses": licenses,
        }))
    };
    let largest = create(39).await;
    assert_eq!(largest.status, StatusCode::CREATED, "{:?}", largest.body);
    assert_eq!(largest.body["serials"].as_array().unwrap().len(), 40);
    let past = create(40).await;
    assert_eq!(past.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        past.has_field_code("licenses", "too_long"),
        "{:?}",
        past.body
    );
}

#[tokio::test]
async fn many_codes_are_issued_at_once_and_each_is_redeemable() {
    let app = TestApp::spawn().await;
    let codes = app.issue_codes("security-suite", 12, 120).await;
    assert_eq!(codes.len(), 120);
    let distinct: std::collections::HashSet<_> = codes.iter().collect();
    assert_eq!(distinct.len(), 120);
    let member = app.member_until("2027-01-01").await;
    let last = codes.last().unwrap();
    let renewed = app.renew(renewal(last, &member, false)).await;
    assert_eq!(renewed.status, StatusCode::CREATED, "{:?}", renewed.body);
}
