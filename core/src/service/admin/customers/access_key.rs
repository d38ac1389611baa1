//! `POST /admin/v1/customers/{customer_id}/access-key`. docs/operators.md: a new access key
//! replaces the old one and lifts a lock; every session of the member ends (docs/login.md).

use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::CustomerId;
use crate::secret::{hash_access_key, new_access_key};
use crate::service::{AnswerLog, Context, Error, keep_answer_as, retry_on_conflict};
use crate::store::{Expect, Write};

#[derive(Debug, Serialize, ToSchema)]
pub struct ReissuedAccessKey {
    pub access_key: String,
}

pub async fn reissue_access_key(
    ctx: &Context,
    customer_id: &CustomerId,
    answer_log: Option<&dyn AnswerLog>,
) -> Result<ReissuedAccessKey, Error> {
    let access_key = new_access_key();
    let key = access_key.clone();
    let access_key_hash = ctx.argon2(move || hash_access_key(&key)).await?;
    retry_on_conflict(|| attempt(ctx, customer_id, &access_key, &access_key_hash, answer_log)).await
}

async fn attempt(
    ctx: &Context,
    customer_id: &CustomerId,
    access_key: &str,
    access_key_hash: &str,
    answer_log: Option<&dyn AnswerLog>,
) -> Result<ReissuedAccessKey, Error> {
    let mut customer = ctx.member(customer_id).await?;
    if customer.is_cancelled() {
        return Err(Error::AlreadyCancelled);
    }
    let expect = Expect::Version(customer.version);
    customer.access_key_hash = access_key_hash.to_owned();
    customer.failed_logins = 0;
    customer.locked_at = None;
    customer.unlock.void_code();
    let reissued = ReissuedAccessKey {
        access_key: access_key.to_owned(),
    };
    let mut writes = vec![
        Write::put_customer(customer, expect),
        Write::DeleteSessionsOf {
            customer_id: customer_id.clone(),
        },
    ];
    writes.extend(keep_answer_as(answer_log, 200, &reissued));
    ctx.store.commit(writes).await?;
    tracing::info!(%customer_id, "access key reissued");
    Ok(reissued)
}
