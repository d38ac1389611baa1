//! docs/cancellation.md: 解約, with every consequence at once.

use std::sync::atomic::Ordering;

use super::failing_store::throttled_store;
use super::{CLIENT, Counter, Member, device, term};
use crate::domain::MailKind;
use crate::domain::OrderStatus;
use crate::domain::{
    EventKind, Os, PaymentMethod, Plan, ReaderStatus, ReaderType, SerialStatus, SetVia, Setting,
};
use crate::service::Error;
use crate::service::activation::activate;
use crate::service::cancellation::{CancellationRequest, Outcome, cancel};
use crate::service::orders::{self, Progress};
use crate::service::reader::{self, OrderRequest};
use crate::service::session::authenticate;
use crate::service::{admin, line_notification, reminders};
use crate::store::SERIALS_PER_COMMIT;
use crate::store::fixtures::{grow_member, usable_and_deactivated};

/// A member with two serials (the first on a device), a rented reader shipped, another
/// ordered and not yet paid, and a session.
async fn busy_member(counter: &Counter) -> (Member, String) {
    let member = counter
        .member(vec![term(Plan::LicensePlus, "2027-06-30")])
        .await;
    let pc = device("pc-1", Os::Windows, "PC");
    activate(&counter.ctx, &member.id, &member.serials[0], pc, None)
        .await
        .unwrap();
    let rental = OrderRequest {
        reader_type: ReaderType::UsbMac,
        payment_method: PaymentMethod::Chocom,
        dry_run: false,
    };
    for shipped in [true, false] {
        let Ok(reader::Outcome::Ordered(ordered)) =
            reader::order(&counter.ctx, &member.id, rental.clone(), None).await
        else {
            panic!("a reader ordered");
        };
        if shipped {
            for (n, status) in [OrderStatus::Paid, OrderStatus::Shipped]
                .into_iter()
                .enumerate()
            {
                let progress = Progress {
                    event_id: format!("bo-{n}"),
                    status,
                    reason: None,
                };
                orders::report(&counter.ctx, &ordered.order_no, &progress)
                    .await
                    .unwrap();
            }
        }
    }
    let token = counter.token(&member).await;
    (member, token)
}

async fn cancelling(counter: &Counter, member: &Member, dry_run: bool) -> Result<Outcome, Error> {
    let request = CancellationRequest {
        reason: Some("引っ越しのため".to_owned()),
        dry_run,
    };
    cancel(&counter.ctx, &member.id, request, None).await
}

/// docs/cancellation.md: the dry run states every consequence, refund 0 among them, and changes nothing.
#[tokio::test]
async fn a_dry_run_lists_every_consequence_and_changes_nothing() {
    let counter = Counter::open().await;
    let (member, token) = busy_member(&counter).await;
    let Ok(Outcome::Preview(preview)) = cancelling(&counter, &member, true).await else {
        panic!("a dry run did not preview");
    };
    assert_eq!(preview.refund, 0);
    assert_eq!(preview.effective_on, counter.ctx.today());
    let listed = serde_json::to_value(&preview.consequences).unwrap();
    let kinds: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["kind"].as_str().unwrap())
        .collect();
    let count = |kind: &str| kinds.iter().filter(|k| **k == kind).count();
    assert_eq!(kinds[0], "no_refund");
    assert_eq!(count("serial_unavailable"), 2);
    assert_eq!(count("notification_stops"), 2, "one per seeded provider");
    assert_eq!(
        count("reader_to_return"),
        1,
        "the rental shipped, not the starter kit"
    );
    assert_eq!(
        count("order_withdrawn"),
        1,
        "the rental not yet shipped is withdrawn"
    );
    assert_eq!(count("sessions_end"), 1);
    assert!(
        listed
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["message"].as_str().is_some_and(|m| !m.is_empty()))
    );

    assert!(!counter.stored(&member).await.is_cancelled());
    assert!(authenticate(&counter.ctx, &token).await.is_ok());
}

/// docs/cancellation.md: on submit, at once: serials unavailable, notification off, rentals to return,
/// every session ended, a mail queued; then login is 403 and a second cancellation 409.
#[tokio::test]
async fn a_cancellation_applies_every_consequence_at_once() {
    let counter = Counter::open().await;
    let (member, token) = busy_member(&counter).await;
    let other_session = counter.token(&member).await;
    let Ok(Outcome::Cancelled(done)) = cancelling(&counter, &member, false).await else {
        panic!("a submission did not cancel");
    };
    assert_eq!(done.refund, 0);
    assert_eq!(done.effective_on, counter.ctx.today());

    for old in [&token, &other_session] {
        assert_refused!(authenticate(&counter.ctx, old).await, Error::Unauthorized);
    }
    let login = counter
        .log_in_with(&member, &member.access_key, CLIENT)
        .await;
    assert_refused!(login, Error::MembershipCancelled);

    let (_, serials) = counter
        .ctx
        .store
        .customer_with_serials(&member.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(serials.len(), 2);
    for serial in &serials {
        assert_eq!(serial.status, SerialStatus::Unavailable);
        assert!(serial.device.is_none());
    }
    let events = counter.history(&member, &member.serials[0]).await;
    assert_eq!(events.last().map(|e| e.kind), Some(EventKind::Deactivated));
    let providers = line_notification::overview(&counter.ctx, &member.id)
        .await
        .unwrap()
        .providers;
    assert_eq!(providers.len(), 2);
    for provider in &providers {
        assert_eq!(provider.setting, Setting::DoNotNotify);
        assert_eq!(provider.set_via, Some(SetVia::Cancellation));
    }
    let readers = counter.stored(&member).await.readers;
    let statuses: Vec<(bool, ReaderStatus)> =
        readers.iter().map(|r| (r.rental, r.status)).collect();
    assert_eq!(
        statuses,
        [
            (false, ReaderStatus::Delivered),
            (true, ReaderStatus::ToBeReturned)
        ]
    );
    let mails = counter.mails(&member, MailKind::MembershipCancelled).await;
    assert_eq!(mails.len(), 1);
    for serial in &member.serials {
        assert!(mails[0].body.contains(serial.as_str()));
    }

    let again = cancelling(&counter, &member, false).await;
    assert_refused!(again, Error::AlreadyCancelled);
    let reissue = admin::reissue_access_key(&counter.ctx, &member.id, None).await;
    assert_refused!(reissue, Error::AlreadyCancelled);
    // Records are kept: the member is still there to be looked at.
    assert!(counter.stored(&member).await.is_cancelled());
}

/// A member grown to `extra` more licences than they were created with (ending
/// 2026-12-10, so that the reminder job lists them), every other one on a device.
async fn grown_member(counter: &Counter, extra: usize) -> Member {
    let mut member = counter.member(Vec::new()).await;
    let grown = grow_member(
        counter.ctx.store.as_ref(),
        &member.id,
        extra,
        super::date("2026-12-10"),
        counter.ctx.clock.now(),
    )
    .await
    .unwrap();
    member.serials.extend(grown);
    member
}

/// How many of the member's serials are still usable, and how many events say a device
/// lost its licence.
async fn left_usable(counter: &Counter, member: &Member) -> (usize, usize) {
    usable_and_deactivated(counter.ctx.store.as_ref(), &member.id)
        .await
        .unwrap()
}

/// docs/cloud.md: a member with more serials than one commit changes is cancelled whole.
#[tokio::test]
async fn a_member_larger_than_one_commit_is_cancelled_whole() {
    let counter = Counter::open().await;
    let member = grown_member(&counter, 150).await;
    assert_eq!(left_usable(&counter, &member).await, (151, 0));

    let Ok(Outcome::Cancelled(_)) = cancelling(&counter, &member, false).await else {
        panic!("a submission did not cancel");
    };
    assert_eq!(
        left_usable(&counter, &member).await,
        (0, 75),
        "every serial unavailable, each of the 75 on a device taken off it"
    );
    let mails = counter.mails(&member, MailKind::MembershipCancelled).await;
    assert_eq!(mails.len(), 1);
}

/// docs/cloud.md: a cancellation stopped after its first commit has ended the membership (the
/// member got a receipt); the serials it left are finished by whichever request next
/// finds them, each once.
#[tokio::test]
async fn a_cancellation_stopped_halfway_is_finished_by_the_next_request() {
    let counter = Counter::open().await;
    let (store, ctx) = throttled_store(&counter, 0);
    let on_store = Counter {
        ctx,
        clock: counter.clock.clone(),
    };
    let finishers = [
        "a second cancellation",
        "an operator's read",
        "the reminder job",
    ];
    for finisher in finishers {
        let member = grown_member(&on_store, 150).await;
        store.commits_before_outage.store(1, Ordering::SeqCst);
        let cancelled = cancelling(&on_store, &member, false).await;
        assert!(
            matches!(cancelled, Ok(Outcome::Cancelled(_))),
            "the membership ended with the first commit"
        );
        store
            .commits_before_outage
            .store(u32::MAX, Ordering::SeqCst);
        let (usable, _) = left_usable(&on_store, &member).await;
        // The first commit places the line's end as an order, which takes one serial's
        // place in it.
        assert_eq!(
            usable,
            151 - (SERIALS_PER_COMMIT - 1),
            "{finisher}: left halfway"
        );
        assert_refused!(
            on_store
                .log_in_with(&member, &member.access_key, CLIENT)
                .await,
            Error::MembershipCancelled
        );

        match finisher {
            "a second cancellation" => assert_refused!(
                cancelling(&on_store, &member, false).await,
                Error::AlreadyCancelled
            ),
            "an operator's read" => {
                let state = admin::customer_state(&on_store.ctx, &member.id)
                    .await
                    .unwrap();
                let shown = serde_json::to_value(&state.serials).unwrap();
                assert!(
                    shown
                        .as_array()
                        .unwrap()
                        .iter()
                        .all(|s| s["status"] == "unavailable"),
                    "shown as the member was told"
                );
            }
            _ => {
                let summary = reminders::run(&on_store.ctx, super::date("2026-11-22"))
                    .await
                    .unwrap();
                assert_eq!(summary.sent, 0, "a cancelled member gets no reminder");
            }
        }
        assert_eq!(
            left_usable(&on_store, &member).await,
            (0, 75),
            "{finisher}: every serial retired, each device event once"
        );
        let mails = on_store.mails(&member, MailKind::MembershipCancelled).await;
        assert_eq!(mails.len(), 1);
    }
}

/// A cancellation stopped halfway leaves serials usable in their records; no change to one
/// of them is accepted after the membership ended, whoever asks (a request that passed
/// authentication just before, here called below HTTP): the member is read and guarded in
/// every such commit.
#[tokio::test]
async fn no_serial_changes_after_the_membership_ended_even_half_retired() {
    let counter = Counter::open().await;
    let (store, ctx) = throttled_store(&counter, 0);
    let on_store = Counter {
        ctx,
        clock: counter.clock.clone(),
    };
    let member = grown_member(&on_store, 150).await;
    store.commits_before_outage.store(1, Ordering::SeqCst);
    assert!(matches!(
        cancelling(&on_store, &member, false).await,
        Ok(Outcome::Cancelled(_))
    ));
    store
        .commits_before_outage
        .store(u32::MAX, Ordering::SeqCst);
    // Serial 100 was grown in use on a device (every other one is), and is still usable.
    let late = &member.serials[101];
    let before = on_store.ctx.store.serial(late).await.unwrap().unwrap();
    assert_eq!(before.status, SerialStatus::InUse, "not retired yet");

    let moved = activate(
        &on_store.ctx,
        &member.id,
        late,
        device("pc-late", Os::Windows, "PC"),
        None,
    )
    .await;
    assert_refused!(moved, Error::Unauthorized);
    let released = crate::service::activation::deactivate(&on_store.ctx, &member.id, late).await;
    assert_refused!(released, Error::Unauthorized);
    let after = on_store.ctx.store.serial(late).await.unwrap().unwrap();
    assert_eq!(after.version, before.version, "nothing written to it");
    assert_eq!(on_store.mail_count(&member, MailKind::SerialMoved).await, 0);
}

/// docs/cancellation.md: a cancellation stopped after its first commit leaves the orders
/// past that commit's share open; the next request that finds them withdraws them, the
/// back office's report of one of them included, which is then refused: nothing an order
/// would do is done for a member who has left.
#[tokio::test]
async fn orders_a_stopped_cancellation_left_open_are_withdrawn_by_the_next_request() {
    use super::orders::{apply, change_of};
    use crate::domain::order::reason;
    use crate::domain::{Provider, ProviderCode, Setting};
    let counter = Counter::open().await;
    let (store, ctx) = throttled_store(&counter, 0);
    let on_store = Counter {
        ctx,
        clock: counter.clock.clone(),
    };
    for finisher in ["the back office's report", "the member's login"] {
        let member = on_store.member(Vec::new()).await;
        let first = crate::service::orders::WITHDRAWN_PER_COMMIT;
        let mut placed = Vec::new();
        for n in 0..first + 5 {
            if n > 0 && n % 10 == 0 {
                // Ten applications a day.
                on_store.advance(jiff::SignedDuration::from_hours(24));
            }
            let code = format!(
                "{}{n:03}",
                if finisher.contains("report") {
                    "X"
                } else {
                    "Y"
                }
            );
            let provider = Provider {
                provider_code: ProviderCode::parse(&code).expect("a code"),
                provider_name: format!("事業者{n}"),
                service_name: "光電話".into(),
            };
            admin::register_provider(&on_store.ctx, provider, None)
                .await
                .unwrap();
            let change = change_of(&code, Setting::DoNotNotify, None);
            placed.push(apply(&on_store, &member, change).await);
        }
        store.commits_before_outage.store(1, Ordering::SeqCst);
        assert!(matches!(
            cancelling(&on_store, &member, false).await,
            Ok(Outcome::Cancelled(_))
        ));
        store
            .commits_before_outage
            .store(u32::MAX, Ordering::SeqCst);
        let stored = on_store.stored(&member).await;
        assert!(
            orders::left_to_withdraw(&stored),
            "{finisher}: left halfway"
        );

        // The newest order is past the first commit's share.
        let last = placed.last().expect("an order");
        match finisher {
            "the back office's report" => {
                let completed = Progress {
                    event_id: "bo-done".into(),
                    status: OrderStatus::Completed,
                    reason: None,
                };
                assert_refused!(
                    orders::report(&on_store.ctx, last, &completed).await,
                    Error::InvalidTransition { .. }
                );
            }
            _ => assert_refused!(
                on_store
                    .log_in_with(&member, &member.access_key, CLIENT)
                    .await,
                Error::MembershipCancelled
            ),
        }
        for order_no in &placed {
            let order = on_store.ctx.store.order(order_no).await.unwrap().unwrap();
            assert_eq!(order.status, OrderStatus::Failed, "{finisher}: {order_no}");
            assert_eq!(order.reason(), Some(reason::MEMBERSHIP_CANCELLED));
            assert!(order.publication.pending, "the back office is told");
        }
        let stored = on_store.stored(&member).await;
        assert!(!orders::left_to_withdraw(&stored));
        assert!(
            stored
                .provider_settings
                .iter()
                .all(|p| p.setting == Setting::DoNotNotify),
            "{finisher}: no provider notified again"
        );
    }
}
