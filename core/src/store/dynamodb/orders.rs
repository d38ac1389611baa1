//! DynamoStore's `Orders` (the port is `store/orders.rs`): an order lives in its member's
//! partition, found by number through its pointer; the operators' lists by status are in
//! `gsi1`, the hand-overs due in `gsi2` (`lists.rs`).

use async_trait::async_trait;
use jiff::Timestamp;

use super::item::{record, s};
use super::{DynamoStore, keys};
use crate::domain::{CustomerId, Order, OrderNo, OrderStatus};
use crate::store::{OrderPlace, Orders, Page, PublishPlace, StoreError};

#[async_trait]
impl Orders for DynamoStore {
    async fn order(&self, order_no: &OrderNo) -> Result<Option<Order>, StoreError> {
        #[derive(serde::Deserialize)]
        struct Pointer {
            owner: CustomerId,
            /// Nanoseconds as text: serde_dynamo has no 128-bit numbers.
            placed_ns: String,
        }
        let Some(pointer) = self.get::<Pointer>(keys::order_pointer(order_no)).await? else {
            return Ok(None);
        };
        let place = OrderPlace {
            placed_at: pointer
                .placed_ns
                .parse::<i128>()
                .ok()
                .and_then(|ns| Timestamp::from_nanosecond(ns).ok())
                .ok_or_else(|| StoreError::Backend(format!("order pointer {order_no}")))?,
            order_no: order_no.clone(),
        };
        self.get(keys::order_at(&pointer.owner, &place)).await
    }

    async fn orders_of(
        &self,
        customer_id: &CustomerId,
        before: Option<&OrderPlace>,
        limit: usize,
    ) -> Result<Page<Order, OrderPlace>, StoreError> {
        let before = before.map(|place| keys::order_at(customer_id, place));
        self.page(
            keys::orders_of(customer_id),
            true,
            before,
            limit,
            keys::order_place,
        )
        .await
    }

    async fn orders_in(
        &self,
        status: OrderStatus,
        before: Option<&OrderPlace>,
        limit: usize,
    ) -> Result<Page<Order, OrderPlace>, StoreError> {
        let (list, before) = keys::status_list_before(status, before);
        let read = limit.saturating_add(1);
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(keys::GSI1)
            .key_condition_expression("gsi1pk = :pk AND gsi1sk < :before")
            .expression_attribute_values(":pk", s(list))
            .expression_attribute_values(":before", s(before))
            .scan_index_forward(false)
            .set_limit(i32::try_from(read).ok());
        let read = self
            .query_pages(query, read)
            .await?
            .into_iter()
            .map(|item| {
                let sk = item
                    .get("gsi1sk")
                    .and_then(|v| v.as_s().ok())
                    .cloned()
                    .unwrap_or_default();
                let place = keys::order_place(&sk)
                    .ok_or_else(|| StoreError::Backend(format!("an order listed as {sk:?}")))?;
                Ok((place, record(item)?))
            })
            .collect::<Result<_, StoreError>>()?;
        Ok(Page::from_read(read, limit))
    }

    async fn oldest_in(&self, status: OrderStatus) -> Result<Option<OrderPlace>, StoreError> {
        let answer = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(keys::GSI1)
            .key_condition_expression("gsi1pk = :pk")
            .expression_attribute_values(":pk", s(keys::status_list(status)))
            .projection_expression("gsi1sk")
            .scan_index_forward(true)
            .limit(1)
            .send()
            .await?;
        let Some(item) = answer.items().first() else {
            return Ok(None);
        };
        let sk = item
            .get("gsi1sk")
            .and_then(|v| v.as_s().ok())
            .cloned()
            .unwrap_or_default();
        keys::order_place(&sk)
            .map(Some)
            .ok_or_else(|| StoreError::Backend(format!("an order listed as {sk:?}")))
    }

    async fn orders_to_publish(
        &self,
        due_by: Timestamp,
        after: Option<&PublishPlace>,
        limit: usize,
    ) -> Result<Vec<PublishPlace>, StoreError> {
        self.to_publish(due_by, after, limit).await
    }
}
