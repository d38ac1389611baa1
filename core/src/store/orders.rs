//! Orders (docs/orders.md): one order by its number, a member's orders and every order of a
//! status a page at a time, and the orders whose hand-over to the back office is due.
//! Orders are written by `commit` (`Write::put_order`), with the change that causes them.

use async_trait::async_trait;
use jiff::Timestamp;

use crate::domain::{CustomerId, Order, OrderNo, OrderStatus};
use crate::store::{Page, StoreError};

/// An order's place in a list of orders, which are ordered by when they were placed (to
/// the nanosecond), then by number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderPlace {
    pub placed_at: Timestamp,
    pub order_no: OrderNo,
}

impl OrderPlace {
    pub fn of(order: &Order) -> Self {
        Self {
            placed_at: order.placed_at,
            order_no: order.order_no.clone(),
        }
    }
}

/// An order whose publication is due: when, then its number.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct PublishPlace {
    pub due_at: Timestamp,
    pub order_no: OrderNo,
}

impl PublishPlace {
    /// The place of an order with a publication pending: due after its backoff, or at once
    /// (from when it last changed).
    pub fn of(order: &Order) -> Option<Self> {
        order.publication.pending.then(|| Self {
            due_at: order.publication.due_at.unwrap_or(order.updated_at),
            order_no: order.order_no.clone(),
        })
    }
}

#[async_trait]
pub trait Orders: Send + Sync {
    /// One order by its number, read strongly consistent: what a progress event, a
    /// withdrawal and the publisher decide on.
    async fn order(&self, order_no: &OrderNo) -> Result<Option<Order>, StoreError>;

    /// Up to `limit` (at least one) of a member's orders, newest first, placed before
    /// `before` when given. It reads that page only.
    async fn orders_of(
        &self,
        customer_id: &CustomerId,
        before: Option<&OrderPlace>,
        limit: usize,
    ) -> Result<Page<Order, OrderPlace>, StoreError>;

    /// Up to `limit` (at least one) orders now in `status`, newest first, placed before
    /// `before` when given: the operators' list of stuck work. (An index that may lag by
    /// a moment.)
    async fn orders_in(
        &self,
        status: OrderStatus,
        before: Option<&OrderPlace>,
        limit: usize,
    ) -> Result<Page<Order, OrderPlace>, StoreError>;

    /// Where the order longest in `status` was placed: the first of its list, in one read
    /// (docs/operations.md: how long the back office has left work undone).
    async fn oldest_in(&self, status: OrderStatus) -> Result<Option<OrderPlace>, StoreError>;

    /// Up to `limit` orders whose publication is due by `due_by`, in the order they fell
    /// due, after `after` when given. (An index that may lag: publish only what `order`
    /// reads as still pending.)
    async fn orders_to_publish(
        &self,
        due_by: Timestamp,
        after: Option<&PublishPlace>,
        limit: usize,
    ) -> Result<Vec<PublishPlace>, StoreError>;
}
