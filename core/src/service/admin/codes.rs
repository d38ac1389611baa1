//! `POST /admin/v1/codes`: fresh purchase codes for a product and term.

use jiff::Timestamp;
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::{CodeRecord, Product, RenewalCode};
use crate::service::{AnswerLog, Context, Error, keep_answer, retry_on_conflict};
use crate::store::{Expect, Write};

#[derive(Debug, Serialize, ToSchema)]
pub struct IssuedCodes {
    /// `XXXXX-XXXXX-XXXXX-XXXXX`, each redeemable once.
    #[schema(value_type = Vec<String>)]
    pub codes: Vec<RenewalCode>,
}

/// What every code of one request is for.
#[derive(Clone, Copy)]
struct Batch {
    product: Product,
    term_months: u32,
    created_at: Timestamp,
}

pub async fn issue_codes(
    ctx: &Context,
    product: Product,
    term_months: u32,
    count: usize,
    answer_log: Option<&dyn AnswerLog>,
) -> Result<IssuedCodes, Error> {
    // A DynamoDB transaction holds at most 100 items, so codes are issued in commits of
    // fifty; the answer is kept with the last. A commit that fails leaves earlier codes
    // issued but never shown to anyone, which is harmless.
    const PER_COMMIT: usize = 50;
    let batch = Batch {
        product,
        term_months,
        created_at: ctx.clock.now(),
    };
    let mut codes: Vec<RenewalCode> = Vec::with_capacity(count);
    while codes.len() < count {
        let size = PER_COMMIT.min(count - codes.len());
        let last = codes.len() + size == count;
        let log = if last { answer_log } else { None };
        let chunk = retry_on_conflict(|| attempt(ctx, batch, size, &codes, log)).await?;
        codes.extend(chunk);
    }
    tracing::info!(?product, term_months, count, "renewal codes issued");
    Ok(IssuedCodes { codes })
}

/// One commit of `size` fresh codes; with `answer_log`, the answer too: every code of the
/// request, the `earlier` ones first.
async fn attempt(
    ctx: &Context,
    batch: Batch,
    size: usize,
    earlier: &[RenewalCode],
    answer_log: Option<&dyn AnswerLog>,
) -> Result<Vec<RenewalCode>, Error> {
    let chunk: Vec<RenewalCode> = (0..size).map(|_| RenewalCode::generate()).collect();
    let mut writes: Vec<Write> = chunk
        .iter()
        .map(|code| {
            Write::put_code(
                CodeRecord {
                    code: code.clone(),
                    product: batch.product,
                    term_months: batch.term_months,
                    created_at: batch.created_at,
                    redeemed: None,
                    version: 0,
                },
                Expect::Absent,
            )
        })
        .collect();
    if answer_log.is_some() {
        let all = IssuedCodes {
            codes: earlier.iter().chain(&chunk).cloned().collect(),
        };
        writes.extend(keep_answer(answer_log, &all));
    }
    ctx.store.commit(writes).await?;
    Ok(chunk)
}
