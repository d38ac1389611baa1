//! docs/usage.md: one serial serves one device; moves are mailed and recorded.

use std::collections::HashSet;

use jiff::SignedDuration;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{TestApp, activation_path, device};

#[tokio::test]
async fn a_serial_is_installed_moved_and_released() {
    let app = TestApp::spawn().await;
    let (member, token) = app.logged_in().await;
    let serial = &member.serials[0];
    let path = activation_path(serial);

    let first = app
        .post(&path, &token, device("pc-1", "windows", "居間のPC"))
        .await;
    assert_eq!(first.status, StatusCode::OK, "{:?}", first.body);
    assert_eq!(first.body["status"], "in_use");
    assert_eq!(first.body["device"]["device_id"], "pc-1");
    assert_eq!(
        first.body["device"]["activated_at"],
        "2026-11-22T09:00:00+09:00"
    );
    assert_eq!(first.body["previous_device"], Value::Null);

    let usage = app.get("/v1/usage", &token).await;
    assert_eq!(usage.body["serials"][0]["status"], "in_use");
    assert_eq!(usage.body["serials"][0]["device"]["name"], "居間のPC");

    app.advance(SignedDuration::from_mins(5));
    let moved = app
        .post(&path, &token, device("mac-1", "mac", "書斎のMac"))
        .await;
    assert_eq!(moved.status, StatusCode::OK);
    assert_eq!(moved.body["device"]["device_id"], "mac-1");
    assert_eq!(moved.body["previous_device"]["device_id"], "pc-1");

    let moved_mail = app.mails_of_kind(&member.email, "serial_moved").await;
    assert_eq!(moved_mail.len(), 1);
    assert!(
        moved_mail[0]["body"]
            .as_str()
            .unwrap()
            .contains(serial.as_str())
    );
    assert!(moved_mail[0]["body"].as_str().unwrap().contains("居間のPC"));

    let released = app.call(Method::DELETE, &path, Some(&token), None).await;
    assert_eq!(released.status, StatusCode::OK);
    assert_eq!(released.body["status"], "awaiting_install");
    assert_eq!(released.body["device"], Value::Null);
    let usage = app.get("/v1/usage", &token).await;
    assert_eq!(usage.body["serials"][0]["status"], "awaiting_install");

    let history = app
        .get(&format!("/v1/serials/{serial}/history"), &token)
        .await;
    assert_eq!(history.status, StatusCode::OK);
    let kinds: Vec<_> = history.body["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["kind"].as_str().unwrap().to_owned(),
                e["device"]["device_id"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        vec![
            ("activated".to_owned(), "pc-1".to_owned()),
            ("moved".to_owned(), "mac-1".to_owned()),
            ("deactivated".to_owned(), "mac-1".to_owned()),
        ]
    );
    assert_eq!(history.body["events"][1]["at"], "2026-11-22T09:05:00+09:00");
}

#[tokio::test]
async fn activating_again_on_the_same_device_moves_nothing() {
    let app = TestApp::spawn().await;
    let (member, token) = app.logged_in().await;
    let serial = &member.serials[0];
    app.activate(&token, serial, "pc-1").await;
    let again = app.activate(&token, serial, "pc-1").await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(again.body["previous_device"], Value::Null);
    assert!(app.mails_to(&member.email).await.is_empty());
}

#[tokio::test]
async fn another_members_serial_is_answered_as_if_it_did_not_exist() {
    let app = TestApp::spawn().await;
    let owner = app.member().await;
    let (_intruder, token) = app.logged_in().await;
    let theirs = &owner.serials[0];
    let missing = "SSU-00000000";
    for (method, suffix, body) in [
        (
            Method::POST,
            "activation",
            Some(device("pc-9", "windows", "PC")),
        ),
        (Method::DELETE, "activation", None),
        (Method::GET, "history", None),
    ] {
        let foreign = app
            .call(
                method.clone(),
                &format!("/v1/serials/{theirs}/{suffix}"),
                Some(&token),
                body.clone(),
            )
            .await;
        let absent = app
            .call(
                method.clone(),
                &format!("/v1/serials/{missing}/{suffix}"),
                Some(&token),
                body,
            )
            .await;
        assert_eq!(foreign.status, StatusCode::NOT_FOUND, "{method} {suffix}");
        assert_eq!(foreign.code(), "not_found");
        assert_eq!(foreign.body, absent.body, "{method} {suffix}");
        assert!(!foreign.body.to_string().contains(theirs.as_str()));
    }
    // And the owner's serial was not touched.
    let owner_token = app.login(&owner).await;
    let usage = app.get("/v1/usage", &owner_token).await;
    assert_eq!(usage.body["serials"][0]["status"], "awaiting_install");
}

#[tokio::test]
async fn an_unavailable_serial_cannot_be_activated_or_released() {
    let app = TestApp::spawn().await;
    let member = app.member_with("collab", json!([])).await;
    let token = app.login(&member).await;
    let path = activation_path(&member.serials[0]);
    let answer = app.activate(&token, &member.serials[0], "pc-1").await;
    assert_eq!(answer.status, StatusCode::CONFLICT);
    assert_eq!(answer.code(), "serial_unavailable");
    let release = app.call(Method::DELETE, &path, Some(&token), None).await;
    assert_eq!(release.status, StatusCode::CONFLICT);
    assert_eq!(release.code(), "serial_unavailable");
}

#[tokio::test]
async fn a_term_licence_past_its_expiry_date_cannot_be_activated() {
    let app = TestApp::spawn().await;
    let member = app.member_until("2026-11-22").await;
    let token = app.login(&member).await;
    let serial = &member.serials[0];
    // The last valid day is still valid…
    let today = app.activate(&token, serial, "pc-1").await;
    assert_eq!(today.status, StatusCode::OK);
    // …the next day in Japan is not (2026-11-23 00:00 JST is 2026-11-22 15:00 UTC).
    app.advance(SignedDuration::from_hours(15));
    let token = app.login(&member).await;
    let tomorrow = app.activate(&token, serial, "pc-2").await;
    assert_eq!(tomorrow.status, StatusCode::CONFLICT);
    assert_eq!(tomorrow.code(), "license_expired");
}

#[tokio::test]
async fn fifty_devices_at_once_leave_one_holder_and_a_complete_history() {
    let app = TestApp::spawn().await;
    let (member, token) = app.logged_in().await;
    let serial = member.serials[0].clone();
    let path = activation_path(&serial);
    let devices: Vec<String> = (0..50).map(|n| format!("device-{n:02}")).collect();

    let requests = devices
        .iter()
        .map(|id| app.post(&path, &token, device(id, "android", id)));
    let answers = futures::future::join_all(requests).await;

    let mut previous = Vec::new();
    for answer in &answers {
        assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
        previous.push(
            answer.body["previous_device"]["device_id"]
                .as_str()
                .map(str::to_owned),
        );
    }
    // Exactly one found the serial free; every other one took it from a distinct holder.
    assert_eq!(previous.iter().filter(|p| p.is_none()).count(), 1);
    let taken_from: HashSet<_> = previous.iter().flatten().cloned().collect();
    assert_eq!(taken_from.len(), 49, "every previous_device is distinct");

    let usage = app.get("/v1/usage", &token).await;
    let holder = usage.body["serials"][0]["device"]["device_id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        !taken_from.contains(&holder),
        "the final holder lost it to nobody"
    );
    let mut everyone = taken_from.clone();
    everyone.insert(holder.clone());
    assert_eq!(everyone, devices.iter().cloned().collect::<HashSet<_>>());

    let history = app
        .get(&format!("/v1/serials/{serial}/history"), &token)
        .await;
    let events = history.body["events"].as_array().unwrap();
    assert_eq!(events.len(), 50);
    // The history is one chain: each event takes the serial from the one before.
    for pair in events.windows(2) {
        assert_eq!(
            pair[1]["previous_device"]["device_id"],
            pair[0]["device"]["device_id"]
        );
    }
    assert_eq!(events[49]["device"]["device_id"], holder.as_str());
    let moved = app.mails_of_kind(&member.email, "serial_moved").await;
    assert_eq!(moved.len(), 49);
}

/// The path of a serial's history.
fn history_path(serial: &str) -> String {
    format!("/v1/serials/{serial}/history")
}

/// The device of each event, in the order listed.
fn devices_of(events: &[Value]) -> Vec<String> {
    events
        .iter()
        .map(|e| e["device"]["device_id"].as_str().unwrap().to_owned())
        .collect()
}

/// Moves the member's first serial through `count` devices, `d00`, `d01`, …: one event each.
async fn moved_through(app: &TestApp, token: &str, serial: &str, count: usize) -> Vec<String> {
    let devices: Vec<String> = (0..count).map(|n| format!("d{n:02}")).collect();
    for id in &devices {
        let answer = app.activate(token, serial, id).await;
        assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
    }
    devices
}

#[tokio::test]
async fn the_history_is_read_a_page_at_a_time_oldest_first() {
    let app = TestApp::spawn().await;
    let (member, token) = app.logged_in().await;
    let serial = &member.serials[0];
    let devices = moved_through(&app, &token, serial, 7).await;

    let pages = app.pages(&history_path(serial), &token, "events", 3).await;
    let sizes: Vec<usize> = pages.iter().map(Vec::len).collect();
    assert_eq!(sizes, [3, 3, 1]);
    assert_eq!(devices_of(&pages.concat()), devices);

    // A page that ends exactly at the last event is the last page.
    let exact = app.pages(&history_path(serial), &token, "events", 7).await;
    assert_eq!(exact.len(), 1);
    let all = app.get(&history_path(serial), &token).await;
    assert_eq!(devices_of(all.body["events"].as_array().unwrap()), devices);
    assert_eq!(all.body["next_cursor"], Value::Null);
}

#[tokio::test]
async fn a_page_holds_fifty_unless_asked_and_at_most_two_hundred() {
    let app = TestApp::spawn().await;
    let (member, token) = app.logged_in().await;
    let serial = &member.serials[0];
    let devices = moved_through(&app, &token, serial, 52).await;

    let first = app.get(&history_path(serial), &token).await;
    assert_eq!(first.body["events"].as_array().unwrap().len(), 50);
    let cursor = first.body["next_cursor"].as_str().expect("more follow");
    let rest = app
        .get(&format!("{}?cursor={cursor}", history_path(serial)), &token)
        .await;
    assert_eq!(
        devices_of(rest.body["events"].as_array().unwrap()),
        devices[50..]
    );
    assert_eq!(rest.body["next_cursor"], Value::Null);

    let widest = app
        .pages(&history_path(serial), &token, "events", 200)
        .await;
    assert_eq!(widest.len(), 1);
    assert_eq!(devices_of(&widest[0]), devices);
}

#[tokio::test]
async fn a_bad_limit_or_cursor_is_a_field_error_never_a_failure() {
    let app = TestApp::spawn().await;
    let (member, token) = app.logged_in().await;
    let serial = &member.serials[0];
    moved_through(&app, &token, serial, 3).await;
    // A cursor of the member's receipts is no cursor of a history.
    for setting in ["do_not_notify", "notify"] {
        let application = json!({
            "changes": [{"provider_code": "W0099", "setting": setting}],
            "consent": {"terms_version": crate::support::LINE_TERMS, "agreed": true},
            "applicant": {"name": "山田 太郎", "phone": "06-0000-0000"},
        });
        let applied = app
            .post("/v1/line-notification/applications", &token, application)
            .await;
        assert_eq!(applied.status, StatusCode::CREATED, "{:?}", applied.body);
        app.carry_out(applied.body["order_no"].as_str().unwrap())
            .await;
    }
    let ledger = app.get("/v1/receipts?limit=1", &token).await;
    let receipts_cursor = ledger.body["next_cursor"]
        .as_str()
        .expect("more follow")
        .to_owned();
    let cases = [
        ("limit=0", "limit", "invalid_limit"),
        ("limit=201", "limit", "invalid_limit"),
        ("limit=abc", "limit", "invalid_limit"),
        ("limit=-1", "limit", "invalid_limit"),
        ("limit=2.5", "limit", "invalid_limit"),
        ("limit=", "limit", "invalid_limit"),
        ("cursor=not-a-cursor!", "cursor", "invalid_cursor"),
        ("cursor=AAAA", "cursor", "invalid_cursor"),
        ("cursor=ZXZlbnRzOi0x", "cursor", "invalid_cursor"),
        ("cursor=null", "cursor", "invalid_cursor"),
    ];
    app.assert_queries_refused(&history_path(serial), &token, &cases)
        .await;
    let foreign = app
        .get(
            &format!("{}?cursor={receipts_cursor}", history_path(serial)),
            &token,
        )
        .await;
    assert!(
        foreign.has_field_code("cursor", "invalid_cursor"),
        "{:?}",
        foreign.body
    );
}

#[tokio::test]
async fn a_cursor_does_not_open_another_members_history() {
    let app = TestApp::spawn().await;
    let (owner, owner_token) = app.logged_in().await;
    let theirs = &owner.serials[0];
    moved_through(&app, &owner_token, theirs, 3).await;
    let page = app
        .get(&format!("{}?limit=1", history_path(theirs)), &owner_token)
        .await;
    let cursor = page.body["next_cursor"]
        .as_str()
        .expect("more follow")
        .to_owned();

    let (intruder, token) = app.logged_in().await;
    let foreign = app
        .get(&format!("{}?cursor={cursor}", history_path(theirs)), &token)
        .await;
    let absent = app
        .get(
            &format!("{}?cursor={cursor}", history_path("SSU-00000000")),
            &token,
        )
        .await;
    assert_eq!(foreign.refusal(), (StatusCode::NOT_FOUND, "not_found"));
    assert_eq!(foreign.body, absent.body);
    // On the intruder's own serial the cursor is only a place in their own history.
    let mine = &intruder.serials[0];
    app.activate(&token, mine, "own-pc").await;
    let own = app
        .get(&format!("{}?cursor={cursor}", history_path(mine)), &token)
        .await;
    assert_eq!(own.status, StatusCode::OK, "{:?}", own.body);
    assert!(!own.body.to_string().contains("d0"), "{:?}", own.body);
}

#[tokio::test]
async fn activating_again_on_the_holding_device_adds_no_event_and_no_mail() {
    let app = TestApp::spawn().await;
    let (member, token) = app.logged_in().await;
    let serial = &member.serials[0];
    let path = activation_path(serial);
    let first = app
        .post(&path, &token, device("pc-1", "windows", "居間のPC"))
        .await;
    assert_eq!(first.status, StatusCode::OK, "{:?}", first.body);

    app.advance(SignedDuration::from_mins(5));
    for name in ["居間のPC", "新しい名前"] {
        let again = app
            .post(&path, &token, device("pc-1", "windows", name))
            .await;
        assert_eq!(again.status, StatusCode::OK, "{:?}", again.body);
        assert_eq!(again.body["serial"], serial.as_str());
        assert_eq!(again.body["status"], "in_use");
        assert_eq!(again.body["device"]["device_id"], "pc-1");
        assert_eq!(again.body["device"]["name"], name);
        assert_eq!(
            again.body["device"]["activated_at"], first.body["device"]["activated_at"],
            "the device has held it since the first activation"
        );
        assert_eq!(again.body["previous_device"], Value::Null);
    }
    let history = app.get(&history_path(serial), &token).await;
    let events = history.body["events"].as_array().unwrap();
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["kind"], "activated");
    assert!(app.mails_to(&member.email).await.is_empty());
    let usage = app.get("/v1/usage", &token).await;
    assert_eq!(usage.body["serials"][0]["device"]["name"], "新しい名前");
}
