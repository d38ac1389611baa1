//! docs/cancellation.md: 解約, with every consequence at once.

use jiff::SignedDuration;
use madoguchi_core::domain::CustomerId;
use madoguchi_core::service::Error;
use madoguchi_core::service::cancellation::{CancellationRequest, cancel};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{Member, TestApp, renewal};

/// A member with two serials (one on a device), a rented reader shipped (the back office
/// paid and shipped it) and one provider changed.
async fn busy_member(app: &TestApp) -> (Member, String) {
    let member = app
        .member_with(
            "flets_next",
            json!([{"product": "security-suite", "plan": "license_plus", "billing": "term", "expires_on": "2027-06-30"}]),
        )
        .await;
    let token = app.login(&member).await;
    app.activate(&token, &member.serials[0], "pc-1").await;
    let ordered = app
        .order_reader(
            &token,
            json!({"type": "usb_mac", "payment_method": "chocom"}),
        )
        .await;
    assert_eq!(ordered.status, StatusCode::CREATED);
    let order_no = ordered.body["order_no"].as_str().unwrap();
    for status in ["paid", "shipped"] {
        let moved = app
            .admin_post(
                &format!("/orders/{order_no}/events"),
                json!({"event_id": format!("bo-{status}"), "status": status}),
            )
            .await;
        assert_eq!(moved.status, StatusCode::OK, "{:?}", moved.body);
    }
    (member, token)
}

fn kinds(preview: &Value) -> Vec<String> {
    preview["consequences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["kind"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_dry_run_states_the_consequences_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let (member, token) = busy_member(&app).await;
    let preview = app
        .post(
            "/v1/membership/cancellation",
            &token,
            json!({"reason": "引っ越しのため", "dry_run": true}),
        )
        .await;
    assert_eq!(preview.status, StatusCode::OK, "{:?}", preview.body);
    assert_eq!(preview.body["effective_on"], "2026-11-22");
    assert_eq!(preview.body["refund"], 0);
    let kinds = kinds(&preview.body);
    assert_eq!(kinds[0], "no_refund");
    assert!(
        preview.body["consequences"][0]["message"]
            .as_str()
            .unwrap()
            .contains("返金")
    );
    assert_eq!(
        kinds.iter().filter(|k| *k == "serial_unavailable").count(),
        2
    );
    assert_eq!(
        kinds.iter().filter(|k| *k == "notification_stops").count(),
        2
    );
    assert_eq!(kinds.iter().filter(|k| *k == "reader_to_return").count(), 1);
    assert!(kinds.contains(&"sessions_end".to_owned()));

    assert_eq!(app.get("/v1/usage", &token).await.status, StatusCode::OK);
    assert_eq!(app.state_of(&member).await["membership"], "active");
}

#[tokio::test]
async fn a_cancellation_applies_everything_at_once() {
    let app = TestApp::spawn().await;
    let (member, token) = busy_member(&app).await;
    let other_session = app.login(&member).await;
    let done = app
        .post(
            "/v1/membership/cancellation",
            &token,
            json!({"reason": "引っ越しのため"}),
        )
        .await;
    assert_eq!(done.status, StatusCode::CREATED, "{:?}", done.body);
    assert_eq!(done.body["refund"], 0);
    assert_eq!(done.body["effective_on"], "2026-11-22");
    assert!(
        done.body["receipt_no"]
            .as_str()
            .unwrap()
            .starts_with("R-20261122-")
    );

    for old in [&token, &other_session] {
        let refused = app.get("/v1/usage", old).await;
        assert_eq!(
            refused.refusal(),
            (StatusCode::UNAUTHORIZED, "unauthorized")
        );
    }
    let login = app.try_login_as(&member).await;
    assert_eq!(
        login.refusal(),
        (StatusCode::FORBIDDEN, "membership_cancelled")
    );

    let state = app.state_of(&member).await;
    assert_eq!(state["membership"], "cancelled");
    for serial in state["serials"].as_array().unwrap() {
        assert_eq!(serial["status"], "unavailable");
        assert_eq!(serial["device"], Value::Null);
    }
    for provider in state["providers"].as_array().unwrap() {
        assert_eq!(provider["setting"], "do_not_notify");
        assert_eq!(provider["set_via"], "cancellation");
    }
    let readers = state["readers"].as_array().unwrap();
    let rented: Vec<_> = readers.iter().filter(|r| r["rental"] == true).collect();
    assert_eq!(rented.len(), 1);
    assert_eq!(rented[0]["status"], "to_be_returned");
    assert!(
        readers
            .iter()
            .any(|r| r["rental"] == false && r["status"] == "delivered")
    );

    let notices = app
        .mails_of_kind(&member.email, "membership_cancelled")
        .await;
    let notice = notices.first().expect("a cancellation mail");
    let body = notice["body"].as_str().unwrap();
    assert!(body.contains(&member.serials[0]) && body.contains(&member.serials[1]));

    // Records are kept, and the operator cannot hand out a key to a cancelled member.
    let reissue = app
        .admin_post(
            &format!("/customers/{}/access-key", member.customer_id),
            json!({}),
        )
        .await;
    assert_eq!(
        reissue.refusal(),
        (StatusCode::CONFLICT, "membership_cancelled")
    );
}

#[tokio::test]
async fn a_second_cancellation_is_refused() {
    let app = TestApp::spawn().await;
    let (member, token) = app.logged_in().await;
    let first = app.cancel_membership(&token).await;
    assert_eq!(first.status, StatusCode::CREATED);
    // Every session died with the first, so the second can only come from inside.
    let id = CustomerId::parse(&member.customer_id).unwrap();
    let again = cancel(
        &app.ctx,
        &id,
        CancellationRequest {
            reason: None,
            dry_run: false,
        },
        None,
    )
    .await;
    assert!(matches!(again, Err(Error::AlreadyCancelled)));
    // Racing submissions on one session: one wins, none cancels twice.
    let (racer, racer_token) = app.logged_in().await;
    let racing = (0..5).map(|_| app.cancel_membership(&racer_token));
    let answers = futures::future::join_all(racing).await;
    assert_eq!(
        answers
            .iter()
            .filter(|a| a.status == StatusCode::CREATED)
            .count(),
        1
    );
    for answer in answers.iter().filter(|a| a.status != StatusCode::CREATED) {
        assert!(
            matches!(answer.code(), "membership_cancelled" | "unauthorized"),
            "{:?}",
            answer.body
        );
    }
    let racer_mails = app
        .mails_of_kind(&racer.email, "membership_cancelled")
        .await;
    assert_eq!(racer_mails.len(), 1);
}

#[tokio::test]
async fn a_cancelled_members_licence_cannot_be_renewed() {
    let app = TestApp::spawn().await;
    let member = app.member_until("2027-01-01").await;
    let token = app.login(&member).await;
    app.cancel_membership(&token).await;
    let code = app.issue_codes("security-suite", 12, 1).await.remove(0);
    let refused = app.renew(renewal(&code, &member, false)).await;
    assert_eq!(
        refused.refusal(),
        (StatusCode::FORBIDDEN, "membership_cancelled")
    );
}

#[tokio::test]
async fn the_ledger_lists_every_submission_newest_first() {
    let app = TestApp::spawn().await;
    let member = app.member_until("2027-01-01").await;
    let token = app.login(&member).await;
    let change = json!({"changes": [{"provider_code": "060000", "setting": "do_not_notify"}],
                        "consent": {"terms_version": crate::support::LINE_TERMS, "agreed": true},
                        "applicant": {"name": "山田 太郎", "phone": "0312345678"}});
    app.post("/v1/line-notification/applications", &token, change)
        .await;
    app.advance(jiff::SignedDuration::from_mins(1));
    let token = app.login(&member).await;
    app.order_reader(
        &token,
        json!({"type": "usb_windows", "payment_method": "chocom"}),
    )
    .await;
    app.advance(jiff::SignedDuration::from_mins(1));
    let code = app.issue_codes("security-suite", 12, 1).await.remove(0);
    app.post("/v1/renewals", &token, renewal(&code, &member, false))
        .await;
    let ledger = app.get("/v1/receipts", &token).await;
    assert_eq!(ledger.status, StatusCode::OK);
    let kinds: Vec<&str> = ledger.body["receipts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["renewal", "reader_order", "line_notification"]);
    for receipt in ledger.body["receipts"].as_array().unwrap() {
        assert!(!receipt["summary"].as_str().unwrap().is_empty());
    }
}

#[tokio::test]
async fn a_provider_registered_after_cancellation_is_not_notified_either() {
    let app = TestApp::spawn().await;
    let (member, token) = app.logged_in().await;
    app.cancel_membership(&token).await;
    let provider =
        json!({"provider_code": "W0200", "provider_name": "後から", "service_name": "後から"});
    assert_eq!(
        app.admin_post("/providers", provider).await.status,
        StatusCode::CREATED
    );
    let state = app.state_of(&member).await;
    let later = state["providers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["provider_code"] == "W0200")
        .unwrap()
        .clone();
    assert_eq!(later["setting"], "do_not_notify");
    assert_eq!(later["set_via"], "cancellation");
}

#[tokio::test]
async fn a_cancelled_member_cannot_order_a_reader() {
    use madoguchi_core::domain::{PaymentMethod, ReaderType};
    use madoguchi_core::service::reader::{OrderRequest, order};
    let app = TestApp::spawn().await;
    let (member, token) = app.logged_in().await;
    app.cancel_membership(&token).await;
    // No session survives cancellation, so the rule is checked below HTTP.
    let id = CustomerId::parse(&member.customer_id).unwrap();
    let request = OrderRequest {
        reader_type: ReaderType::UsbWindows,
        payment_method: PaymentMethod::Chocom,
        dry_run: false,
    };
    let refused = order(&app.ctx, &id, request, None).await;
    assert!(matches!(refused, Err(Error::MembershipCancelled)));
    let problem = madoguchi_core::http::problem::Problem::from(Error::MembershipCancelled);
    assert_eq!(
        (problem.status().as_u16(), problem.code.as_str()),
        (403, "membership_cancelled")
    );
}

#[tokio::test]
async fn every_one_of_many_sessions_ends_with_the_membership() {
    let app = TestApp::spawn().await;
    let member = app.member().await;
    let mut tokens = Vec::new();
    for _ in 0..55 {
        tokens.push(app.login(&member).await);
    }
    let done = app.cancel_membership(&tokens[0]).await;
    assert_eq!(done.status, StatusCode::CREATED, "{:?}", done.body);
    for token in &tokens {
        assert_eq!(
            app.get("/v1/usage", token).await.status,
            StatusCode::UNAUTHORIZED
        );
    }
}

/// docs/api.md: a cancellation ends the session it was sent with, yet its retry (same key, same
/// body, same token) gets the first answer again; anything else with the token is 401.
#[tokio::test]
async fn a_retried_cancellation_gets_its_receipt_with_the_ended_token() {
    let app = TestApp::spawn().await;
    let (_, token) = app.logged_in().await;
    let path = "/v1/membership/cancellation";
    let body = json!({"reason": "引っ越し"});
    let first = app.post_with_key(path, &token, "leave-1", &body).await;
    assert_eq!(first.status, StatusCode::CREATED, "{:?}", first.body);
    let again = app.post_with_key(path, &token, "leave-1", &body).await;
    assert_eq!(again.status, StatusCode::CREATED, "{:?}", again.body);
    assert_eq!(again.body, first.body, "the same receipt");
    assert_eq!(again.headers["idempotent-replayed"], "true");

    let other_body = json!({"reason": "別の理由"});
    let reused = app
        .post_with_key(path, &token, "leave-1", &other_body)
        .await;
    assert_eq!(reused.refusal(), (StatusCode::UNAUTHORIZED, "unauthorized"));
    let other_key = app.post_with_key(path, &token, "leave-2", &body).await;
    assert_eq!(
        other_key.refusal(),
        (StatusCode::UNAUTHORIZED, "unauthorized")
    );
    let usage = app.get("/v1/usage", &token).await;
    assert_eq!(usage.refusal(), (StatusCode::UNAUTHORIZED, "unauthorized"));

    // Kept 24 hours, like every answer.
    app.advance(SignedDuration::from_hours(24));
    let late = app.post_with_key(path, &token, "leave-1", &body).await;
    assert_eq!(late.refusal(), (StatusCode::UNAUTHORIZED, "unauthorized"));
}

/// docs/cloud.md: a member of the largest size the API allows (200 serials, half of them on
/// devices, 200 live sessions, every provider) is cancelled whole: more than one DynamoDB
/// transaction holds, so the store's steps are all taken before the answer.
#[tokio::test]
async fn a_member_of_two_hundred_serials_and_sessions_is_cancelled_whole() {
    let app = TestApp::spawn().await;
    for n in 0..30 {
        let code = format!("W{:04}", 300 + n);
        let provider = json!({"provider_code": code, "provider_name": format!("事業者{n}"), "service_name": "光電話"});
        assert_eq!(
            app.admin_post("/providers", provider).await.status,
            StatusCode::CREATED
        );
    }
    let mut member = app.member().await;
    app.grow(&mut member, 199, "2027-06-30").await;
    let tokens = app.sessions_of(&member, 200).await;
    let usage = app.get("/v1/usage", &tokens[199]).await;
    assert_eq!(usage.body["serials"].as_array().unwrap().len(), 200);
    assert_eq!(app.usable_serials(&member).await, (200, 0));

    let done = app.cancel_membership(&tokens[0]).await;
    assert_eq!(done.status, StatusCode::CREATED, "{:?}", done.body);
    assert_eq!(
        app.usable_serials(&member).await,
        (0, 100),
        "every serial unavailable, each of the 100 on a device taken off it"
    );
    for token in &tokens {
        assert!(!app.session_stored(token).await);
    }
    let state = app.state_of(&member).await;
    let providers = state["providers"].as_array().unwrap();
    assert_eq!(providers.len(), 32);
    assert!(providers.iter().all(|p| p["setting"] == "do_not_notify"));
    let notices = app
        .mails_of_kind(&member.email, "membership_cancelled")
        .await;
    assert_eq!(notices.len(), 1);
}

/// docs/cancellation.md: a member with more open orders than one DynamoDB transaction can
/// withdraw beside the cancellation's own writes (100 changes to 回線情報通知 the back office
/// has not started) is cancelled whole: every one is withdrawn before the answer, in as
/// many commits as it takes, and only the line's termination stays open.
#[tokio::test]
async fn a_member_with_a_hundred_open_orders_is_cancelled_whole() {
    let app = TestApp::spawn().await;
    let member = app.member().await;
    for n in 0..100 {
        let code = format!("W{:04}", 500 + n);
        let provider = json!({"provider_code": code, "provider_name": format!("事業者{n}"), "service_name": "光電話"});
        assert_eq!(
            app.admin_post("/providers", provider).await.status,
            StatusCode::CREATED
        );
    }
    // Ten applications a day (docs/line-notification.md), each its own order.
    for day in 0..10 {
        let token = app.login(&member).await;
        for n in 0..10 {
            let code = format!("W{:04}", 500 + day * 10 + n);
            let change = json!({"changes": [{"provider_code": code, "setting": "do_not_notify"}],
                                "consent": {"terms_version": crate::support::LINE_TERMS, "agreed": true},
                                "applicant": {"name": "山田 太郎", "phone": "0312345678"}});
            let applied = app
                .post("/v1/line-notification/applications", &token, change)
                .await;
            assert_eq!(applied.status, StatusCode::CREATED, "{:?}", applied.body);
        }
        app.advance(jiff::SignedDuration::from_hours(24));
    }
    let token = app.login(&member).await;
    let done = app.cancel_membership(&token).await;
    assert_eq!(done.status, StatusCode::CREATED, "{:?}", done.body);

    let open = app.admin_get("/orders?status=accepted&limit=100").await;
    let open = open.body["orders"].as_array().unwrap().clone();
    assert_eq!(open.len(), 1, "{open:?}");
    assert_eq!(open[0]["kind"], "line_termination");
    let failed = app.admin_get("/orders?status=failed&limit=100").await;
    let failed = failed.body["orders"].as_array().unwrap().clone();
    assert_eq!(failed.len(), 100);
    assert!(failed.iter().all(|o| o["reason"] == "membership_cancelled"));
    let state = app.state_of(&member).await;
    let providers = state["providers"].as_array().unwrap();
    assert!(providers.iter().all(|p| p["setting"] == "do_not_notify"));
    assert!(providers.iter().all(|p| p["pending"].is_null()));
    // The member is told which orders ended with the membership.
    let notice = app
        .mails_of_kind(&member.email, "membership_cancelled")
        .await;
    let body = notice[0]["body"].as_str().unwrap();
    assert!(
        body.contains("ご解約にともない取り下げとなります"),
        "{body}"
    );
    for order in &failed {
        let number = order["order_no"].as_str().unwrap();
        assert!(body.contains(number), "{number} is not in the notice");
    }
}
