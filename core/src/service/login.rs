//! ログイン (SPEC §2): customer ID and access key in, a session token out.

use std::net::IpAddr;

use jiff::Timestamp;
use serde::Serialize;
use utoipa::ToSchema;

use super::throttle::{self, Window};
use super::{Context, Error, cpu, retry_on_conflict};
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

fn client_window(ctx: &Context) -> Window {
    Window {
        limit: ctx.settings.login_failures_per_client,
        length: ctx.settings.login_failure_window,
    }
}

fn client_key(client: IpAddr) -> String {
    format!("login:{client}")
}

pub async fn log_in(
    ctx: &Context,
    customer_id: CustomerId,
    access_key: AccessKey,
    client: IpAddr,
) -> Result<LoggedIn, Error> {
    let now = ctx.clock.now();
    let window = client_window(ctx);
    let client_key = client_key(client);
    throttle::check(ctx, &client_key, &window, now).await?;

    let customer = ctx.store.customer(&customer_id).await?;
    // The verify runs whether or not the ID exists (against a dummy hash when it does not),
    // so the answer takes the same time either way.
    let stored_hash = customer.as_ref().map(|c| c.access_key_hash.clone());
    let matched = cpu(move || verify_access_key(access_key.expose(), stored_hash.as_deref())).await;

    let Some(customer) = customer else {
        throttle::record_failure(ctx, &client_key, &window, now).await?;
        tracing::info!(%customer_id, "login refused: invalid credentials");
        return Err(Error::InvalidCredentials);
    };
    if customer.is_locked() {
        tracing::info!(%customer_id, "login refused: account locked");
        return Err(Error::AccountLocked);
    }
    if !matched {
        if !customer.is_cancelled() {
            count_failure(ctx, &customer_id, now).await?;
        }
        throttle::record_failure(ctx, &client_key, &window, now).await?;
        tracing::info!(%customer_id, "login refused: invalid credentials");
        return Err(Error::InvalidCredentials);
    }
    if customer.is_cancelled() {
        tracing::info!(%customer_id, "login refused: membership cancelled");
        return Err(Error::MembershipCancelled);
    }
    open_session(ctx, &customer_id, now).await
}

/// SPEC §2: one more consecutive failure; the tenth locks the account and queues a notice.
async fn count_failure(
    ctx: &Context,
    customer_id: &CustomerId,
    now: Timestamp,
) -> Result<(), Error> {
    retry_on_conflict(|| async {
        let Some(mut customer) = ctx.store.customer(customer_id).await? else {
            return Ok(());
        };
        if customer.is_locked() {
            return Ok(());
        }
        let expect = Expect::Version(customer.version);
        customer.failed_logins += 1;
        let mut writes = Vec::with_capacity(2);
        if customer.failed_logins >= ctx.settings.lock_after_failures {
            customer.locked_at = Some(now);
            writes.push(Write::EnqueueMail(Mail::account_locked(&customer, now)));
            tracing::warn!(%customer_id, failures = customer.failed_logins, "account locked");
        }
        writes.push(Write::PutCustomer { customer, expect });
        ctx.store.commit(writes).await?;
        Ok(())
    })
    .await
}

/// A success resets the failure count; the session is written in the same commit, which
/// also checks that no lock landed since the key was verified.
async fn open_session(
    ctx: &Context,
    customer_id: &CustomerId,
    now: Timestamp,
) -> Result<LoggedIn, Error> {
    retry_on_conflict(|| async {
        let Some(mut customer) = ctx.store.customer(customer_id).await? else {
            return Err(Error::InvalidCredentials);
        };
        if customer.is_locked() {
            return Err(Error::AccountLocked);
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
            Write::PutCustomer { customer, expect }
        } else {
            Write::CheckCustomer {
                customer_id: customer_id.clone(),
                version: customer.version,
            }
        };
        ctx.store
            .commit(vec![guard, Write::PutSession(session)])
            .await?;
        tracing::info!(%customer_id, "login succeeded");
        Ok(LoggedIn {
            token,
            idle_timeout_seconds: ctx.settings.session_idle_timeout.as_secs() as u64,
            customer: summary,
        })
    })
    .await
}
