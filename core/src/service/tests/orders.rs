//! Orders (docs/orders.md): a line-notification change accepted as an order, carried out by
//! the back office's reports, withdrawn, and ended by a cancellation.

use super::*;
use crate::domain::order::reason;
use crate::domain::{ApplicantName, OrderNo, OrderStatus, Phone, ProviderCode, Setting};
use crate::service::cancellation::{self, CancellationRequest};
use crate::service::line_notification::{self, Applicant, Application, Change, Outcome};
use crate::service::orders::{self, Progress};

fn change_to(setting: Setting, completion_email: Option<&str>) -> Application {
    change_of("W0099", setting, completion_email)
}

/// An application changing the provider `code` to `setting`.
pub(super) fn change_of(
    code: &str,
    setting: Setting,
    completion_email: Option<&str>,
) -> Application {
    Application {
        changes: vec![Change {
            provider_code: ProviderCode::parse(code).expect("a code"),
            setting,
        }],
        consent: Consent {
            terms_version: current(TermsKind::LineNotification).version.to_owned(),
            agreed: true,
        },
        applicant: Applicant {
            name: ApplicantName::parse("山田 太郎").expect("a name"),
            phone: Phone::parse("06-0000-0000").expect("a phone"),
            email: completion_email.map(|e| Email::parse(e).expect("an address")),
            completion_email: completion_email.is_some(),
        },
        dry_run: false,
    }
}

pub(super) async fn apply(counter: &Counter, member: &Member, application: Application) -> OrderNo {
    match line_notification::apply(&counter.ctx, &member.id, application, None).await {
        Ok(Outcome::Applied(applied)) => applied.order_no,
        Ok(Outcome::Confirmation(_)) => panic!("a confirmation, not a submission"),
        Err(error) => panic!("refused: {error:?}"),
    }
}

fn progress(event_id: &str, status: OrderStatus) -> Progress {
    Progress {
        event_id: event_id.to_owned(),
        status,
        reason: None,
    }
}

async fn setting_of(counter: &Counter, member: &Member) -> (Setting, Option<Setting>) {
    let view = line_notification::overview(&counter.ctx, &member.id)
        .await
        .expect("the settings");
    let provider = view
        .providers
        .into_iter()
        .find(|p| p.provider_code.as_str() == "W0099")
        .expect("W0099");
    (provider.setting, provider.pending.map(|p| p.setting))
}

#[tokio::test]
async fn a_change_waits_for_its_order_and_applies_when_it_completes() {
    let counter = Counter::open().await;
    let member = counter.member(Vec::new()).await;
    let order_no = apply(
        &counter,
        &member,
        change_to(Setting::DoNotNotify, Some("taro@example.jp")),
    )
    .await;
    // Accepted: the setting stands, shown pending; a second change to it is refused.
    assert_eq!(
        setting_of(&counter, &member).await,
        (Setting::Notify, Some(Setting::DoNotNotify))
    );
    assert_refused!(
        line_notification::apply(
            &counter.ctx,
            &member.id,
            change_to(Setting::DoNotNotify, None),
            None
        )
        .await,
        Error::ChangePending
    );
    let receipts = super::super::receipts::ledger(&counter.ctx, &member.id, Default::default())
        .await
        .expect("the ledger");
    assert_eq!(
        receipts.receipts[0].order_no.as_deref(),
        Some(order_no.as_str())
    );
    assert_eq!(
        counter.mail_count(&member, MailKind::WorksCompleted).await,
        0
    );

    // 工事中, then 完了: the setting changes, and the 工事完了通知 goes to the applicant.
    let moved = orders::report(
        &counter.ctx,
        &order_no,
        &progress("e-1", OrderStatus::InProgress),
    )
    .await
    .expect("in progress");
    assert_eq!(moved.status, OrderStatus::InProgress);
    assert_refused!(
        orders::withdraw(&counter.ctx, &member.id, &order_no, None).await,
        Error::InvalidTransition { .. }
    );
    counter.advance(SignedDuration::from_hours(1));
    let done = orders::report(
        &counter.ctx,
        &order_no,
        &progress("e-2", OrderStatus::Completed),
    )
    .await
    .expect("completed");
    assert_eq!(done.status, OrderStatus::Completed);
    assert_eq!(
        setting_of(&counter, &member).await,
        (Setting::DoNotNotify, None)
    );
    let to = Email::parse("taro@example.jp").expect("an address");
    let mails = counter.ctx.store.mails_to(&to).await.expect("the outbox");
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].kind, MailKind::WorksCompleted);
    assert!(mails[0].body.contains("通知しない"), "{}", mails[0].body);
    assert!(mails[0].body.contains(order_no.as_str()));

    // The same event again changes nothing; a move after the end is refused.
    let again = orders::report(
        &counter.ctx,
        &order_no,
        &progress("e-2", OrderStatus::Completed),
    )
    .await
    .expect("the same event again");
    assert_eq!(again.steps.len(), done.steps.len());
    assert_eq!(
        counter.ctx.store.mails_to(&to).await.expect("outbox").len(),
        1
    );
    for status in [
        OrderStatus::InProgress,
        OrderStatus::Failed,
        OrderStatus::Completed,
    ] {
        assert_refused!(
            orders::report(&counter.ctx, &order_no, &progress("e-3", status)).await,
            Error::InvalidTransition { .. }
        );
    }
    // The provider can be changed again.
    apply(&counter, &member, change_to(Setting::Notify, None)).await;
}

#[tokio::test]
async fn a_failed_order_applies_nothing_and_mails_why() {
    let counter = Counter::open().await;
    let member = counter.member(Vec::new()).await;
    let order_no = apply(
        &counter,
        &member,
        change_to(Setting::DoNotNotify, Some("taro@example.jp")),
    )
    .await;
    let failed = Progress {
        reason: Some("設備の故障のため工事を行えませんでした".to_owned()),
        ..progress("e-1", OrderStatus::Failed)
    };
    let view = orders::report(&counter.ctx, &order_no, &failed)
        .await
        .expect("failed");
    assert_eq!(
        view.reason.as_deref(),
        Some("設備の故障のため工事を行えませんでした")
    );
    assert_eq!(setting_of(&counter, &member).await, (Setting::Notify, None));
    let mails = counter.mails(&member, MailKind::OrderFailed).await;
    assert_eq!(mails.len(), 1);
    assert!(mails[0].body.contains("設備の故障"), "{}", mails[0].body);
    assert_eq!(
        counter
            .ctx
            .store
            .mails_to(&Email::parse("taro@example.jp").expect("an address"))
            .await
            .expect("outbox")
            .len(),
        0,
        "no 工事完了通知"
    );
}

#[tokio::test]
async fn a_member_withdraws_an_order_before_the_work_starts() {
    let counter = Counter::open().await;
    let member = counter.member(Vec::new()).await;
    let other = counter.member(Vec::new()).await;
    let order_no = apply(&counter, &member, change_to(Setting::DoNotNotify, None)).await;
    assert_refused!(
        orders::withdraw(&counter.ctx, &other.id, &order_no, None).await,
        Error::NotFound
    );
    assert_refused!(
        orders::order_of(&counter.ctx, &other.id, &order_no).await,
        Error::NotFound
    );
    let withdrawn = orders::withdraw(&counter.ctx, &member.id, &order_no, None)
        .await
        .expect("withdrawn");
    assert_eq!(withdrawn.status, OrderStatus::Failed);
    assert_eq!(withdrawn.reason.as_deref(), Some(reason::WITHDRAWN));
    assert_eq!(setting_of(&counter, &member).await, (Setting::Notify, None));
    assert_refused!(
        orders::withdraw(&counter.ctx, &member.id, &order_no, None).await,
        Error::InvalidTransition { .. }
    );
    assert_refused!(
        orders::report(
            &counter.ctx,
            &order_no,
            &progress("e-1", OrderStatus::Completed)
        )
        .await,
        Error::InvalidTransition { .. }
    );
    let stored = counter
        .ctx
        .store
        .order(&order_no)
        .await
        .expect("read")
        .expect("the order");
    assert!(
        stored.publication.pending,
        "the back office is told of the withdrawal"
    );
}

/// Concurrent reports on one order: each event is applied once, the order moves forward
/// only, and completion's effect and mail happen once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_reports_on_one_order_apply_each_once() {
    let counter = Counter::open().await;
    let member = counter.member(Vec::new()).await;
    let order_no = apply(
        &counter,
        &member,
        change_to(Setting::DoNotNotify, Some("taro@example.jp")),
    )
    .await;
    let mut tasks = Vec::new();
    for n in 0..8 {
        let (ctx, no) = (counter.ctx.clone(), order_no.clone());
        let status = if n % 2 == 0 {
            OrderStatus::InProgress
        } else {
            OrderStatus::Completed
        };
        tasks.push(tokio::spawn(async move {
            orders::report(&ctx, &no, &progress(&format!("e-{}", n % 4), status)).await
        }));
    }
    let mut completed = 0;
    for task in tasks {
        match task.await.expect("the task") {
            Ok(view) if view.status == OrderStatus::Completed => completed += 1,
            Ok(_) | Err(Error::InvalidTransition { .. }) => {}
            Err(other) => panic!("{other:?}"),
        }
    }
    assert!(completed >= 1);
    let order = counter
        .ctx
        .store
        .order(&order_no)
        .await
        .expect("read")
        .expect("the order");
    assert_eq!(order.status, OrderStatus::Completed);
    let statuses: Vec<_> = order.steps.iter().map(|s| s.status).collect();
    assert!(
        statuses == [OrderStatus::Accepted, OrderStatus::Completed]
            || statuses
                == [
                    OrderStatus::Accepted,
                    OrderStatus::InProgress,
                    OrderStatus::Completed
                ],
        "{statuses:?}"
    );
    let to = Email::parse("taro@example.jp").expect("an address");
    assert_eq!(
        counter.ctx.store.mails_to(&to).await.expect("outbox").len(),
        1
    );
    assert_eq!(
        setting_of(&counter, &member).await,
        (Setting::DoNotNotify, None)
    );
}

/// A cancellation racing an order's completion: exactly one wins. Either the order
/// completed first (the setting is then ended by the cancellation anyway) or it was
/// withdrawn with the cancellation and its completion is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_cancellation_racing_a_completion_has_one_winner() {
    for round in 0..6 {
        let counter = Counter::open().await;
        let member = counter.member(Vec::new()).await;
        let order_no = apply(&counter, &member, change_to(Setting::DoNotNotify, None)).await;
        let (ctx, no) = (counter.ctx.clone(), order_no.clone());
        let completion = tokio::spawn(async move {
            orders::report(&ctx, &no, &progress("done", OrderStatus::Completed)).await
        });
        let (ctx, id) = (counter.ctx.clone(), member.id.clone());
        let cancel = tokio::spawn(async move {
            cancellation::cancel(
                &ctx,
                &id,
                CancellationRequest {
                    reason: None,
                    dry_run: false,
                },
                None,
            )
            .await
        });
        let completed = completion.await.expect("the task");
        assert!(cancel.await.expect("the task").is_ok(), "round {round}");
        let order = counter
            .ctx
            .store
            .order(&order_no)
            .await
            .expect("read")
            .expect("the order");
        match completed {
            Ok(_) => assert_eq!(order.status, OrderStatus::Completed, "round {round}"),
            Err(Error::InvalidTransition { .. }) => {
                assert_eq!(order.status, OrderStatus::Failed, "round {round}");
                assert_eq!(order.reason(), Some(reason::MEMBERSHIP_CANCELLED));
            }
            Err(other) => panic!("round {round}: {other:?}"),
        }
        let stored = counter.stored(&member).await;
        assert!(stored.is_cancelled());
        assert_eq!(stored.open_orders.len(), 1, "only the line's end is open");
        assert_eq!(
            stored.open_orders[0].details.kind(),
            crate::domain::OrderKind::LineTermination
        );
        assert_eq!(setting_of(&counter, &member).await.0, Setting::DoNotNotify);
    }
}

/// A back office that records what it is handed, and fails while told to.
#[derive(Default)]
struct Recording {
    events: std::sync::Mutex<Vec<(String, String, String)>>,
    failing: std::sync::atomic::AtomicBool,
}

#[async_trait::async_trait]
impl crate::service::outbox::BackOffice for Recording {
    async fn publish(
        &self,
        detail_type: &str,
        order: &crate::domain::product_order::ProductOrder,
    ) -> Result<(), String> {
        if self.failing.load(std::sync::atomic::Ordering::SeqCst) {
            return Err("the bus did not answer".into());
        }
        self.events.lock().expect("the list").push((
            detail_type.to_owned(),
            order.id.clone(),
            order.state.to_owned(),
        ));
        Ok(())
    }
}

/// docs/orders.md: each order is handed over once, however often it is listed or its
/// record comes again; a failed hand-over is retried after the backoff; a withdrawal is
/// handed over too.
#[tokio::test]
async fn an_order_is_handed_over_once_and_retried_after_a_failure() {
    use crate::service::outbox::{HandOver, hand_over, hand_over_due};
    let counter = Counter::open().await;
    let member = counter.member(Vec::new()).await;
    let back_office = Recording::default();
    back_office
        .failing
        .store(true, std::sync::atomic::Ordering::SeqCst);
    let first = apply(&counter, &member, change_to(Setting::DoNotNotify, None)).await;
    let now = counter.ctx.clock.now();
    let round = hand_over_due(&counter.ctx, &back_office, now, 100)
        .await
        .expect("a round");
    assert_eq!(round.retrying, 1);
    // Not due again before the backoff, even when named directly (a stream record).
    assert_eq!(
        hand_over(&counter.ctx, &back_office, &first)
            .await
            .expect("a try"),
        HandOver::Skipped
    );
    back_office
        .failing
        .store(false, std::sync::atomic::Ordering::SeqCst);
    counter.advance(SignedDuration::from_mins(1));
    let round = hand_over_due(&counter.ctx, &back_office, counter.ctx.clock.now(), 100)
        .await
        .expect("a round");
    assert_eq!(round.published, 1);
    // Listed again by a stale index, or its record seen again: nothing more goes out.
    for _ in 0..3 {
        assert_eq!(
            hand_over(&counter.ctx, &back_office, &first)
                .await
                .expect("a try"),
            HandOver::Skipped
        );
    }
    let round = hand_over_due(&counter.ctx, &back_office, counter.ctx.clock.now(), 100)
        .await
        .expect("a round");
    assert_eq!(round.published, 0);
    assert_eq!(
        back_office.events.lock().expect("the list").clone(),
        [(
            "OrderPlaced".to_owned(),
            first.to_string(),
            "acknowledged".to_owned()
        )]
    );

    // A second order, withdrawn before it was handed over: the back office learns both.
    counter.advance(SignedDuration::from_mins(1));
    let other = counter.member(Vec::new()).await;
    let second = apply(&counter, &other, change_to(Setting::DoNotNotify, None)).await;
    orders::withdraw(&counter.ctx, &other.id, &second, None)
        .await
        .expect("withdrawn");
    hand_over_due(&counter.ctx, &back_office, counter.ctx.clock.now(), 100)
        .await
        .expect("a round");
    let events = back_office.events.lock().expect("the list").clone();
    assert_eq!(
        events.last(),
        Some(&(
            "OrderStateChanged".to_owned(),
            second.to_string(),
            "cancelled".to_owned()
        ))
    );
}

/// A publisher that died holding its claim: the order is handed over by the next one once
/// the claim lapses, never by two at once; a withdrawal meanwhile keeps the claim, and is
/// the event handed over (the second of the order).
#[tokio::test]
async fn a_claim_left_by_a_dead_publisher_lapses() {
    use crate::service::outbox::{CLAIM_LEASE, HandOver, hand_over};
    use crate::store::Write;
    let counter = Counter::open().await;
    let member = counter.member(Vec::new()).await;
    let order_no = apply(&counter, &member, change_to(Setting::DoNotNotify, None)).await;
    let mut claimed = counter
        .ctx
        .store
        .order(&order_no)
        .await
        .expect("read")
        .expect("order");
    let read = claimed.clone();
    claimed.publication.claim = Some("dead".into());
    claimed.publication.claimed_until = Some(counter.ctx.clock.now() + CLAIM_LEASE);
    counter
        .ctx
        .store
        .commit(vec![Write::move_order(claimed, &read)])
        .await
        .expect("claimed");
    // Withdrawn while that publisher may still be at work: its claim stands.
    orders::withdraw(&counter.ctx, &member.id, &order_no, None)
        .await
        .expect("withdrawn");
    let stored = counter.ctx.store.order(&order_no).await.unwrap().unwrap();
    assert_eq!(stored.publication.claim.as_deref(), Some("dead"));
    assert_eq!(stored.publication.sequence, 2);
    let back_office = Recording::default();
    assert_eq!(
        hand_over(&counter.ctx, &back_office, &order_no)
            .await
            .expect("a try"),
        HandOver::Skipped
    );
    counter.advance(CLAIM_LEASE + SignedDuration::from_secs(1));
    assert_eq!(
        hand_over(&counter.ctx, &back_office, &order_no)
            .await
            .expect("a try"),
        HandOver::Published
    );
    assert_eq!(
        back_office.events.lock().expect("the list").clone(),
        [(
            "OrderStateChanged".to_owned(),
            order_no.to_string(),
            "cancelled".to_owned()
        )]
    );
}
