//! docs/glossary.md, docs/support.md: every kind of mail, written by the operation that sends
//! it and signed as delivery signs it, speaks one voice: dates the Japanese way, no
//! romanised product name, none of the glossary's variants, and the desk at the end.

use super::orders::{apply, change_of};
use super::*;
use crate::domain::{OrderStatus, Setting};
use crate::service::cancellation::{self, CancellationRequest};
use crate::service::orders::{self, Progress};
use crate::service::reader::{self, OrderRequest, Outcome as ReaderOutcome};
use crate::service::{reminders, renewal, unlock};

use super::voice_rules::{bare_yen, forbidden, unjapanese_date};

const GLOSSARY: &str = include_str!("../../../../docs/glossary.md");

fn progress(event_id: &str, status: OrderStatus, reason: Option<&str>) -> Progress {
    Progress {
        event_id: event_id.to_owned(),
        status,
        reason: reason.map(str::to_owned),
    }
}

/// The portal the reminders link to, in this test.
const PORTAL: &str = "https://portal.example.jp";

#[tokio::test]
async fn every_kind_of_mail_speaks_one_voice() {
    let counter = Counter::with(crate::settings::Settings {
        portal_url: Some(PORTAL.to_owned()),
        ..crate::settings::Settings::default()
    })
    .await;
    let ctx = &counter.ctx;
    // Today is 2026-11-22: one licence 14 days from its end, one already past it.
    let member = counter
        .member(vec![
            term(Plan::Standard, "2026-12-06"),
            term(Plan::LicensePlus, "2026-11-20"),
        ])
        .await;
    let email = member.email.as_str().to_owned();

    reminders::run(ctx, date("2026-11-22")).await.unwrap();

    let serial = &member.serials[0];
    for (id, name) in [("pc-home", "自宅のPC"), ("pc-office", "事務所のPC")] {
        crate::service::activation::activate(
            ctx,
            &member.id,
            serial,
            device(id, Os::Windows, name),
            None,
        )
        .await
        .unwrap();
    }

    let code = counter.codes(12, 1).await.remove(0);
    renewal::renew(
        ctx,
        super::renewal(&code, &member, 0, false),
        None,
        CLIENT,
        None,
    )
    .await
    .unwrap();

    let done = apply(
        &counter,
        &member,
        change_of("W0099", Setting::DoNotNotify, Some(&email)),
    )
    .await;
    orders::report(ctx, &done, &progress("done", OrderStatus::Completed, None))
        .await
        .unwrap();
    let refused = apply(&counter, &member, change_of("W0099", Setting::Notify, None)).await;
    orders::report(
        ctx,
        &refused,
        &progress("no", OrderStatus::Failed, Some("設備の点検のため")),
    )
    .await
    .unwrap();

    let request = OrderRequest {
        reader_type: crate::domain::ReaderType::UsbMac,
        payment_method: crate::domain::PaymentMethod::Chocom,
        dry_run: false,
    };
    let Ok(ReaderOutcome::Ordered(ordered)) = reader::order(ctx, &member.id, request, None).await
    else {
        panic!("a reader ordered");
    };
    for status in [OrderStatus::Paid, OrderStatus::Shipped] {
        let event = format!("{status:?}");
        orders::report(ctx, &ordered.order_no, &progress(&event, status, None))
            .await
            .unwrap();
    }

    for _ in 0..10 {
        let _ = counter.log_in_with(&member, "wrong-key-0000", CLIENT).await;
    }
    unlock::request_code(ctx, &member.id).await.unwrap();
    let cancelling = CancellationRequest {
        reason: None,
        dry_run: false,
    };
    cancellation::cancel(ctx, &member.id, cancelling, None)
        .await
        .unwrap();

    let mails = ctx.store.mails_to(&member.email).await.unwrap();
    let mut kinds: Vec<MailKind> = mails.iter().map(|m| m.kind).collect();
    kinds.sort_by_key(|k| format!("{k:?}"));
    kinds.dedup();
    assert_eq!(kinds.len(), 11, "every kind of mail: {kinds:?}");

    // docs/reminders.md: the reminders link straight to the renewal of their serial.
    for mail in mails
        .iter()
        .filter(|m| matches!(m.kind, MailKind::ExpiryReminder | MailKind::LicenseExpired))
    {
        let link = format!("{}/#/renewal?serial=", PORTAL);
        assert!(mail.body.contains(&link), "{}", mail.body);
    }

    let support = &ctx.settings.support;
    let variants = forbidden(GLOSSARY);
    // The receipts' summaries are Japanese text too (受付履歴).
    let ledger = crate::service::receipts::ledger(ctx, &member.id, Default::default())
        .await
        .unwrap();
    assert!(ledger.receipts.len() >= 4, "{:?}", ledger.receipts);
    for receipt in &ledger.receipts {
        let summary = &receipt.summary;
        assert!(unjapanese_date(summary).is_none(), "{summary}");
        assert!(bare_yen(summary).is_none(), "{summary}");
        for variant in &variants {
            assert!(!summary.contains(variant), "「{variant}」: {summary}");
        }
    }
    for mail in &mails {
        let letter = crate::mail::signed(mail, support);
        let text = format!("{}\n{}", letter.subject, letter.body);
        let kind = mail.kind;
        assert!(
            letter
                .subject
                .starts_with(&format!("【{}】", support.service_name)),
            "{kind:?}: {}",
            letter.subject
        );
        // The desk is said once, by the signature: a template does not sign itself.
        assert!(
            !mail.body.contains(&support.phone),
            "{kind:?}: {}",
            mail.body
        );
        assert!(
            letter.body.trim_end().ends_with("お答えできません。"),
            "{kind:?}"
        );
        if let Some(yen) = bare_yen(&text) {
            panic!("{kind:?} writes yen without its comma ({yen}): {text}");
        }
        if let Some(date) = unjapanese_date(&text) {
            panic!("{kind:?} writes a date not the Japanese way ({date}): {text}");
        }
        for variant in &variants {
            assert!(
                !text.contains(variant),
                "{kind:?} says 「{variant}」: {text}"
            );
        }
        assert!(
            !text.to_lowercase().contains("madoguchi"),
            "{kind:?}: {text}"
        );
    }
}
