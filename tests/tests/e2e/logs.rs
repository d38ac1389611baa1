//! No access key, token, admin token or full email address in any log line.

use madoguchi_core::mail::{EmlDirectory, dispatch_pending};
use reqwest::Method;
use serde_json::json;

use crate::support::{TestApp, logs};

#[tokio::test]
async fn secrets_never_reach_the_logs() {
    let app = TestApp::spawn().await;
    let member = app.member().await;
    app.try_login(&member.customer_id, "Wrong-Secret-Key-42")
        .await;
    let token = app.login(&member).await;
    let path = format!("/v1/serials/{}/activation", member.serials[0]);
    app.post(
        &path,
        &token,
        json!({"device_id": "pc-1", "os": "windows", "name": "PC"}),
    )
    .await;
    app.post(
        &path,
        &token,
        json!({"device_id": "pc-2", "os": "windows", "name": "PC"}),
    )
    .await;
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
    ] {
        assert!(!logs.contains(secret), "the {what} appears in the logs");
    }
}
