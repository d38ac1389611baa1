//! 更新ユーザー登録 (docs/renewal.md): a purchase code adds its term to a licence. The serial and
//! product key stay; remaining days are never lost; a code is redeemed once, ever.

use std::net::IpAddr;

use jiff::civil::Date;
use jiff::{Timestamp, ToSpan};
use serde::Serialize;
use utoipa::ToSchema;

use super::terms::{Consent, TermsKind};
use super::throttle::Window;
use super::{AnswerLog, Context, Error, keep_answer, receipts, retry_on_conflict};
use crate::domain::Mail;
use crate::domain::japan;
use crate::domain::{
    Billing, CustomerId, Email, Product, ReceiptKind, Redemption, RenewalCode, Serial,
};
use crate::store::{Expect, RenewalView, Write};

#[derive(Debug, Clone)]
pub struct RenewalRequest {
    pub code: RenewalCode,
    /// `None` when what was typed cannot be a serial: answered like an unknown one.
    pub serial: Option<Serial>,
    /// The address the serial is registered with: with the serial, the proof of ownership.
    /// `None` only with a session, whose own serial it must be.
    pub email: Option<Email>,
    pub consent: Consent,
    pub dry_run: bool,
}

/// The confirmation screen.
#[derive(Debug, Serialize, ToSchema)]
pub struct Quote {
    pub serial: Serial,
    #[schema(value_type = Option<String>, format = Date)]
    pub current_expires_on: Option<Date>,
    #[schema(value_type = String, format = Date)]
    pub new_expires_on: Date,
    pub term_months: u32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Renewed {
    pub receipt_no: String,
    #[serde(with = "japan::instant")]
    #[schema(value_type = String, format = DateTime)]
    pub accepted_at: Timestamp,
    pub serial: Serial,
    /// 製品認証キー: unchanged by the renewal.
    pub product_key: String,
    #[schema(value_type = String, format = Date)]
    pub expires_on: Date,
    pub term_months: u32,
}

pub enum Outcome {
    Quote(Quote),
    Renewed(Renewed),
}

/// docs/renewal.md: `max(current expiry, today) + term` in calendar months (Japan time): the days
/// left are kept, and an expired licence renews from today.
pub fn new_expiry(current: Option<Date>, today: Date, term_months: u32) -> Option<Date> {
    let from = current.map_or(today, |c| c.max(today));
    from.checked_add(i64::from(term_months).months()).ok()
}

fn window(ctx: &Context, client: IpAddr) -> Window {
    Window::new(
        "renewal",
        client,
        ctx.settings.renewal_failures_per_client,
        ctx.settings.renewal_failure_window,
    )
}

/// Refusals that count against the client (docs/renewal.md: guessing codes or ownership).
fn is_guess(error: &Error) -> bool {
    matches!(error, Error::CodeNotFound | Error::SerialOrEmailMismatch)
}

pub async fn renew(
    ctx: &Context,
    request: RenewalRequest,
    caller: Option<&CustomerId>,
    client: IpAddr,
    answer_log: Option<&dyn AnswerLog>,
) -> Result<Outcome, Error> {
    request.consent.check(TermsKind::Renewal)?;
    let now = ctx.clock.now();
    // The place is taken before the code is looked up: past the limit every request is
    // refused, a right guess included, so a burst learns nothing (docs/renewal.md).
    let window = window(ctx, client);
    let place = window.take(ctx, now).await?;
    let answer = retry_on_conflict(|| attempt(ctx, &request, caller, now, answer_log)).await;
    match &answer {
        Err(guess) if is_guess(guess) => place.keep(ctx).await,
        _ => place.give_back(ctx).await,
    }
    answer
}

async fn attempt(
    ctx: &Context,
    request: &RenewalRequest,
    caller: Option<&CustomerId>,
    now: Timestamp,
    answer_log: Option<&dyn AnswerLog>,
) -> Result<Outcome, Error> {
    // A serial that cannot exist is read as one that does not: the code is still looked up
    // first, so the answers keep their order.
    let view = match &request.serial {
        Some(typed) => ctx.store.renewal_view(&request.code, typed, caller).await?,
        None => RenewalView {
            code: ctx.store.code(&request.code).await?,
            ..RenewalView::default()
        },
    };
    let mut code = view.code.ok_or(Error::CodeNotFound)?;
    let mut serial = view.serial.ok_or(Error::SerialOrEmailMismatch)?;
    let customer = view.member.ok_or(Error::SerialOrEmailMismatch)?;
    let registered = match &request.email {
        Some(typed) => customer.email.as_str().eq_ignore_ascii_case(typed.as_str()),
        // With a session, the caller's own serial proves ownership (checked just below).
        None => caller.is_some(),
    };
    let callers_own = caller.is_none_or(|c| *c == customer.customer_id);
    if !registered || !callers_own {
        return Err(Error::SerialOrEmailMismatch);
    }
    if customer.is_cancelled() {
        if serial.status != crate::domain::SerialStatus::Unavailable {
            // Still usable: a cancellation stopped halfway. It is finished here.
            super::cancellation::finish_left(ctx, &customer.customer_id).await;
        }
        return Err(Error::MembershipCancelled);
    }
    if serial.status == crate::domain::SerialStatus::Unavailable {
        // docs/renewal.md: as activation refuses it; nothing can renew it into use.
        return Err(Error::SerialUnavailable);
    }
    if code.redeemed.is_some() {
        return Err(Error::CodeAlreadyRedeemed);
    }
    if code.product != serial.product {
        return Err(Error::CodeProductMismatch);
    }
    if serial.billing == Billing::Monthly {
        return Err(Error::RenewalNotNeeded);
    }
    if serial.program_version < oldest_renewable_version(serial.product) {
        return Err(Error::UpgradeRequired);
    }
    let today = japan::date_of(now);
    // Past the end of the calendar (year 9999) no renewal can reach.
    let renewed_until = new_expiry(serial.expires_on, today, code.term_months)
        .ok_or_else(|| Error::invalid_field("code", crate::domain::FieldCode::OutOfRange))?;
    if request.dry_run {
        return Ok(Outcome::Quote(Quote {
            serial: serial.serial.clone(),
            current_expires_on: serial.expires_on,
            new_expires_on: renewed_until,
            term_months: code.term_months,
        }));
    }

    // docs/renewal.md: the code's redemption and the new expiry are one atomic write; the versions
    // make one of any number of concurrent redemptions win.
    let code_expect = Expect::Version(code.version);
    let serial_expect = Expect::Version(serial.version);
    code.redeemed = Some(Redemption {
        serial: serial.serial.clone(),
        at: now,
    });
    serial.expires_on = Some(renewed_until);
    let summary = format!(
        "シリアル番号 {} の更新（{}か月、有効期限 {}）",
        serial.serial,
        code.term_months,
        japan::format_date_for_people(renewed_until)
    );
    let (receipt, filing) =
        receipts::file(&customer.customer_id, ReceiptKind::Renewal, summary, now);
    let renewed = Renewed {
        receipt_no: receipt.receipt_no.clone(),
        accepted_at: now,
        serial: serial.serial.clone(),
        product_key: serial.product_key.clone(),
        expires_on: renewed_until,
        term_months: code.term_months,
    };
    let mut writes = vec![
        Write::EnqueueMail(Mail::renewal_completed(
            &customer,
            &serial,
            &receipt.receipt_no,
            now,
        )),
        Write::put_code(code, code_expect),
        Write::put_serial(serial, serial_expect),
        filing,
        // A cancellation landing first fails this commit, whichever serials it has retired
        // so far (docs/cancellation.md); the retry then refuses.
        Write::CheckCustomer {
            customer_id: customer.customer_id.clone(),
            version: customer.version,
        },
    ];
    writes.extend(keep_answer(answer_log, &renewed));
    ctx.store.commit(writes).await?;
    tracing::info!(customer_id = %customer.customer_id, serial = %renewed.serial, "licence renewed");
    crate::telemetry::renewal();
    Ok(Outcome::Renewed(renewed))
}

/// docs/operators.md: licences on an older program must upgrade before they can renew.
pub fn oldest_renewable_version(product: Product) -> u32 {
    match product {
        Product::SecuritySuite => 17,
        Product::MobileSecurity => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        s.parse().unwrap()
    }

    #[test]
    fn remaining_days_are_kept_and_expired_licences_start_today() {
        let today = d("2026-11-22");
        let renew = |current: &str, months| new_expiry(Some(d(current)), today, months);
        assert_eq!(renew("2027-01-01", 12), Some(d("2028-01-01")));
        assert_eq!(renew("2026-01-01", 12), Some(d("2027-11-22")));
        assert_eq!(renew("2026-11-22", 1), Some(d("2026-12-22")));
        // Calendar months: the end of a longer month lands on the end of a shorter one.
        assert_eq!(renew("2027-01-31", 1), Some(d("2027-02-28")));
        assert_eq!(renew("9999-06-01", 12), None);
    }
}
