//! 解約 (docs/cancellation.md): the membership ends, and every consequence applies at once, in one
//! commit: serials unavailable, notification off, rentals to return, sessions ended.
//!
//! A member with more serials than one commit changes (`SERIALS_PER_COMMIT`) is cancelled
//! in steps. The first commit ends the membership with everything else and the first
//! serials; the rest are retired right after, a commit at a time. Nothing can use a serial
//! of a cancelled member meanwhile (no session survives, a renewal and the reminders refuse
//! a cancelled member), and whatever a crash leaves is finished by the next request that
//! finds it: the member's login (refused), a renewal of one of its licences (refused), an
//! operator's read of the member, the reminder job, or a second cancellation.

use jiff::Timestamp;
use jiff::civil::Date;
use serde::Serialize;
use utoipa::ToSchema;

use super::line_notification::set;
use super::{
    AnswerLog, Context, Error, keep_answer_past_session, orders, receipts, retry_on_conflict,
};
use crate::domain::Mail;
use crate::domain::japan;
use crate::domain::{
    Customer, CustomerId, EventKind, HistoryEvent, OpenOrder, OrderDetails, OrderNo, ProviderCode,
    ReaderStatus, ReceiptKind, Serial, SerialRecord, SerialStatus, SetVia, Setting,
};
use crate::store::{Expect, SERIALS_PER_COMMIT, Write};

#[derive(Debug, Clone)]
pub struct CancellationRequest {
    /// 解約理由, free text (optional).
    pub reason: Option<String>,
    pub dry_run: bool,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ConsequenceKind {
    NoRefund,
    SerialUnavailable,
    NotificationStops,
    ReaderToReturn,
    /// An order still open is withdrawn (docs/orders.md).
    OrderWithdrawn,
    SessionsEnd,
}

/// One thing the cancellation will do, in the member's words.
#[derive(Debug, Serialize, ToSchema)]
pub struct Consequence {
    pub kind: ConsequenceKind,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub serial: Option<Serial>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider_code: Option<ProviderCode>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reader_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub order_no: Option<OrderNo>,
}

impl Consequence {
    fn new(kind: ConsequenceKind, message: String) -> Self {
        Self {
            kind,
            message,
            serial: None,
            provider_code: None,
            reader_id: None,
            order_no: None,
        }
    }
}

/// The confirmation screen.
#[derive(Debug, Serialize, ToSchema)]
pub struct Preview {
    #[schema(value_type = String, format = Date)]
    pub effective_on: Date,
    /// 中途解約の返金なし: always 0.
    pub refund: u64,
    pub consequences: Vec<Consequence>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Cancelled {
    pub receipt_no: String,
    #[serde(with = "japan::instant")]
    #[schema(value_type = String, format = DateTime)]
    pub accepted_at: Timestamp,
    #[schema(value_type = String, format = Date)]
    pub effective_on: Date,
    pub refund: u64,
    /// The end of the line, handed to the back office (docs/orders.md).
    #[schema(value_type = String)]
    pub order_no: OrderNo,
}

pub enum Outcome {
    Preview(Preview),
    Cancelled(Cancelled),
}

pub async fn cancel(
    ctx: &Context,
    customer_id: &CustomerId,
    request: CancellationRequest,
    answer_log: Option<&dyn AnswerLog>,
) -> Result<Outcome, Error> {
    let (outcome, more_to_retire) = retry_on_conflict(|| async {
        let (mut customer, serials) = ctx
            .store
            .customer_with_serials(customer_id)
            .await?
            .ok_or(Error::NotFound)?;
        if customer.is_cancelled() {
            if !request.dry_run
                && (serials.iter().any(usable) || orders::left_to_withdraw(&customer))
            {
                finish_left(ctx, customer_id).await;
            }
            return Err(Error::AlreadyCancelled);
        }
        let providers = ctx.store.providers().await?;
        let now = ctx.clock.now();
        let today = japan::date_of(now);

        let mut consequences = vec![Consequence::new(
            ConsequenceKind::NoRefund,
            "年会費は中途解約による返金はありません（返金額 0円）。".to_owned(),
        )];
        for serial in &serials {
            consequences.push(Consequence {
                serial: Some(serial.serial.clone()),
                ..Consequence::new(
                    ConsequenceKind::SerialUnavailable,
                    format!("シリアル番号 {} は利用不可になります。", serial.serial),
                )
            });
        }
        // Only the providers still notified change; the others already are 通知しない.
        let notified = providers
            .iter()
            .filter(|p| customer.current_setting(&p.provider_code) == Setting::Notify);
        for provider in notified {
            consequences.push(Consequence {
                provider_code: Some(provider.provider_code.clone()),
                ..Consequence::new(
                    ConsequenceKind::NotificationStops,
                    format!(
                        "{} への回線情報通知は「通知しない」になります。",
                        provider.provider_name
                    ),
                )
            });
        }
        // The open orders it withdraws (every one but a reader shipped, and the line's end).
        let withdrawing: Vec<OpenOrder> = customer
            .open_orders
            .iter()
            .filter(|o| orders::withdrawn_at_cancellation(o.details.kind(), o.status))
            .cloned()
            .collect();
        // Only rentals shipped are asked back; one not yet shipped is withdrawn with its order.
        for reader in customer.readers.iter().filter(|r| asked_back(r)) {
            consequences.push(Consequence {
                reader_id: Some(reader.reader_id.clone()),
                ..Consequence::new(
                    ConsequenceKind::ReaderToReturn,
                    format!(
                        "貸与中のICカードリーダー {} をご返却ください。後日お届けする返却キットでご返送いただけます。",
                        reader.reader_id
                    ),
                )
            });
        }
        for open in &withdrawing {
            consequences.push(Consequence {
                order_no: Some(open.order_no.clone()),
                ..Consequence::new(
                    ConsequenceKind::OrderWithdrawn,
                    format!(
                        "お申し込み中の{}（注文番号 {}）は取り下げになります。",
                        open.details.kind().name_ja(),
                        open.order_no
                    ),
                )
            });
        }
        consequences.push(Consequence::new(
            ConsequenceKind::SessionsEnd,
            "すべての端末でログアウトされます。".to_owned(),
        ));
        if request.dry_run {
            let preview = Preview {
                effective_on: today,
                refund: 0,
                consequences,
            };
            return Ok((Outcome::Preview(preview), false));
        }

        let expect = Expect::Version(customer.version);
        customer.cancelled_at = Some(now);
        for provider in &providers {
            set(
                &mut customer,
                &provider.provider_code,
                Setting::DoNotNotify,
                today,
                SetVia::Cancellation,
            );
        }
        // docs/orders.md: the open orders are withdrawn (a reader not yet shipped leaves the
        // member's list with its order), and the line's end is an order.
        // Up to a commit's share; any more are withdrawn by the commits that finish it.
        let mut writes =
            orders::withdraw_open(ctx, &mut customer, now, orders::WITHDRAWN_PER_COMMIT).await?;
        let orders_left = orders::left_to_withdraw(&customer);
        // A rental ordered before readers were orders and never shipped has no order to
        // withdraw: it leaves the list as a withdrawn one would.
        customer
            .readers
            .retain(|r| !(r.rental && r.order_no.is_none() && !r.status.is_shipped()));
        for reader in customer.readers.iter_mut().filter(|r| asked_back(r)) {
            reader.status = ReaderStatus::ToBeReturned;
        }
        let (termination, placing) =
            orders::place(&mut customer, |_| OrderDetails::LineTermination, now);
        writes.push(placing);
        // A serial is up to two items of a transaction, an order withdrawn one and the one
        // placed two (with its number): the orders take the place of serials, which the
        // steps after retire.
        let first_serials = SERIALS_PER_COMMIT.saturating_sub((writes.len() + 1).div_ceil(2));
        let to_retire: Vec<SerialRecord> = serials.into_iter().filter(usable).collect();
        let more_to_retire = to_retire.len() > first_serials || orders_left;
        writes.extend(
            to_retire
                .into_iter()
                .take(first_serials)
                .flat_map(|serial| retirement(serial, now)),
        );
        let summary = match &request.reason {
            Some(reason) => format!("解約（理由: {reason}）"),
            None => "解約".to_owned(),
        };
        let (receipt, filing) =
            receipts::file_for_order(ReceiptKind::Cancellation, summary, &termination);
        let to_return: Vec<_> = customer
            .readers
            .iter()
            .filter(|r| r.status == ReaderStatus::ToBeReturned)
            .collect();
        writes.push(Write::EnqueueMail(Mail::membership_cancelled(
            &customer,
            &customer.serials,
            &to_return,
            &withdrawing.iter().collect::<Vec<_>>(),
            &receipt.receipt_no,
            now,
        )));
        let cancelled = Cancelled {
            receipt_no: receipt.receipt_no,
            accepted_at: now,
            effective_on: today,
            refund: 0,
            order_no: termination.order_no.clone(),
        };
        writes.extend([
            filing,
            Write::DeleteSessionsOf {
                customer_id: customer_id.clone(),
            },
            Write::put_customer(customer, expect),
        ]);
        writes.extend(keep_answer_past_session(answer_log, &cancelled));
        ctx.store.commit(writes).await?;
        tracing::info!(%customer_id, "membership cancelled");
        Ok((Outcome::Cancelled(cancelled), more_to_retire))
    })
    .await?;
    if more_to_retire {
        // The membership has ended and the member has their receipt: serials left by a
        // failure here are finished by the next request that finds them.
        finish_left(ctx, customer_id).await;
    }
    Ok(outcome)
}

/// The fewest serials the first commit of a cancellation retires: what its orders (up to
/// `WITHDRAWN_PER_COMMIT` withdrawn and the one placed) leave of a transaction.
const SERIALS_IN_FIRST_COMMIT: usize =
    SERIALS_PER_COMMIT - (orders::WITHDRAWN_PER_COMMIT + 2).div_ceil(2);

/// Whether a cancelled member's record says a cancellation may have left work (serials
/// beyond what its first commit surely retired, orders still to withdraw), without reading
/// the serials.
pub(crate) fn may_have_left(customer: &Customer) -> bool {
    customer.serials.len() > SERIALS_IN_FIRST_COMMIT || orders::left_to_withdraw(customer)
}

/// Finishes what a cancellation left, as a task of its own, so that a caller that goes
/// away (a client that disconnects drops its request) does not stop it halfway. A failure
/// is logged, never answered: the request that found the state has its own answer, and
/// the next one that finds it tries again.
pub(crate) async fn finish_left(ctx: &Context, customer_id: &CustomerId) {
    let (task_ctx, id) = (ctx.clone(), customer_id.clone());
    let finished = tokio::spawn(async move { finish(&task_ctx, &id).await }).await;
    match finished {
        Ok(Ok(())) => {}
        Ok(Err(error)) => {
            tracing::warn!(%customer_id, %error, "serials of a cancelled member left to retire")
        }
        Err(error) => {
            tracing::error!(%customer_id, %error, "retiring a cancelled member's serials failed")
        }
    }
}

/// Whether a cancellation asks a reader back: a rental shipped (docs/readers.md).
fn asked_back(reader: &crate::domain::Reader) -> bool {
    reader.rental && reader.status.is_shipped()
}

/// Whether a serial still has to be made unavailable.
fn usable(serial: &SerialRecord) -> bool {
    serial.status != SerialStatus::Unavailable
}

/// The writes that make one serial unavailable at `at`: off its device (a history event
/// says so) and out of the expiry index.
pub(crate) fn retirement(mut serial: SerialRecord, at: Timestamp) -> Vec<Write> {
    let expect = Expect::Version(serial.version);
    let mut writes = Vec::with_capacity(2);
    if let Some(device) = serial.device.take() {
        writes.push(Write::AppendHistory {
            serial: serial.serial.clone(),
            seq: serial.events,
            event: HistoryEvent {
                at,
                kind: EventKind::Deactivated,
                device,
                previous_device: None,
            },
        });
        serial.events += 1;
    }
    serial.status = SerialStatus::Unavailable;
    writes.push(Write::put_serial(serial, expect));
    writes
}

/// Retires what a cancelled member still has usable, a commit at a time, dated when the
/// membership ended. Each commit names the versions it read, so finishers racing each
/// other conflict and the loser re-reads.
async fn retire(
    ctx: &Context,
    customer: &Customer,
    serials: Vec<SerialRecord>,
) -> Result<(), Error> {
    let Some(cancelled_at) = customer.cancelled_at else {
        return Ok(());
    };
    let to_retire: Vec<SerialRecord> = serials.into_iter().filter(usable).collect();
    for chunk in to_retire.chunks(SERIALS_PER_COMMIT) {
        let writes = chunk
            .iter()
            .cloned()
            .flat_map(|serial| retirement(serial, cancelled_at))
            .collect();
        ctx.store.commit(writes).await?;
    }
    if !to_retire.is_empty() {
        tracing::info!(customer_id = %customer.customer_id, retired = to_retire.len(), "serials of a cancelled member retired");
    }
    Ok(())
}

/// Withdraws the orders a cancellation left open (more than its commit held), a commit at a
/// time, dated when the membership ended. Each commit names the member's version it read.
async fn withdraw_left(ctx: &Context, mut customer: Customer) -> Result<(), Error> {
    let Some(cancelled_at) = customer.cancelled_at else {
        return Ok(());
    };
    while orders::left_to_withdraw(&customer) {
        let expect = Expect::Version(customer.version);
        let mut writes = orders::withdraw_open(
            ctx,
            &mut customer,
            cancelled_at,
            orders::WITHDRAWN_PER_COMMIT,
        )
        .await?;
        if writes.is_empty() {
            // The member's list and the orders disagree: nothing here can withdraw more.
            break;
        }
        let withdrawn = writes.len();
        writes.push(Write::put_customer(customer.clone(), expect));
        ctx.store.commit(writes).await?;
        customer.version = expect.next_version();
        tracing::info!(customer_id = %customer.customer_id, withdrawn, "orders of a cancelled member withdrawn");
    }
    Ok(())
}

/// Finishes the cancellation of a member whose serials or orders a failure (or their
/// number) left; nothing to do for any other member.
pub async fn finish(ctx: &Context, customer_id: &CustomerId) -> Result<(), Error> {
    retry_on_conflict(|| async {
        match ctx.store.customer_with_serials(customer_id).await? {
            Some((customer, serials)) if customer.is_cancelled() => {
                // Each is done even if the other fails; the next finisher tries again.
                let withdrawn = withdraw_left(ctx, customer.clone()).await;
                let retired = retire(ctx, &customer, serials).await;
                withdrawn.and(retired)
            }
            _ => Ok(()),
        }
    })
    .await
}
