//! Orders (docs/orders.md): placing one with the change that causes it, what a member and an
//! operator see of them, a member's withdrawal, and the back office's progress reports,
//! whose completion applies the order's effect and whose failure applies nothing.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::paging::{self, Paging};
use super::{Context, Error, retry_on_conflict};
use crate::domain::catalogue::ServiceAction;
use crate::domain::japan;
use crate::domain::order::LicensePlusChange;
use crate::domain::order::{Moved, reason};
use crate::domain::reader::Payment;
use crate::domain::{
    Customer, CustomerId, Mail, Order, OrderDetails, OrderKind, OrderNo, OrderStatus, OrderStep,
    Price, ReaderType, SerialRecord, SerialStatus, Service, ServiceStatus, SetVia, SettingChange,
};
use crate::store::{Expect, OrderPlace, Write};

/// An order as a member and an operator see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct OrderView {
    #[schema(value_type = String)]
    pub order_no: OrderNo,
    pub kind: OrderKind,
    pub status: OrderStatus,
    #[serde(with = "japan::instant")]
    #[schema(value_type = String, format = DateTime)]
    pub placed_at: Timestamp,
    #[serde(with = "japan::instant")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
    pub receipt_no: String,
    pub details: DetailsView,
    /// Why it failed; null unless `status` is `failed`.
    pub reason: Option<String>,
    /// Every move since it was placed, oldest first.
    pub steps: Vec<OrderStep>,
    /// The request that placed it (docs/operations.md#request-ids): quoted in a complaint,
    /// it finds the request's log lines, the hand-over's and the mails'.
    pub request_id: Option<String>,
}

/// What the order asks for, without the applicant's address.
#[derive(Debug, Serialize, ToSchema)]
pub struct DetailsView {
    /// A line-notification order's changes; empty for other kinds.
    pub changes: Vec<SettingChange>,
    /// Whether a 工事完了通知 is mailed when it completes.
    pub completion_email: bool,
    /// A reader order's reader, price and payment; null for other kinds.
    pub reader: Option<ReaderOrderView>,
    /// A service application's service and action; null for other kinds.
    pub service: Option<ServiceOrderView>,
}

/// The service an application is for, what it asks, and for セキュリティ機能's change the
/// ライセンスプラス count.
#[derive(Debug, Serialize, ToSchema)]
pub struct ServiceOrderView {
    pub service: Service,
    pub action: ServiceAction,
    pub license_plus: Option<LicensePlusChange>,
}

/// The reader an order ships, what it costs and how it is paid.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReaderOrderView {
    pub reader_id: String,
    #[serde(rename = "type")]
    pub reader_type: ReaderType,
    pub price: Price,
    pub payment: Payment,
}

impl From<&Order> for OrderView {
    fn from(order: &Order) -> Self {
        let details = match &order.details {
            OrderDetails::LineNotification {
                changes,
                completion_mail,
            } => DetailsView {
                changes: changes.clone(),
                completion_email: completion_mail.is_some(),
                reader: None,
                service: None,
            },
            OrderDetails::LineTermination => DetailsView {
                changes: Vec::new(),
                completion_email: false,
                reader: None,
                service: None,
            },
            OrderDetails::Service {
                service,
                action,
                license_plus,
                completion_mail,
            } => DetailsView {
                changes: Vec::new(),
                completion_email: completion_mail.is_some(),
                reader: None,
                service: Some(ServiceOrderView {
                    service: *service,
                    action: *action,
                    license_plus: license_plus.clone(),
                }),
            },
            OrderDetails::Reader {
                reader_id,
                reader_type,
                price,
                payment,
            } => DetailsView {
                changes: Vec::new(),
                completion_email: false,
                reader: Some(ReaderOrderView {
                    reader_id: reader_id.clone(),
                    reader_type: *reader_type,
                    price: *price,
                    payment: payment.clone(),
                }),
                service: None,
            },
        };
        Self {
            order_no: order.order_no.clone(),
            kind: order.kind(),
            status: order.status,
            placed_at: order.placed_at,
            updated_at: order.updated_at,
            receipt_no: order.receipt_no.clone(),
            details,
            reason: order.reason().map(str::to_owned),
            steps: order.steps.clone(),
            request_id: order.request_id.clone(),
        }
    }
}

/// One page of orders.
#[derive(Debug, Serialize, ToSchema)]
pub struct OrderList {
    /// Newest first.
    pub orders: Vec<OrderView>,
    /// Hand back as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

/// A new order placed with its cause (its details made knowing its number), under a fresh
/// receipt number
/// (`receipts::file_for_order` files the receipt): the order's write, and the member's
/// record showing it open. The caller commits both with the change, and `customer`'s write.
pub(crate) fn place(
    customer: &mut Customer,
    details: impl FnOnce(&OrderNo) -> OrderDetails,
    at: Timestamp,
) -> (Order, Write) {
    let receipt_no = crate::domain::receipt::new_receipt_no(at);
    let order_no = OrderNo::generate(at);
    let details = details(&order_no);
    let order = Order::place_as(order_no, &customer.customer_id, &receipt_no, details, at);
    customer.follow_order(&order);
    let write = Write::place_order(order.clone());
    (order, write)
}

pub async fn orders_of(
    ctx: &Context,
    customer_id: &CustomerId,
    paging: Paging<OrderPlace>,
) -> Result<OrderList, Error> {
    let page = ctx
        .store
        .orders_of(customer_id, paging.after.as_ref(), paging.limit)
        .await?;
    Ok(OrderList {
        orders: page.items.iter().map(OrderView::from).collect(),
        next_cursor: page.next.as_ref().map(paging::cursor),
    })
}

/// One of the member's orders; another member's is not found.
pub async fn order_of(
    ctx: &Context,
    customer_id: &CustomerId,
    order_no: &OrderNo,
) -> Result<OrderView, Error> {
    match ctx.store.order(order_no).await? {
        Some(order) if &order.customer_id == customer_id => Ok(OrderView::from(&order)),
        _ => Err(Error::NotFound),
    }
}

/// The operators' list: every order of a status, or of every status, newest first,
/// placed before a time when given.
pub async fn list(
    ctx: &Context,
    status: Option<OrderStatus>,
    placed_before: Option<Timestamp>,
    paging: Paging<OrderPlace>,
) -> Result<OrderList, Error> {
    // A page starts before the cursor's place, or before `placed_before` (an order number
    // of "" sorts before every number placed at that instant).
    let before = paging.after.or_else(|| {
        placed_before.map(|at| OrderPlace {
            placed_at: at,
            order_no: OrderNo::lowest(),
        })
    });
    let statuses: Vec<OrderStatus> = match status {
        Some(status) => vec![status],
        None => OrderStatus::ALL.to_vec(),
    };
    // Without a status, one page of each status list, merged newest first: the page is
    // the newest `limit` of them all, and each list is read from the same place.
    let mut found = Vec::new();
    for status in statuses {
        let page = ctx
            .store
            .orders_in(status, before.as_ref(), paging.limit)
            .await?;
        found.extend(page.items);
    }
    found.sort_by(|a, b| (b.placed_at, &b.order_no).cmp(&(a.placed_at, &a.order_no)));
    let more = found.len() > paging.limit;
    found.truncate(paging.limit);
    let next = found.last().filter(|_| more).map(OrderPlace::of);
    Ok(OrderList {
        orders: found.iter().map(OrderView::from).collect(),
        next_cursor: next.as_ref().map(paging::cursor),
    })
}

/// A progress report from the back office (docs/orders.md).
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct Progress {
    pub event_id: String,
    pub status: OrderStatus,
    /// Why it failed, in words the member may read.
    pub reason: Option<String>,
}

/// Moves an order as the back office reports: the same `event_id` again changes nothing;
/// a move its track does not allow is 409 `invalid_transition`. Completion applies the
/// order's effect, and failure mails why, in the commit that moves it.
pub async fn report(
    ctx: &Context,
    order_no: &OrderNo,
    progress: &Progress,
) -> Result<OrderView, Error> {
    retry_on_conflict(|| async {
        let order = ctx.store.order(order_no).await?.ok_or(Error::NotFound)?;
        let (mut customer, serials) = ctx
            .store
            .customer_with_serials(&order.customer_id)
            .await?
            .ok_or(Error::NotFound)?;
        let mut moved = order.clone();
        let now = ctx.clock.now();
        match moved.advance(
            Some(&progress.event_id),
            progress.status,
            progress.reason.clone(),
            now,
        ) {
            Ok(Moved::AlreadyApplied) => return Ok(OrderView::from(&order)),
            Ok(Moved::Moved) => {}
            Err(refused) => {
                return Err(Error::InvalidTransition {
                    from: refused.from,
                    to: refused.to,
                });
            }
        }
        if customer.is_cancelled() && withdrawn_at_cancellation(order.kind(), order.status) {
            // docs/cancellation.md: the cancellation withdraws this order, in a commit not
            // taken yet (a crash between its commits): it is taken now, and the move refused.
            super::cancellation::finish_left(ctx, &customer.customer_id).await;
            return Err(Error::InvalidTransition {
                from: OrderStatus::Failed,
                to: progress.status,
            });
        }
        let mut writes = match moved.status {
            OrderStatus::Completed => complete(&mut customer, &serials, &moved, now),
            OrderStatus::Failed => vec![Write::EnqueueMail(Mail::order_failed(
                &customer, &moved, now,
            ))],
            OrderStatus::Shipped => match &moved.details {
                OrderDetails::Reader { reader_type, .. } => vec![Write::EnqueueMail(
                    Mail::reader_shipped(&customer, &moved, *reader_type, now),
                )],
                _ => Vec::new(),
            },
            _ => Vec::new(),
        };
        customer.follow_order(&moved);
        let customer_version = customer.version;
        writes.push(Write::put_customer(
            customer,
            Expect::Version(customer_version),
        ));
        writes.push(Write::move_order(moved.clone(), &order));
        ctx.store.commit(writes).await?;
        tracing::info!(%order_no, kind = ?moved.kind(), status = ?moved.status, event_id = %progress.event_id, "order moved");
        crate::telemetry::order(moved.kind().as_str(), moved.status.as_str());
        Ok(OrderView::from(&moved))
    })
    .await
}

/// The effect of a completed order on the member's record (and on its serials, as read
/// with it), and its mail.
fn complete(
    customer: &mut Customer,
    serials: &[SerialRecord],
    order: &Order,
    now: Timestamp,
) -> Vec<Write> {
    let today = japan::date_of(now);
    match &order.details {
        OrderDetails::LineNotification {
            changes,
            completion_mail,
        } => {
            for change in changes {
                super::line_notification::set(
                    customer,
                    &change.provider_code,
                    change.after,
                    today,
                    SetVia::Web,
                );
            }
            completion_mail
                .iter()
                .map(|mail| {
                    Write::EnqueueMail(Mail::works_completed(
                        &mail.to, &mail.name, order, changes, now,
                    ))
                })
                .collect()
        }
        OrderDetails::Service {
            service,
            action,
            license_plus,
            completion_mail,
        } => {
            let mut writes = match action {
                ServiceAction::Subscribe => {
                    subscribe(customer, *service);
                    Vec::new()
                }
                ServiceAction::Terminate => {
                    terminate(customer, *service);
                    Vec::new()
                }
                ServiceAction::Change => license_plus
                    .as_ref()
                    .map(|change| change_license_plus(customer, serials, change, now))
                    .unwrap_or_default(),
            };
            let name = crate::domain::catalogue::service_name_ja(*service);
            writes.extend(completion_mail.iter().map(|mail| {
                Write::EnqueueMail(Mail::service_works_completed(
                    &mail.to, &mail.name, order, name, now,
                ))
            }));
            writes
        }
        // The line's end changes nothing more: the cancellation already did, at once. A
        // reader's status follows its order (`Customer::follow_order`).
        OrderDetails::LineTermination | OrderDetails::Reader { .. } => Vec::new(),
    }
}

/// A subscription completed: one application of the service in use (in place of one 未契約,
/// if listed); the service's other applications stay as they are.
fn subscribe(customer: &mut Customer, service: Service) {
    let in_use = crate::domain::ServiceApplication {
        service,
        status: ServiceStatus::InUse,
    };
    match customer
        .services
        .iter()
        .position(|a| a.service == service && a.status == ServiceStatus::NotContracted)
    {
        Some(listed) => customer.services[listed] = in_use,
        None => customer.services.push(in_use),
    }
}

/// A termination completed: the application in use it ended is gone; the service's other
/// applications stay as they are.
fn terminate(customer: &mut Customer, service: Service) {
    if let Some(ended) = customer
        .services
        .iter()
        .position(|a| a.service == service && a.status == ServiceStatus::InUse)
    {
        customer.services.remove(ended);
    }
}

/// セキュリティ機能's ライセンスプラス count changed: new serials, waiting for their first
/// install, or the serials chosen at the application made unavailable (off their devices).
fn change_license_plus(
    customer: &mut Customer,
    serials: &[SerialRecord],
    change: &LicensePlusChange,
    now: Timestamp,
) -> Vec<Write> {
    let mut writes = Vec::new();
    for serial in serials
        .iter()
        .filter(|s| change.remove.contains(&s.serial) && s.status != SerialStatus::Unavailable)
    {
        writes.extend(super::cancellation::retirement(serial.clone(), now));
    }
    let license = super::admin::NewLicense {
        product: crate::domain::Product::SecuritySuite,
        plan: crate::domain::Plan::LicensePlus,
        billing: crate::domain::Billing::Monthly,
        expires_on: None,
        version: None,
    };
    for _ in change.from..change.to {
        let serial = super::admin::issue(&license, &customer.customer_id, customer.line);
        customer.serials.push(serial.serial.clone());
        writes.push(Write::put_serial(serial, Expect::Absent));
    }
    writes
}

/// A member withdraws an order before its work starts (or before a reader ships): it fails
/// with reason `withdrawn`, and the back office is told.
pub async fn withdraw(
    ctx: &Context,
    customer_id: &CustomerId,
    order_no: &OrderNo,
    answer_log: Option<&dyn super::AnswerLog>,
) -> Result<OrderView, Error> {
    retry_on_conflict(|| async {
        let order = match ctx.store.order(order_no).await? {
            Some(order) if &order.customer_id == customer_id => order,
            _ => return Err(Error::NotFound),
        };
        let customer = ctx.member(customer_id).await?;
        if customer.is_cancelled() {
            return Err(Error::MembershipCancelled);
        }
        if !order.status.withdrawable(order.kind()) {
            return Err(Error::InvalidTransition {
                from: order.status,
                to: OrderStatus::Failed,
            });
        }
        let (view, mut writes) = fail_here(customer, &order, reason::WITHDRAWN, ctx.clock.now())?;
        writes.extend(super::keep_answer_as(answer_log, 200, &view));
        ctx.store.commit(writes).await?;
        tracing::info!(%customer_id, %order_no, "order withdrawn by the member");
        Ok(view)
    })
    .await
}

/// docs/readers.md#payment: a card-reader order still awaiting payment, as read now, fails
/// with reason `payment_expired` and the back office is told (its payment page closes). An
/// order paid, or moved in any other way, since it was listed is left as it is: `false`.
pub(crate) async fn expire_payment(ctx: &Context, order_no: &OrderNo) -> Result<bool, Error> {
    retry_on_conflict(|| async {
        let Some(order) = ctx.store.order(order_no).await? else {
            return Ok(false);
        };
        if order.status != OrderStatus::AwaitingPayment {
            return Ok(false);
        }
        let Some(customer) = ctx.store.customer(&order.customer_id).await? else {
            return Ok(false);
        };
        let (_, writes) = fail_here(customer, &order, reason::PAYMENT_EXPIRED, ctx.clock.now())?;
        ctx.store.commit(writes).await?;
        tracing::info!(%order_no, "reader order failed unpaid");
        Ok(true)
    })
    .await
}

/// The writes that fail `order` on madoguchi's side for `why`, as read with its member: the
/// order published again so the back office stops, the member's record following it, and
/// the member mailed why; each guarded by the version read.
fn fail_here(
    mut customer: Customer,
    order: &Order,
    why: &str,
    now: Timestamp,
) -> Result<(OrderView, Vec<Write>), Error> {
    let mut failed = order.clone();
    failed
        .withdraw(why, now)
        .map_err(|refused| Error::InvalidTransition {
            from: refused.from,
            to: refused.to,
        })?;
    customer.follow_order(&failed);
    let view = OrderView::from(&failed);
    let mail = Mail::order_failed(&customer, &failed, now);
    let customer_version = customer.version;
    let writes = vec![
        Write::put_customer(customer, Expect::Version(customer_version)),
        Write::move_order(failed, order),
        Write::EnqueueMail(mail),
    ];
    Ok((view, writes))
}

/// The most orders one commit withdraws at a cancellation. An order is one or two items of
/// a DynamoDB transaction (at most 100), beside the cancellation's own writes and its first
/// serials; the rest are withdrawn by the commits that finish it (docs/cancellation.md).
pub(crate) const WITHDRAWN_PER_COMMIT: usize = 20;

/// Whether a cancellation withdraws an open order: every one, but a reader already
/// shipped, which is on its way and is asked back, and the line's termination, which is
/// the cancellation's own.
pub(crate) fn withdrawn_at_cancellation(kind: OrderKind, status: OrderStatus) -> bool {
    !status.is_final()
        && kind != OrderKind::LineTermination
        && (!kind.is_shipment() || status.withdrawable(kind))
}

/// Whether a cancelled member still has orders its cancellation has to withdraw.
pub(crate) fn left_to_withdraw(customer: &Customer) -> bool {
    customer
        .open_orders
        .iter()
        .any(|o| withdrawn_at_cancellation(o.details.kind(), o.status))
}

/// The writes that withdraw up to `limit` open orders of a member whose membership ends,
/// read from the store: each fails with reason `membership_cancelled`, and is published so
/// the back office stops the work; `customer` follows each (a reader not yet shipped leaves
/// the list). A reader already shipped stays open: it is on its way and is asked back.
/// The caller commits them with `customer`'s write; [`left_to_withdraw`] says whether more
/// are left for another commit.
pub(crate) async fn withdraw_open(
    ctx: &Context,
    customer: &mut Customer,
    at: Timestamp,
    limit: usize,
) -> Result<Vec<Write>, Error> {
    let mut writes = Vec::new();
    for open in customer.open_orders.clone() {
        if writes.len() == limit {
            break;
        }
        if !withdrawn_at_cancellation(open.details.kind(), open.status) {
            continue;
        }
        let Some(order) = ctx.store.order(&open.order_no).await? else {
            continue;
        };
        // A reader already shipped is not withdrawn: it is asked back instead.
        if !withdrawn_at_cancellation(order.kind(), order.status) {
            continue;
        }
        let mut withdrawn = order.clone();
        if withdrawn.withdraw(reason::MEMBERSHIP_CANCELLED, at).is_ok() {
            customer.follow_order(&withdrawn);
            writes.push(Write::move_order(withdrawn, &order));
        }
    }
    Ok(writes)
}
