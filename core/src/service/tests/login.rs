//! docs/login.md: the account lock, the per-client limit and the session's lifetimes.

use std::net::{IpAddr, Ipv4Addr};

use jiff::SignedDuration;

use super::{CLIENT, Counter};
use crate::domain::MailKind;
use crate::service::session::authenticate;
use crate::service::{Error, admin};
use crate::settings::Settings;

const WRONG: &str = "Wrong-Key-123";

/// docs/login.md: 10 consecutive failures lock the account, even against the right key, and
/// queue one notice; time does not lift the lock, an operator's reissue does (docs/operators.md).
#[tokio::test]
async fn ten_failures_lock_the_account_until_the_key_is_reissued() {
    let counter = Counter::open().await;
    let member = counter.member(Vec::new()).await;
    for attempt in 1..=10 {
        let answer = counter.log_in_with(&member, WRONG, CLIENT).await;
        assert!(
            matches!(answer, Err(Error::InvalidCredentials)),
            "attempt {attempt}"
        );
    }
    let stored = counter.stored(&member).await;
    assert!(stored.is_locked());
    assert_eq!(stored.failed_logins, 10);
    let right = counter
        .log_in_with(&member, &member.access_key, CLIENT)
        .await;
    assert_refused!(right, Error::AccountLocked);
    counter.advance(SignedDuration::from_hours(48));
    let later = counter
        .log_in_with(&member, &member.access_key, CLIENT)
        .await;
    assert_refused!(later, Error::AccountLocked);
    let notices = counter.mails(&member, MailKind::AccountLocked).await;
    assert_eq!(notices.len(), 1);
    assert!(notices[0].body.contains(member.id.as_str()));

    let reissued = admin::reissue_access_key(&counter.ctx, &member.id, None)
        .await
        .unwrap();
    let stored = counter.stored(&member).await;
    assert!(!stored.is_locked());
    assert_eq!(stored.failed_logins, 0);
    let old = counter
        .log_in_with(&member, &member.access_key, CLIENT)
        .await;
    assert_refused!(old, Error::InvalidCredentials);
    let new = counter
        .log_in_with(&member, &reissued.access_key, CLIENT)
        .await;
    assert!(new.is_ok());
}

/// docs/login.md: the count is of consecutive failures; a success resets it.
#[tokio::test]
async fn a_success_resets_the_count_of_consecutive_failures() {
    let counter = Counter::open().await;
    let member = counter.member(Vec::new()).await;
    for _ in 0..9 {
        let _ = counter.log_in_with(&member, WRONG, CLIENT).await;
    }
    assert_eq!(counter.stored(&member).await.failed_logins, 9);
    counter.token(&member).await;
    assert_eq!(counter.stored(&member).await.failed_logins, 0);
    for _ in 0..9 {
        let answer = counter.log_in_with(&member, WRONG, CLIENT).await;
        assert_refused!(answer, Error::InvalidCredentials);
    }
    assert!(!counter.stored(&member).await.is_locked());
    counter.token(&member).await;
}

/// docs/login.md: `invalid_credentials` answers are counted per client address, across
/// accounts; past the limit every attempt from that address is 429, a right key included,
/// while another address is untouched. The window closes 10 minutes after it opened.
#[tokio::test]
async fn failures_are_limited_per_client_address() {
    let settings = Settings {
        login_failures_per_client: 3,
        ..Settings::default()
    };
    let counter = Counter::with(settings).await;
    let member = counter.member(Vec::new()).await;
    let guesser = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 66));
    // Each failure on another account, so that no account lock gets in the way.
    for _ in 0..3 {
        let other = counter.member(Vec::new()).await;
        let answer = counter.log_in_with(&other, WRONG, guesser).await;
        assert_refused!(answer, Error::InvalidCredentials);
    }
    let throttled = counter
        .log_in_with(&member, &member.access_key, guesser)
        .await;
    let Err(Error::TooManyAttempts {
        retry_after_seconds,
    }) = throttled
    else {
        panic!("not throttled: {:?}", throttled.err());
    };
    assert!((1..=600).contains(&retry_after_seconds));
    // Another address, even for the same member, is not held back.
    assert!(
        counter
            .log_in_with(&member, &member.access_key, CLIENT)
            .await
            .is_ok()
    );
    counter.advance(SignedDuration::from_secs(retry_after_seconds as i64));
    assert!(
        counter
            .log_in_with(&member, &member.access_key, guesser)
            .await
            .is_ok()
    );
}

/// docs/login.md: a session dies after 13 minutes (780 s) without a request; a request within
/// them starts the 13 minutes again.
#[tokio::test]
async fn a_session_dies_after_thirteen_idle_minutes() {
    let counter = Counter::open().await;
    let member = counter.member(Vec::new()).await;
    let active = counter.token(&member).await;
    let idle = counter.token(&member).await;
    counter.advance(SignedDuration::from_secs(779));
    assert!(authenticate(&counter.ctx, &active).await.is_ok());
    counter.advance(SignedDuration::from_secs(1));
    assert_refused!(authenticate(&counter.ctx, &idle).await, Error::Unauthorized);
    counter.advance(SignedDuration::from_secs(778));
    assert!(authenticate(&counter.ctx, &active).await.is_ok());
    counter.advance(SignedDuration::from_secs(780));
    assert_refused!(
        authenticate(&counter.ctx, &active).await,
        Error::Unauthorized
    );
}

/// docs/login.md: however active, a session ends 12 hours after login.
#[tokio::test]
async fn no_session_outlives_twelve_hours() {
    let counter = Counter::open().await;
    let member = counter.member(Vec::new()).await;
    let token = counter.token(&member).await;
    // A request every 10 minutes up to 11 h 50 min: never idle for 13 minutes.
    for step in 1..=71 {
        counter.advance(SignedDuration::from_mins(10));
        assert!(
            authenticate(&counter.ctx, &token).await.is_ok(),
            "after {} minutes",
            step * 10
        );
    }
    counter.advance(SignedDuration::from_mins(10));
    assert_refused!(
        authenticate(&counter.ctx, &token).await,
        Error::Unauthorized
    );
}

/// A flood of argon2 work is refused quickly, not queued without end: past the bounded
/// queue at once, and past the deadline for whoever waited in it.
#[tokio::test]
async fn argon2_work_waits_in_a_bounded_queue_with_a_deadline() {
    use std::sync::Arc;
    use std::time::Duration;

    use crate::service::Argon2Queue;

    let queue = Arc::new(Argon2Queue::new(1, 1, Duration::from_millis(200)));
    let (release, hold) = std::sync::mpsc::channel::<()>();
    let running = {
        let queue = queue.clone();
        tokio::spawn(async move { queue.run(move || hold.recv().is_ok()).await })
    };
    // The one slot is taken; let the work start.
    tokio::time::sleep(Duration::from_millis(50)).await;
    let waiting = {
        let queue = queue.clone();
        tokio::spawn(async move { queue.run(|| true).await })
    };
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert_refused!(queue.run(|| true).await, Error::Busy);
    assert_refused!(waiting.await.unwrap(), Error::Busy);
    // A waiter that goes away (its request dropped) leaves the line too.
    let gone = {
        let queue = queue.clone();
        tokio::spawn(async move { queue.run(|| true).await })
    };
    tokio::time::sleep(Duration::from_millis(20)).await;
    gone.abort();
    let _ = gone.await;
    let waiting = {
        let queue = queue.clone();
        tokio::spawn(async move { queue.run(|| true).await })
    };
    tokio::time::sleep(Duration::from_millis(20)).await;
    release.send(()).unwrap();
    assert!(running.await.unwrap().unwrap());
    assert!(
        waiting.await.unwrap().unwrap(),
        "the line had room after the one who left"
    );
    assert!(queue.run(|| true).await.unwrap(), "free again");
}

/// docs/login.md: only `invalid_credentials` keeps the client's place. A login that ends in 503
/// (the store throttling) gives it back, so the client is not counted for it.
#[tokio::test]
async fn a_login_answered_busy_gives_its_place_back() {
    use std::sync::atomic::Ordering;

    use super::failing_store::throttled_store;

    let plain = Counter::with(Settings {
        login_failures_per_client: 1,
        ..Settings::default()
    })
    .await;
    let (store, ctx) = throttled_store(&plain, 0);
    let counter = Counter {
        ctx,
        clock: plain.clock.clone(),
    };
    let member = counter.member(Vec::new()).await;
    store.customer_failures_left.store(1, Ordering::SeqCst);
    let busy = counter
        .log_in_with(&member, &member.access_key, CLIENT)
        .await;
    assert_refused!(busy, Error::Store(_));
    let answer = counter.log_in_with(&member, WRONG, CLIENT).await;
    assert_refused!(answer, Error::InvalidCredentials);
    let answer = counter.log_in_with(&member, WRONG, CLIENT).await;
    assert_refused!(answer, Error::TooManyAttempts { .. });
}
