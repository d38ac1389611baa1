//! Per-client counts: never more places than the limit, even when attempts race.

use super::*;

pub(super) fn count_rule(limit: u32) -> CountRule {
    CountRule {
        key: format!("conformance:{}", fresh_id()),
        limit,
        length: jiff::SignedDuration::from_mins(10),
    }
}

pub(super) fn admitted(admission: Admission) -> Place {
    match admission {
        Admission::Admitted(place) => place,
        Admission::Refused { .. } => panic!("refused"),
    }
}

/// docs/login.md: once `limit` places are taken, every attempt is refused until the window
/// closes; a place given back is free again, but only in its own window.
pub(super) async fn a_client_count_gives_no_more_places_than_its_limit(store: &dyn Store) {
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
pub(super) async fn concurrent_attempts_take_no_more_places_than_the_limit(store: &dyn Store) {
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
