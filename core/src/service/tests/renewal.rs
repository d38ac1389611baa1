//! docs/renewal.md: a purchase code adds its term to a licence.

use std::net::{IpAddr, Ipv4Addr};

use jiff::SignedDuration;

use super::{CLIENT, Counter, date, renewal, term};
use crate::domain::MailKind;
use crate::domain::{Email, Plan, Serial};
use crate::service::Error;
use crate::service::renewal::{Outcome, Quote, RenewalRequest, Renewed, renew};

async fn submit(
    counter: &Counter,
    request: RenewalRequest,
    client: IpAddr,
) -> Result<Renewed, Error> {
    match renew(&counter.ctx, request, None, client, None).await? {
        Outcome::Renewed(renewed) => Ok(renewed),
        Outcome::Quote(_) => panic!("a submission answered with a quote"),
    }
}

async fn quote(counter: &Counter, request: RenewalRequest, client: IpAddr) -> Result<Quote, Error> {
    match renew(&counter.ctx, request, None, client, None).await? {
        Outcome::Quote(quote) => Ok(quote),
        Outcome::Renewed(_) => panic!("a dry run renewed"),
    }
}

async fn expiry_of(counter: &Counter, serial: &Serial) -> Option<jiff::civil::Date> {
    let stored = counter.ctx.store.serial(serial).await.unwrap();
    stored.expect("the serial exists").expires_on
}

/// docs/renewal.md: the new expiry is `max(current expires_on, today) + term` in calendar months:
/// days left are kept, an expired licence renews from today, and a month-end lands on the
/// shorter month's end. The serial and product key stay, and the member is mailed.
#[tokio::test]
async fn a_renewal_adds_its_term_to_the_later_of_expiry_and_today() {
    let counter = Counter::open().await;
    // Today is 2026-11-22 in Japan.
    let member = counter
        .member(vec![
            term(Plan::Standard, "2027-01-01"),
            term(Plan::LicensePlus, "2026-10-01"),
            term(Plan::LicensePlus, "2027-01-31"),
        ])
        .await;
    let key_before = counter
        .ctx
        .store
        .serial(&member.serials[0])
        .await
        .unwrap()
        .expect("the serial")
        .product_key;
    let twelve = counter.codes(12, 1).await.remove(0);

    let confirm = quote(&counter, renewal(&twelve, &member, 0, true), CLIENT)
        .await
        .unwrap();
    assert_eq!(confirm.current_expires_on, Some(date("2027-01-01")));
    assert_eq!(confirm.new_expires_on, date("2028-01-01"));
    assert_eq!(
        expiry_of(&counter, &member.serials[0]).await,
        Some(date("2027-01-01")),
        "a dry run changes nothing"
    );

    let kept = submit(&counter, renewal(&twelve, &member, 0, false), CLIENT)
        .await
        .unwrap();
    assert_eq!(kept.expires_on, date("2028-01-01"));
    assert_eq!(kept.serial, member.serials[0]);
    assert_eq!(kept.product_key, key_before);
    assert_eq!(
        expiry_of(&counter, &member.serials[0]).await,
        Some(date("2028-01-01"))
    );

    let six = counter.codes(6, 1).await.remove(0);
    let expired = submit(&counter, renewal(&six, &member, 1, false), CLIENT)
        .await
        .unwrap();
    assert_eq!(expired.expires_on, date("2027-05-22"));

    let one = counter.codes(1, 1).await.remove(0);
    let month_end = submit(&counter, renewal(&one, &member, 2, false), CLIENT)
        .await
        .unwrap();
    assert_eq!(month_end.expires_on, date("2027-02-28"));

    let mails = counter.mails(&member, MailKind::RenewalCompleted).await;
    assert_eq!(mails.len(), 3);
    let first = mails
        .iter()
        .find(|m| m.body.contains(member.serials[0].as_str()))
        .expect("a mail names the first serial");
    assert!(first.body.contains(&key_before));
    assert!(first.body.contains("2028年1月1日"));
}

/// docs/renewal.md: a code is redeemed once, ever: not again on its serial, nor on anyone else's.
#[tokio::test]
async fn a_code_is_redeemed_once_ever() {
    let counter = Counter::open().await;
    let member = counter.member_until("2027-01-01").await;
    let other = counter.member_until("2027-01-01").await;
    let code = counter.codes(12, 1).await.remove(0);
    submit(&counter, renewal(&code, &member, 0, false), CLIENT)
        .await
        .unwrap();
    let again = submit(&counter, renewal(&code, &member, 0, false), CLIENT).await;
    assert_refused!(again, Error::CodeAlreadyRedeemed);
    let elsewhere = submit(&counter, renewal(&code, &other, 0, false), CLIENT).await;
    assert_refused!(elsewhere, Error::CodeAlreadyRedeemed);
    assert_eq!(
        expiry_of(&counter, &member.serials[0]).await,
        Some(date("2028-01-01")),
        "the expiry moved once"
    );
    assert_eq!(
        expiry_of(&counter, &other.serials[0]).await,
        Some(date("2027-01-01"))
    );
}

/// docs/renewal.md: once 20 `serial_or_email_mismatch` answers have been given in 10 minutes, one
/// client address gets 429 for everything, a right guess included; other addresses are not
/// held back.
#[tokio::test]
async fn ownership_guesses_are_limited_per_client_address() {
    let counter = Counter::open().await;
    let member = counter.member_until("2027-01-01").await;
    let code = counter.codes(12, 1).await.remove(0);
    let guesser = IpAddr::V4(Ipv4Addr::new(198, 51, 100, 7));
    for n in 0..20 {
        let mut guess = renewal(&code, &member, 0, true);
        guess.email = Some(Email::parse(&format!("guess{n}@example.jp")).unwrap());
        let refused = quote(&counter, guess, guesser).await;
        assert_refused!(refused, Error::SerialOrEmailMismatch);
    }
    let right = quote(&counter, renewal(&code, &member, 0, true), guesser).await;
    assert_refused!(right, Error::TooManyAttempts { .. });
    let elsewhere = quote(&counter, renewal(&code, &member, 0, true), CLIENT).await;
    assert!(elsewhere.is_ok());
    counter.advance(SignedDuration::from_mins(10));
    let later = quote(&counter, renewal(&code, &member, 0, true), guesser).await;
    assert!(later.is_ok());
}
