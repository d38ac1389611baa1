//! `GET /admin/v1/customers/{customer_id}`: everything about one member.

use jiff::Timestamp;
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::SerialStatus;
use crate::domain::japan;
use crate::domain::{CustomerId, Email, Line, PersonName, Reader, ServiceApplication};
use crate::service::line_notification::{ProviderView, settings_of};
use crate::service::orders::{self, OrderList};
use crate::service::paging::Paging;
use crate::service::usage::{SerialView, ServiceOverview, services_of};
use crate::service::{Context, Error, cancellation};

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Membership {
    Active,
    Cancelled,
}

/// Everything about one member, for operators.
#[derive(Debug, Serialize, ToSchema)]
pub struct CustomerState {
    pub customer_id: CustomerId,
    pub name: PersonName,
    #[schema(value_type = String)]
    pub email: Email,
    pub line: Line,
    pub membership: Membership,
    #[serde(with = "japan::optional_instant")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub cancelled_at: Option<Timestamp>,
    pub locked: bool,
    #[serde(with = "japan::optional_instant")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub locked_at: Option<Timestamp>,
    pub failed_logins: u32,
    #[serde(with = "japan::instant")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    pub services: Vec<ServiceOverview>,
    /// Every application behind the overview.
    pub applications: Vec<ServiceApplication>,
    pub serials: Vec<OperatorSerialView>,
    /// Settings as in `GET /v1/line-notification`.
    pub providers: Vec<ProviderView>,
    pub readers: Vec<Reader>,
    /// The member's newest orders (docs/orders.md), newest first: at most `ORDERS_SHOWN`;
    /// `next_cursor` continues them in the operators' list.
    pub orders: OrderList,
}

/// How many of a member's orders the state shows.
const ORDERS_SHOWN: usize = 50;

#[derive(Debug, Serialize, ToSchema)]
pub struct OperatorSerialView {
    #[serde(flatten)]
    pub serial: SerialView,
    pub product_key: String,
    pub program_version: u32,
}

pub async fn customer_state(
    ctx: &Context,
    customer_id: &CustomerId,
) -> Result<CustomerState, Error> {
    let read = || async {
        ctx.store
            .customer_with_serials(customer_id)
            .await?
            .ok_or(Error::NotFound)
    };
    let (mut customer, mut serials) = read().await?;
    if customer.is_cancelled()
        && (serials
            .iter()
            .any(|s| s.status != SerialStatus::Unavailable)
            || crate::service::orders::left_to_withdraw(&customer))
    {
        // A cancellation stopped halfway: finished before it is shown, so that an operator
        // sees what the member was told.
        cancellation::finish(ctx, customer_id).await?;
        (customer, serials) = read().await?;
    }
    let providers = ctx.store.providers().await?;
    let orders = orders::orders_of(
        ctx,
        customer_id,
        Paging {
            limit: ORDERS_SHOWN,
            after: None,
        },
    )
    .await?;
    Ok(CustomerState {
        orders,
        services: services_of(&customer),
        providers: settings_of(&customer, &providers),
        readers: customer.readers.clone(),
        serials: serials
            .iter()
            .map(|record| OperatorSerialView {
                serial: SerialView::of(record, &customer, ctx.today()),
                product_key: record.product_key.clone(),
                program_version: record.program_version,
            })
            .collect(),
        membership: if customer.is_cancelled() {
            Membership::Cancelled
        } else {
            Membership::Active
        },
        locked: customer.is_locked(),
        customer_id: customer.customer_id,
        name: customer.name,
        email: customer.email,
        line: customer.line,
        cancelled_at: customer.cancelled_at,
        locked_at: customer.locked_at,
        failed_logins: customer.failed_logins,
        created_at: customer.created_at,
        applications: customer.services,
    })
}
