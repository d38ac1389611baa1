//! docs/mail.md, docs/cloud.md: the outbox dispatcher. Mails queued by real operations are delivered over
//! SMTP to a sink this test runs on loopback; a failing mail is retried with backoff
//! without holding back the others, and is `failed` after 10 attempts. The cloud's
//! dispatcher takes the table's stream records (JSON kept in `tests/fixtures`) and the
//! schedule's sweep.

use std::sync::Arc;

use jiff::SignedDuration;
use madoguchi_core::domain::Email;
use madoguchi_core::domain::{Mail, MailStatus, backoff};
use madoguchi_core::mail::{SmtpSender, sender_address};
use madoguchi_core::service::outbox::stream::{Answer, BatchResponse, STREAM_SETTLE, dispatch};
use madoguchi_core::service::outbox::{Sweep, sweep};
use madoguchi_core::store::dynamodb::DynamoStore;
use madoguchi_core::{Clock, Context, ManualClock};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::smtp_sink::SmtpSink;
use crate::support::{HandedOver, Member, TestApp, dynamodb_table, logs, start_of_tests};

pub(crate) fn fixture(name: &str) -> Value {
    let path = format!("{}/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

fn smtp(sink: &SmtpSink) -> SmtpSender {
    SmtpSender::new(
        &sink.url,
        sender_address("madoguchi <no-reply@example.jp>").unwrap(),
    )
    .unwrap()
}

/// A member whose serial is moved to a second device: the move queues a `serial_moved`
/// mail (docs/usage.md). Returns that mail as stored.
pub(crate) async fn moved_serial(app: &TestApp, member: &Member) -> Mail {
    let token = app.login(member).await;
    let path = format!("/v1/serials/{}/activation", member.serials[0]);
    for device in ["pc-1", "pc-2"] {
        let answer = app
            .post(
                &path,
                &token,
                json!({"device_id": device, "os": "windows", "name": "PC"}),
            )
            .await;
        assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
    }
    let mut mails = stored_mails(&app.ctx, &member.email).await;
    assert_eq!(mails.len(), 1, "the move queued one mail");
    mails.remove(0)
}

async fn stored_mails(ctx: &Context, email: &str) -> Vec<Mail> {
    ctx.store
        .mails_to(&Email::parse(email).unwrap())
        .await
        .unwrap()
}

pub(crate) async fn stored(ctx: &Context, mail: &Mail) -> Mail {
    ctx.store
        .mail(&mail.to, &mail.mail_id)
        .await
        .unwrap()
        .expect("stored")
}

pub(crate) fn delivered_with_id(received: &[crate::smtp_sink::Received], mail: &Mail) -> usize {
    let id = format!("Message-ID: <{}@example.jp>", mail.mail_id);
    received.iter().filter(|r| r.data.contains(&id)).count()
}

#[tokio::test]
async fn a_failing_mail_is_retried_with_backoff_never_holds_back_others_and_fails_after_ten() {
    let app = TestApp::spawn().await;
    let sink = SmtpSink::start().await;
    let sender = smtp(&sink);
    let (refused, fine) = (app.member().await, app.member().await);
    sink.refuse(&refused.email);
    // The refused member's mail is the older one: it is first in line.
    let failing = moved_serial(&app, &refused).await;
    app.advance(SignedDuration::from_secs(1));
    let going = moved_serial(&app, &fine).await;

    let now = app.clock.now();
    let round = sweep(&app.ctx, &sender, now, 100).await.unwrap();
    assert_eq!((round.sent, round.retrying), (1, 1), "{round:?}");
    let received = sink.received_by(&fine.email);
    assert_eq!(delivered_with_id(&received, &going), 1);
    assert_eq!(received[0].from, "no-reply@example.jp");
    assert_eq!(stored(&app.ctx, &going).await.status, MailStatus::Sent);

    let after_one = stored(&app.ctx, &failing).await;
    assert_eq!(after_one.status, MailStatus::Pending);
    assert_eq!(after_one.attempts, 1);
    assert_eq!(after_one.next_attempt_at, Some(now + backoff(1)));
    let reason = after_one.last_error.clone().unwrap();
    assert!(reason.contains("550"), "{reason}");
    assert!(!reason.contains(&refused.email), "{reason}");

    // Not due before its time: a round now, or a second early, tries nothing.
    app.advance(backoff(1) - SignedDuration::from_secs(1));
    let early = sweep(&app.ctx, &sender, app.clock.now(), 100)
        .await
        .unwrap();
    assert_eq!(early, Sweep::default());
    assert_eq!(stored(&app.ctx, &failing).await.attempts, 1);

    app.advance(SignedDuration::from_secs(1));
    for attempt in 2..=10 {
        let round = sweep(&app.ctx, &sender, app.clock.now(), 100)
            .await
            .unwrap();
        let mail = stored(&app.ctx, &failing).await;
        assert_eq!(mail.attempts, attempt);
        if attempt < 10 {
            assert_eq!(round.retrying, 1, "attempt {attempt}: {round:?}");
            assert_eq!(mail.status, MailStatus::Pending);
            assert_eq!(
                mail.next_attempt_at,
                Some(app.clock.now() + backoff(attempt))
            );
            app.advance(backoff(attempt));
        } else {
            assert_eq!(round.failed, 1, "{round:?}");
            assert_eq!(mail.status, MailStatus::Failed);
        }
    }
    assert!(sink.received_by(&refused.email).is_empty());
    app.advance(SignedDuration::from_hours(24));
    assert_eq!(
        sweep(&app.ctx, &sender, app.clock.now(), 100)
            .await
            .unwrap(),
        Sweep::default(),
        "a failed mail is not tried again"
    );

    // docs/operators.md: operators list the mails that gave up.
    let failed = app.admin_get("/outbox?status=failed").await;
    assert_eq!(failed.status, StatusCode::OK, "{:?}", failed.body);
    let mails = failed.body["mails"].as_array().unwrap();
    assert_eq!(mails.len(), 1, "{mails:?}");
    assert_eq!(mails[0]["mail_id"], failing.mail_id.as_str());
    assert_eq!(mails[0]["to"], refused.email.as_str());
    assert_eq!(mails[0]["kind"], "serial_moved");
    assert_eq!(mails[0]["status"], "failed");
    assert_eq!(mails[0]["attempts"], 10);
    assert!(
        !mails[0]["last_error"]
            .as_str()
            .unwrap()
            .contains(&refused.email)
    );
    // `to` still works, alone or with a status.
    let to_refused = app
        .admin_get(&format!("/outbox?to={}&status=failed", refused.email))
        .await;
    assert_eq!(to_refused.body["mails"].as_array().unwrap().len(), 1);
    let to_fine = app
        .admin_get(&format!("/outbox?to={}&status=failed", fine.email))
        .await;
    assert!(to_fine.body["mails"].as_array().unwrap().is_empty());
    assert_eq!(app.mails_to(&fine.email).await[0]["status"], "sent");
    for (query, field) in [
        ("status=sent", "to"),
        ("", "to"),
        ("to=a@example.jp&status=lost", "status"),
    ] {
        let refused = app.admin_get(&format!("/outbox?{query}")).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{query}");
        assert_eq!(refused.field_codes()[0].0, field, "{query}");
    }
    assert!(
        !logs().contains(&refused.email),
        "the refused address reached the logs"
    );
}

#[tokio::test]
async fn the_scheduled_sweep_leaves_new_mails_to_the_stream_then_delivers_them() {
    let app = TestApp::spawn().await;
    let sink = SmtpSink::start().await;
    let sender = smtp(&sink);
    let member = app.member().await;
    let mail = moved_serial(&app, &member).await;
    let eventbridge = json!({
        "version": "0", "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
        "detail-type": "Scheduled Event", "source": "aws.events",
        "account": "123456789012", "time": "2026-11-22T00:00:00Z", "region": "ap-northeast-1",
        "resources": ["arn:aws:events:ap-northeast-1:123456789012:rule/outbox-sweep"],
        "detail": {}
    });
    let swept = |answer: Answer| match answer {
        Answer::Swept(swept) => swept.mails,
        other => panic!("not a sweep: {other:?}"),
    };

    let at_once = dispatch(
        &app.ctx,
        &sender,
        &HandedOver::default(),
        fixture("schedule/outbox-sweep.json"),
    )
    .await
    .unwrap();
    assert_eq!(swept(at_once).sent, 0, "a mail this new is the stream's");
    app.advance(STREAM_SETTLE);
    let later = dispatch(
        &app.ctx,
        &sender,
        &HandedOver::default(),
        eventbridge.clone(),
    )
    .await
    .unwrap();
    assert_eq!(swept(later).sent, 1);
    assert_eq!(
        delivered_with_id(&sink.received_by(&member.email), &mail),
        1
    );
    assert_eq!(stored(&app.ctx, &mail).await.status, MailStatus::Sent);
    let again = dispatch(&app.ctx, &sender, &HandedOver::default(), eventbridge)
        .await
        .unwrap();
    assert_eq!(swept(again), Sweep::default());
    assert_eq!(sink.received().len(), 1);
}

/// The fixture's records, with the mail record's keys and image those of `item`.
pub(crate) fn stream_of(item: &Value, records: &[usize]) -> Value {
    let template = fixture("dynamodb-stream/outbox.json");
    let records: Vec<Value> = records
        .iter()
        .map(|&i| {
            let mut record = template["Records"][i].clone();
            if i < 2 {
                record["dynamodb"]["Keys"] = json!({"pk": item["pk"], "sk": item["sk"]});
                record["dynamodb"]["NewImage"] = item.clone();
            }
            record
        })
        .collect();
    json!({"Records": records})
}

/// The mail's item as DynamoDB holds it, in the stream's JSON form, found without
/// knowing the table's keys.
pub(crate) async fn item_of(table: &str, mail: &Mail) -> Value {
    let client = aws_sdk_dynamodb::Client::new(&aws_config::load_from_env().await);
    let scanned = client
        .scan()
        .table_name(table)
        .filter_expression("mail_id = :id")
        .expression_attribute_values(
            ":id",
            aws_sdk_dynamodb::types::AttributeValue::S(mail.mail_id.clone()),
        )
        .consistent_read(true)
        .send()
        .await
        .unwrap();
    let items = scanned.items.unwrap_or_default();
    assert_eq!(items.len(), 1);
    serde_json::to_value(serde_dynamo::Item::from(items[0].clone())).unwrap()
}

pub(crate) fn batch(answer: Answer) -> BatchResponse {
    match answer {
        Answer::Batch(response) => response,
        other => panic!("not a batch answer: {other:?}"),
    }
}

#[tokio::test]
#[ignore = "needs DynamoDB Local: scripts/test starts it"]
async fn a_stream_insert_delivers_its_mail_once_and_nothing_else_sends() {
    let table = format!("test-{}", madoguchi_core::secret::random_digits(12));
    let app = TestApp::spawn_over(Arc::new(dynamodb_table(&table).await)).await;
    let sink = SmtpSink::start().await;
    let sender = smtp(&sink);
    let member = app.member().await;
    let mail = moved_serial(&app, &member).await;
    let inserted = item_of(&table, &mail).await;
    assert_eq!(inserted["status"], json!({"S": "pending"}));

    let answer = dispatch(
        &app.ctx,
        &sender,
        &HandedOver::default(),
        stream_of(&inserted, &[0, 2]),
    )
    .await
    .unwrap();
    assert_eq!(batch(answer), BatchResponse::default());
    let received = sink.received_by(&member.email);
    assert_eq!(delivered_with_id(&received, &mail), 1);
    assert!(received[0].data.contains(&format!("To: {}", member.email)));
    let marked = stored(&app.ctx, &mail).await;
    assert_eq!(marked.status, MailStatus::Sent);
    assert_eq!(marked.sent_at, Some(app.clock.now()));

    // The same record again (a retried batch), and the record of its marking.
    let sent_item = item_of(&table, &mail).await;
    assert_eq!(sent_item["status"], json!({"S": "sent"}));
    for event in [
        stream_of(&inserted, &[0]),
        stream_of(&sent_item, &[1]),
        stream_of(&inserted, &[2, 0, 1]),
    ] {
        let answer = dispatch(&app.ctx, &sender, &HandedOver::default(), event)
            .await
            .unwrap();
        assert_eq!(batch(answer), BatchResponse::default());
    }
    assert_eq!(sink.received().len(), 1, "sent once");
}

#[tokio::test]
#[ignore = "needs DynamoDB Local: scripts/test starts it"]
async fn a_stream_mail_that_fails_to_send_is_left_to_the_sweep_not_the_batch() {
    let table = format!("test-{}", madoguchi_core::secret::random_digits(12));
    let app = TestApp::spawn_over(Arc::new(dynamodb_table(&table).await)).await;
    let sink = SmtpSink::start().await;
    let sender = smtp(&sink);
    let (refused, fine) = (app.member().await, app.member().await);
    sink.refuse(&refused.email);
    let failing = moved_serial(&app, &refused).await;
    let going = moved_serial(&app, &fine).await;
    let mut records = Vec::new();
    for mail in [&failing, &going] {
        let item = item_of(&table, mail).await;
        let mut record = stream_of(&item, &[0])["Records"][0].clone();
        record["dynamodb"]["SequenceNumber"] = json!(format!("2222{}", records.len()));
        records.push(record);
    }

    let answer = dispatch(
        &app.ctx,
        &sender,
        &HandedOver::default(),
        json!({"Records": records}),
    )
    .await
    .unwrap();
    assert_eq!(
        batch(answer),
        BatchResponse::default(),
        "a refused mail is no batch failure: the others are not sent again"
    );
    assert_eq!(delivered_with_id(&sink.received_by(&fine.email), &going), 1);
    let waiting = stored(&app.ctx, &failing).await;
    assert_eq!((waiting.status, waiting.attempts), (MailStatus::Pending, 1));
    assert_eq!(waiting.next_attempt_at, Some(app.clock.now() + backoff(1)));

    // The sweep retries it once it is due, from the index that now files it later.
    app.advance(backoff(1));
    let swept = sweep(&app.ctx, &sender, app.clock.now(), 100)
        .await
        .unwrap();
    assert_eq!((swept.retrying, swept.sent), (1, 0), "{swept:?}");
    assert_eq!(stored(&app.ctx, &failing).await.attempts, 2);
    assert_eq!(sink.received().len(), 1);
}

/// A store that cannot be reached: DynamoDB's endpoint is a loopback port nobody serves.
async fn unreachable_store() -> DynamoStore {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let config = aws_sdk_dynamodb::Config::builder()
        .behavior_version(aws_sdk_dynamodb::config::BehaviorVersion::latest())
        .region(aws_sdk_dynamodb::config::Region::new("ap-northeast-1"))
        .credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
            "AKIDUNREACHABLE",
            "unreachable",
            None,
            None,
            "test",
        ))
        .retry_config(aws_sdk_dynamodb::config::retry::RetryConfig::disabled())
        .endpoint_url(endpoint)
        .build();
    DynamoStore::new(aws_sdk_dynamodb::Client::from_conf(config), "unreachable")
}

#[tokio::test]
async fn records_whose_store_failed_are_handed_back_by_sequence_number() {
    let ctx = Context::new(
        Arc::new(unreachable_store().await),
        Arc::new(ManualClock::new(start_of_tests())),
        Default::default(),
    );
    let sink = SmtpSink::start().await;
    let answer = dispatch(
        &ctx,
        &smtp(&sink),
        &HandedOver::default(),
        fixture("dynamodb-stream/outbox.json"),
    )
    .await
    .unwrap();
    // Only the mail's insertion was worked on; the marking and the receipt are ignored.
    assert_eq!(
        serde_json::to_value(answer).unwrap(),
        json!({"batchItemFailures": [{"itemIdentifier": "111100000000000000000001"}]})
    );
    assert!(sink.received().is_empty());
}

/// The fixtures are in the shape Lambda hands over, as `aws_lambda_events` reads it, and
/// the answer is the shape it reads back.
#[test]
fn the_fixtures_and_the_answer_are_in_lambdas_shapes() {
    use aws_lambda_events::event::dynamodb::Event;
    use aws_lambda_events::event::streams::DynamoDbEventResponse;

    let event: Event = serde_json::from_value(fixture("dynamodb-stream/outbox.json")).unwrap();
    assert_eq!(event.records.len(), 3);
    assert_eq!(event.records[0].event_name, "INSERT");
    assert_eq!(
        event.records[0].change.sequence_number.as_deref(),
        Some("111100000000000000000001")
    );
    let answer = json!({"batchItemFailures": [{"itemIdentifier": "111100000000000000000001"}]});
    let read: DynamoDbEventResponse = serde_json::from_value(answer.clone()).unwrap();
    assert_eq!(
        read.batch_item_failures[0].item_identifier.as_deref(),
        Some("111100000000000000000001")
    );
    let ours = madoguchi_core::service::outbox::stream::BatchResponse {
        batch_item_failures: vec![madoguchi_core::service::outbox::stream::BatchItemFailure {
            item_identifier: "111100000000000000000001".into(),
        }],
    };
    assert_eq!(serde_json::to_value(ours).unwrap(), answer);
}

/// docs/mail.md, docs/cloud.md: two sweeps at once (a sweep and its retry, say) over 500 due mails, with a
/// mail server slow to accept each: every mail is delivered once, never by both.
#[tokio::test]
async fn two_sweeps_at_once_deliver_each_mail_once() {
    use madoguchi_core::domain::MailKind;
    use madoguchi_core::store::Write;
    let app = TestApp::spawn().await;
    let sink = SmtpSink::start().await;
    sink.slow_down(std::time::Duration::from_millis(2));
    let now = app.clock.now();
    let mails: Vec<Mail> = (0..500)
        .map(|n| {
            let to = Email::parse(&format!("sweep{:02}@example.jp", n % 50)).unwrap();
            Mail::new(
                &to,
                MailKind::SerialMoved,
                format!("件名 {n}"),
                "本文".into(),
                now,
            )
        })
        .collect();
    for chunk in mails.chunks(50) {
        let writes = chunk.iter().cloned().map(Write::EnqueueMail).collect();
        app.ctx.store.commit(writes).await.unwrap();
    }
    // Two invocations of the dispatcher, each with its own client (and, in the cloud's
    // shape, its own endpoint of the IAM proxy) and its own connection to the server.
    let dispatcher = || async {
        match &app.cloud {
            Some(_) => app.as_function("outbox-dispatcher").await,
            None => app.ctx.clone(),
        }
    };
    let (one, two) = (dispatcher().await, dispatcher().await);
    let (sender_one, sender_two) = (smtp(&sink), smtp(&sink));
    let (first, second) = tokio::join!(
        sweep(&one, &sender_one, now, 1_000),
        sweep(&two, &sender_two, now, 1_000)
    );
    let (first, second) = (first.unwrap(), second.unwrap());
    assert_eq!(first.sent + second.sent, 500, "{first:?} {second:?}");
    let received = sink.received();
    assert_eq!(received.len(), 500);
    for mail in &mails {
        assert_eq!(delivered_with_id(&received, mail), 1, "{}", mail.mail_id);
    }
}
