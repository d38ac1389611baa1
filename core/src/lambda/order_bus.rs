//! Orders handed to the back office's EventBridge bus (docs/orders.md): `PutEvents` of one
//! entry, `source` `madoguchi`, `detail-type` `OrderPlaced` (or `OrderStateChanged` for a
//! withdrawal), `detail` the order as TMF622's `ProductOrder`.

use async_trait::async_trait;
use aws_sdk_eventbridge::Client;
use aws_sdk_eventbridge::types::PutEventsRequestEntry;

use crate::domain::product_order::ProductOrder;
use crate::service::outbox::BackOffice;

/// The source every order event carries.
pub const SOURCE: &str = "madoguchi";

pub struct OrderBus {
    client: Client,
    bus: String,
}

impl OrderBus {
    pub fn new(sdk: &aws_config::SdkConfig, bus: String) -> Self {
        Self {
            client: Client::new(sdk),
            bus,
        }
    }
}

#[async_trait]
impl BackOffice for OrderBus {
    async fn publish(&self, detail_type: &str, order: &ProductOrder) -> Result<(), String> {
        let detail = serde_json::to_string(order).map_err(|e| e.to_string())?;
        let entry = PutEventsRequestEntry::builder()
            .event_bus_name(&self.bus)
            .source(SOURCE)
            .detail_type(detail_type)
            .detail(detail)
            .build();
        let output = self
            .client
            .put_events()
            .entries(entry)
            .send()
            .await
            .map_err(|e| {
                format!(
                    "PutEvents: {}",
                    aws_sdk_eventbridge::error::DisplayErrorContext(e)
                )
            })?;
        // PutEvents answers 200 with the entries it could not put.
        if output.failed_entry_count() > 0 {
            let reason = output
                .entries()
                .iter()
                .filter_map(|e| e.error_message())
                .collect::<Vec<_>>()
                .join("; ");
            return Err(format!("PutEvents refused the entry: {reason}"));
        }
        Ok(())
    }
}
