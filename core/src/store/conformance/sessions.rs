//! Sessions: touched, ended together, read with their member, and a view never older
//! than the last write answered.

use super::*;

pub(super) async fn a_touch_never_brings_back_a_deleted_session(store: &dyn Store) {
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
pub(super) async fn read_twice(
    store: &dyn Store,
    token_digest: &str,
    with_serials: bool,
) -> Option<crate::store::SessionView> {
    let read = || store.session_view(token_digest, with_serials);
    read().await.expect("read");
    read().await.expect("read")
}
