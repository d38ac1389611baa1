//! docs/login.md: sessions die on logout, after 13 idle minutes, and after 12 hours.

use jiff::SignedDuration;
use reqwest::{Method, StatusCode, header};

use serde_json::json;

use crate::support::TestApp;

#[tokio::test]
async fn a_logged_out_token_is_dead() {
    let app = TestApp::spawn().await;
    let (_, token) = app.logged_in().await;
    let out = app
        .call(Method::DELETE, "/v1/sessions/current", Some(&token), None)
        .await;
    assert_eq!(out.status, StatusCode::NO_CONTENT);
    let after = app.get("/v1/usage", &token).await;
    assert_eq!(after.refusal(), (StatusCode::UNAUTHORIZED, "unauthorized"));
    let again = app
        .call(Method::DELETE, "/v1/sessions/current", Some(&token), None)
        .await;
    assert_eq!(again.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_session_idle_for_thirteen_minutes_is_dead() {
    let app = TestApp::spawn().await;
    let (member, token) = app.logged_in().await;
    app.advance(SignedDuration::from_secs(779));
    assert_eq!(app.get("/v1/usage", &token).await.status, StatusCode::OK);

    let idle = app.login(&member).await;
    app.advance(SignedDuration::from_secs(780));
    let answer = app.get("/v1/usage", &idle).await;
    assert_eq!(answer.refusal(), (StatusCode::UNAUTHORIZED, "unauthorized"));
}

#[tokio::test]
async fn activity_keeps_a_session_alive_but_not_past_twelve_hours() {
    let app = TestApp::spawn().await;
    let (_, token) = app.logged_in().await;
    // A request every 10 minutes for 11 h 50 min: never idle for 13 minutes.
    for step in 0..71 {
        app.advance(SignedDuration::from_mins(10));
        let answer = app.get("/v1/usage", &token).await;
        assert_eq!(
            answer.status,
            StatusCode::OK,
            "after {} minutes",
            (step + 1) * 10
        );
    }
    app.advance(SignedDuration::from_mins(10));
    assert_eq!(
        app.get("/v1/usage", &token).await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn a_missing_or_foreign_token_is_unauthorized() {
    let app = TestApp::spawn().await;
    let none = app.call(Method::GET, "/v1/usage", None, None).await;
    assert_eq!(none.refusal(), (StatusCode::UNAUTHORIZED, "unauthorized"));
    assert_eq!(none.headers[header::WWW_AUTHENTICATE], "Bearer");
    for token in [
        "x",
        "not-a-token-but-forty-three-characters-long",
        &"A".repeat(43),
        "トークン",
    ] {
        let answer = app.get("/v1/usage", token).await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{token}");
    }
    let admin = app.get("/v1/usage", &app.admin_token.clone()).await;
    assert_eq!(admin.status, StatusCode::UNAUTHORIZED);
}

/// Whether the store still holds a session for this token: ending sessions must remove
/// them, not only have requests refused.
async fn stored(app: &TestApp, token: &str) -> bool {
    app.session_stored(token).await
}

/// docs/login.md: locking an account ends every session of the member.
#[tokio::test]
async fn locking_an_account_ends_its_sessions() {
    let app = TestApp::spawn().await;
    let (member, token) = app.logged_in().await;
    for _ in 0..10 {
        let wrong = app.try_login(&member.customer_id, "Wrong-Key-123").await;
        assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(app.try_login_as(&member).await.status, StatusCode::LOCKED);
    let answer = app.get("/v1/usage", &token).await;
    assert_eq!(answer.refusal(), (StatusCode::UNAUTHORIZED, "unauthorized"));
    assert!(!stored(&app, &token).await, "the session was removed");
}

/// docs/login.md: reissuing the access key ends every session, and a login racing the reissue
/// never leaves one alive: either it lost (the key changed) or its session was ended.
#[tokio::test]
async fn a_login_racing_a_reissue_leaves_no_session() {
    let app = TestApp::spawn().await;
    for _ in 0..6 {
        let (member, before) = app.logged_in().await;
        let path = format!("/customers/{}/access-key", member.customer_id);
        let (login, reissue) =
            tokio::join!(app.try_login_as(&member), app.admin_post(&path, json!({})));
        assert_eq!(reissue.status, StatusCode::OK, "{:?}", reissue.body);
        let mut tokens = vec![before];
        match login.status {
            StatusCode::CREATED => tokens.push(login.body["token"].as_str().unwrap().to_owned()),
            _ => assert_eq!(login.code(), "invalid_credentials"),
        }
        for token in tokens {
            let answer = app.get("/v1/usage", &token).await;
            assert_eq!(answer.refusal(), (StatusCode::UNAUTHORIZED, "unauthorized"));
            assert!(
                !stored(&app, &token).await,
                "a session outlived the reissue"
            );
        }
    }
}

/// docs/cancellation.md: cancelling ends every session, even one a login opens at the same moment.
#[tokio::test]
async fn a_login_racing_a_cancellation_leaves_no_session() {
    let app = TestApp::spawn().await;
    for _ in 0..6 {
        let (member, token) = app.logged_in().await;
        let (login, cancelled) =
            tokio::join!(app.try_login_as(&member), app.cancel_membership(&token));
        assert_eq!(
            cancelled.status,
            StatusCode::CREATED,
            "{:?}",
            cancelled.body
        );
        if login.status == StatusCode::CREATED {
            let racing = login.body["token"].as_str().unwrap();
            let answer = app.get("/v1/usage", racing).await;
            assert_eq!(answer.refusal(), (StatusCode::UNAUTHORIZED, "unauthorized"));
            assert!(
                !stored(&app, racing).await,
                "a session outlived the cancellation"
            );
        } else {
            assert_eq!(login.code(), "membership_cancelled");
        }
    }
}

/// docs/login.md on every operation a member reaches: a request refreshes the session's idle
/// time, and a session idle for thirteen minutes is dead (and removed) whichever operation
/// meets it. In the cloud's shape each of these is a different function.
#[tokio::test]
async fn every_operation_keeps_a_session_alive_and_ends_an_idle_one() {
    let app = TestApp::spawn().await;
    let member = app.member().await;
    let history = format!("/v1/serials/{}/history", member.serials[0]);
    let cancellation = json!({"dry_run": true});
    let renewal = crate::support::renewal("AAAAA-AAAAA-AAAAA-AAAAA", &member, true);
    let routes: [(Method, &str, Option<serde_json::Value>); 8] = [
        (Method::GET, "/v1/usage", None),
        (Method::GET, "/v1/services", None),
        (Method::GET, &history, None),
        (Method::GET, "/v1/line-notification", None),
        (Method::GET, "/v1/readers", None),
        (
            Method::POST,
            "/v1/membership/cancellation",
            Some(cancellation),
        ),
        (Method::POST, "/v1/renewals", Some(renewal)),
        (Method::DELETE, "/v1/sessions/current", None),
    ];
    for (method, path, body) in routes {
        let token = app.login(&member).await;
        // Ten minutes idle: alive, and the request counts as activity…
        app.advance(SignedDuration::from_mins(10));
        let kept = app
            .call(method.clone(), path, Some(&token), body.clone())
            .await;
        assert_ne!(kept.status, StatusCode::UNAUTHORIZED, "{method} {path}");
        if method == Method::DELETE {
            continue;
        }
        // …so ten minutes more are not thirteen idle ones…
        app.advance(SignedDuration::from_mins(10));
        let still = app
            .call(method.clone(), path, Some(&token), body.clone())
            .await;
        assert_ne!(still.status, StatusCode::UNAUTHORIZED, "{method} {path}");
        // …and thirteen are.
        app.advance(SignedDuration::from_secs(780));
        let ended = app
            .call(method.clone(), path, Some(&token), body.clone())
            .await;
        assert_eq!(ended.status, StatusCode::UNAUTHORIZED, "{method} {path}");
        let usage = app.get("/v1/usage", &token).await;
        assert_eq!(usage.status, StatusCode::UNAUTHORIZED, "{method} {path}");
    }
}
