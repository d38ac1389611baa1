//! docs/login.md#self-service-unlock: アカウントロック解除 with a mailed one-time code.

use jiff::SignedDuration;
use madoguchi_core::Settings;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::support::{Answer, Member, TestApp};

async fn lock(app: &TestApp, member: &Member) {
    for _ in 0..10 {
        let wrong = app.try_login(&member.customer_id, "Wrong-Key-123").await;
        assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(app.try_login_as(member).await.status, StatusCode::LOCKED);
}

async fn ask(app: &TestApp, customer_id: &str) -> Answer {
    let body = json!({"customer_id": customer_id});
    app.call(Method::POST, "/v1/account-unlock", None, Some(body))
        .await
}

async fn confirm(app: &TestApp, customer_id: &str, code: &str) -> Answer {
    let body = json!({"customer_id": customer_id, "code": code});
    app.call(Method::POST, "/v1/account-unlock/confirm", None, Some(body))
        .await
}

/// The codes mailed to the member, oldest first.
async fn codes(app: &TestApp, member: &Member) -> Vec<String> {
    let mails = app.mails_of_kind(&member.email, "unlock_code").await;
    mails
        .iter()
        .map(|mail| {
            let body = mail["body"].as_str().unwrap();
            let (_, after) = body
                .split_once("確認コード: ")
                .expect("the mail names the code");
            after.chars().take(8).collect()
        })
        .collect()
}

fn refused_as_invalid(answer: &Answer) {
    assert_eq!(
        answer.refusal(),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_unlock_code")
    );
}

#[tokio::test]
async fn a_locked_member_unlocks_with_the_mailed_code_and_keeps_the_access_key() {
    let app = TestApp::spawn().await;
    let member = app.member().await;
    lock(&app, &member).await;
    let notice = app.mails_of_kind(&member.email, "account_locked").await;
    assert!(
        notice[0]["body"]
            .as_str()
            .unwrap()
            .contains("アカウントロック解除"),
        "the lock notice says how to unlock"
    );

    let asked = ask(&app, &member.customer_id).await;
    assert_eq!(asked.status, StatusCode::ACCEPTED);
    assert_eq!(asked.body, json!({}));
    let code = codes(&app, &member).await.remove(0);
    assert!(code.bytes().all(|b| b.is_ascii_digit()) && code.len() == 8);

    let unlocked = confirm(&app, &member.customer_id.to_lowercase(), &code).await;
    assert_eq!(
        unlocked.status,
        StatusCode::NO_CONTENT,
        "{:?}",
        unlocked.body
    );
    assert_eq!(app.try_login_as(&member).await.status, StatusCode::CREATED);
    // Used: the same code again is refused (the member is no longer locked).
    refused_as_invalid(&confirm(&app, &member.customer_id, &code).await);
    // The failure count was cleared: nine wrong keys do not lock again.
    for _ in 0..9 {
        app.try_login(&member.customer_id, "Wrong-Key-123").await;
    }
    assert_eq!(app.try_login_as(&member).await.status, StatusCode::CREATED);
}

#[tokio::test]
async fn the_answer_reveals_nothing_and_only_a_locked_member_gets_a_code() {
    let app = TestApp::spawn().await;
    let active = app.member().await;
    for customer_id in ["CAF9999999", active.customer_id.as_str()] {
        let asked = ask(&app, customer_id).await;
        assert_eq!(asked.status, StatusCode::ACCEPTED);
        assert_eq!(asked.body, json!({}));
    }
    assert!(codes(&app, &active).await.is_empty());
    refused_as_invalid(&confirm(&app, &active.customer_id, "12345678").await);
    let malformed = ask(&app, "CAF12").await;
    assert_eq!(
        malformed.refusal(),
        (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed")
    );
}

#[tokio::test]
async fn at_most_three_codes_an_hour_and_a_new_code_replaces_the_old() {
    let app = TestApp::spawn().await;
    let member = app.member().await;
    lock(&app, &member).await;
    for _ in 0..5 {
        assert_eq!(
            ask(&app, &member.customer_id).await.status,
            StatusCode::ACCEPTED
        );
    }
    let sent = codes(&app, &member).await;
    assert_eq!(sent.len(), 3, "three codes, then nothing within the hour");
    app.advance(SignedDuration::from_mins(61));
    ask(&app, &member.customer_id).await;
    let sent = codes(&app, &member).await;
    assert_eq!(sent.len(), 4, "another hour, another code");
    if sent[2] != sent[3] {
        refused_as_invalid(&confirm(&app, &member.customer_id, &sent[2]).await);
    }
    let unlocked = confirm(&app, &member.customer_id, &sent[3]).await;
    assert_eq!(unlocked.status, StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn a_code_expires_after_thirty_minutes_and_is_void_after_five_wrong_tries() {
    let app = TestApp::spawn().await;
    let member = app.member().await;
    lock(&app, &member).await;
    ask(&app, &member.customer_id).await;
    let code = codes(&app, &member).await.remove(0);
    app.advance(SignedDuration::from_mins(30));
    refused_as_invalid(&confirm(&app, &member.customer_id, &code).await);

    ask(&app, &member.customer_id).await;
    let code = codes(&app, &member).await.remove(1);
    let wrong = if code == "00000000" {
        "11111111"
    } else {
        "00000000"
    };
    for _ in 0..5 {
        refused_as_invalid(&confirm(&app, &member.customer_id, wrong).await);
    }
    refused_as_invalid(&confirm(&app, &member.customer_id, &code).await);
    assert_eq!(app.try_login_as(&member).await.status, StatusCode::LOCKED);
}

/// docs/login.md#self-service-unlock: wrong codes count against the client like wrong logins; past the limit
/// every attempt from that address is 429, the right code included.
#[tokio::test]
async fn wrong_codes_count_against_the_client_like_wrong_logins() {
    let app = TestApp::spawn_with(Settings {
        login_failures_per_client: 12,
        ..Settings::default()
    })
    .await;
    let member = app.member().await;
    lock(&app, &member).await;
    ask(&app, &member.customer_id).await;
    let code = codes(&app, &member).await.remove(0);
    // Ten wrong logins already counted; two wrong codes fill the count.
    for wrong in ["00000000", "99999999"].into_iter().filter(|w| *w != code) {
        refused_as_invalid(&confirm(&app, &member.customer_id, wrong).await);
    }
    let refused = confirm(&app, &member.customer_id, &code).await;
    assert_eq!(
        refused.refusal(),
        (StatusCode::TOO_MANY_REQUESTS, "too_many_attempts")
    );
}
