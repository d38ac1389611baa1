//! docs/mail.md, docs/cloud.md: the outbox-dispatcher function as deployed: the table's stream and its
//! scheduled sweep (`{"sweep":true}`), sending through SES, every call held against the
//! dispatcher's role in the template.

use madoguchi_core::domain::MailStatus;
use madoguchi_core::lambda::order_bus::OrderBus;
use madoguchi_core::mail::{SesSender, sender_address};
use madoguchi_core::service::outbox::stream::{Answer, BatchResponse, STREAM_SETTLE, dispatch};
use serde_json::Value;

use crate::outbox::{batch, fixture, item_of, moved_serial, stored, stream_of};
use crate::support::TestApp;

/// SES as the dispatcher reaches it: through its own endpoint of the proxy, from the
/// template's `SenderAddress`.
pub(crate) async fn ses(app: &TestApp) -> SesSender {
    let sdk = app.sdk_of("outbox-dispatcher").await;
    let from = format!(
        "madoguchi <{}>",
        app.cloud().stack().parameters["SenderAddress"]
    );
    SesSender::new(
        aws_sdk_sesv2::Client::new(&sdk),
        &sender_address(&from).unwrap(),
    )
}

/// The back office's bus as the dispatcher reaches it: through its endpoint of the proxy,
/// by the name the template gives it.
pub(crate) async fn order_bus(app: &TestApp) -> OrderBus {
    let sdk = app.sdk_of("outbox-dispatcher").await;
    let name = app.cloud().stack().event_bus_name("OrderBus");
    OrderBus::new(&sdk, name)
}

fn swept(answer: Answer) -> madoguchi_core::service::outbox::Sweep {
    match answer {
        Answer::Swept(swept) => swept.mails,
        other => panic!("not a sweep: {other:?}"),
    }
}

#[tokio::test]
#[ignore = "needs DynamoDB Local: scripts/test starts it"]
async fn the_stream_and_the_sweep_deliver_through_ses_within_the_dispatchers_role() {
    let app = TestApp::in_the_cloud().await;
    let dispatcher = app.as_function("outbox-dispatcher").await;
    let sender = ses(&app).await;
    let bus = order_bus(&app).await;
    let table = app.cloud().stack().table.clone();

    // A new mail, handed over by the stream.
    let member = app.member().await;
    let mail = moved_serial(&app, &member).await;
    let inserted = item_of(&table, &mail).await;
    let answer = dispatch(&dispatcher, &sender, &bus, stream_of(&inserted, &[0]))
        .await
        .unwrap();
    assert_eq!(batch(answer), BatchResponse::default());
    assert_eq!(stored(&app.ctx, &mail).await.status, MailStatus::Sent);

    // A mail SES refuses is recorded as a failed attempt, then swept up once due.
    let other = app.member().await;
    let refused = moved_serial(&app, &other).await;
    app.cloud().refuse_mail_to(&other.email);
    let inserted = item_of(&table, &refused).await;
    let answer = dispatch(&dispatcher, &sender, &bus, stream_of(&inserted, &[0]))
        .await
        .unwrap();
    assert_eq!(batch(answer), BatchResponse::default());
    let attempted = stored(&app.ctx, &refused).await;
    assert_eq!(attempted.status, MailStatus::Pending);
    assert_eq!(attempted.attempts, 1);

    // The schedule's input, as the template writes it, once the retry is due.
    let sweep: Value = fixture("schedule/outbox-sweep.json");
    let early = swept(
        dispatch(&dispatcher, &sender, &bus, sweep.clone())
            .await
            .unwrap(),
    );
    assert_eq!(early.sent, 0);
    app.advance(STREAM_SETTLE);
    app.advance(jiff::SignedDuration::from_hours(1));
    let cloud = app.cloud();
    let later = swept(
        dispatch(&dispatcher, &sender, &bus, sweep.clone())
            .await
            .unwrap(),
    );
    assert_eq!(later.retrying, 1, "{later:?}");
    cloud.assert_every_call_allowed();

    let to_member: Vec<_> = cloud
        .sent_emails()
        .into_iter()
        .filter(|m| m.to == [member.email.clone()])
        .collect();
    assert_eq!(to_member.len(), 1, "sent once");
    assert_eq!(to_member[0].function, "outbox-dispatcher");
}

/// The template allows sending as the sender's address or as its domain, whichever the
/// account has verified: with the address alone verified, mail still goes.
#[tokio::test]
#[ignore = "needs DynamoDB Local: scripts/test starts it"]
async fn the_dispatcher_sends_as_the_address_when_only_the_address_is_verified() {
    let app = TestApp::in_the_cloud().await;
    app.cloud().verify_sender_address_only();
    let dispatcher = app.as_function("outbox-dispatcher").await;
    let sender = ses(&app).await;
    let bus = order_bus(&app).await;
    let member = app.member().await;
    let mail = moved_serial(&app, &member).await;
    let inserted = item_of(&app.cloud().stack().table, &mail).await;
    let answer = dispatch(&dispatcher, &sender, &bus, stream_of(&inserted, &[0]))
        .await
        .unwrap();
    assert_eq!(batch(answer), BatchResponse::default());
    assert_eq!(stored(&app.ctx, &mail).await.status, MailStatus::Sent);
    assert_eq!(app.cloud().sent_emails().len(), 1);
}
