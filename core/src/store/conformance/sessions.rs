//! Sessions: touched, ended together, read with their member, and a view never older
//! than the last write answered.

use super::*;

pub(super) async fn a_touch_never_brings_back_a_deleted_session(store: &dyn Store) {
    let session = session_of(&fresh_id());
    store
        .commit(vec![Write::PutSession(session.clone())])
        .await
        .expect("put");
    store
        .touch_session(session.key(), at(90))
        .await
        .expect("touch");
    assert_eq!(
        stored(store, &session).await.expect("exists").last_seen_at,
        at(90)
    );
    store
        .commit(vec![Write::DeleteSession {
            customer_id: session.customer_id.clone(),
            token_digest: session.token_digest.clone(),
        }])
        .await
        .expect("delete");
    store
        .touch_session(session.key(), at(120))
        .await
        .expect("touch after delete");
    assert!(stored(store, &session).await.is_none());
}

/// A session as a member's request finds it.
async fn stored(store: &dyn Store, session: &Session) -> Option<Session> {
    let view = store.session_view(session.key(), false).await;
    view.expect("read").map(|view| view.session)
}

/// docs/cancellation.md: cancellation ends every session of the member, and only theirs.
pub(super) async fn every_session_of_a_member_ends_together(store: &dyn Store) {
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
    assert!(stored(store, &sessions[0]).await.is_none());
    assert!(stored(store, &sessions[1]).await.is_none());
    assert!(stored(store, &sessions[2]).await.is_some());
}

/// What a member's request reads first (docs/login.md, docs/usage.md): the session, its member and, when
/// asked, the member's serials, as one view; none for an unknown token, and no member once
/// the member is gone.
pub(super) async fn a_session_is_read_with_its_member_and_serials(store: &dyn Store) {
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
        .session_view(session.key(), true)
        .await
        .expect("read")
        .expect("the session");
    assert_eq!(view.session.customer_id, id);
    assert_eq!(view.member.expect("the member").customer_id, id);
    let serials: Vec<_> = view.serials.iter().map(|s| s.serial.clone()).collect();
    assert_eq!(serials, vec![serial.serial.clone()]);

    let without = store
        .session_view(session.key(), false)
        .await
        .expect("read")
        .expect("the session");
    assert!(without.member.is_some());
    assert!(without.serials.is_empty(), "serials only when asked for");

    let unknown = session_of(&id);
    assert!(
        store
            .session_view(unknown.key(), true)
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
        .session_view(orphan.key(), true)
        .await
        .expect("read")
        .expect("the session");
    assert!(view.member.is_none() && view.serials.is_empty());
}

/// Numbers each kind of commit write: an exhaustive match, so that a new kind of write does
/// not compile until it has an arm here, and the count follows the arms, so that
/// `a_session_view_follows_every_write_to_it` then fails until the new kind has a case.
macro_rules! write_kinds {
    ($($kind:pat => $n:literal,)*) => {
        const WRITE_KINDS: usize = [$($n),*].len();

        fn kind_of(write: &Write) -> usize {
            match write {
                $($kind => $n,)*
            }
        }
    };
}

write_kinds! {
    Write::PutCustomer(_) => 0,
    Write::CheckSerial { .. } => 1,
    Write::CheckCustomer { .. } => 2,
    Write::PutSerial(_) => 3,
    Write::AppendHistory { .. } => 4,
    Write::PutSession(_) => 5,
    Write::DeleteSession { .. } => 6,
    Write::DeleteSessionsOf { .. } => 7,
    Write::PutProvider(_) => 8,
    Write::PutCode(_) => 9,
    Write::PutReceipt { .. } => 10,
    Write::PutIdempotency(_) => 11,
    Write::RecordReminder { .. } => 12,
    Write::EnqueueMail(_) => 13,
    Write::PutOrder { .. } => 14,
    Write::PutCatalogueEntry(_) => 15,
    Write::RecordReminderRun(_) => 16,
}

/// What a view shows that a write could change: the member's version, each serial's
/// version, and the session's last-seen time.
fn shape(view: &crate::store::SessionView) -> (Option<u64>, Vec<u64>, Timestamp) {
    (
        view.member.as_ref().map(|m| m.version),
        view.serials.iter().map(|s| s.version).collect(),
        view.session.last_seen_at,
    )
}

/// Every kind of write, each against a view just read (and so kept, by a store that keeps
/// views), then the view read again: a write that changes what the view holds shows at
/// once, and the others leave it as it was. The commit writes come from one table with a
/// case per kind; the writes outside commits follow.
pub(super) async fn a_session_view_follows_every_write_to_it(store: &dyn Store) {
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
    let view = || async {
        read_twice(store, &session, true)
            .await
            .expect("the session")
    };
    let tag = id.as_str()[3..].to_owned();
    let mut covered = std::collections::BTreeSet::new();
    // Writes that leave the view as it was: each committed against a view just read.
    let seen = view().await;
    let current = seen.member.clone().expect("the member");
    let held = seen.serials[0].clone();
    let unchanged = vec![
        Write::CheckSerial {
            serial: held.serial.clone(),
            customer_id: id.clone(),
            version: held.version,
        },
        Write::CheckCustomer {
            customer_id: id.clone(),
            version: current.version,
        },
        Write::AppendHistory {
            serial: held.serial.clone(),
            seq: 0,
            event: crate::domain::HistoryEvent {
                at: at(1),
                kind: crate::domain::EventKind::Activated,
                device: crate::domain::Device {
                    device_id: crate::domain::DeviceId::parse("pc-1").expect("valid"),
                    os: crate::domain::Os::Windows,
                    name: crate::domain::DeviceName::parse("PC").expect("valid"),
                    activated_at: at(1),
                },
                previous_device: None,
            },
        },
        Write::PutProvider(crate::domain::Provider {
            provider_code: crate::domain::ProviderCode::parse(&format!("V{tag}")).expect("valid"),
            provider_name: "p".into(),
            service_name: "s".into(),
        }),
        Write::put_code(
            code_record(&crate::domain::RenewalCode::generate()),
            Expect::Absent,
        ),
        Write::PutReceipt {
            customer_id: id.clone(),
            receipt: crate::domain::Receipt {
                receipt_no: format!("R-VIEW-{tag}"),
                accepted_at: at(2),
                kind: crate::domain::ReceiptKind::ReaderOrder,
                summary: "s".into(),
                order_no: None,
            },
        },
        Write::put_idempotency(
            crate::store::IdempotencyRecord {
                key: format!("conformance-view-{tag}"),
                request_digest: "d".into(),
                created_at: at(2),
                response: None,
                version: 0,
            },
            Expect::Absent,
        ),
        Write::RecordReminder {
            key: format!("conformance-view|{tag}|30"),
        },
        Write::EnqueueMail(Mail::new(
            &current.email,
            MailKind::SerialMoved,
            "s".into(),
            "b".into(),
            at(3),
        )),
        Write::PutCatalogueEntry(crate::domain::catalogue::default_entry(
            crate::domain::Service::VpnWide,
        )),
        Write::place_order(crate::domain::Order::place(
            &id,
            &format!("R-VIEW-{tag}"),
            crate::domain::OrderDetails::LineTermination,
            at(3),
        )),
        Write::RecordReminderRun(crate::store::ReminderRun {
            date: jiff::civil::date(2026, 11, 22),
            due: 1,
            sent: 1,
            skipped: 0,
            finished_at: at(3),
            by: "operator".into(),
        }),
    ];
    for write in unchanged {
        let kind = kind_of(&write);
        let before = shape(&view().await);
        store.commit(vec![write]).await.expect("committed");
        assert_eq!(shape(&view().await), before, "write kind {kind}");
        covered.insert(kind);
    }

    // Writes that change what the view holds.
    let mut locked = Customer::clone(&view().await.member.expect("the member"));
    locked.locked_at = Some(at(60));
    let lock = Write::put_customer(locked.clone(), Expect::Version(locked.version));
    covered.insert(kind_of(&lock));
    store.commit(vec![lock]).await.expect("locked");
    assert_eq!(
        view().await.member.expect("the member").locked_at,
        Some(at(60))
    );

    let mut moved = view().await.serials[0].clone();
    moved.program_version += 1;
    let change = Write::put_serial(moved.clone(), Expect::Version(moved.version));
    covered.insert(kind_of(&change));
    store
        .commit(vec![change])
        .await
        .expect("the serial changed");
    let seen = view().await;
    assert_eq!(seen.serials[0].program_version, moved.program_version);
    assert_eq!(seen.serials[0].version, moved.version + 1);

    let third = session_of(&id);
    let opened = Write::PutSession(third.clone());
    covered.insert(kind_of(&opened));
    assert!(read_twice(store, &third, false).await.is_none());
    store.commit(vec![opened]).await.expect("logged in again");
    assert!(read_twice(store, &third, false).await.is_some());

    // The writes outside commits: a touch shows, the others leave the view as it was.
    store
        .touch_session(session.key(), at(120))
        .await
        .expect("touched");
    assert_eq!(view().await.session.last_seen_at, at(120));
    let before = shape(&view().await);
    let key = format!("conformance-view-{tag}");
    store.release_claim(&key, 1).await.expect("released");
    let mail = Mail::new(
        &current.email,
        MailKind::SerialMoved,
        "t".into(),
        "b".into(),
        at(4),
    );
    store
        .commit(vec![Write::EnqueueMail(mail.clone())])
        .await
        .expect("queued");
    store
        .claim_mail(&mail, "view", at(5), at(300))
        .await
        .expect("claimed");
    store
        .record_failed_attempt(&mail.after_failed_attempt(at(6), "refused"))
        .await
        .expect("recorded");
    store
        .mark_mail_sent(&mail.to, &mail.mail_id, at(7))
        .await
        .expect("marked");
    let rule = crate::store::CountRule {
        key: format!("view:{tag}"),
        limit: 2,
        length: jiff::SignedDuration::from_mins(10),
    };
    for keep in [true, false] {
        let crate::store::Admission::Admitted(place) =
            store.take_place(&rule, at(8)).await.expect("taken")
        else {
            panic!("a place below the limit");
        };
        if keep {
            store.keep_place(&rule.key, place).await.expect("kept");
        } else {
            store
                .give_back_place(&rule.key, place)
                .await
                .expect("given back");
        }
    }
    assert_eq!(shape(&view().await), before, "writes outside commits");

    // Writes that end sessions, last.
    let logout = Write::DeleteSession {
        customer_id: session.customer_id.clone(),
        token_digest: session.token_digest.clone(),
    };
    covered.insert(kind_of(&logout));
    store.commit(vec![logout]).await.expect("logged out");
    assert!(
        read_twice(store, &session, true).await.is_none(),
        "a logged-out token has no view"
    );
    assert!(read_twice(store, &other, false).await.is_some());
    let every = Write::DeleteSessionsOf {
        customer_id: id.clone(),
    };
    covered.insert(kind_of(&every));
    store
        .commit(vec![every])
        .await
        .expect("every session ended");
    for session in [&other, &third] {
        assert!(
            read_twice(store, session, false).await.is_none(),
            "every session of the member ended"
        );
    }
    assert_eq!(
        covered.into_iter().collect::<Vec<_>>(),
        (0..WRITE_KINDS).collect::<Vec<_>>(),
        "a case for every kind of write"
    );
}

/// A session's view read twice, as the second read saw it: a store that keeps what it
/// read answers the second from that.
pub(super) async fn read_twice(
    store: &dyn Store,
    session: &Session,
    with_serials: bool,
) -> Option<crate::store::SessionView> {
    let read = || store.session_view(session.key(), with_serials);
    read().await.expect("read");
    read().await.expect("read")
}
