//! docs/login.md: bursts at the limits. Each rule here holds within a time bound (an attempt
//! waits at most 2 s for a place held by a running one), so `scripts/test` runs this module
//! on its own, one test at a time on each engine, with nothing else competing for the
//! store: the tests then say whether the rule holds, not how loaded the machine was.

use reqwest::StatusCode;

use crate::renewal::{burst, count, licensed};
use crate::support::{TestApp, renewal};

/// docs/login.md, docs/renewal.md: a burst of attempts the rule does not count is never refused for being a
/// burst. 100 submissions of one code from one address, 40 at a time: one renews, every
/// other is told the code is used, and not one is 429, though each held a place while it
/// ran.
#[tokio::test]
async fn a_burst_of_answers_the_limit_does_not_count_is_never_refused() {
    use futures::StreamExt as _;
    let app = TestApp::spawn().await;
    let member = licensed(&app, Some("2027-01-01"), 18).await;
    let code = app.issue_codes("security-suite", 12, 1).await.remove(0);
    let answers: Vec<_> = futures::stream::iter(0..100)
        .map(|_| app.renew(renewal(&code, &member, false)))
        .buffer_unordered(40)
        .collect()
        .await;
    let statuses: Vec<(StatusCode, String)> = answers
        .iter()
        .map(|a| match a.status {
            StatusCode::CREATED => (a.status, "renewed".to_owned()),
            _ => (a.status, a.code().to_owned()),
        })
        .collect();
    let renewed = statuses.iter().filter(|(_, c)| c == "renewed").count();
    let used = statuses
        .iter()
        .filter(|(s, c)| *s == StatusCode::CONFLICT && c == "code_already_redeemed")
        .count();
    assert_eq!((renewed, used), (1, 99), "{statuses:?}");

    // A burst of wrong guesses still gets exactly its twenty counting answers.
    let answers = burst(&app, &code, &member, 60, 0).await;
    assert_eq!(
        count(&answers, "serial_or_email_mismatch"),
        20,
        "{answers:?}"
    );
    assert_eq!(count(&answers, "too_many_attempts"), 40, "{answers:?}");
}

/// docs/login.md: once the lock lands, no answer tells a right key from a wrong one, even to a
/// burst that was already running. Nine wrong keys, then thirty wrong keys and the right
/// one at once: either the right key came first (a login, which resets the count; the
/// thirty then lock the account at their tenth), or the lock came first and every attempt
/// but the tenth failure is `account_locked`, the right key's included.
#[tokio::test]
async fn a_burst_at_the_lock_does_not_learn_the_key() {
    let app = TestApp::spawn().await;
    let member = app.member().await;
    for _ in 0..9 {
        let wrong = app.try_login(&member.customer_id, "Wrong-Key-123").await;
        assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    }
    let keys: Vec<String> = (0..30).map(|n| format!("Wrong-Key-{n:03}")).collect();
    let wrong = keys
        .iter()
        .map(|key| app.try_login(&member.customer_id, key));
    let (wrong, right) =
        futures::future::join(futures::future::join_all(wrong), app.try_login_as(&member)).await;
    // A busy refusal (503) comes before the key is looked at, and says nothing about it.
    let answered: Vec<_> = wrong
        .iter()
        .filter(|a| a.status != StatusCode::SERVICE_UNAVAILABLE)
        .collect();
    let invalid = answered
        .iter()
        .filter(|a| a.status == StatusCode::UNAUTHORIZED)
        .count();
    let locked = answered
        .iter()
        .filter(|a| a.status == StatusCode::LOCKED)
        .count();
    assert_eq!(invalid + locked, answered.len(), "{wrong:?}");
    match right.status {
        StatusCode::LOCKED | StatusCode::SERVICE_UNAVAILABLE => {
            assert_eq!(invalid, 1, "only the tenth failure is 401: {wrong:?}")
        }
        // The login reset the count: ten of the thirty failed, the tenth locked.
        StatusCode::CREATED => assert_eq!(invalid, 10, "{wrong:?}"),
        other => panic!("the right key got {other}: {:?}", right.body),
    }
    assert_eq!(
        app.try_login_as(&member).await.status,
        StatusCode::LOCKED,
        "locked in the end"
    );
}
