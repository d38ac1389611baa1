//! ログイン (SPEC §2): customer ID and access key in, a session token out.

use std::net::IpAddr;

use jiff::Timestamp;
use serde::Serialize;
use utoipa::ToSchema;

use super::throttle::{self, Window};
use super::{Context, Error, argon2_slot, retry_on_conflict};
use crate::domain::{AccessKey, CustomerId, PersonName, Session};
use crate::mail::Mail;
use crate::secret::{new_session_token, token_digest, verify_access_key};
use crate::store::{Expect, Write};

#[derive(Debug, Serialize, ToSchema)]
pub struct LoggedIn {
    /// The bearer token for every customer endpoint. Shown once; stored only as a digest.
    pub token: String,
    pub idle_timeout_seconds: u64,
    pub customer: CustomerSummary,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CustomerSummary {
    pub customer_id: CustomerId,
    pub name: PersonName,
}

fn client_window(ctx: &Context, client: IpAddr) -> Window {
    Window {
        key: format!("login:{client}"),
        limit: ctx.settings.login_failures_per_client,
        length: ctx.settings.login_failure_window,
    }
}

pub async fn log_in(
    ctx: &Context,
    customer_id: CustomerId,
    access_key: AccessKey,
    client: IpAddr,
) -> Result<LoggedIn, Error> {
    let now = ctx.clock.now();
    let window = client_window(ctx, client);
    throttle::reserve(ctx, &window, now).await?;

    let customer = ctx.store.customer(&customer_id).await?;
    // The verify runs whether or not the ID exists (against a dummy hash when it does not),
    // so the answer takes the same time either way.
    let verified_hash = customer.as_ref().map(|c| c.access_key_hash.clone());
    let stored_hash = verified_hash.clone();
    let matched =
        argon2_slot(move || verify_access_key(access_key.expose(), stored_hash.as_deref())).await;

    let outcome = match &customer {
        None => Outcome::WrongKey,
        Some(c) if c.is_locked() => Outcome::Locked,
        Some(_) if !matched => Outcome::WrongKey,
        Some(c) if c.is_cancelled() => Outcome::Cancelled,
        Some(_) => Outcome::RightKey,
    };
    match outcome {
        Outcome::Locked => {
            throttle::give_back(ctx, &window, now).await?;
            tracing::info!(%customer_id, "login refused: account locked");
            Err(Error::AccountLocked)
        }
        Outcome::Cancelled => {
            throttle::give_back(ctx, &window, now).await?;
            tracing::info!(%customer_id, "login refused: membership cancelled");
            Err(Error::MembershipCancelled)
        }
        Outcome::WrongKey => {
            count_failure(ctx, &customer_id, &window, now).await?;
            tracing::info!(%customer_id, "login refused: invalid credentials");
            Err(Error::InvalidCredentials)
        }
        Outcome::RightKey => {
            let verified_hash = verified_hash.expect("a right key has a stored hash");
            open_session(ctx, &customer_id, &verified_hash, &window, now).await
        }
    }
}

enum Outcome {
    WrongKey,
    Locked,
    Cancelled,
    RightKey,
}

/// The client's failure stands (reserved before the verify). For an active member it is
/// also one more consecutive failure; the tenth locks the account and queues a notice
/// (SPEC §2). One commit either way, so that an unknown ID and a wrong key cost the same.
async fn count_failure(
    ctx: &Context,
    customer_id: &CustomerId,
    window: &Window,
    now: Timestamp,
) -> Result<(), Error> {
    retry_on_conflict(|| async {
        let mut writes = vec![throttle::confirm(ctx, window).await?];
        let customer = ctx.store.customer(customer_id).await?;
        if let Some(mut customer) = customer.filter(|c| !c.is_locked() && !c.is_cancelled()) {
            let expect = Expect::Version(customer.version);
            customer.failed_logins += 1;
            if customer.failed_logins >= ctx.settings.lock_after_failures {
                customer.locked_at = Some(now);
                writes.push(Write::EnqueueMail(Mail::account_locked(&customer, now)));
                tracing::warn!(%customer_id, failures = customer.failed_logins, "account locked");
            }
            writes.push(Write::put_customer(customer, expect));
        }
        ctx.store.commit(writes).await?;
        Ok(())
    })
    .await
}

/// A success resets the failure count and gives back the client's reservation; the session
/// is written in the same commit, which also checks that no lock, cancellation or new access
/// key landed since the key was verified.
async fn open_session(
    ctx: &Context,
    customer_id: &CustomerId,
    verified_hash: &str,
    window: &Window,
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
        let token = new_session_token();
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
        let guard = if customer.failed_logins > 0 {
            let expect = Expect::Version(customer.version);
            customer.failed_logins = 0;
            Write::put_customer(customer, expect)
        } else {
            Write::CheckCustomer {
                customer_id: customer_id.clone(),
                version: customer.version,
            }
        };
        let release = throttle::release(ctx, window, now).await?;
        ctx.store
            .commit(vec![guard, release, Write::PutSession(session)])
            .await?;
        tracing::info!(%customer_id, "login succeeded");
        Ok(Ok(LoggedIn {
            token,
            idle_timeout_seconds: ctx.settings.session_idle_timeout.as_secs() as u64,
            customer: summary,
        }))
    })
    .await?;
    match opened {
        Ok(logged_in) => Ok(logged_in),
        // The key no longer matches: the reservation stands as the failure it was.
        Err(Error::InvalidCredentials) => Err(Error::InvalidCredentials),
        Err(refusal) => {
            throttle::give_back(ctx, window, now).await?;
            Err(refusal)
        }
    }
}
