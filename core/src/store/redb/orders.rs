//! RedbStore's `Orders` (the port is `store/orders.rs`).

use std::ops::Bound;

use async_trait::async_trait;
use jiff::Timestamp;
use redb::{ReadableDatabase, TableDefinition};

use super::tables::{ORDERS, ORDERS_BY_STATUS, ORDERS_OF_MEMBER, ORDERS_TO_PUBLISH};
use super::{RedbStore, decode};
use crate::domain::{CustomerId, Order, OrderNo, OrderStatus};
use crate::store::{OrderPlace, Orders, Page, PublishPlace, StoreError};

fn instant(ns: i128) -> Result<Timestamp, StoreError> {
    Timestamp::from_nanosecond(ns).map_err(|e| StoreError::Backend(e.to_string()))
}

impl RedbStore {
    /// A page of the list `index` under `owner` (a member, a status), newest first, before
    /// `before` when given: the entries of one more than the page, each order read by its
    /// number.
    async fn order_page(
        &self,
        index: TableDefinition<'static, (&'static str, i128, &'static str), ()>,
        owner: String,
        before: Option<OrderPlace>,
        limit: usize,
    ) -> Result<Page<Order, OrderPlace>, StoreError> {
        self.blocking(move |db| {
            let txn = db.begin_read()?;
            let entries = txn.open_table(index)?;
            let orders = txn.open_table(ORDERS)?;
            let oldest = Bound::Included((owner.as_str(), i128::MIN, ""));
            let newest = match &before {
                Some(place) => Bound::Excluded((
                    owner.as_str(),
                    place.placed_at.as_nanosecond(),
                    place.order_no.as_str(),
                )),
                None => Bound::Included((owner.as_str(), i128::MAX, "")),
            };
            let mut read = Vec::new();
            for entry in entries.range((oldest, newest))?.rev() {
                if read.len() > limit {
                    break;
                }
                let (key, ()) = entry.map(|(k, v)| (k, v.value()))?;
                let (_, placed, no) = key.value();
                let Some(bytes) = orders.get(no)? else {
                    continue;
                };
                let order: Order = decode(bytes.value())?;
                let place = OrderPlace {
                    placed_at: instant(placed)?,
                    order_no: order.order_no.clone(),
                };
                read.push((place, order));
            }
            Ok(Page::from_read(read, limit))
        })
        .await
    }
}

#[async_trait]
impl Orders for RedbStore {
    async fn order(&self, order_no: &OrderNo) -> Result<Option<Order>, StoreError> {
        self.get(ORDERS, order_no.to_string()).await
    }

    async fn orders_of(
        &self,
        customer_id: &CustomerId,
        before: Option<&OrderPlace>,
        limit: usize,
    ) -> Result<Page<Order, OrderPlace>, StoreError> {
        // The first page is what `GET /v1/orders` reads: kept, as the session views are.
        if before.is_none()
            && let Some(kept) = self.views.first_orders(customer_id, limit)
        {
            return Ok(kept);
        }
        // Taken before the read: a change committed meanwhile keeps it from being kept.
        let seq = self.views.seq();
        let page = self
            .order_page(
                ORDERS_OF_MEMBER,
                customer_id.to_string(),
                before.cloned(),
                limit,
            )
            .await?;
        if before.is_none() {
            self.views.keep_first_orders(seq, customer_id, limit, &page);
        }
        Ok(page)
    }

    async fn orders_in(
        &self,
        status: OrderStatus,
        before: Option<&OrderPlace>,
        limit: usize,
    ) -> Result<Page<Order, OrderPlace>, StoreError> {
        self.order_page(
            ORDERS_BY_STATUS,
            status.as_str().to_owned(),
            before.cloned(),
            limit,
        )
        .await
    }

    async fn oldest_in(&self, status: OrderStatus) -> Result<Option<OrderPlace>, StoreError> {
        let list = status.as_str();
        self.blocking(move |db| {
            let txn = db.begin_read()?;
            let entries = txn.open_table(ORDERS_BY_STATUS)?;
            let all = (list, i128::MIN, "")..=(list, i128::MAX, "~");
            let Some(entry) = entries.range(all)?.next() else {
                return Ok(None);
            };
            let (key, ()) = entry.map(|(k, v)| (k, v.value()))?;
            let (_, placed, no) = key.value();
            // The number as the order holds it, as the pages read it.
            let orders = txn.open_table(ORDERS)?;
            let Some(bytes) = orders.get(no)? else {
                return Ok(None);
            };
            let order: Order = decode(bytes.value())?;
            Ok(Some(OrderPlace {
                placed_at: instant(placed)?,
                order_no: order.order_no,
            }))
        })
        .await
    }

    async fn orders_to_publish(
        &self,
        due_by: Timestamp,
        after: Option<&PublishPlace>,
        limit: usize,
    ) -> Result<Vec<PublishPlace>, StoreError> {
        let after = after.cloned();
        self.blocking(move |db| {
            let txn = db.begin_read()?;
            let due = txn.open_table(ORDERS_TO_PUBLISH)?;
            let start = match &after {
                Some(place) => {
                    Bound::Excluded((place.due_at.as_nanosecond(), place.order_no.as_str()))
                }
                None => Bound::Unbounded,
            };
            let end = Bound::Included((due_by.as_nanosecond(), "~"));
            let mut places = Vec::new();
            for entry in due.range::<(i128, &str)>((start, end))?.take(limit) {
                let (key, ()) = entry.map(|(k, v)| (k, v.value()))?;
                let (at, no) = key.value();
                let Some(order_no) = OrderNo::parse(no) else {
                    tracing::error!(order_no = no, "a malformed entry of the hand-over list");
                    continue;
                };
                places.push(PublishPlace {
                    due_at: instant(at)?,
                    order_no,
                });
            }
            Ok(places)
        })
        .await
    }
}
