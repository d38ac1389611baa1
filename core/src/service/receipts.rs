//! 受付一覧 (docs/api.md): the member's ledger of everything they submitted.

use jiff::Timestamp;
use serde::Serialize;
use utoipa::ToSchema;

use super::paging::{self, Paging};
use super::{Context, Error};
use crate::domain::receipt::new_receipt_no;
use crate::domain::{CustomerId, Receipt, ReceiptKind};
use crate::store::{ReceiptPlace, Write};

/// One page of the ledger.
#[derive(Debug, Serialize, ToSchema)]
pub struct Ledger {
    /// Newest first.
    pub receipts: Vec<Receipt>,
    /// Hand back as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

pub async fn ledger(
    ctx: &Context,
    customer_id: &CustomerId,
    paging: Paging<ReceiptPlace>,
) -> Result<Ledger, Error> {
    let page = ctx
        .store
        .receipts_of(customer_id, paging.after.as_ref(), paging.limit)
        .await?;
    Ok(Ledger {
        receipts: page.items,
        next_cursor: page.next.as_ref().map(paging::cursor),
    })
}

/// The receipt of a submission that placed `order`: it carries the number drawn for the
/// order (`orders::place`), and names the order.
pub(crate) fn file_for_order(
    kind: ReceiptKind,
    summary: String,
    order: &crate::domain::Order,
) -> (Receipt, Write) {
    let receipt = Receipt {
        receipt_no: order.receipt_no.clone(),
        accepted_at: order.placed_at,
        kind,
        summary,
        order_no: Some(order.order_no.to_string()),
    };
    let write = Write::PutReceipt {
        customer_id: order.customer_id.clone(),
        receipt: receipt.clone(),
    };
    (receipt, write)
}

/// A new receipt and the write that files it; a number already taken fails the commit,
/// and the retry draws another.
pub(crate) fn file(
    customer_id: &CustomerId,
    kind: ReceiptKind,
    summary: String,
    at: Timestamp,
) -> (Receipt, Write) {
    let receipt = Receipt {
        receipt_no: new_receipt_no(at),
        accepted_at: at,
        kind,
        summary,
        order_no: None,
    };
    let write = Write::PutReceipt {
        customer_id: customer_id.clone(),
        receipt: receipt.clone(),
    };
    (receipt, write)
}
