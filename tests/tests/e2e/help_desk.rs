//! docs/support.md: the desk members are sent to, answered without a login and signed
//! under every delivered mail; docs/login.md: a wrong key warns of the lock.

use madoguchi_core::mail::{DEFAULT_FROM, EmlDirectory, configured_sender};
use madoguchi_core::service::outbox::dispatch_pending;
use madoguchi_core::settings::Settings;
use madoguchi_core::support::Support;
use reqwest::StatusCode;
use serde_json::json;

use crate::support::TestApp;

fn desk() -> Support {
    Support {
        service_name: "光ネット会員窓口".into(),
        desk_name: "光ネットお客さまセンター".into(),
        phone: "0120-123-456".into(),
        hours: "10:00〜19:00（土日祝も受付）".into(),
        url: "https://help.example.jp/".into(),
        purchase_url: "https://shop.example.jp/code".into(),
        upgrade_url: "https://help.example.jp/download".into(),
    }
}

#[tokio::test]
async fn the_desk_is_answered_without_a_login_and_signs_every_delivered_mail() {
    let settings = Settings {
        support: desk(),
        ..Settings::default()
    };
    let app = TestApp::spawn_with(settings).await;
    let answer = app
        .call(reqwest::Method::GET, "/v1/support", None, None)
        .await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(
        answer.body,
        json!({"service_name": "光ネット会員窓口", "desk_name": "光ネットお客さまセンター",
               "phone": "0120-123-456", "hours": "10:00〜19:00（土日祝も受付）",
               "url": "https://help.example.jp/", "purchase_url": "https://shop.example.jp/code",
               "upgrade_url": "https://help.example.jp/download"})
    );

    // A mail to the member (a reader ordered), delivered as a file.
    let (member, token) = app.logged_in().await;
    let ordered = app
        .order_reader(
            &token,
            json!({"type": "usb_windows", "payment_method": "chocom"}),
        )
        .await;
    assert_eq!(ordered.status, StatusCode::CREATED);
    let kept = app.mails_of_kind(&member.email, "reader_ordered").await;
    let subject = kept[0]["subject"].as_str().unwrap().to_owned();
    assert!(
        !subject.contains('【'),
        "the outbox keeps what the mail says: {subject}"
    );

    let dir = tempfile::tempdir().unwrap();
    // The sender as local-dev and the dispatcher make it: the configured address, under
    // the service's name.
    let from = desk().sender(&configured_sender(DEFAULT_FROM).unwrap());
    let sender = EmlDirectory::new(dir.path()).unwrap().from_address(from);
    dispatch_pending(&app.ctx, &sender, 100).await.unwrap();
    let file = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .find(|path| {
            let text = std::fs::read_to_string(path).unwrap();
            text.contains(&format!("To: {}", member.email))
        })
        .expect("the member's mail delivered");
    let raw = std::fs::read(file).unwrap();
    let message = mail_parser::MessageParser::default().parse(&raw).unwrap();
    assert_eq!(
        message.subject().unwrap(),
        format!("【光ネット会員窓口】{subject}")
    );
    assert_eq!(
        message.from().unwrap().first().unwrap().name().unwrap(),
        "光ネット会員窓口"
    );
    let body = message.body_text(0).unwrap();
    let lines: Vec<&str> = body.trim_end().lines().collect();
    let signature = lines[lines.len().saturating_sub(5)..].join("\n");
    assert!(
        signature.contains(
            "光ネットお客さまセンター 0120-123-456\n受付時間: 10:00〜19:00（土日祝も受付）"
        ),
        "{body}"
    );
    assert!(signature.contains("https://help.example.jp/"), "{body}");
    assert!(!body.contains("madoguchi"), "{body}");
}

/// docs/login.md: every wrong key's answer says that ten in a row lock the account, for a
/// customer ID that exists and for one that does not alike.
#[tokio::test]
async fn a_wrong_key_warns_of_the_lock_for_every_id_alike() {
    let app = TestApp::spawn().await;
    let member = app.member().await;
    let wrong = app.try_login(&member.customer_id, "wrong-key-123").await;
    let unknown = app.try_login("CAF0000001", "wrong-key-123").await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong.body["detail"], unknown.body["detail"]);
    let detail = wrong.body["detail"].as_str().unwrap();
    assert!(
        detail.contains("10回続けてまちがえると、アカウントがロックされます"),
        "{detail}"
    );
}
