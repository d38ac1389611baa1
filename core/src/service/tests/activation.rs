//! docs/usage.md: one serial serves one device.

use jiff::SignedDuration;

use super::{Counter, Member, device};
use crate::domain::MailKind;
use crate::domain::{EventKind, Os, SerialStatus};
use crate::service::Error;
use crate::service::activation::{Activation, DeviceRequest, activate};

async fn install(
    counter: &Counter,
    member: &Member,
    on: DeviceRequest,
) -> Result<Activation, Error> {
    activate(&counter.ctx, &member.id, &member.serials[0], on, None).await
}

/// docs/usage.md: activating on another device moves the serial there, names the device that
/// lost it, records the move and mails the member.
#[tokio::test]
async fn a_move_names_the_previous_device_and_is_mailed_and_recorded() {
    let counter = Counter::open().await;
    let member = counter.member(Vec::new()).await;
    let first = install(&counter, &member, device("pc-1", Os::Windows, "居間のPC"))
        .await
        .unwrap();
    assert_eq!(first.status, SerialStatus::InUse);
    assert!(first.previous_device.is_none());
    assert_eq!(counter.mail_count(&member, MailKind::SerialMoved).await, 0);

    counter.advance(SignedDuration::from_mins(5));
    let moved = install(&counter, &member, device("mac-1", Os::Mac, "書斎のMac"))
        .await
        .unwrap();
    let previous = moved.previous_device.expect("the device that lost it");
    assert_eq!(previous.device_id.as_str(), "pc-1");
    assert_eq!(
        moved.device.expect("the new holder").device_id.as_str(),
        "mac-1"
    );

    let mails = counter.mails(&member, MailKind::SerialMoved).await;
    assert_eq!(mails.len(), 1);
    assert!(mails[0].body.contains(member.serials[0].as_str()));
    assert!(mails[0].body.contains("居間のPC"));

    let events = counter.history(&member, &member.serials[0]).await;
    let kinds: Vec<_> = events.iter().map(|e| e.kind).collect();
    assert_eq!(kinds, [EventKind::Activated, EventKind::Moved]);
    let taken_from = events[1]
        .previous_device
        .as_ref()
        .expect("a previous device");
    assert_eq!(taken_from.device_id.as_str(), "pc-1");
    assert_eq!(events[1].at, counter.ctx.clock.now());
}

/// docs/usage.md: activating again on the device that holds the serial is no move: no previous
/// device, no mail, and the device keeps its first activation time.
#[tokio::test]
async fn activating_again_on_the_holding_device_moves_nothing() {
    let counter = Counter::open().await;
    let member = counter.member(Vec::new()).await;
    let first = install(&counter, &member, device("pc-1", Os::Windows, "PC"))
        .await
        .unwrap();
    counter.advance(SignedDuration::from_mins(5));
    let again = install(&counter, &member, device("pc-1", Os::Windows, "PC"))
        .await
        .unwrap();
    assert!(again.previous_device.is_none());
    assert_eq!(
        again.device.expect("still held").activated_at,
        first.device.expect("held").activated_at
    );
    assert_eq!(counter.mail_count(&member, MailKind::SerialMoved).await, 0);
}

/// docs/usage.md: a term licence is usable through its last day in Japan, and 409
/// `license_expired` from the next Japanese day on.
#[tokio::test]
async fn a_term_licence_expires_at_the_end_of_its_last_day_in_japan() {
    let counter = Counter::open().await;
    // Today, 2026-11-22, is the last day.
    let member = counter.member_until("2026-11-22").await;
    let today = install(&counter, &member, device("pc-1", Os::Windows, "PC")).await;
    assert!(today.is_ok());
    // 2026-11-23 00:00 in Japan is 15:00 UTC on the 22nd: one second before, still valid.
    counter.advance(SignedDuration::from_hours(15) - SignedDuration::from_secs(1));
    let late = install(&counter, &member, device("pc-2", Os::Windows, "PC")).await;
    assert!(late.is_ok());
    counter.advance(SignedDuration::from_secs(1));
    let tomorrow = install(&counter, &member, device("pc-3", Os::Windows, "PC")).await;
    assert_refused!(tomorrow, Error::LicenseExpired);
}
