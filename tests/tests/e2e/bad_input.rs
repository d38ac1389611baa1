//! SPEC §1: bad input anywhere gets a problem+json answer with a stable code, never a 500.

use reqwest::{Method, StatusCode, header};
use serde_json::json;

use crate::support::{TestApp, answer};

impl TestApp {
    /// Sends raw bytes as a JSON body.
    async fn raw(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Vec<u8>,
        content_type: &str,
    ) -> crate::support::Answer {
        let mut request = self
            .client
            .request(method, format!("{}{path}", self.base))
            .header(header::CONTENT_TYPE, content_type)
            .body(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        answer(request.send().await.unwrap()).await
    }
}

#[tokio::test]
async fn each_kind_of_bad_body_has_its_own_code() {
    let app = TestApp::spawn().await;
    let json = "application/json";

    let malformed = app
        .raw(
            Method::POST,
            "/v1/sessions",
            None,
            b"{\"customer_id\":".to_vec(),
            json,
        )
        .await;
    assert_eq!(malformed.status, StatusCode::BAD_REQUEST);
    assert_eq!(malformed.code(), "malformed_json");

    let unknown = app
        .raw(
            Method::POST,
            "/v1/sessions",
            None,
            br#"{"customer_id":"CAF1234567","access_key":"abcdefgh","remember":true}"#.to_vec(),
            json,
        )
        .await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(unknown.code(), "validation_failed");
    assert_eq!(
        unknown.field_codes(),
        vec![("remember".to_owned(), "unknown_field".to_owned())]
    );

    let wrong_type = app
        .raw(
            Method::POST,
            "/v1/sessions",
            None,
            br#"{"customer_id":1234567,"access_key":"abcdefgh"}"#.to_vec(),
            json,
        )
        .await;
    assert_eq!(wrong_type.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        wrong_type.field_codes(),
        vec![("customer_id".to_owned(), "invalid_type".to_owned())]
    );

    let missing = app
        .raw(
            Method::POST,
            "/v1/sessions",
            None,
            br#"{"customer_id":"CAF1234567"}"#.to_vec(),
            json,
        )
        .await;
    assert_eq!(
        missing.field_codes(),
        vec![("access_key".to_owned(), "required".to_owned())]
    );

    let oversize = format!(
        r#"{{"customer_id":"CAF1234567","access_key":"{}"}}"#,
        "a".repeat(70 * 1024)
    );
    let too_large = app
        .raw(
            Method::POST,
            "/v1/sessions",
            None,
            oversize.into_bytes(),
            json,
        )
        .await;
    assert_eq!(too_large.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(too_large.code(), "payload_too_large");

    let form = app
        .raw(
            Method::POST,
            "/v1/sessions",
            None,
            b"customer_id=CAF1234567".to_vec(),
            "application/x-www-form-urlencoded",
        )
        .await;
    assert_eq!(form.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(form.code(), "unsupported_media_type");

    let not_utf8 = app
        .raw(
            Method::POST,
            "/v1/sessions",
            None,
            vec![b'{', 0xff, 0xfe, b'}'],
            json,
        )
        .await;
    assert_eq!(not_utf8.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn control_characters_and_full_width_input_are_handled_at_the_edge() {
    let app = TestApp::spawn().await;
    let member = app.member().await;
    let token = app.login(&member).await;
    let path = format!("/v1/serials/{}/activation", member.serials[0]);

    let control = app
        .post(
            &path,
            &token,
            json!({"device_id": "pc-1", "os": "windows", "name": "PC\u{0007}"}),
        )
        .await;
    assert_eq!(control.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        control.field_codes(),
        vec![("name".to_owned(), "forbidden_character".to_owned())]
    );

    let null_byte = app
        .post(
            &path,
            &token,
            json!({"device_id": "pc\u{0000}1", "os": "windows", "name": "PC"}),
        )
        .await;
    assert_eq!(
        null_byte.field_codes(),
        vec![("device_id".to_owned(), "invalid_device_id".to_owned())]
    );

    // Full-width letters and digits in the path and body mean their half-width selves.
    let wide_serial: String = member.serials[0]
        .chars()
        .map(|c| char::from_u32(c as u32 - 0x21 + 0xFF01).unwrap())
        .collect();
    let wide = app
        .post(
            &format!("/v1/serials/{wide_serial}/activation"),
            &token,
            json!({"device_id": "ｐｃ－１", "os": "ＷＩＮＤＯＷＳ", "name": "ＰＣ１"}),
        )
        .await;
    assert_eq!(wide.status, StatusCode::OK, "{:?}", wide.body);
    assert_eq!(wide.body["serial"], member.serials[0].as_str());
    assert_eq!(wide.body["device"]["device_id"], "pc-1");
    assert_eq!(wide.body["device"]["os"], "windows");
    assert_eq!(wide.body["device"]["name"], "PC1");
}

#[tokio::test]
async fn problems_speak_japanese_unless_english_is_asked_for() {
    let app = TestApp::spawn().await;
    let japanese = app.try_login("CAF0000000", "Wrong-Key-123").await;
    assert_eq!(japanese.headers[header::CONTENT_LANGUAGE], "ja");
    assert!(
        japanese.body["detail"]
            .as_str()
            .unwrap()
            .contains("アクセスキー")
    );
    let english = answer(
        app.client
            .post(format!("{}/v1/sessions", app.base))
            .header(header::ACCEPT_LANGUAGE, "en-GB,en;q=0.9,ja;q=0.5")
            .json(&json!({"customer_id": "CAF0000000", "access_key": "Wrong-Key-123"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(english.code(), "invalid_credentials");
    assert_eq!(english.headers[header::CONTENT_LANGUAGE], "en");
    assert!(
        english.body["detail"]
            .as_str()
            .unwrap()
            .contains("access key")
    );
    assert_eq!(english.body["status"], 401);
    assert_eq!(
        english.body["type"],
        "urn:madoguchi:problem:invalid_credentials"
    );
}

#[tokio::test]
async fn unknown_paths_and_methods_are_problems_too() {
    let app = TestApp::spawn().await;
    let nowhere = app.call(Method::GET, "/v1/nowhere", None, None).await;
    assert_eq!(nowhere.status, StatusCode::NOT_FOUND);
    assert_eq!(nowhere.code(), "not_found");
    let wrong_method = app.call(Method::PUT, "/v1/usage", None, None).await;
    assert_eq!(wrong_method.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(wrong_method.code(), "method_not_allowed");
}

#[tokio::test]
async fn hostile_paths_and_queries_are_not_found_or_refused_as_problems() {
    let app = TestApp::spawn().await;
    let member = app.member().await;
    let token = app.login(&member).await;
    let admin = app.admin_token.clone();
    let long = "9".repeat(4000);
    for path in [
        "/v1/serials/%FF/history".to_owned(),
        "/v1/serials/%00/history".to_owned(),
        "/v1/serials/..%2F..%2Fadmin/history".to_owned(),
        format!("/v1/serials/SSU-{long}/history"),
        "/v1/serials/%E3%82%B7%E3%83%AA%E3%82%A2%E3%83%AB/history".to_owned(),
    ] {
        let answer = app.get(&path, &token).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(answer.code(), "not_found");
    }
    let undecodable = app
        .post(
            "/v1/serials/%FF/activation",
            &token,
            json!({"device_id": "pc-1", "os": "mac", "name": "PC"}),
        )
        .await;
    assert_eq!(undecodable.status, StatusCode::NOT_FOUND);
    assert_eq!(undecodable.code(), "not_found");
    for path in [
        "/admin/v1/customers/%FF",
        "/admin/v1/customers/CAF%0A1234567",
    ] {
        let answer = app.get(path, &admin).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(answer.code(), "not_found");
    }
    for query in [
        "",
        "?to=",
        "?to=%FF",
        "?to=a@b",
        "?to=x@example.jp&to=y@example.jp",
        "?from=x@example.jp",
    ] {
        let answer = app.get(&format!("/admin/v1/outbox{query}"), &admin).await;
        assert!(
            answer.status.is_client_error(),
            "{query}: {}",
            answer.status
        );
        assert_eq!(answer.code(), "validation_failed", "{query}");
    }
}

/// Hostile bodies against every endpoint that takes one: each answer is a problem below 500.
#[tokio::test]
async fn no_hostile_body_gets_a_server_error() {
    let app = TestApp::spawn().await;
    let member = app.member().await;
    let token = app.login(&member).await;
    let admin = app.admin_token.clone();
    let serial = &member.serials[0];
    let endpoints = [
        (Method::POST, "/v1/sessions".to_owned(), None),
        (
            Method::POST,
            format!("/v1/serials/{serial}/activation"),
            Some(token.as_str()),
        ),
        (
            Method::POST,
            "/admin/v1/customers".to_owned(),
            Some(admin.as_str()),
        ),
    ];
    let long = "x".repeat(5000);
    let bodies: Vec<String> = vec![
        String::new(),
        "null".into(),
        "[]".into(),
        "\"string\"".into(),
        "12".into(),
        "{}".into(),
        "{\"a\":".into(),
        r#"{"customer_id":null,"access_key":null}"#.into(),
        r#"{"customer_id":["CAF1234567"],"access_key":{}}"#.into(),
        r#"{"device_id":"\u0000","os":"windows","name":"\u202e"}"#.into(),
        format!(r#"{{"device_id":"{long}","os":"{long}","name":"{long}"}}"#),
        r#"{"name":"~|&%","email":"a@b","line":"fiber","licenses":[{"product":"x","plan":1,"billing":"term"}]}"#.into(),
        r#"{"name":"山田","email":"a@example.jp","line":"flets_next","licenses":[{"product":"security-suite","plan":"standard","billing":"term","expires_on":"2026-02-30"}]}"#.into(),
        r#"{"name":"山田","email":"a@example.jp","line":"flets_next","licenses":[{"product":"security-suite","plan":"standard","billing":"term","expires_on":"2027-01-01","version":-1}]}"#.into(),
        "{\"customer_id\":\"CAF1234567\",\"access_key\":\"\u{ff21}\u{ff22}\u{ff23}\u{ff24}\u{ff25}\u{ff26}\u{ff27}\u{ff28}\"}".into(),
        format!("{}{}", "[".repeat(10_000), "]".repeat(10_000)),
    ];
    for (method, path, bearer) in &endpoints {
        for body in &bodies {
            let answer = app
                .raw(
                    method.clone(),
                    path,
                    *bearer,
                    body.clone().into_bytes(),
                    "application/json",
                )
                .await;
            assert!(
                answer.status.as_u16() < 500,
                "{method} {path} {body:.80}: {:?}",
                answer.body
            );
            if !answer.status.is_success() {
                assert!(!answer.code().is_empty());
            }
        }
    }
}
