//! docs/renewal.md: 更新ユーザー登録.

use jiff::SignedDuration;
use reqwest::{StatusCode, header};
use serde_json::{Value, json};

use crate::support::{Member, TestApp, licence, renewal};

/// A member with one security-suite licence on program `version`: a term one expiring on
/// `expires_on`, or a monthly one.
pub(crate) async fn licensed(app: &TestApp, expires_on: Option<&str>, version: u32) -> Member {
    let mut licence = licence(expires_on);
    licence["version"] = json!(version);
    app.member_with("flets_next", json!([licence])).await
}

async fn expiry_of(app: &TestApp, member: &Member) -> Value {
    app.state_of(member).await["serials"][0]["expires_on"].clone()
}

#[tokio::test]
async fn forty_days_left_are_kept_and_the_key_stays() {
    let app = TestApp::spawn().await;
    // Today is 2026-11-22 in Japan; 40 days left.
    let member = licensed(&app, Some("2027-01-01"), 18).await;
    let code = app.issue_codes("security-suite", 12, 1).await.remove(0);

    let quote = app.renew(renewal(&code, &member, true)).await;
    assert_eq!(quote.status, StatusCode::OK, "{:?}", quote.body);
    assert_eq!(quote.body["current_expires_on"], "2027-01-01");
    assert_eq!(quote.body["new_expires_on"], "2028-01-01");
    assert_eq!(quote.body["term_months"], 12);
    assert_eq!(
        expiry_of(&app, &member).await,
        "2027-01-01",
        "a dry run changes nothing"
    );

    let renewed = app.renew(renewal(&code, &member, false)).await;
    assert_eq!(renewed.status, StatusCode::CREATED, "{:?}", renewed.body);
    assert_eq!(renewed.body["expires_on"], "2028-01-01");
    assert_eq!(renewed.body["serial"], member.serials[0].as_str());
    let state = app.state_of(&member).await;
    assert_eq!(state["serials"][0]["expires_on"], "2028-01-01");
    assert_eq!(
        renewed.body["product_key"], state["serials"][0]["product_key"],
        "the product key stays"
    );

    let mails = app.mails_to(&member.email).await;
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0]["kind"], "renewal_completed");
    let body = mails[0]["body"].as_str().unwrap();
    assert!(body.contains(&member.serials[0]));
    assert!(body.contains(renewed.body["product_key"].as_str().unwrap()));
    assert!(body.contains("2028年1月1日"));

    let token = app.login(&member).await;
    let receipts = app.receipts(&token).await;
    assert_eq!(receipts[0]["receipt_no"], renewed.body["receipt_no"]);
    assert_eq!(receipts[0]["kind"], "renewal");
}

#[tokio::test]
async fn an_expired_licence_renews_from_today() {
    let app = TestApp::spawn().await;
    let member = licensed(&app, Some("2026-10-01"), 18).await;
    let code = app.issue_codes("security-suite", 6, 1).await.remove(0);
    let renewed = app.renew(renewal(&code, &member, false)).await;
    assert_eq!(renewed.status, StatusCode::CREATED, "{:?}", renewed.body);
    assert_eq!(renewed.body["expires_on"], "2027-05-22");
}

/// Two hundred clients, each from its own address: one address may only have 20 attempts
/// running at once (docs/login.md: an attempt holds its place in the count while it runs).
#[tokio::test]
async fn two_hundred_concurrent_redemptions_of_one_code_have_one_winner() {
    let app = TestApp::spawn().await;
    let member = licensed(&app, Some("2027-01-01"), 18).await;
    let code = app.issue_codes("security-suite", 12, 1).await.remove(0);
    let body = renewal(&code, &member, false);
    let answers =
        futures::future::join_all((0..200).map(|n| app.renew_from(n, body.clone()))).await;
    let won = answers
        .iter()
        .filter(|a| a.status == StatusCode::CREATED)
        .count();
    assert_eq!(won, 1);
    for lost in answers.iter().filter(|a| a.status != StatusCode::CREATED) {
        assert_eq!(lost.status, StatusCode::CONFLICT, "{:?}", lost.body);
        assert_eq!(lost.code(), "code_already_redeemed");
    }
    assert_eq!(
        expiry_of(&app, &member).await,
        "2028-01-01",
        "the expiry moved once"
    );
}

#[tokio::test]
async fn two_codes_at_once_both_count() {
    let app = TestApp::spawn().await;
    let member = licensed(&app, Some("2027-01-01"), 18).await;
    let codes = app.issue_codes("security-suite", 12, 2).await;
    let (first, second) = tokio::join!(
        app.renew(renewal(&codes[0], &member, false)),
        app.renew(renewal(&codes[1], &member, false))
    );
    assert_eq!(
        (first.status, second.status),
        (StatusCode::CREATED, StatusCode::CREATED)
    );
    assert_eq!(expiry_of(&app, &member).await, "2029-01-01");
}

#[tokio::test]
async fn codes_are_read_the_way_members_type_them() {
    let app = TestApp::spawn().await;
    let member = licensed(&app, Some("2027-01-01"), 18).await;
    let code = app.issue_codes("security-suite", 1, 1).await.remove(0);
    let typed = code
        .to_lowercase()
        .replace('-', " ")
        .replace('0', "o")
        .replace('1', "l");
    let wide: String = typed
        .chars()
        .map(|c| {
            if c == ' ' {
                '　'
            } else {
                char::from_u32(c as u32 - 0x21 + 0xFF01).unwrap()
            }
        })
        .collect();
    let quote = app.renew(renewal(&wide, &member, true)).await;
    assert_eq!(quote.status, StatusCode::OK, "{wide}: {:?}", quote.body);
}

#[tokio::test]
async fn each_refusal_has_its_code() {
    let app = TestApp::spawn().await;
    let member = licensed(&app, Some("2027-01-01"), 18).await;
    let code = app.issue_codes("security-suite", 12, 1).await.remove(0);

    let format = app.renew(renewal("ABCDE-FGHJK", &member, true)).await;
    assert_eq!(
        format.refusal(),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_code_format")
    );

    // One symbol changed: the check symbol no longer matches.
    let mut typo: Vec<char> = code.chars().collect();
    typo[0] = if typo[0] == 'Z' { '2' } else { 'Z' };
    let typo: String = typo.into_iter().collect();
    let checksum = app.renew(renewal(&typo, &member, true)).await;
    assert_eq!(
        checksum.refusal(),
        (StatusCode::UNPROCESSABLE_ENTITY, "code_checksum_mismatch")
    );
    let hint = checksum.body["detail"].as_str().unwrap();
    assert!(
        hint.contains('2') && hint.contains('Z') && hint.contains('U') && hint.contains('V'),
        "{hint}"
    );

    let never_issued = {
        // A well-formed code nobody issued: issue one elsewhere and never store it here.
        let other = TestApp::spawn().await;
        other.issue_codes("security-suite", 12, 1).await.remove(0)
    };
    let not_found = app.renew(renewal(&never_issued, &member, true)).await;
    assert_eq!(
        not_found.refusal(),
        (StatusCode::NOT_FOUND, "code_not_found")
    );

    let mut wrong_email = renewal(&code, &member, true);
    wrong_email["email"] = json!("someone.else@example.jp");
    let mismatch = app.renew(wrong_email).await;
    let mut unknown_serial = renewal(&code, &member, true);
    unknown_serial["serial"] = json!("SSU-00000000");
    let unknown = app.renew(unknown_serial).await;
    assert_eq!(
        mismatch.refusal(),
        (StatusCode::NOT_FOUND, "serial_or_email_mismatch")
    );
    assert_eq!(mismatch.body, unknown.body, "one answer for both");

    let mobile_code = app.issue_codes("mobile-security", 12, 1).await.remove(0);
    let product = app.renew(renewal(&mobile_code, &member, true)).await;
    assert_eq!(
        product.refusal(),
        (StatusCode::CONFLICT, "code_product_mismatch")
    );

    let monthly = licensed(&app, None, 18).await;
    let not_needed = app.renew(renewal(&code, &monthly, true)).await;
    assert_eq!(
        not_needed.refusal(),
        (StatusCode::CONFLICT, "renewal_not_needed")
    );
    assert!(
        not_needed.body["detail"]
            .as_str()
            .unwrap()
            .contains("月額サービスは更新不要")
    );

    let old = licensed(&app, Some("2027-01-01"), 16).await;
    let upgrade = app.renew(renewal(&code, &old, true)).await;
    assert_eq!(
        upgrade.refusal(),
        (StatusCode::CONFLICT, "upgrade_required")
    );

    let mut no_consent = renewal(&code, &member, true);
    no_consent["consent"]["agreed"] = json!(false);
    let consent = app.renew(no_consent).await;
    assert_eq!(
        consent.refusal(),
        (StatusCode::UNPROCESSABLE_ENTITY, "consent_required")
    );

    app.renew(renewal(&code, &member, false)).await;
    let again = app.renew(renewal(&code, &member, false)).await;
    assert_eq!(
        again.refusal(),
        (StatusCode::CONFLICT, "code_already_redeemed")
    );
}

#[tokio::test]
async fn with_a_session_the_serial_must_be_the_callers() {
    let app = TestApp::spawn().await;
    let owner = licensed(&app, Some("2027-01-01"), 18).await;
    let (_other, token) = app.logged_in().await;
    let code = app.issue_codes("security-suite", 12, 1).await.remove(0);
    let refused = app
        .post("/v1/renewals", &token, renewal(&code, &owner, true))
        .await;
    assert_eq!(
        refused.refusal(),
        (StatusCode::NOT_FOUND, "serial_or_email_mismatch")
    );
    let owner_token = app.login(&owner).await;
    let mine = app
        .post("/v1/renewals", &owner_token, renewal(&code, &owner, true))
        .await;
    assert_eq!(mine.status, StatusCode::OK);
}

/// docs/renewal.md: a member logged in is not asked for the address the portal only shows
/// masked; their own serial is the proof. Another member's serial is still refused, and
/// without a session the address is required.
#[tokio::test]
async fn with_a_session_the_email_may_be_left_out() {
    let app = TestApp::spawn().await;
    let owner = licensed(&app, Some("2027-01-01"), 18).await;
    let (_other, other_token) = app.logged_in().await;
    let code = app.issue_codes("security-suite", 12, 1).await.remove(0);
    let mut without_email = renewal(&code, &owner, false);
    without_email.as_object_mut().unwrap().remove("email");

    let anonymous = app.renew(without_email.clone()).await;
    assert_eq!(
        anonymous.refusal(),
        (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed")
    );
    assert_eq!(anonymous.body["errors"][0]["field"], "email");
    assert_eq!(anonymous.body["errors"][0]["code"], "required");

    let others = app
        .post("/v1/renewals", &other_token, without_email.clone())
        .await;
    assert_eq!(
        others.refusal(),
        (StatusCode::NOT_FOUND, "serial_or_email_mismatch")
    );

    let token = app.login(&owner).await;
    let mut wrong_email = renewal(&code, &owner, true);
    wrong_email["email"] = json!("someone-else@example.jp");
    let typed_wrong = app.post("/v1/renewals", &token, wrong_email).await;
    assert_eq!(
        typed_wrong.refusal(),
        (StatusCode::NOT_FOUND, "serial_or_email_mismatch"),
        "an address given is still checked"
    );
    let renewed = app.post("/v1/renewals", &token, without_email).await;
    assert_eq!(renewed.status, StatusCode::CREATED, "{}", renewed.body);
    assert_eq!(renewed.body["expires_on"], "2028-01-01");
    let mails = app.mails_to(&owner.email).await;
    assert!(
        mails.iter().any(|m| m["kind"] == "renewal_completed"),
        "the registered address is told: {mails:?}"
    );
}

/// docs/renewal.md: without consent only the form of what was typed is read. The portal
/// sends such dry runs to show a mistyped code with the fields it found empty: they look
/// nothing up (an unknown code and another member's serial get the same answer) and are
/// not counted against the address.
#[tokio::test]
async fn without_consent_nothing_is_looked_up_or_counted() {
    let app = TestApp::spawn().await;
    let member = licensed(&app, Some("2027-01-01"), 18).await;
    let stranger = licensed(&app, Some("2027-01-01"), 18).await;
    let unknown = {
        // A well-formed code nobody issued here.
        let other = TestApp::spawn().await;
        other.issue_codes("security-suite", 12, 1).await.remove(0)
    };
    for n in 0..25 {
        let target = if n % 2 == 0 { &member } else { &stranger };
        let mut body = renewal(&unknown, target, true);
        body["email"] = json!(format!("guess{n}@example.jp"));
        body["consent"]["agreed"] = json!(false);
        let answer = app.renew(body).await;
        assert_eq!(
            answer.refusal(),
            (StatusCode::UNPROCESSABLE_ENTITY, "consent_required"),
            "attempt {n}"
        );
    }
    let code = app.issue_codes("security-suite", 12, 1).await.remove(0);
    let quote = app.renew(renewal(&code, &member, true)).await;
    assert_eq!(
        quote.status,
        StatusCode::OK,
        "not throttled: {}",
        quote.body
    );
}

#[tokio::test]
async fn after_twenty_wrong_guesses_from_one_address_every_attempt_is_throttled() {
    let app = TestApp::spawn().await;
    let member = licensed(&app, Some("2027-01-01"), 18).await;
    let code = app.issue_codes("security-suite", 12, 1).await.remove(0);
    for n in 0..20 {
        let mut guess = renewal(&code, &member, true);
        guess["email"] = json!(format!("guess{n}@example.jp"));
        let refused = app.renew(guess).await;
        assert_eq!(refused.code(), "serial_or_email_mismatch", "guess {n}");
    }
    let throttled = app.renew(renewal(&code, &member, true)).await;
    assert_eq!(
        throttled.refusal(),
        (StatusCode::TOO_MANY_REQUESTS, "too_many_attempts")
    );
    assert!(throttled.headers.contains_key(header::RETRY_AFTER));
    app.advance(SignedDuration::from_mins(10));
    assert_eq!(
        app.renew(renewal(&code, &member, true)).await.status,
        StatusCode::OK
    );
}

/// Guesses sent at once; each answer's `code`, or `ok` for a real renewal quote.
pub(crate) async fn burst(
    app: &TestApp,
    code: &str,
    member: &Member,
    wrong: usize,
    right: usize,
) -> Vec<String> {
    let guesses = (0..wrong + right).map(|n| {
        let mut guess = renewal(code, member, true);
        if n < wrong {
            guess["email"] = json!(format!("burst{n}@example.jp"));
        }
        app.renew(guess)
    });
    let answers = futures::future::join_all(guesses).await;
    answers
        .iter()
        .map(|a| match a.status {
            StatusCode::OK => "ok".to_owned(),
            _ => a.code().to_owned(),
        })
        .collect()
}

pub(crate) fn count(answers: &[String], code: &str) -> usize {
    answers.iter().filter(|a| *a == code).count()
}

#[tokio::test]
async fn a_burst_of_guesses_learns_no_more_than_twenty_answers() {
    let app = TestApp::spawn().await;
    let member = licensed(&app, Some("2027-01-01"), 18).await;
    let code = app.issue_codes("security-suite", 12, 1).await.remove(0);
    let answers = burst(&app, &code, &member, 60, 0).await;
    let told = count(&answers, "serial_or_email_mismatch");
    assert_eq!(told + count(&answers, "too_many_attempts"), 60);
    assert_eq!(told, 20, "20 answers, and not one more");
}

/// docs/renewal.md: once the count is full, every request is refused, right guesses included,
/// even in a burst that mixes them with wrong ones; otherwise a burst would learn which of
/// its guesses was right.
#[tokio::test]
async fn past_the_limit_right_guesses_in_a_burst_are_refused_too() {
    let app = TestApp::spawn().await;
    let member = licensed(&app, Some("2027-01-01"), 18).await;
    let code = app.issue_codes("security-suite", 12, 1).await.remove(0);
    let answers = burst(&app, &code, &member, 20, 0).await;
    assert_eq!(count(&answers, "serial_or_email_mismatch"), 20);
    let answers = burst(&app, &code, &member, 10, 10).await;
    assert_eq!(count(&answers, "too_many_attempts"), 20, "{answers:?}");
}

/// docs/renewal.md: a 利用不可 serial is not renewed into use (409 `serial_unavailable`,
/// as activation answers), and the code stays unredeemed.
#[tokio::test]
async fn an_unavailable_serial_is_not_renewed() {
    let app = TestApp::spawn().await;
    let member = app
        .member_with(
            "collab",
            json!([{"product": "security-suite", "plan": "standard", "billing": "term", "expires_on": "2026-12-31"}]),
        )
        .await;
    let code = app.issue_codes("security-suite", 12, 1).await.remove(0);
    let refused = app.renew(renewal(&code, &member, false)).await;
    assert_eq!(
        refused.refusal(),
        (StatusCode::CONFLICT, "serial_unavailable")
    );
    let usage = app.get("/v1/usage", &app.login(&member).await).await;
    assert_eq!(usage.body["serials"][0]["status"], "unavailable");
    assert_eq!(usage.body["serials"][0]["expires_on"], "2026-12-31");
}
