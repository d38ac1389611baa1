//! An order as the back office receives it (docs/orders.md): TM Forum TMF622's
//! `ProductOrder`, where it fits. A back office that consumes TMF622 needs no translation
//! layer; `docs/order-event.schema.json` is the shape, and docs/orders.md says what of
//! TMF622 was kept and what was left out.

use serde::Serialize;

use super::order::{Order, OrderDetails, OrderKind, OrderStatus};

/// What the event announces: the placement, or a change made on madoguchi's side (a
/// withdrawal) that the back office must act on. Progress the back office reports itself
/// is not published back to it.
pub fn detail_type(order: &Order) -> &'static str {
    if order.status == OrderStatus::Failed {
        "OrderStateChanged"
    } else {
        "OrderPlaced"
    }
}

/// TMF622 `ProductOrder`.
#[derive(Debug, Serialize)]
pub struct ProductOrder {
    /// Our order number: the consumer's idempotency key.
    pub id: String,
    /// The member's receipt number (受付番号).
    #[serde(rename = "externalId")]
    pub external_id: String,
    pub state: &'static str,
    /// Our own status, finer than TMF622's states (`awaiting_payment`, `paid`…).
    #[serde(rename = "madoguchiStatus")]
    pub madoguchi_status: OrderStatus,
    /// Which event of this order it is: 1 for the placement, one more for each change made
    /// on madoguchi's side. With `id`, the consumer's idempotency key; it keeps the highest.
    #[serde(rename = "madoguchiSequence")]
    pub madoguchi_sequence: u32,
    /// The request that placed the order, to follow a complaint across both systems
    /// (docs/operations.md#request-ids).
    #[serde(rename = "madoguchiRequestId", skip_serializing_if = "Option::is_none")]
    pub madoguchi_request_id: Option<String>,
    #[serde(rename = "orderDate")]
    pub order_date: String,
    pub category: OrderKind,
    pub description: &'static str,
    /// Why a failed order failed (`withdrawn`, `membership_cancelled`…).
    #[serde(rename = "cancellationReason", skip_serializing_if = "Option::is_none")]
    pub cancellation_reason: Option<String>,
    #[serde(rename = "relatedParty")]
    pub related_party: Vec<RelatedParty>,
    #[serde(rename = "productOrderItem")]
    pub product_order_item: Vec<ProductOrderItem>,
    #[serde(rename = "@type")]
    pub kind: &'static str,
}

/// TMF622 `RelatedParty`: the member, by ID only (no name, address or mail address).
#[derive(Debug, Serialize)]
pub struct RelatedParty {
    pub id: String,
    pub role: &'static str,
    #[serde(rename = "@referredType")]
    pub referred_type: &'static str,
}

/// TMF622 `ProductOrderItem`.
#[derive(Debug, Serialize)]
pub struct ProductOrderItem {
    pub id: String,
    /// `add`, `modify` or `delete`.
    pub action: &'static str,
    pub quantity: u32,
    pub state: &'static str,
    pub product: Product,
}

/// TMF622 `Product`, as the item's target: which product, and its characteristics.
#[derive(Debug, Serialize)]
pub struct Product {
    #[serde(rename = "productSpecification")]
    pub product_specification: ProductRef,
    #[serde(rename = "productCharacteristic")]
    pub product_characteristic: Vec<Characteristic>,
}

#[derive(Debug, Serialize)]
pub struct ProductRef {
    pub id: &'static str,
    pub name: &'static str,
}

#[derive(Debug, Serialize)]
pub struct Characteristic {
    pub name: &'static str,
    pub value: String,
}

/// TMF622's state of an order: its status's, but `cancelled` for one withdrawn on
/// madoguchi's side (by the member, or by the end of the membership), which is what
/// TMF622 calls an order the customer called off.
pub fn tmf_state(order: &Order) -> &'static str {
    let withdrawn = matches!(
        order.reason(),
        Some(super::order::reason::WITHDRAWN | super::order::reason::MEMBERSHIP_CANCELLED)
    );
    if order.status == OrderStatus::Failed && withdrawn {
        "cancelled"
    } else {
        order.status.tmf_state()
    }
}

impl From<&Order> for ProductOrder {
    fn from(order: &Order) -> Self {
        let state = tmf_state(order);
        let items: Vec<ProductOrderItem> = match &order.details {
            OrderDetails::LineNotification { changes, .. } => changes
                .iter()
                .map(|change| {
                    (
                        "modify",
                        ProductRef {
                            id: "line_notification",
                            name: "回線情報通知",
                        },
                        vec![
                            Characteristic {
                                name: "providerCode",
                                value: change.provider_code.to_string(),
                            },
                            Characteristic {
                                name: "setting",
                                value: match change.after {
                                    super::Setting::Notify => "notify",
                                    super::Setting::DoNotNotify => "do_not_notify",
                                }
                                .to_owned(),
                            },
                        ],
                    )
                })
                .collect::<Vec<_>>(),
            OrderDetails::Reader {
                reader_id,
                reader_type,
                price,
                ..
            } => vec![(
                "add",
                ProductRef {
                    id: "ic_card_reader",
                    name: reader_type.name_ja(),
                },
                vec![
                    Characteristic {
                        name: "readerId",
                        value: reader_id.clone(),
                    },
                    Characteristic {
                        name: "type",
                        value: serde_json::to_value(reader_type)
                            .ok()
                            .and_then(|v| v.as_str().map(str::to_owned))
                            .unwrap_or_default(),
                    },
                    Characteristic {
                        name: "amount",
                        value: price.total.to_string(),
                    },
                ],
            )],
            OrderDetails::Service {
                service,
                action,
                license_plus,
                ..
            } => vec![(
                match action {
                    super::catalogue::ServiceAction::Subscribe => "add",
                    super::catalogue::ServiceAction::Change => "modify",
                    super::catalogue::ServiceAction::Terminate => "delete",
                },
                ProductRef {
                    id: match service {
                        super::Service::LineNotification => "line_notification",
                        super::Service::Security => "security",
                        super::Service::RemoteSupport => "remote_support",
                        super::Service::SessionPlus => "session_plus",
                        super::Service::VpnWide => "vpn_wide",
                    },
                    name: super::catalogue::service_name_ja(*service),
                },
                license_plus
                    .iter()
                    .map(|change| Characteristic {
                        name: "licensePlus",
                        value: change.to.to_string(),
                    })
                    .collect(),
            )],
            OrderDetails::LineTermination => vec![(
                "delete",
                ProductRef {
                    id: "line",
                    name: "フレッツ回線",
                },
                Vec::new(),
            )],
        }
        .into_iter()
        .enumerate()
        .map(
            |(n, (action, specification, characteristics))| ProductOrderItem {
                id: (n + 1).to_string(),
                action,
                quantity: 1,
                state,
                product: Product {
                    product_specification: specification,
                    product_characteristic: characteristics,
                },
            },
        )
        .collect();
        Self {
            id: order.order_no.to_string(),
            external_id: order.receipt_no.clone(),
            state,
            madoguchi_status: order.status,
            madoguchi_sequence: order.publication.sequence.max(1),
            madoguchi_request_id: order.request_id.clone(),
            order_date: super::japan::format_instant(order.placed_at),
            category: order.kind(),
            description: order.kind().name_ja(),
            cancellation_reason: order.reason().map(str::to_owned),
            related_party: vec![RelatedParty {
                id: order.customer_id.to_string(),
                role: "customer",
                referred_type: "Individual",
            }],
            product_order_item: items,
            kind: "ProductOrder",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::order::reason;
    use crate::domain::{CustomerId, OrderDetails};

    #[test]
    fn a_withdrawn_order_is_cancelled_and_a_failed_one_failed() {
        let at: jiff::Timestamp = "2026-12-06T00:00:00Z".parse().unwrap();
        let id = CustomerId::parse("CAF0000001").unwrap();
        let placed = Order::place(&id, "R-1", OrderDetails::LineTermination, at);
        assert_eq!(ProductOrder::from(&placed).state, "acknowledged");
        let mut withdrawn = placed.clone();
        withdrawn.withdraw(reason::WITHDRAWN, at).unwrap();
        let event = ProductOrder::from(&withdrawn);
        assert_eq!(event.state, "cancelled");
        assert_eq!(event.cancellation_reason.as_deref(), Some("withdrawn"));
        let mut failed = placed.clone();
        failed
            .advance(Some("e"), OrderStatus::Failed, Some("故障".into()), at)
            .unwrap();
        assert_eq!(ProductOrder::from(&failed).state, "failed");
        assert_eq!(
            ProductOrder::from(&failed).product_order_item[0].action,
            "delete"
        );
    }
}
