//! ログイン (docs/login.md): customer ID and access key in, a session token out.

use std::net::IpAddr;

use jiff::Timestamp;
use serde::Serialize;
use utoipa::ToSchema;

use super::throttle::Window;
use super::{Context, Error, retry_on_conflict};
use crate::domain::Mail;
use crate::domain::new_session_token;
use crate::domain::{AccessKey, CustomerId, PersonName, Session};
use crate::secret::{token_digest, verify_access_key};
use crate::store::{Expect, Write};

#[derive(Serialize, ToSchema)]
pub struct LoggedIn {
    /// The bearer token for every customer endpoint, opaque to clients. Shown once; stored
    /// only as a digest.
    pub token: String,
    pub idle_timeout_seconds: u64,
    pub customer: CustomerSummary,
}

/// The token is a secret: never in a debug print.
impl std::fmt::Debug for LoggedIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoggedIn")
            .field("token", &"<redacted>")
            .field("idle_timeout_seconds", &self.idle_timeout_seconds)
            .field("customer", &self.customer)
            .finish()
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CustomerSummary {
    pub customer_id: CustomerId,
    pub name: PersonName,
}

/// The client's count of `invalid_credentials` answers (docs/login.md), which wrong unlock
/// codes share (docs/login.md#self-service-unlock).
pub(crate) fn client_window(ctx: &Context, client: IpAddr) -> Window {
    Window::new(
        "login",
        client,
        ctx.settings.login_failures_per_client,
        ctx.settings.login_failure_window,
    )
}

pub async fn log_in(
    ctx: &Context,
    customer_id: CustomerId,
    access_key: AccessKey,
    client: IpAddr,
) -> Result<LoggedIn, Error> {
    let answer = limited(ctx, customer_id, access_key, client).await;
    crate::telemetry::login(match &answer {
        Ok(_) => "succeeded",
        Err(Error::InvalidCredentials) => "failed",
        Err(Error::AccountLocked) => "locked",
        Err(Error::MembershipCancelled) => "cancelled",
        Err(Error::TooManyAttempts { .. }) => "throttled",
        Err(_) => "error",
    });
    answer
}

/// A login within the client's limit (docs/login.md#burst-rules).
async fn limited(
    ctx: &Context,
    customer_id: CustomerId,
    access_key: AccessKey,
    client: IpAddr,
) -> Result<LoggedIn, Error> {
    let now = ctx.clock.now();
    let window = client_window(ctx, client);
    let place = window.take(ctx, now).await?;
    let answer = attempt(ctx, &customer_id, access_key, now).await;
    // Only `invalid_credentials` keeps the client's place (docs/login.md); every other answer,
    // a 503 included, gives it back.
    // Kept places are recorded as kept, so that the count knows them from places held by
    // attempts still running (which a newcomer waits for, docs/login.md).
    match &answer {
        Err(Error::InvalidCredentials) => place.keep(ctx).await,
        _ => place.give_back(ctx).await,
    }
    answer
}

async fn attempt(
    ctx: &Context,
    customer_id: &CustomerId,
    access_key: AccessKey,
    now: Timestamp,
) -> Result<LoggedIn, Error> {
    let customer = ctx.store.customer(customer_id).await?;
    // The verify runs whether or not the ID exists (against a dummy hash when it does not),
    // so the answer takes the same time either way.
    let verified_hash = customer.as_ref().map(|c| c.access_key_hash.clone());
    let stored_hash = verified_hash.clone();
    let matched = ctx
        .argon2(move || verify_access_key(access_key.expose(), stored_hash.as_deref()))
        .await?;

    let outcome = match &customer {
        None => Outcome::WrongKey,
        Some(c) if c.is_locked() => Outcome::Locked,
        Some(_) if !matched => Outcome::WrongKey,
        Some(c) if c.is_cancelled() => Outcome::Cancelled,
        Some(_) => Outcome::RightKey,
    };
    match outcome {
        Outcome::Locked => {
            tracing::info!(%customer_id, "login refused: account locked");
            Err(Error::AccountLocked)
        }
        Outcome::Cancelled => {
            tracing::info!(%customer_id, "login refused: membership cancelled");
            // The right key of a cancelled member: finish what a stopped cancellation left
            // (serials still usable, orders still open), when it may have.
            if customer
                .as_ref()
                .is_some_and(super::cancellation::may_have_left)
            {
                super::cancellation::finish_left(ctx, customer_id).await;
            }
            Err(Error::MembershipCancelled)
        }
        Outcome::WrongKey => {
            count_failure(ctx, customer_id, now).await?;
            tracing::info!(%customer_id, "login refused: invalid credentials");
            Err(Error::InvalidCredentials)
        }
        Outcome::RightKey => {
            let verified_hash = verified_hash.expect("a right key has a stored hash");
            open_session(ctx, customer_id, &verified_hash, now).await
        }
    }
}

enum Outcome {
    WrongKey,
    Locked,
    Cancelled,
    RightKey,
}

/// For an active member a wrong key is one more consecutive failure; the tenth locks the
/// account, ends every session and queues a notice (docs/login.md). Once locked, a wrong key is
/// `account_locked` like a right one.
async fn count_failure(
    ctx: &Context,
    customer_id: &CustomerId,
    now: Timestamp,
) -> Result<(), Error> {
    retry_on_conflict(|| async {
        let customer = ctx.store.customer(customer_id).await?;
        // The lock landed while this attempt ran (another attempt's tenth failure): it is
        // answered as every attempt on a locked account is, so that no answer in a burst
        // tells a right key from a wrong one (docs/login.md).
        if customer.as_ref().is_some_and(|c| c.is_locked()) {
            return Err(Error::AccountLocked);
        }
        let Some(mut customer) = customer.filter(|c| !c.is_cancelled()) else {
            return Ok(());
        };
        let expect = Expect::Version(customer.version);
        customer.failed_logins += 1;
        let mut writes = Vec::new();
        if customer.failed_logins >= ctx.settings.lock_after_failures {
            customer.locked_at = Some(now);
            writes.push(Write::EnqueueMail(Mail::account_locked(&customer, now)));
            writes.push(Write::DeleteSessionsOf {
                customer_id: customer_id.clone(),
            });
            tracing::warn!(%customer_id, failures = customer.failed_logins, "account locked");
        }
        let locks = customer.locked_at == Some(now);
        writes.push(Write::put_customer(customer, expect));
        ctx.store.commit(writes).await?;
        if locks {
            crate::telemetry::account_locked();
        }
        Ok(())
    })
    .await
}

/// A success resets the failure count (and the client's place is given back). The session is
/// written in the same commit as a new version of the member, which checks that no lock,
/// cancellation or new access key landed since the key was verified, and makes any of
/// those racing it fail and look again for the member's sessions (docs/login.md: they end every
/// session, even one opened at the same moment).
async fn open_session(
    ctx: &Context,
    customer_id: &CustomerId,
    verified_hash: &str,
    now: Timestamp,
) -> Result<LoggedIn, Error> {
    let opened = retry_on_conflict(|| async {
        let Some(mut customer) = ctx.store.customer(customer_id).await? else {
            return Ok(Err(Error::InvalidCredentials));
        };
        if customer.access_key_hash != verified_hash {
            return Ok(Err(Error::InvalidCredentials));
        }
        if customer.is_locked() {
            return Ok(Err(Error::AccountLocked));
        }
        if customer.is_cancelled() {
            return Ok(Err(Error::MembershipCancelled));
        }
        let token = new_session_token(customer_id);
        let session = Session {
            token_digest: token_digest(&token),
            customer_id: customer_id.clone(),
            created_at: now,
            last_seen_at: now,
        };
        let summary = CustomerSummary {
            customer_id: customer.customer_id.clone(),
            name: customer.name.clone(),
        };
        let expect = Expect::Version(customer.version);
        customer.failed_logins = 0;
        ctx.store
            .commit(vec![
                Write::put_customer(customer, expect),
                Write::PutSession(session),
            ])
            .await?;
        tracing::info!(%customer_id, "login succeeded");
        Ok(Ok(LoggedIn {
            token,
            idle_timeout_seconds: ctx.settings.session_idle_timeout.as_secs() as u64,
            customer: summary,
        }))
    })
    .await?;
    // The key no longer matches (a new one was issued meanwhile): the failure it now is.
    opened
}
