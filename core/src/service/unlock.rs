//! アカウントロック解除 (docs/login.md#self-service-unlock): a locked member asks for a one-time code by mail and
//! types it to lift the lock, so that a lock cannot be used to shut a member out until a
//! letter arrives. The access key does not change.

use std::net::IpAddr;

use jiff::{SignedDuration, Timestamp};

use super::{Context, Error, login, retry_on_conflict};
use crate::domain::Mail;
use crate::domain::{Customer, CustomerId, UnlockCode};
use crate::secret::secrets_equal;
use crate::store::{Expect, Write};

/// How long a mailed code can be used.
const CODE_VALID_FOR: SignedDuration = SignedDuration::from_mins(30);
/// Codes mailed to one member per hour; more requests mail nothing.
const CODES_PER_HOUR: usize = 3;
/// Wrong tries that void a code.
const WRONG_TRIES: u32 = 5;

/// `POST /v1/account-unlock`: mails a new code when the member is locked. The caller learns
/// nothing either way: whether the ID exists, is locked, or got a mail.
pub async fn request_code(ctx: &Context, customer_id: &CustomerId) -> Result<(), Error> {
    let now = ctx.clock.now();
    retry_on_conflict(|| async {
        let Some(mut customer) = ctx.store.customer(customer_id).await? else {
            return Ok(());
        };
        if !customer.is_locked() || customer.is_cancelled() {
            return Ok(());
        }
        let expect = Expect::Version(customer.version);
        let unlock = &mut customer.unlock;
        unlock
            .codes_sent
            .retain(|sent| *sent > now - SignedDuration::from_hours(1));
        if unlock.codes_sent.len() >= CODES_PER_HOUR {
            tracing::info!(%customer_id, "unlock code not sent: hourly limit reached");
            return Ok(());
        }
        // A new code replaces any earlier one, and its tries start again.
        let code = UnlockCode::generate();
        let valid_until = now + CODE_VALID_FOR;
        unlock.code_digest = Some(code.digest(customer_id));
        unlock.code_expires_at = Some(valid_until);
        unlock.wrong_tries = 0;
        unlock.codes_sent.push(now);
        let mail = Mail::unlock_code(&customer, &code, valid_until, now);
        ctx.store
            .commit(vec![
                Write::put_customer(customer, expect),
                Write::EnqueueMail(mail),
            ])
            .await?;
        tracing::info!(%customer_id, "unlock code mailed");
        crate::telemetry::unlock_code("sent");
        Ok(())
    })
    .await
}

/// `POST /v1/account-unlock/confirm`: the right code lifts the lock and clears the failure
/// count. A wrong code counts against the client like a wrong login (docs/login.md), so guessing
/// codes across members is held to the same limit.
pub async fn confirm(
    ctx: &Context,
    customer_id: &CustomerId,
    code: Option<UnlockCode>,
    client: IpAddr,
) -> Result<(), Error> {
    let now = ctx.clock.now();
    let window = login::client_window(ctx, client);
    let place = window.take(ctx, now).await?;
    let answer = retry_on_conflict(|| try_code(ctx, customer_id, code.as_ref(), now)).await;
    match &answer {
        Err(Error::InvalidUnlockCode) => place.keep(ctx).await,
        _ => place.give_back(ctx).await,
    }
    answer
}

async fn try_code(
    ctx: &Context,
    customer_id: &CustomerId,
    code: Option<&UnlockCode>,
    now: Timestamp,
) -> Result<(), Error> {
    let Some(mut customer) = ctx.store.customer(customer_id).await? else {
        return Err(Error::InvalidUnlockCode);
    };
    let Some(stored) = live_code(&customer, now) else {
        return Err(Error::InvalidUnlockCode);
    };
    let right = code.is_some_and(|code| secrets_equal(&code.digest(customer_id), &stored));
    let expect = Expect::Version(customer.version);
    if right {
        customer.locked_at = None;
        customer.failed_logins = 0;
        customer.unlock.void_code();
    } else {
        customer.unlock.wrong_tries += 1;
        if customer.unlock.wrong_tries >= WRONG_TRIES {
            customer.unlock.void_code();
        }
    }
    ctx.store
        .commit(vec![Write::put_customer(customer, expect)])
        .await?;
    if right {
        tracing::info!(%customer_id, "account unlocked with a mailed code");
        crate::telemetry::unlock_code("used");
        Ok(())
    } else {
        tracing::info!(%customer_id, "wrong unlock code");
        Err(Error::InvalidUnlockCode)
    }
}

/// The digest of a code that can still be used: the member is locked (and not cancelled),
/// and the code is neither expired nor void.
fn live_code(customer: &Customer, now: Timestamp) -> Option<String> {
    if !customer.is_locked() || customer.is_cancelled() {
        return None;
    }
    let unlock = &customer.unlock;
    let unexpired = unlock.code_expires_at.is_some_and(|until| now < until);
    (unexpired && unlock.wrong_tries < WRONG_TRIES)
        .then(|| unlock.code_digest.clone())
        .flatten()
}
