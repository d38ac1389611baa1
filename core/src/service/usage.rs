//! ご利用状況の確認 (docs/usage.md): the services of the line and every serial.

use jiff::civil::Date;
use serde::Serialize;
use utoipa::ToSchema;

use super::renewal::oldest_renewable_version;
use crate::domain::customer::overview_status;
use crate::domain::{
    Billing, Customer, CustomerId, Device, PersonName, Plan, Product, Serial, SerialRecord,
    SerialStatus, Service, ServiceStatus,
};

#[derive(Debug, Serialize, ToSchema)]
pub struct Usage {
    pub customer_id: CustomerId,
    pub name: PersonName,
    /// The registered address, masked (`t***@example.jp`): where a renewal's mail goes.
    pub email: String,
    pub services: Vec<ServiceOverview>,
    pub serials: Vec<SerialView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ServiceOverview {
    pub service: Service,
    pub status: ServiceStatus,
}

/// A serial's status as the member sees it (docs/usage.md): the stored one, but
/// `expired` for a term licence past its last day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ShownStatus {
    /// インストール待ち
    AwaitingInstall,
    /// 利用中
    InUse,
    /// 利用不可
    Unavailable,
    /// 期限切れ
    Expired,
}

/// Why a serial is 利用不可 (docs/usage.md#unavailable-serials).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum UnavailableReason {
    /// The standard tool is not offered on this line (a collaboration line): ライセンスプラス
    /// is what protects a device there.
    NotOfferedOnLine,
    /// A ライセンスプラス serial the member's change of the number took away.
    LicensePlusEnded,
    /// The membership was cancelled.
    MembershipCancelled,
}

/// A serial as the member sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct SerialView {
    pub serial: Serial,
    pub product: Product,
    pub plan: Plan,
    pub billing: Billing,
    pub status: ShownStatus,
    /// Why it is `unavailable`; null otherwise.
    pub unavailable_reason: Option<UnavailableReason>,
    /// The last valid day (Japan time); null for monthly billing.
    #[schema(value_type = Option<String>, format = Date)]
    pub expires_on: Option<Date>,
    /// The protected device while `status` is `in_use`; the one it was on while `expired`.
    pub device: Option<Device>,
    /// Whether a purchase code can renew it (docs/renewal.md).
    pub renewable: bool,
    /// Whether only its program version stands in the way of a renewal.
    pub upgrade_required: bool,
}

impl SerialView {
    /// `record` of `customer`, as on `today` (Japan).
    pub fn of(record: &SerialRecord, customer: &Customer, today: Date) -> Self {
        let unavailable = record.status == SerialStatus::Unavailable;
        let status = match record.status {
            SerialStatus::Unavailable => ShownStatus::Unavailable,
            _ if record.is_expired_on(today) => ShownStatus::Expired,
            SerialStatus::AwaitingInstall => ShownStatus::AwaitingInstall,
            SerialStatus::InUse => ShownStatus::InUse,
        };
        let unavailable_reason = unavailable.then(|| {
            if customer.is_cancelled() {
                UnavailableReason::MembershipCancelled
            } else if record.plan == Plan::LicensePlus {
                UnavailableReason::LicensePlusEnded
            } else {
                UnavailableReason::NotOfferedOnLine
            }
        });
        let term = record.billing == Billing::Term && !unavailable;
        let upgrade_required =
            term && record.program_version < oldest_renewable_version(record.product);
        Self {
            serial: record.serial.clone(),
            product: record.product,
            plan: record.plan,
            billing: record.billing,
            status,
            unavailable_reason,
            expires_on: record.expires_on,
            device: record.device.clone(),
            renewable: term && !upgrade_required,
            upgrade_required,
        }
    }
}

/// The overview of every service of the line, in the order docs/usage.md gives.
pub fn services_of(customer: &Customer) -> Vec<ServiceOverview> {
    Service::ALL
        .into_iter()
        .map(|service| ServiceOverview {
            service,
            status: service_status(customer, service),
        })
        .collect()
}

/// One service's status (docs/orders.md, docs/usage.md ※): its applications, with the one an
/// open order acts on shown by the order's progress (a subscription adds one, 登録中; a
/// change or a termination turns one in use into 変更中 or 廃止中); then one in use wins.
pub(crate) fn service_status(customer: &Customer, service: Service) -> ServiceStatus {
    let mut statuses: Vec<ServiceStatus> = customer
        .services
        .iter()
        .filter(|a| a.service == service)
        .map(|a| a.status)
        .collect();
    let ordering = customer
        .open_orders
        .iter()
        .filter_map(|open| open.details.service_status())
        .filter(|(of, _)| *of == service);
    for (_, progress) in ordering {
        match progress {
            ServiceStatus::Changing | ServiceStatus::Terminating => {
                match statuses.iter().position(|s| *s == ServiceStatus::InUse) {
                    Some(acted_on) => statuses[acted_on] = progress,
                    None => statuses.push(progress),
                }
            }
            _ => statuses.push(progress),
        }
    }
    overview_status(statuses)
}

/// The usage of a member read with their serials (one trip to the store: see
/// `session::authenticate_view`).
pub fn usage_of(customer: &Customer, serials: &[SerialRecord], today: Date) -> Usage {
    Usage {
        services: services_of(customer),
        serials: serials
            .iter()
            .map(|record| SerialView::of(record, customer, today))
            .collect(),
        email: customer.email.masked(),
        customer_id: customer.customer_id.clone(),
        name: customer.name.clone(),
    }
}
