//! ICカードリーダーの追加申込み (docs/readers.md): the catalogue with its exact yen, and orders.

use jiff::Timestamp;
use jiff::civil::Date;
use serde::Serialize;
use utoipa::ToSchema;

use super::{AnswerLog, Context, Error, keep_answer, orders, receipts, retry_on_conflict};
use crate::domain::Mail;
use crate::domain::japan;
use crate::domain::reader::{PAYMENT_DAYS, Payment, READER_LIMIT, new_reader_id};
use crate::domain::{
    CustomerId, OrderDetails, OrderNo, OrderStatus, PaymentMethod, Price, Reader, ReaderStatus,
    ReaderType, ReceiptKind,
};
use crate::store::{Expect, OrderPlace, Write};

#[derive(Debug, Serialize, ToSchema)]
pub struct CatalogEntry {
    #[serde(rename = "type")]
    pub reader_type: ReaderType,
    pub available: bool,
    pub price: Price,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Readers {
    /// The member's readers, the starter-kit one included.
    pub readers: Vec<Reader>,
    pub catalog: Vec<CatalogEntry>,
}

pub fn catalog() -> Vec<CatalogEntry> {
    ReaderType::ALL
        .into_iter()
        .map(|reader_type| CatalogEntry {
            reader_type,
            available: reader_type.orderable(),
            price: Price::rental(),
        })
        .collect()
}

pub async fn readers(ctx: &Context, customer_id: &CustomerId) -> Result<Readers, Error> {
    let customer = ctx.member(customer_id).await?;
    Ok(Readers {
        readers: customer.readers,
        catalog: catalog(),
    })
}

#[derive(Debug, Clone)]
pub struct OrderRequest {
    pub reader_type: ReaderType,
    pub payment_method: PaymentMethod,
    pub dry_run: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OrderQuote {
    #[serde(rename = "type")]
    pub reader_type: ReaderType,
    pub price: Price,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Ordered {
    pub receipt_no: String,
    #[serde(with = "japan::instant")]
    #[schema(value_type = String, format = DateTime)]
    pub accepted_at: Timestamp,
    #[schema(value_type = String)]
    pub order_no: OrderNo,
    pub reader: Reader,
    pub price: Price,
    /// Where and until when to pay (docs/readers.md#payment).
    pub payment: Payment,
    /// `awaiting_payment` (docs/orders.md).
    pub status: crate::domain::OrderStatus,
}

pub enum Outcome {
    Quote(OrderQuote),
    Ordered(Ordered),
}

pub async fn order(
    ctx: &Context,
    customer_id: &CustomerId,
    request: OrderRequest,
    answer_log: Option<&dyn AnswerLog>,
) -> Result<Outcome, Error> {
    if !request.reader_type.orderable() {
        return Err(Error::ReaderTypeUnavailable);
    }
    let price = Price::rental();
    retry_on_conflict(|| async {
        let mut customer = ctx.member(customer_id).await?;
        if customer.is_cancelled() {
            return Err(Error::MembershipCancelled);
        }
        // The version check makes the limit hold under concurrent orders.
        if customer.readers.len() >= READER_LIMIT {
            return Err(Error::ReaderLimitReached);
        }
        if request.dry_run {
            return Ok(Outcome::Quote(OrderQuote {
                reader_type: request.reader_type,
                price,
            }));
        }
        let now = ctx.clock.now();
        let today = japan::date_of(now);
        let expect = Expect::Version(customer.version);
        let mut reader = Reader {
            reader_id: new_reader_id(),
            reader_type: request.reader_type,
            status: ReaderStatus::AwaitingPayment,
            rental: true,
            ordered_on: today,
            order_no: None,
        };
        // The payment page is this order's: the details are made knowing its number.
        let payment_url = &ctx.settings.payment_url;
        let (order, placing) = orders::place(
            &mut customer,
            |order_no| OrderDetails::Reader {
                reader_id: reader.reader_id.clone(),
                reader_type: request.reader_type,
                price,
                payment: Payment::for_order(payment_url, order_no, price.total, today),
            },
            now,
        );
        let OrderDetails::Reader { payment, .. } = &order.details else {
            unreachable!("a reader order was just placed");
        };
        let payment = payment.clone();
        reader.order_no = Some(order.order_no.clone());
        let summary = format!(
            "ICカードリーダー {} の追加申込み（{}）",
            request.reader_type.name_ja(),
            japan::format_yen(price.total)
        );
        let (receipt, filing) = receipts::file_for_order(ReceiptKind::ReaderOrder, summary, &order);
        let mail = Mail::reader_ordered(&customer, &reader, &order.order_no, &price, &payment, now);
        customer.readers.push(reader.clone());
        let ordered = Ordered {
            receipt_no: receipt.receipt_no,
            accepted_at: now,
            order_no: order.order_no.clone(),
            reader,
            price,
            payment,
            status: crate::domain::OrderStatus::AwaitingPayment,
        };
        let mut writes = vec![
            Write::put_customer(customer, expect),
            placing,
            filing,
            Write::EnqueueMail(mail),
        ];
        writes.extend(keep_answer(answer_log, &ordered));
        ctx.store.commit(writes).await?;
        tracing::info!(%customer_id, order_no = %ordered.order_no, "card reader ordered");
        Ok(Outcome::Ordered(ordered))
    })
    .await
}

/// Unpaid orders read from the status list at a time.
const UNPAID_PAGE: usize = 100;

/// docs/readers.md#payment: every reader order still unpaid after its due date fails with
/// reason `payment_expired`, and the member is mailed why. Run by the daily job for the
/// Japan date `date`: an order due on the 13th fails on the 14th. Each is failed only if it
/// still awaits payment when read again in the commit that fails it, so two runs at once,
/// or a payment reported meanwhile, leave one outcome. Returns how many this run failed.
pub async fn expire_unpaid(ctx: &Context, date: Date) -> Result<usize, Error> {
    // Due before `date` means placed before the start of `date - PAYMENT_DAYS`: only that
    // part of the list is read.
    let placed_before = date
        .checked_sub(jiff::Span::new().days(PAYMENT_DAYS))
        .ok()
        .and_then(|day| day.to_zoned(japan::zone()).ok())
        .map(|midnight| midnight.timestamp());
    let Some(placed_before) = placed_before else {
        return Ok(0);
    };
    let mut place = OrderPlace {
        placed_at: placed_before,
        order_no: OrderNo::lowest(),
    };
    let mut failed = 0;
    loop {
        let page = ctx
            .store
            .orders_in(OrderStatus::AwaitingPayment, Some(&place), UNPAID_PAGE)
            .await?;
        for order in &page.items {
            let OrderDetails::Reader { payment, .. } = &order.details else {
                continue;
            };
            if payment.due_on >= date {
                continue;
            }
            // Re-read in its commit: a payment reported since the list was read stands.
            if orders::expire_payment(ctx, &order.order_no).await? {
                failed += 1;
            }
        }
        match page.next {
            Some(next) => place = next,
            None => break,
        }
    }
    if failed > 0 {
        tracing::info!(%date, failed, "unpaid reader orders failed");
    }
    Ok(failed)
}
