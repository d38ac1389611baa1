//! SPEC §7: 解約, with every consequence at once.

use super::{CLIENT, Counter, Member, device, term};
use crate::domain::{
    EventKind, Os, PaymentMethod, Plan, ReaderStatus, ReaderType, SerialStatus, SetVia, Setting,
};
use crate::mail::MailKind;
use crate::service::Error;
use crate::service::activation::activate;
use crate::service::cancellation::{CancellationRequest, Outcome, cancel};
use crate::service::reader::{self, OrderRequest};
use crate::service::session::authenticate;
use crate::service::{admin, line_notification};

/// A member with two serials (the first on a device), a rented reader and a session.
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
    reader::order(&counter.ctx, &member.id, rental, None)
        .await
        .unwrap();
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

/// SPEC §7: the dry run states every consequence, refund 0 among them, and changes nothing.
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
        "the rental, not the starter kit"
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

/// SPEC §7: on submit, at once: serials unavailable, notification off, rentals to return,
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
