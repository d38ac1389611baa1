//! The behaviour every store adapter owes the services, as one suite: run it against each
//! engine (`run_all`). Each check starts from records it creates itself.

use jiff::Timestamp;

use super::{
    Admission, CountRule, Expect, IdempotencyRecord, Place, ReceiptPlace, Store, StoreError, Write,
};
use crate::domain::{CustomerId, Email, Line, PersonName, Session, customer::Customer};
use crate::domain::{DuePlace, Mail, MailKind, MailStatus};

fn at(second: i64) -> Timestamp {
    Timestamp::from_second(1_795_000_000 + second).expect("in range")
}

fn customer(id: &CustomerId) -> Customer {
    Customer {
        customer_id: id.clone(),
        name: PersonName::parse("試験 太郎").expect("valid"),
        email: Email::parse("conformance@example.jp").expect("valid"),
        line: Line::FletsNext,
        access_key_hash: "hash".to_owned(),
        failed_logins: 0,
        locked_at: None,
        cancelled_at: None,
        services: Vec::new(),
        serials: Vec::new(),
        provider_settings: Vec::new(),
        readers: Vec::new(),
        unlock: Default::default(),
        applications: Default::default(),
        created_at: at(0),
        version: 0,
    }
}

/// A 12-month security-suite code, not redeemed.
fn code_record(code: &crate::domain::RenewalCode) -> crate::domain::CodeRecord {
    crate::domain::CodeRecord {
        code: code.clone(),
        product: crate::domain::Product::SecuritySuite,
        term_months: 12,
        created_at: at(0),
        redeemed: None,
        version: 0,
    }
}

/// A new session of `customer_id`, opened and last seen at the epoch.
fn session_of(customer_id: &CustomerId) -> Session {
    Session {
        token_digest: crate::secret::token_digest(&crate::secret::new_session_token()),
        customer_id: customer_id.clone(),
        created_at: at(0),
        last_seen_at: at(0),
    }
}

fn fresh_id() -> CustomerId {
    CustomerId::generate()
}

fn is_conflict<T: std::fmt::Debug>(result: Result<T, StoreError>) -> bool {
    matches!(result, Err(StoreError::Conflict(_)))
}

/// Runs every check against one store.
pub async fn run_all(store: &dyn Store) {
    versions_guard_every_replacement(store).await;
    a_failing_write_leaves_nothing_of_its_commit(store).await;
    a_touch_never_brings_back_a_deleted_session(store).await;
    the_outbox_keeps_mails_until_they_are_marked_sent(store).await;
    a_failed_attempt_waits_without_holding_back_others(store).await;
    a_mail_failed_for_the_last_time_leaves_pending_and_is_listed(store).await;
    a_sent_mail_cannot_be_sent_again(store).await;
    a_mail_is_claimed_by_one_dispatcher_at_a_time(store).await;
    claims_and_history_are_guarded(store).await;
    a_client_count_gives_no_more_places_than_its_limit(store).await;
    concurrent_attempts_take_no_more_places_than_the_limit(store).await;
    the_expiry_index_follows_each_licence(store).await;
    the_expiry_index_is_read_a_page_at_a_time(store).await;
    codes_receipts_providers_and_reminders_are_written_once(store).await;
    every_session_of_a_member_ends_together(store).await;
    a_session_is_read_with_its_member_and_serials(store).await;
    a_session_view_follows_every_write_to_it(store).await;
    a_renewal_reads_its_code_serial_and_member_together(store).await;
    concurrent_writers_on_one_version_have_one_winner(store).await;
    lists_are_read_a_page_at_a_time(store).await;
    stored_rows_read_without_todays_rules(store).await;
}

async fn versions_guard_every_replacement(store: &dyn Store) {
    let id = fresh_id();
    let put = |c: Customer, expect| vec![Write::put_customer(c, expect)];
    store
        .commit(put(customer(&id), Expect::Absent))
        .await
        .expect("create");
    assert!(
        is_conflict(store.commit(put(customer(&id), Expect::Absent)).await),
        "created twice"
    );
    let stored = store.customer(&id).await.expect("read").expect("exists");
    assert_eq!(stored.version, 1);
    assert!(
        is_conflict(store.commit(put(stored.clone(), Expect::Version(7))).await),
        "stale version"
    );
    store
        .commit(put(stored.clone(), Expect::Version(1)))
        .await
        .expect("current version");
    assert!(
        is_conflict(store.commit(put(stored, Expect::Version(1))).await),
        "lost update"
    );
    assert_eq!(
        store
            .customer(&id)
            .await
            .expect("read")
            .expect("exists")
            .version,
        2
    );
    let check = Write::CheckCustomer {
        customer_id: id.clone(),
        version: 1,
    };
    assert!(
        is_conflict(store.commit(vec![check]).await),
        "a check on an old version"
    );
}

async fn a_failing_write_leaves_nothing_of_its_commit(store: &dyn Store) {
    let id = fresh_id();
    let key = format!("conformance:{id}");
    let claim = IdempotencyRecord {
        key: key.clone(),
        request_digest: "d".into(),
        created_at: at(0),
        response: None,
        version: 0,
    };
    let writes = vec![
        Write::put_idempotency(claim, Expect::Absent),
        Write::EnqueueMail(Mail::new(
            &Email::parse("atomic@example.jp").expect("valid"),
            MailKind::AccountLocked,
            "s".into(),
            "b".into(),
            at(1),
        )),
        // The customer does not exist: this condition fails the whole commit.
        Write::CheckCustomer {
            customer_id: id,
            version: 1,
        },
    ];
    assert!(is_conflict(store.commit(writes).await));
    assert!(
        store.idempotency(&key).await.expect("read").is_none(),
        "the claim was rolled back"
    );
    let mails = store
        .mails_to(&Email::parse("atomic@example.jp").expect("valid"))
        .await
        .expect("read");
    assert!(mails.is_empty(), "the mail was rolled back");
}

async fn a_touch_never_brings_back_a_deleted_session(store: &dyn Store) {
    let session = session_of(&fresh_id());
    let digest = session.token_digest.clone();
    store
        .commit(vec![Write::PutSession(session)])
        .await
        .expect("put");
    store.touch_session(&digest, at(90)).await.expect("touch");
    assert_eq!(
        store
            .session(&digest)
            .await
            .expect("read")
            .expect("exists")
            .last_seen_at,
        at(90)
    );
    store
        .commit(vec![Write::DeleteSession {
            token_digest: digest.clone(),
        }])
        .await
        .expect("delete");
    store
        .touch_session(&digest, at(120))
        .await
        .expect("touch after delete");
    assert!(store.session(&digest).await.expect("read").is_none());
}

/// A fresh address, so that each check reads only its own mails by recipient.
fn fresh_address(check: &str) -> Email {
    Email::parse(&format!(
        "{check}.{}@example.jp",
        fresh_id().as_str().to_lowercase()
    ))
    .expect("valid")
}

/// The ids of the pending mails due by `due_by`, in the order the store gives them.
async fn due_ids(store: &dyn Store, due_by: Timestamp, after: Option<&DuePlace>) -> Vec<String> {
    store
        .pending_mails(due_by, after, 10_000)
        .await
        .expect("read")
        .into_iter()
        .map(|m| m.place.mail_id)
        .collect()
}

fn position(ids: &[String], mail: &Mail) -> Option<usize> {
    ids.iter().position(|id| *id == mail.mail_id)
}

async fn the_outbox_keeps_mails_until_they_are_marked_sent(store: &dyn Store) {
    let to = fresh_address("outbox");
    let first = Mail::new(&to, MailKind::SerialMoved, "1".into(), "b".into(), at(1));
    let second = Mail::new(&to, MailKind::SerialMoved, "2".into(), "b".into(), at(2));
    store
        .commit(vec![
            Write::EnqueueMail(first.clone()),
            Write::EnqueueMail(second.clone()),
        ])
        .await
        .expect("enqueue");
    let pending = due_ids(store, at(2), None).await;
    assert!(position(&pending, &first) < position(&pending, &second));
    assert!(position(&pending, &first).is_some());
    assert!(
        position(&due_ids(store, at(1), None).await, &second).is_none(),
        "not due before it was written"
    );
    assert!(
        store
            .mark_mail_sent(&to, &first.mail_id, at(3))
            .await
            .expect("mark")
    );
    let pending = due_ids(store, at(3), None).await;
    assert!(position(&pending, &first).is_none() && position(&pending, &second).is_some());
    let mails = store.mails_to(&to).await.expect("read");
    assert_eq!(
        mails.iter().map(|m| m.subject.as_str()).collect::<Vec<_>>(),
        ["1", "2"]
    );
    assert_eq!(mails[0].status, MailStatus::Sent);
    assert_eq!(mails[0].sent_at, Some(at(3)));
    assert_eq!(mails[1].status, MailStatus::Pending);
    let read = store
        .mail(&to, &second.mail_id)
        .await
        .expect("read")
        .expect("by its key");
    assert_eq!((read.subject.as_str(), read.attempts), ("2", 0));
    assert!(
        store
            .mail(&fresh_address("other"), &second.mail_id)
            .await
            .expect("read")
            .is_none(),
        "a mail is keyed by its recipient too"
    );
}

/// docs/mail.md: a failed attempt is recorded, and the mail is not due again before its time,
/// while the mails behind it are; it is due once its time comes.
async fn a_failed_attempt_waits_without_holding_back_others(store: &dyn Store) {
    let to = fresh_address("retry");
    let failing = Mail::new(&to, MailKind::SerialMoved, "f".into(), "b".into(), at(10));
    let behind = Mail::new(&to, MailKind::SerialMoved, "b".into(), "b".into(), at(11));
    store
        .commit(vec![
            Write::EnqueueMail(failing.clone()),
            Write::EnqueueMail(behind.clone()),
        ])
        .await
        .expect("enqueue");
    let failed_once = failing.after_failed_attempt(at(12), "451 4.3.0 try again later");
    let retry_at = failed_once.next_attempt_at.expect("due again");
    assert!(retry_at > at(12));
    assert!(
        store
            .record_failed_attempt(&failed_once)
            .await
            .expect("record")
    );
    assert!(
        !store
            .record_failed_attempt(&failed_once)
            .await
            .expect("record again"),
        "one failure is counted once"
    );
    let stored = store
        .mail(&to, &failing.mail_id)
        .await
        .expect("read")
        .expect("kept");
    assert_eq!(stored.status, MailStatus::Pending);
    assert_eq!(stored.attempts, 1);
    assert_eq!(stored.next_attempt_at, Some(retry_at));
    assert_eq!(
        stored.last_error.as_deref(),
        Some("451 4.3.0 try again later")
    );

    let before = due_ids(store, retry_at - jiff::SignedDuration::from_secs(1), None).await;
    assert!(
        position(&before, &failing).is_none(),
        "not due before its time"
    );
    assert!(
        position(&before, &behind).is_some(),
        "the mail behind it is"
    );
    let after = due_ids(store, retry_at, None).await;
    assert!(position(&after, &behind) < position(&after, &failing));
    assert!(position(&after, &failing).is_some(), "due at its time");
    let next_page = due_ids(store, retry_at, Some(&behind.due_place())).await;
    assert!(
        position(&next_page, &behind).is_none(),
        "a page starts after the last"
    );
    assert!(position(&next_page, &failing).is_some());
    assert!(
        store
            .mark_mail_sent(&to, &failing.mail_id, retry_at)
            .await
            .expect("mark")
    );
    assert!(position(&due_ids(store, retry_at, None).await, &failing).is_none());
}

/// docs/mail.md: after its tenth failed attempt a mail is `failed`: off the pending index, and
/// listed with the failed ones.
async fn a_mail_failed_for_the_last_time_leaves_pending_and_is_listed(store: &dyn Store) {
    let to = fresh_address("failed");
    let mut mail = Mail::new(&to, MailKind::SerialMoved, "x".into(), "b".into(), at(20));
    store
        .commit(vec![Write::EnqueueMail(mail.clone())])
        .await
        .expect("enqueue");
    let mut now = at(20);
    for _ in 0..crate::domain::MAX_ATTEMPTS {
        mail = mail.after_failed_attempt(now, "550 5.1.1 no such user");
        assert!(store.record_failed_attempt(&mail).await.expect("record"));
        now = mail.next_attempt_at.unwrap_or(now);
    }
    assert_eq!(mail.status, MailStatus::Failed);
    let stored = store
        .mail(&to, &mail.mail_id)
        .await
        .expect("read")
        .expect("kept");
    assert_eq!(stored.status, MailStatus::Failed);
    assert_eq!(stored.attempts, crate::domain::MAX_ATTEMPTS);
    let far = at(1_000_000);
    assert!(position(&due_ids(store, far, None).await, &mail).is_none());
    let failed = store.failed_mails().await.expect("read");
    assert!(failed.iter().any(|m| m.mail_id == mail.mail_id));
    assert!(failed.iter().all(|m| m.status == MailStatus::Failed));
    assert!(
        !store
            .mark_mail_sent(&to, &mail.mail_id, far)
            .await
            .expect("mark"),
        "a failed mail is not marked sent"
    );
}

/// docs/mail.md: a sent mail is never sent again: a second mark and a late failure are no-ops.
/// docs/mail.md, docs/cloud.md: two dispatchers at once never both send one mail. A claim holds until it
/// lapses, the mail is marked sent, or its failed attempt is recorded; the claimer's own
/// claim sent again is still its own; a claim from a read older than a recorded attempt
/// is refused.
async fn a_mail_is_claimed_by_one_dispatcher_at_a_time(store: &dyn Store) {
    let to = fresh_address("claimed");
    let mail = Mail::new(&to, MailKind::SerialMoved, "s".into(), "b".into(), at(40));
    store
        .commit(vec![Write::EnqueueMail(mail.clone())])
        .await
        .expect("enqueue");
    let claim = |mail: &Mail, claimer: &'static str, now: i64| {
        let mail = mail.clone();
        async move {
            store
                .claim_mail(&mail, claimer, at(now), at(now + 300))
                .await
                .expect("claim")
        }
    };
    assert!(claim(&mail, "first", 41).await, "an unclaimed mail");
    assert!(!claim(&mail, "second", 42).await, "claimed by another");
    assert!(
        claim(&mail, "first", 43).await,
        "the claimer's own claim again"
    );
    // The claim taken again at 43 holds until 343.
    assert!(claim(&mail, "second", 344).await, "a lapsed claim");
    assert!(
        !claim(&mail, "first", 345).await,
        "claimed by another again"
    );

    let failed = mail.after_failed_attempt(at(346), "refused");
    assert!(store.record_failed_attempt(&failed).await.expect("record"));
    assert!(
        !claim(&mail, "third", 347).await,
        "a read from before the attempt was recorded"
    );
    assert!(
        claim(&failed, "third", 348).await,
        "the attempt ended the claim"
    );

    assert!(
        store
            .mark_mail_sent(&to, &mail.mail_id, at(349))
            .await
            .expect("mark")
    );
    assert!(!claim(&failed, "fourth", 10_000).await, "a sent mail");
}

async fn a_sent_mail_cannot_be_sent_again(store: &dyn Store) {
    let to = fresh_address("sent");
    let mail = Mail::new(&to, MailKind::SerialMoved, "s".into(), "b".into(), at(30));
    store
        .commit(vec![Write::EnqueueMail(mail.clone())])
        .await
        .expect("enqueue");
    assert!(
        store
            .mark_mail_sent(&to, &mail.mail_id, at(31))
            .await
            .expect("mark")
    );
    assert!(
        !store
            .mark_mail_sent(&to, &mail.mail_id, at(32))
            .await
            .expect("mark again"),
        "a second mark is a no-op"
    );
    assert!(
        !store
            .record_failed_attempt(&mail.after_failed_attempt(at(33), "late"))
            .await
            .expect("record"),
        "a failure reported late changes nothing"
    );
    let stored = store
        .mail(&to, &mail.mail_id)
        .await
        .expect("read")
        .expect("kept");
    assert_eq!(stored.status, MailStatus::Sent);
    assert_eq!((stored.sent_at, stored.attempts), (Some(at(31)), 0));
    assert!(position(&due_ids(store, at(1_000_000), None).await, &mail).is_none());
    assert!(
        !store
            .mark_mail_sent(&to, "no-such-mail", at(34))
            .await
            .expect("mark"),
        "no mail, nothing to mark"
    );
}

/// The guards idempotency and activation history stand on.
async fn claims_and_history_are_guarded(store: &dyn Store) {
    let key = format!("conformance-claim-{}", fresh_id());
    let claim = |expect| {
        Write::put_idempotency(
            IdempotencyRecord {
                key: key.clone(),
                request_digest: "d".into(),
                created_at: at(0),
                response: None,
                version: 0,
            },
            expect,
        )
    };
    store
        .commit(vec![claim(Expect::Absent)])
        .await
        .expect("first claim");
    assert!(
        is_conflict(store.commit(vec![claim(Expect::Absent)]).await),
        "second claim"
    );
    assert_eq!(
        store
            .idempotency(&key)
            .await
            .expect("read")
            .expect("kept")
            .version,
        1
    );
    store
        .release_claim(&key, 7)
        .await
        .expect("releasing another claim is a no-op");
    assert!(store.idempotency(&key).await.expect("read").is_some());
    store.release_claim(&key, 1).await.expect("release");
    assert!(store.idempotency(&key).await.expect("read").is_none());
    store
        .commit(vec![claim(Expect::Absent)])
        .await
        .expect("claimed again after release");

    let serial = crate::domain::Serial::generate(crate::domain::Product::SecuritySuite);
    let device = crate::domain::Device {
        device_id: crate::domain::DeviceId::parse("pc-1").expect("valid"),
        os: crate::domain::Os::Windows,
        name: crate::domain::DeviceName::parse("PC").expect("valid"),
        activated_at: at(0),
    };
    let event = |seq| Write::AppendHistory {
        serial: serial.clone(),
        seq,
        event: crate::domain::HistoryEvent {
            at: at(seq as i64),
            kind: crate::domain::EventKind::Activated,
            device: device.clone(),
            previous_device: None,
        },
    };
    store.commit(vec![event(0)]).await.expect("event 0");
    assert!(
        is_conflict(store.commit(vec![event(0)]).await),
        "event 0 twice"
    );
    store.commit(vec![event(1)]).await.expect("event 1");
    let history = store.history(&serial, None, 10).await.expect("read");
    assert_eq!(history.items.len(), 2);
}

fn serial_record(customer_id: &CustomerId, expires_on: &str) -> crate::domain::SerialRecord {
    use crate::domain::{Billing, Plan, Product, SerialRecord, SerialStatus};
    SerialRecord {
        serial: crate::domain::Serial::generate(Product::SecuritySuite),
        customer_id: customer_id.clone(),
        product: Product::SecuritySuite,
        plan: Plan::Standard,
        billing: Billing::Term,
        expires_on: Some(expires_on.parse().expect("a date")),
        program_version: 18,
        product_key: "KEY".into(),
        status: SerialStatus::AwaitingInstall,
        device: None,
        events: 0,
        expired_notice_for: None,
        version: 0,
    }
}

/// Every licence in the expiry index up to `until`, read a small page at a time, each
/// page checked for order and size.
async fn all_expiring(
    store: &dyn Store,
    until: jiff::civil::Date,
) -> Vec<crate::store::ExpiryPlace> {
    use crate::store::ExpiryPlace;
    let mut found = Vec::new();
    let mut after: Option<ExpiryPlace> = None;
    loop {
        let page = store
            .serials_expiring(until, after.as_ref(), 7)
            .await
            .expect("a page of the expiry index");
        assert!(page.len() <= 7, "a page holds at most its limit");
        for place in &page {
            assert!(place.expires_on <= until);
            assert!(
                after.as_ref().is_none_or(|after| place > after),
                "in the index's order, once each"
            );
            after = Some(place.clone());
        }
        let full = page.len() == 7;
        found.extend(page);
        if !full {
            return found;
        }
    }
}

/// docs/reminders.md: a large due set is read a page at a time, in order, each licence once,
/// whether a day's licences fill several pages or a page spans several days.
async fn the_expiry_index_is_read_a_page_at_a_time(store: &dyn Store) {
    let date = |s: &str| s.parse::<jiff::civil::Date>().expect("a date");
    let owner = fresh_id();
    let mut mine = Vec::new();
    for (day, count) in [("1999-02-01", 9), ("1999-02-02", 1), ("1999-02-05", 12)] {
        for _ in 0..count {
            let record = serial_record(&owner, day);
            mine.push((date(day), record.serial.clone()));
            store
                .commit(vec![Write::put_serial(record, Expect::Absent)])
                .await
                .expect("a licence");
        }
    }
    mine.sort();
    let is_mine = |place: &crate::store::ExpiryPlace| mine.iter().any(|(_, s)| *s == place.serial);
    let listed: Vec<_> = all_expiring(store, date("1999-02-28"))
        .await
        .into_iter()
        .filter(is_mine)
        .map(|place| (place.expires_on, place.serial))
        .collect();
    assert_eq!(listed, mine, "every licence once, by date then serial");
    let until_the_2nd: Vec<_> = all_expiring(store, date("1999-02-02"))
        .await
        .into_iter()
        .filter(is_mine)
        .collect();
    assert_eq!(until_the_2nd.len(), 10, "nothing after `until`");
}

/// docs/reminders.md: the job finds licences through the index, which follows every write.
async fn the_expiry_index_follows_each_licence(store: &dyn Store) {
    // Dates far in the past keep this check clear of every other check's licences.
    let until = |s: &str| s.parse::<jiff::civil::Date>().expect("a date");
    let listed = |found: Vec<crate::store::ExpiryPlace>, serial: &crate::domain::Serial| {
        found.iter().any(|place| &place.serial == serial)
    };
    let mut record = serial_record(&fresh_id(), "2001-03-10");
    let serial = record.serial.clone();
    let put = |record: crate::domain::SerialRecord, expect| vec![Write::put_serial(record, expect)];
    store
        .commit(put(record.clone(), Expect::Absent))
        .await
        .expect("create");
    assert!(listed(
        all_expiring(store, until("2001-03-10")).await,
        &serial
    ));
    assert!(!listed(
        all_expiring(store, until("2001-03-09")).await,
        &serial
    ));

    record.version = 1;
    record.expires_on = Some(until("2001-09-10"));
    store
        .commit(put(record.clone(), Expect::Version(1)))
        .await
        .expect("renewed");
    assert!(
        !listed(all_expiring(store, until("2001-08-31")).await, &serial),
        "the old date left"
    );
    assert!(listed(
        all_expiring(store, until("2001-09-10")).await,
        &serial
    ));

    record.version = 2;
    record.expired_notice_for = record.expires_on;
    store
        .commit(put(record.clone(), Expect::Version(2)))
        .await
        .expect("notified");
    assert!(
        !listed(all_expiring(store, until("2001-12-31")).await, &serial),
        "notified licences leave"
    );

    let mut monthly = serial_record(&fresh_id(), "2001-03-10");
    monthly.billing = crate::domain::Billing::Monthly;
    let monthly_serial = monthly.serial.clone();
    store
        .commit(put(monthly, Expect::Absent))
        .await
        .expect("monthly");
    assert!(!listed(
        all_expiring(store, until("2001-12-31")).await,
        &monthly_serial
    ));

    let check = |version| {
        vec![Write::CheckSerial {
            serial: serial.clone(),
            customer_id: record.customer_id.clone(),
            version,
        }]
    };
    store.commit(check(3)).await.expect("current version");
    assert!(is_conflict(store.commit(check(2)).await));
}

async fn codes_receipts_providers_and_reminders_are_written_once(store: &dyn Store) {
    use crate::domain::{
        CodeRecord, Product, Provider, ProviderCode, Receipt, ReceiptKind, RenewalCode,
    };
    let code = RenewalCode::generate();
    let record = |version| CodeRecord {
        code: code.clone(),
        product: Product::SecuritySuite,
        term_months: 12,
        created_at: at(0),
        redeemed: None,
        version,
    };
    store
        .commit(vec![Write::put_code(record(0), Expect::Absent)])
        .await
        .expect("issued");
    assert!(is_conflict(
        store
            .commit(vec![Write::put_code(record(0), Expect::Absent)])
            .await
    ));
    store
        .commit(vec![Write::put_code(record(1), Expect::Version(1))])
        .await
        .expect("redeemed");
    assert!(
        is_conflict(
            store
                .commit(vec![Write::put_code(record(1), Expect::Version(1))])
                .await
        ),
        "redeemed twice"
    );
    assert_eq!(
        store
            .code(&code)
            .await
            .expect("read")
            .expect("kept")
            .version,
        2
    );

    let customer_id = fresh_id();
    let receipt = |no: &str, second| Write::PutReceipt {
        customer_id: customer_id.clone(),
        receipt: Receipt {
            receipt_no: no.to_owned(),
            accepted_at: at(second),
            kind: ReceiptKind::ReaderOrder,
            summary: "s".into(),
        },
    };
    let first = format!("R-CONF-{}", customer_id.as_str());
    let second = format!("R-CONF2-{}", customer_id.as_str());
    store.commit(vec![receipt(&first, 1)]).await.expect("first");
    store
        .commit(vec![receipt(&second, 2)])
        .await
        .expect("second");
    assert!(
        is_conflict(store.commit(vec![receipt(&first, 3)]).await),
        "numbers are unique"
    );
    let ledger: Vec<String> = store
        .receipts_of(&customer_id, None, 10)
        .await
        .expect("read")
        .items
        .into_iter()
        .map(|r| r.receipt_no)
        .collect();
    assert_eq!(ledger, [second, first], "newest first");

    let provider = Provider {
        provider_code: ProviderCode::parse(&format!("C{}", &customer_id.as_str()[3..]))
            .expect("valid"),
        provider_name: "p".into(),
        service_name: "s".into(),
    };
    store
        .commit(vec![Write::PutProvider(provider.clone())])
        .await
        .expect("registered");
    assert!(is_conflict(
        store
            .commit(vec![Write::PutProvider(provider.clone())])
            .await
    ));
    assert!(
        store
            .providers()
            .await
            .expect("read")
            .iter()
            .any(|p| p.provider_code == provider.provider_code)
    );

    let reminder = format!("conformance|{}|30", customer_id.as_str());
    assert!(!store.reminder_sent(&reminder).await.expect("read"));
    store
        .commit(vec![Write::RecordReminder {
            key: reminder.clone(),
        }])
        .await
        .expect("recorded");
    assert!(is_conflict(
        store
            .commit(vec![Write::RecordReminder {
                key: reminder.clone()
            }])
            .await
    ));
    assert!(store.reminder_sent(&reminder).await.expect("read"));
}

/// docs/cancellation.md: cancellation ends every session of the member, and only theirs.
async fn every_session_of_a_member_ends_together(store: &dyn Store) {
    let (leaving, staying) = (fresh_id(), fresh_id());
    let sessions = [
        session_of(&leaving),
        session_of(&leaving),
        session_of(&staying),
    ];
    store
        .commit(sessions.iter().cloned().map(Write::PutSession).collect())
        .await
        .expect("logged in");
    store
        .commit(vec![Write::DeleteSessionsOf {
            customer_id: leaving,
        }])
        .await
        .expect("ended");
    assert!(
        store
            .session(&sessions[0].token_digest)
            .await
            .expect("read")
            .is_none()
    );
    assert!(
        store
            .session(&sessions[1].token_digest)
            .await
            .expect("read")
            .is_none()
    );
    assert!(
        store
            .session(&sessions[2].token_digest)
            .await
            .expect("read")
            .is_some()
    );
}

/// What a member's request reads first (docs/login.md, docs/usage.md): the session, its member and, when
/// asked, the member's serials, as one view; none for an unknown token, and no member once
/// the member is gone.
async fn a_session_is_read_with_its_member_and_serials(store: &dyn Store) {
    let id = fresh_id();
    let serial = serial_record(&id, "2031-01-31");
    let mut member = customer(&id);
    member.serials = vec![serial.serial.clone()];
    let session = session_of(&id);
    store
        .commit(vec![
            Write::put_customer(member, Expect::Absent),
            Write::put_serial(serial.clone(), Expect::Absent),
            Write::PutSession(session.clone()),
        ])
        .await
        .expect("a member with a serial, logged in");

    let view = store
        .session_view(&session.token_digest, true)
        .await
        .expect("read")
        .expect("the session");
    assert_eq!(view.session.customer_id, id);
    assert_eq!(view.member.expect("the member").customer_id, id);
    let serials: Vec<_> = view.serials.iter().map(|s| s.serial.clone()).collect();
    assert_eq!(serials, vec![serial.serial.clone()]);

    let without = store
        .session_view(&session.token_digest, false)
        .await
        .expect("read")
        .expect("the session");
    assert!(without.member.is_some());
    assert!(without.serials.is_empty(), "serials only when asked for");

    let unknown = crate::secret::token_digest(&crate::secret::new_session_token());
    assert!(
        store
            .session_view(&unknown, true)
            .await
            .expect("read")
            .is_none()
    );

    // A session whose member record is gone is seen without one (and refused by the
    // service).
    let orphan = session_of(&fresh_id());
    store
        .commit(vec![Write::PutSession(orphan.clone())])
        .await
        .expect("logged in");
    let view = store
        .session_view(&orphan.token_digest, true)
        .await
        .expect("read")
        .expect("the session");
    assert!(view.member.is_none() && view.serials.is_empty());
}

/// A view read again after each kind of write that changes it shows the change (docs/login.md:
/// locking, cancellation and logging out end what a token may do at once), however often
/// it was read before.
async fn a_session_view_follows_every_write_to_it(store: &dyn Store) {
    let id = fresh_id();
    let serial = serial_record(&id, "2031-01-31");
    let mut member = customer(&id);
    member.serials = vec![serial.serial.clone()];
    let (session, other) = (session_of(&id), session_of(&id));
    store
        .commit(vec![
            Write::put_customer(member.clone(), Expect::Absent),
            Write::put_serial(serial.clone(), Expect::Absent),
            Write::PutSession(session.clone()),
            Write::PutSession(other.clone()),
        ])
        .await
        .expect("a member with a serial, logged in twice");
    let seen = read_twice(store, &session.token_digest, true)
        .await
        .expect("the session");
    let mut locked = seen.member.expect("the member");
    locked.locked_at = Some(at(60));
    store
        .commit(vec![Write::put_customer(
            locked.clone(),
            Expect::Version(locked.version),
        )])
        .await
        .expect("locked");
    let seen = read_twice(store, &session.token_digest, true)
        .await
        .expect("the session");
    assert_eq!(seen.member.expect("the member").locked_at, Some(at(60)));

    let mut moved = seen.serials[0].clone();
    moved.program_version += 1;
    store
        .commit(vec![Write::put_serial(
            moved.clone(),
            Expect::Version(moved.version),
        )])
        .await
        .expect("the serial changed");
    let seen = read_twice(store, &session.token_digest, true)
        .await
        .expect("the session");
    assert_eq!(seen.serials[0].program_version, moved.program_version);
    assert_eq!(seen.serials[0].version, moved.version + 1);

    store
        .touch_session(&session.token_digest, at(120))
        .await
        .expect("touched");
    let seen = read_twice(store, &session.token_digest, true)
        .await
        .expect("the session");
    assert_eq!(seen.session.last_seen_at, at(120));

    store
        .commit(vec![Write::DeleteSession {
            token_digest: session.token_digest.clone(),
        }])
        .await
        .expect("logged out");
    assert!(
        read_twice(store, &session.token_digest, true)
            .await
            .is_none(),
        "a logged-out token has no view"
    );

    assert!(
        read_twice(store, &other.token_digest, false)
            .await
            .is_some()
    );
    store
        .commit(vec![Write::DeleteSessionsOf {
            customer_id: id.clone(),
        }])
        .await
        .expect("every session ended");
    assert!(
        read_twice(store, &other.token_digest, false)
            .await
            .is_none(),
        "every session of the member ended"
    );
}

/// A session's view read twice, as the second read saw it: a store that keeps what it
/// read answers the second from that.
async fn read_twice(
    store: &dyn Store,
    token_digest: &str,
    with_serials: bool,
) -> Option<super::SessionView> {
    let read = || store.session_view(token_digest, with_serials);
    read().await.expect("read");
    read().await.expect("read")
}

/// docs/renewal.md: a renewal's reads, as one view; nothing past an unknown code, no member past
/// an unknown serial.
async fn a_renewal_reads_its_code_serial_and_member_together(store: &dyn Store) {
    use crate::domain::{Product, RenewalCode, Serial};
    let id = fresh_id();
    let serial = serial_record(&id, "2031-02-28");
    let mut member = customer(&id);
    member.serials = vec![serial.serial.clone()];
    let code = RenewalCode::generate();
    let record = code_record(&code);
    store
        .commit(vec![
            Write::put_customer(member, Expect::Absent),
            Write::put_serial(serial.clone(), Expect::Absent),
            Write::put_code(record, Expect::Absent),
        ])
        .await
        .expect("a member, a serial and a code");

    let view = store
        .renewal_view(&code, &serial.serial)
        .await
        .expect("read");
    assert_eq!(view.code.expect("the code").code, code);
    assert_eq!(view.serial.expect("the serial").serial, serial.serial);
    assert_eq!(view.member.expect("the member").customer_id, id);

    let unknown_serial = Serial::generate(Product::SecuritySuite);
    let view = store
        .renewal_view(&code, &unknown_serial)
        .await
        .expect("read");
    assert!(view.code.is_some() && view.serial.is_none() && view.member.is_none());

    let view = store
        .renewal_view(&RenewalCode::generate(), &serial.serial)
        .await
        .expect("read");
    assert!(view.code.is_none() && view.serial.is_none() && view.member.is_none());
}

/// Many commits expecting the same version, at once: exactly one lands (this is what makes
/// one of 200 concurrent redemptions win, and one of 50 activations hold at a time).
async fn concurrent_writers_on_one_version_have_one_winner(store: &dyn Store) {
    use crate::domain::RenewalCode;
    let code = RenewalCode::generate();
    let record = code_record(&code);
    store
        .commit(vec![Write::put_code(record.clone(), Expect::Absent)])
        .await
        .expect("issued");
    let attempts =
        (0..20).map(|_| store.commit(vec![Write::put_code(record.clone(), Expect::Version(1))]));
    let results = futures::future::join_all(attempts).await;
    let won = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(won, 1, "{results:?}");
    assert!(
        results
            .iter()
            .filter(|r| r.is_err())
            .all(|r| matches!(r, Err(StoreError::Conflict(_))))
    );
    assert_eq!(
        store
            .code(&code)
            .await
            .expect("read")
            .expect("kept")
            .version,
        2
    );
}

/// A row written under older rules still reads when today's would refuse it as input: a
/// name past today's 40 characters with a character now forbidden, an address on a
/// single-label domain, a code whose check symbol does not match. Rules hold at the HTTP
/// edge; a tightened one must not turn stored rows into 500s.
async fn stored_rows_read_without_todays_rules(store: &dyn Store) {
    use crate::domain::{CodeRecord, RenewalCode};
    let id = fresh_id();
    let name = format!("{}%~", "長".repeat(60));
    assert!(PersonName::parse(&name).is_err() && Email::parse("old@localhost").is_err());
    let mut old = serde_json::to_value(customer(&id)).expect("json");
    old["name"] = name.clone().into();
    old["email"] = "old@localhost".into();
    let old: Customer = serde_json::from_value(old).expect("a row as once stored");
    store
        .commit(vec![Write::put_customer(old, Expect::Absent)])
        .await
        .expect("stored");
    let read = store.customer(&id).await.expect("read").expect("kept");
    assert_eq!(
        (read.name.as_str(), read.email.as_str()),
        (name.as_str(), "old@localhost")
    );
    let (with_serials, _) = store
        .customer_with_serials(&id)
        .await
        .expect("read")
        .expect("kept");
    assert_eq!(with_serials.name.as_str(), name);

    let written = RenewalCode::generate().to_string();
    let last = written.chars().last().expect("a check symbol");
    let mismatched = format!(
        "{}{}",
        &written[..written.len() - 1],
        if last == '0' { '1' } else { '0' }
    );
    assert!(RenewalCode::parse(&mismatched).is_err());
    let code: CodeRecord = serde_json::from_value(serde_json::json!({
        "code": mismatched, "product": "security-suite", "term_months": 12,
        "created_at": at(0), "redeemed": null, "version": 0
    }))
    .expect("a code as once stored");
    store
        .commit(vec![Write::put_code(code.clone(), Expect::Absent)])
        .await
        .expect("stored");
    let read = store.code(&code.code).await.expect("read").expect("kept");
    assert_eq!(read.code.to_string(), mismatched);
}

fn count_rule(limit: u32) -> CountRule {
    CountRule {
        key: format!("conformance:{}", fresh_id()),
        limit,
        length: jiff::SignedDuration::from_mins(10),
    }
}

fn admitted(admission: Admission) -> Place {
    match admission {
        Admission::Admitted(place) => place,
        Admission::Refused { .. } => panic!("refused"),
    }
}

/// docs/login.md: once `limit` places are taken, every attempt is refused until the window
/// closes; a place given back is free again, but only in its own window.
async fn a_client_count_gives_no_more_places_than_its_limit(store: &dyn Store) {
    let rule = count_rule(3);
    let take = |second| store.take_place(&rule, at(second));
    let first = admitted(take(0).await.expect("take"));
    assert_eq!(first.window_opened_at, at(0));
    let second = admitted(take(1).await.expect("take"));
    assert_eq!(second.window_opened_at, at(0), "one window");
    let third = admitted(take(2).await.expect("take"));
    assert_eq!(
        take(3).await.expect("take"),
        Admission::Refused {
            reopens_at: at(600),
            running: 3,
        },
        "the limit is reached, every place held by an attempt still running"
    );
    store.keep_place(&rule.key, third).await.expect("keep");
    assert_eq!(
        take(4).await.expect("take"),
        Admission::Refused {
            reopens_at: at(600),
            running: 2,
        },
        "a kept place stays taken, and is no longer running"
    );
    let may_be_free = |second| store.place_may_be_free(&rule, at(second));
    assert!(!may_be_free(4).await.expect("read"), "every place taken");
    store
        .give_back_place(&rule.key, second)
        .await
        .expect("give back");
    assert!(may_be_free(5).await.expect("read"), "a place given back");
    admitted(take(5).await.expect("the place given back is free"));
    assert!(matches!(
        take(6).await.expect("take"),
        Admission::Refused { .. }
    ));

    // The window closes 10 minutes after it opened; a new one opens with the next place.
    assert!(may_be_free(600).await.expect("read"), "a closed window");
    let later = admitted(take(600).await.expect("take"));
    assert_eq!(later.window_opened_at, at(600));
    store
        .give_back_place(&rule.key, first)
        .await
        .expect("a place of a closed window");
    admitted(take(601).await.expect("take"));
    admitted(take(602).await.expect("take"));
    assert!(
        matches!(take(603).await.expect("take"), Admission::Refused { .. }),
        "giving back a place of an earlier window frees nothing in this one"
    );
}

/// docs/login.md: "a burst cannot run more tries than the limit", and concurrent attempts from
/// one client never fail with a conflict.
async fn concurrent_attempts_take_no_more_places_than_the_limit(store: &dyn Store) {
    let rule = count_rule(10);
    let attempts = (0..30).map(|i| store.take_place(&rule, at(i % 3)));
    let results = futures::future::join_all(attempts).await;
    let admitted = results
        .iter()
        .filter(|r| matches!(r, Ok(Admission::Admitted(_))))
        .count();
    let refused = results
        .iter()
        .filter(|r| matches!(r, Ok(Admission::Refused { .. })))
        .count();
    assert_eq!((admitted, refused), (10, 20), "{results:?}");
}

/// docs/api.md, docs/usage.md: a serial's history oldest first and a member's ledger newest first, a page
/// at a time from the place the previous page ended; the last page says nothing follows.
async fn lists_are_read_a_page_at_a_time(store: &dyn Store) {
    use crate::domain::{
        Device, DeviceId, DeviceName, EventKind, HistoryEvent, Os, Product, Receipt, ReceiptKind,
        Serial,
    };
    let serial = Serial::generate(Product::SecuritySuite);
    let device = Device {
        device_id: DeviceId::parse("pc-1").expect("valid"),
        os: Os::Windows,
        name: DeviceName::parse("PC").expect("valid"),
        activated_at: at(0),
    };
    for seq in 0..7 {
        let event = HistoryEvent {
            at: at(seq as i64),
            kind: EventKind::Activated,
            device: device.clone(),
            previous_device: None,
        };
        store
            .commit(vec![Write::AppendHistory {
                serial: serial.clone(),
                seq,
                event,
            }])
            .await
            .expect("event");
    }
    let mut read = Vec::new();
    let mut after = None;
    let mut pages = 0;
    loop {
        let page = store.history(&serial, after, 3).await.expect("a page");
        assert!(page.items.len() <= 3);
        read.extend(page.items.iter().map(|e| e.at));
        pages += 1;
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(
        read,
        (0..7).map(at).collect::<Vec<_>>(),
        "oldest first, once each"
    );
    let whole = store.history(&serial, None, 7).await.expect("read");
    assert_eq!(
        (whole.items.len(), whole.next),
        (7, None),
        "an exact fit is the last page"
    );
    assert!(
        store
            .history(&serial, Some(6), 3)
            .await
            .expect("read")
            .items
            .is_empty()
    );
    assert!(
        store
            .history(&serial, Some(u64::MAX), 3)
            .await
            .expect("read")
            .items
            .is_empty()
    );

    // Receipts accepted within one second: their places keep the instant as filed, so a
    // page ends between them and the next one still finds the older.
    let customer_id = fresh_id();
    let other = fresh_id();
    let nanos = |n: i64| at(1) + jiff::SignedDuration::from_nanos(n);
    let filed = [
        (nanos(500), "B"),
        (nanos(200), "A"),
        (nanos(200), "C"),
        (at(3), "D"),
    ];
    for (accepted_at, suffix) in filed {
        for owner in [&customer_id, &other] {
            let receipt = Receipt {
                receipt_no: format!("R-PAGE-{}-{suffix}", owner.as_str()),
                accepted_at,
                kind: ReceiptKind::Renewal,
                summary: "s".into(),
            };
            store
                .commit(vec![Write::PutReceipt {
                    customer_id: owner.clone(),
                    receipt,
                }])
                .await
                .expect("filed");
        }
    }
    let mut read = Vec::new();
    let mut before: Option<ReceiptPlace> = None;
    loop {
        let page = store
            .receipts_of(&customer_id, before.as_ref(), 1)
            .await
            .expect("a page");
        read.extend(page.items.iter().map(|r| r.receipt_no.clone()));
        match page.next {
            Some(next) => before = Some(next),
            None => break,
        }
    }
    let expected: Vec<String> = ["D", "B", "C", "A"]
        .iter()
        .map(|suffix| format!("R-PAGE-{}-{suffix}", customer_id.as_str()))
        .collect();
    assert_eq!(
        read, expected,
        "newest first, only the member's own, once each"
    );
}
