//! docs/operations.md#the-status-view: `GET /admin/v1/status` after a run that leaves a
//! failed mail, an open order and a reminder run behind, on either engine (in the cloud's
//! shape, the dispatcher and the admin function each through their IAM policy).

use jiff::SignedDuration;
use madoguchi_core::Clock;
use madoguchi_core::domain::backoff;
use madoguchi_core::service::outbox::sweep;
use reqwest::StatusCode;

use crate::outbox::moved_serial;
use crate::smtp_sink::SmtpSink;
use crate::support::{TestApp, line_change};

/// The version `core/Cargo.toml` names: what the build reports.
fn core_version() -> String {
    let manifest =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../core/Cargo.toml"))
            .unwrap();
    let line = manifest
        .lines()
        .find(|l| l.starts_with("version = "))
        .unwrap();
    line.trim_start_matches("version = ")
        .trim_matches('"')
        .to_owned()
}

/// The sink's sender, and the context the dispatcher runs on (in the cloud's shape, its
/// own client through its IAM policy).
async fn dispatcher_of(
    app: &TestApp,
    sink: &SmtpSink,
) -> (madoguchi_core::mail::SmtpSender, madoguchi_core::Context) {
    let sender = madoguchi_core::mail::SmtpSender::new(
        &sink.url,
        madoguchi_core::mail::sender_address("madoguchi <no-reply@example.jp>").unwrap(),
    )
    .unwrap();
    let dispatcher = match &app.cloud {
        Some(_) => app.as_function("outbox-dispatcher").await,
        None => app.ctx.clone(),
    };
    (sender, dispatcher)
}

#[tokio::test]
async fn the_status_view_tells_what_a_run_left_behind() {
    let app = TestApp::spawn().await;
    let sink = SmtpSink::start().await;
    let (sender, dispatcher) = dispatcher_of(&app, &sink).await;

    let empty = app.admin_get("/status").await;
    assert_eq!(empty.status, StatusCode::OK, "{:?}", empty.body);
    assert_eq!(empty.body["outbox"]["pending"], 0);
    assert_eq!(empty.body["last_reminder_run"], serde_json::Value::Null);

    // Two mails queued, one to an address the mail server refuses; an order placed.
    let (refused, fine) = (app.member().await, app.member().await);
    sink.refuse(&refused.email);
    let failing = moved_serial(&app, &refused).await;
    app.advance(SignedDuration::from_secs(90));
    moved_serial(&app, &fine).await;
    let token = app.login(&fine).await;
    let applied = app
        .post(
            "/v1/line-notification/applications",
            &token,
            line_change("do_not_notify", false),
        )
        .await;
    assert_eq!(applied.status, StatusCode::CREATED, "{:?}", applied.body);
    let order_no = applied.body["order_no"].as_str().unwrap().to_owned();
    let placed_at = app.clock.now();

    let queued = app.admin_get("/status").await.body;
    assert_eq!(queued["outbox"]["pending"], 2, "{queued}");
    assert_eq!(queued["outbox"]["failed"], 0, "{queued}");
    assert_eq!(
        queued["outbox"]["oldest_pending_seconds"], 90.0,
        "the refused member's mail has been due since it was queued: {queued}"
    );

    // The reminder job, run by hand for today, for a member whose licence ends within a
    // week: one reminder due and queued.
    let ending = app.member_until("2026-11-27").await;
    let run = app
        .admin_post("/jobs/expiry-reminders", serde_json::json!({}))
        .await;
    assert_eq!(run.status, StatusCode::OK, "{:?}", run.body);
    assert_eq!(
        (run.body["due"].as_u64(), run.body["sent"].as_u64()),
        (Some(1), Some(1))
    );

    // The dispatcher delivers the others and tries the refused mail until it gives up.
    for attempt in 1..=10 {
        sweep(&dispatcher, &sender, app.clock.now(), 100)
            .await
            .unwrap();
        app.advance(backoff(attempt));
    }
    assert_eq!(sink.received_by(&fine.email).len(), 1);
    assert_eq!(sink.received_by(&ending.email).len(), 1);

    let answer = app.admin_get("/status").await;
    assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
    let status = answer.body;
    assert_eq!(status["outbox"]["pending"], 0, "{status}");
    assert_eq!(status["outbox"]["failed"], 1, "{status}");
    assert_eq!(status["outbox"]["oldest_pending_seconds"], 0.0, "{status}");
    let failed = app.admin_get("/outbox?status=failed").await.body;
    assert_eq!(failed["mails"][0]["mail_id"], failing.mail_id.as_str());

    let open = status["open_orders"].as_array().unwrap();
    let statuses: Vec<&str> = open.iter().map(|o| o["status"].as_str().unwrap()).collect();
    assert_eq!(
        statuses,
        [
            "accepted",
            "in_progress",
            "awaiting_payment",
            "paid",
            "shipped"
        ]
    );
    assert_eq!(open[0]["count"], 1, "{status}");
    assert_eq!(open[0]["oldest"]["order_no"], order_no.as_str());
    let waited = app.clock.now().duration_since(placed_at).as_secs_f64();
    assert_eq!(open[0]["oldest"]["waited_seconds"], waited);
    assert!(
        open[1..]
            .iter()
            .all(|o| o["count"] == 0 && o["oldest"].is_null())
    );

    let last_run = &status["last_reminder_run"];
    assert_eq!(last_run["date"], run.body["date"]);
    assert_eq!(
        (last_run["due"].as_u64(), last_run["sent"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(last_run["by"], "operator");

    match &app.cloud {
        Some(_) => {
            assert_eq!(status["store"]["engine"], "dynamodb");
            assert!(status["store"]["file_bytes"].is_null());
        }
        None => {
            assert_eq!(status["store"]["engine"], "redb");
            assert!(status["store"]["file_bytes"].as_u64().unwrap() > 0);
        }
    }
    assert_eq!(status["build"]["version"], core_version().as_str());

    // The order carried out: no longer open.
    app.carry_out(&order_no).await;
    let after = app.admin_get("/status").await.body;
    let open = after["open_orders"].as_array().unwrap();
    assert!(
        open.iter()
            .all(|o| o["count"] == 0 && o["oldest"].is_null()),
        "{after}"
    );

    let unauthorised = app
        .call(reqwest::Method::GET, "/admin/v1/status", None, None)
        .await;
    assert_eq!(unauthorised.status, StatusCode::UNAUTHORIZED);
}

/// docs/mail.md#failed-mails: an operator sends a failed mail again once its address is
/// fixed, and abandons another. Each leaves the failed list and its count at once; the
/// retried one is delivered by the next sweep, the abandoned one never; a second decision
/// on either finds nothing to settle.
#[tokio::test]
async fn an_operator_retries_one_failed_mail_and_abandons_another() {
    let app = TestApp::spawn().await;
    let sink = SmtpSink::start().await;
    let (sender, dispatcher) = dispatcher_of(&app, &sink).await;
    let (fixed, gone) = (app.member().await, app.member().await);
    sink.refuse(&fixed.email);
    sink.refuse(&gone.email);
    let retried = moved_serial(&app, &fixed).await;
    let abandoned = moved_serial(&app, &gone).await;
    for attempt in 1..=10 {
        sweep(&dispatcher, &sender, app.clock.now(), 100)
            .await
            .unwrap();
        app.advance(backoff(attempt));
    }
    let status = app.admin_get("/status").await.body;
    assert_eq!(status["outbox"]["failed"], 2, "{status}");

    let settle = |mail_id: String, action: &'static str| {
        let app = &app;
        async move {
            app.admin_post(
                &format!("/outbox/failed/{mail_id}"),
                serde_json::json!({"action": action}),
            )
            .await
        }
    };
    let again = settle(retried.mail_id.clone(), "retry").await;
    assert_eq!(again.status, StatusCode::OK, "{:?}", again.body);
    assert_eq!(again.body["status"], "pending");
    assert_eq!(again.body["attempts"], 0);
    let dropped = settle(abandoned.mail_id.clone(), "abandon").await;
    assert_eq!(dropped.status, StatusCode::OK, "{:?}", dropped.body);
    assert_eq!(dropped.body["status"], "abandoned");
    for (mail, action) in [(&retried, "abandon"), (&abandoned, "retry")] {
        let twice = settle(mail.mail_id.clone(), action).await;
        assert_eq!(twice.status, StatusCode::NOT_FOUND, "{:?}", twice.body);
        assert_eq!(twice.body["code"], "not_found");
    }
    for unknown in ["00000000000000000000-nosuchid", "..%2F..%2Fcustomers"] {
        let answer = settle(unknown.to_owned(), "retry").await;
        assert_eq!(
            answer.status,
            StatusCode::NOT_FOUND,
            "{unknown}: {:?}",
            answer.body
        );
    }
    let unknown_action = settle(retried.mail_id.clone(), "resend").await;
    assert_eq!(unknown_action.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(unknown_action.field_codes()[0].0, "action");

    let status = app.admin_get("/status").await.body;
    assert_eq!(
        (&status["outbox"]["pending"], &status["outbox"]["failed"]),
        (&serde_json::json!(1), &serde_json::json!(0)),
        "{status}"
    );
    assert!(
        app.admin_get("/outbox?status=failed").await.body["mails"]
            .as_array()
            .unwrap()
            .is_empty()
    );

    // The address fixed, the next sweep delivers the retried mail, and only it.
    sink.accept(&fixed.email);
    sink.accept(&gone.email);
    let round = sweep(&dispatcher, &sender, app.clock.now(), 100)
        .await
        .unwrap();
    assert_eq!(round.sent, 1, "{round:?}");
    assert_eq!(sink.received_by(&fixed.email).len(), 1);
    assert!(sink.received_by(&gone.email).is_empty());
    let status = app.admin_get("/status").await.body;
    assert_eq!(status["outbox"]["pending"], 0, "{status}");
    let kept = app
        .admin_get(&format!("/outbox?to={}&status=abandoned", gone.email))
        .await
        .body;
    assert_eq!(
        kept["mails"][0]["mail_id"],
        abandoned.mail_id.as_str(),
        "{kept}"
    );
}
