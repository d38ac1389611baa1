//! SPEC §2: sessions die on logout, after 13 idle minutes, and after 12 hours.

use jiff::SignedDuration;
use reqwest::{Method, StatusCode, header};

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
