//! No access key, token, admin token or full email address in any log line.

use madoguchi_core::mail::EmlDirectory;
use madoguchi_core::service::outbox::dispatch_pending;
use reqwest::Method;
use serde_json::json;

use crate::support::{TestApp, logs, renewal};

#[tokio::test]
async fn secrets_never_reach_the_logs() {
    let app = TestApp::spawn().await;
    let member = app.member().await;
    app.try_login(&member.customer_id, "Wrong-Secret-Key-42")
        .await;
    let token = app.login(&member).await;
    app.activate(&token, &member.serials[0], "pc-1").await;
    app.activate(&token, &member.serials[0], "pc-2").await;
    app.mails_to(&member.email).await;
    let reissued = app
        .admin_post(
            &format!("/customers/{}/access-key", member.customer_id),
            json!({}),
        )
        .await;
    let new_key = reissued.body["access_key"].as_str().unwrap().to_owned();
    app.call(Method::DELETE, "/v1/sessions/current", Some(&token), None)
        .await;
    // A lock, and the mails delivered, log their own lines too.
    let locked = app.member().await;
    for _ in 0..11 {
        app.try_login(&locked.customer_id, &locked.access_key.to_lowercase())
            .await;
    }
    // The self-service operations carry addresses, phone numbers and reasons.
    let leaving = app.member_until("2027-01-01").await;
    let leaving_token = app.login(&leaving).await;
    let applicant_email = "applicant.secret@example.jp";
    app.post(
        "/v1/line-notification/applications",
        &leaving_token,
        json!({"changes": [{"provider_code": "W0099", "setting": "do_not_notify"}],
               "consent": {"terms_version": crate::support::LINE_TERMS, "agreed": true},
               "applicant": {"name": "秘密 太郎", "phone": "090-9876-5432", "email": applicant_email, "completion_email": true}}),
    )
    .await;
    let code = app.issue_codes("security-suite", 12, 1).await.remove(0);
    app.post(
        "/v1/renewals",
        &leaving_token,
        renewal(&code, &leaving, false),
    )
    .await;
    app.post(
        "/v1/membership/cancellation",
        &leaving_token,
        json!({"reason": "秘密の理由"}),
    )
    .await;
    let mail_dir = tempfile::tempdir().unwrap();
    let sender = EmlDirectory::new(mail_dir.path()).unwrap();
    let delivered = dispatch_pending(&app.ctx, &sender, 100).await.unwrap();
    assert!(
        delivered >= 2,
        "the move and the lock notice were delivered"
    );

    let logs = logs();
    assert!(
        logs.contains(&member.customer_id),
        "the flow was logged at all"
    );
    for (what, secret) in [
        ("access key", member.access_key.as_str()),
        ("wrong access key", "Wrong-Secret-Key-42"),
        ("reissued access key", new_key.as_str()),
        ("session token", token.as_str()),
        ("admin token", app.admin_token.as_str()),
        ("email address", member.email.as_str()),
        ("locked member's access key", locked.access_key.as_str()),
        ("locked member's email address", locked.email.as_str()),
        ("applicant's email address", applicant_email),
        ("applicant's phone", "090-9876-5432"),
        ("cancelling member's email address", leaving.email.as_str()),
        ("cancellation reason", "秘密の理由"),
        ("purchase code", code.as_str()),
    ] {
        assert!(!logs.contains(secret), "the {what} appears in the logs");
    }
}
