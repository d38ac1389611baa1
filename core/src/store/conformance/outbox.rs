//! The outbox: pending until marked sent, retries that hold back nothing, failed mails,
//! one claimer at a time.

use super::*;

/// A fresh address, so that each check reads only its own mails by recipient.
pub(super) fn fresh_address(check: &str) -> Email {
    Email::parse(&format!(
        "{check}.{}@example.jp",
        fresh_id().as_str().to_lowercase()
    ))
    .expect("valid")
}

/// The ids of the pending mails due by `due_by`, in the order the store gives them.
pub(super) async fn due_ids(
    store: &dyn Store,
    due_by: Timestamp,
    after: Option<&DuePlace>,
) -> Vec<String> {
    store
        .pending_mails(due_by, after, 10_000)
        .await
        .expect("read")
        .into_iter()
        .map(|m| m.place.mail_id)
        .collect()
}

pub(super) fn position(ids: &[String], mail: &Mail) -> Option<usize> {
    ids.iter().position(|id| *id == mail.mail_id)
}

pub(super) async fn the_outbox_keeps_mails_until_they_are_marked_sent(store: &dyn Store) {
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
pub(super) async fn a_failed_attempt_waits_without_holding_back_others(store: &dyn Store) {
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
pub(super) async fn a_mail_failed_for_the_last_time_leaves_pending_and_is_listed(
    store: &dyn Store,
) {
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
pub(super) async fn a_mail_is_claimed_by_one_dispatcher_at_a_time(store: &dyn Store) {
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

pub(super) async fn a_sent_mail_cannot_be_sent_again(store: &dyn Store) {
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

/// docs/mail.md#failed-mails: an operator's decision on a failed mail. Retried, it is
/// pending and due at once with no attempts counted; abandoned, it stays as it was said,
/// `abandoned`; either way it leaves the failed list, and a second decision finds nothing
/// to do.
pub(super) async fn a_failed_mail_is_retried_or_abandoned_once(store: &dyn Store) {
    use crate::domain::FailedMailAction;
    let to = fresh_address("settled");
    let mut given_up = Vec::new();
    for n in 0..2 {
        let mut mail = Mail::new(
            &to,
            MailKind::SerialMoved,
            format!("{n}"),
            "b".into(),
            at(50),
        );
        store
            .commit(vec![Write::EnqueueMail(mail.clone())])
            .await
            .expect("enqueue");
        let mut now = at(50);
        for _ in 0..crate::domain::MAX_ATTEMPTS {
            mail = mail.after_failed_attempt(now, "550 5.1.1 no such user");
            assert!(store.record_failed_attempt(&mail).await.expect("record"));
            now = mail.next_attempt_at.unwrap_or(now);
        }
        given_up.push(mail);
    }
    let (retried, abandoned) = (&given_up[0], &given_up[1]);
    let found = store
        .failed_mail(&retried.mail_id)
        .await
        .expect("read")
        .expect("on the failed list");
    assert_eq!(found.to, to);
    assert!(
        store
            .failed_mail("00000000000000000000-nosuchid")
            .await
            .expect("read")
            .is_none()
    );

    let again = found.settled(FailedMailAction::Retry, at(90));
    assert!(store.settle_failed_mail(&again).await.expect("settle"));
    assert!(
        !store.settle_failed_mail(&again).await.expect("settle"),
        "settled once"
    );
    let stored = store
        .mail(&to, &retried.mail_id)
        .await
        .expect("read")
        .expect("kept");
    assert_eq!((stored.status, stored.attempts), (MailStatus::Pending, 0));
    assert!(position(&due_ids(store, at(90), None).await, retried).is_some());
    assert!(
        store
            .failed_mail(&retried.mail_id)
            .await
            .expect("read")
            .is_none(),
        "off the failed list"
    );

    let dropped = abandoned.settled(FailedMailAction::Abandon, at(90));
    assert!(store.settle_failed_mail(&dropped).await.expect("settle"));
    let stored = store
        .mail(&to, &abandoned.mail_id)
        .await
        .expect("read")
        .expect("kept");
    assert_eq!(stored.status, MailStatus::Abandoned);
    assert!(position(&due_ids(store, at(1_000_000), None).await, abandoned).is_none());
    let failed = store.failed_mails().await.expect("read");
    assert!(
        !failed.iter().any(|m| m.to == to),
        "neither is listed as failed"
    );
    // One no longer failed (abandoned) is not settled again.
    assert!(
        !store
            .settle_failed_mail(&stored.settled(FailedMailAction::Retry, at(91)))
            .await
            .expect("settle")
    );
    // The retried one is delivered like any other: claimed (what its earlier attempts
    // were does not hold it back), then marked sent.
    let pending = store
        .mail(&to, &retried.mail_id)
        .await
        .expect("read")
        .expect("kept");
    assert!(
        store
            .claim_mail(&pending, "after-retry", at(92), at(400))
            .await
            .expect("claim"),
        "claimed"
    );
    assert!(
        store
            .mark_mail_sent(&to, &retried.mail_id, at(92))
            .await
            .expect("mark")
    );
}
