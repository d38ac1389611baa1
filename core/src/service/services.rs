//! サービスの申込・変更・廃止 (docs/services.md): every service of the line with what it
//! offers now, and an application for one, which the back office carries out as an order
//! (docs/orders.md). Consent, the applicant's rules and the day's count are the same as for
//! 回線情報通知 (`applications`).

use std::sync::Arc;

use jiff::Timestamp;
use serde::Serialize;
use utoipa::ToSchema;

use super::applications::{Applicant, ApplicationStatus, completion_mail, take_daily_place};
use super::terms::{Consent, TermsKind};
use super::{AnswerLog, Context, Error, keep_answer, orders, receipts, retry_on_conflict};
use crate::domain::catalogue::{
    CatalogueEntry, MAX_LICENSE_PLUS, ServiceAction, actions_in, catalogue,
};
use crate::domain::customer::overview_status;
use crate::domain::japan;
use crate::domain::order::LicensePlusChange;
use crate::domain::{
    Customer, CustomerId, Device, DeviceId, FieldCode, OrderDetails, OrderNo, Plan, ReceiptKind,
    Serial, SerialRecord, SerialStatus, Service, ServiceStatus,
};

/// The most serials a member holds (docs/cloud.md), the retired included.
const SERIALS_PER_MEMBER: usize = 200;
use crate::store::{CatalogueVersion, Expect, Write};

/// One service as the member sees it.
// Its name and description are borrowed from the catalogue: they are most of the answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct ServiceView<'a> {
    pub service: Service,
    pub name: &'a str,
    pub status: ServiceStatus,
    /// What can be applied for now: none while an order for it is open.
    pub actions: Vec<ServiceAction>,
    /// Whole yen a month, tax included.
    pub monthly_fee: u64,
    pub description: &'a str,
    /// The open order for this service, if any.
    #[schema(value_type = Option<String>)]
    pub pending_order: Option<&'a OrderNo>,
    /// セキュリティ機能: the ライセンスプラス serials the member has (not unavailable).
    pub license_plus: Option<u8>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Services<'a> {
    pub services: Vec<ServiceView<'a>>,
}

/// The serials a ライセンスプラス count is made of: extra serials not unavailable.
fn license_plus(serials: &[SerialRecord]) -> Vec<&SerialRecord> {
    serials
        .iter()
        .filter(|s| s.plan == Plan::LicensePlus && s.status != SerialStatus::Unavailable)
        .collect()
}

fn count(serials: &[&SerialRecord]) -> u8 {
    u8::try_from(serials.len()).unwrap_or(u8::MAX)
}

/// A service's own status, from its applications (one in use wins).
fn applied_status(customer: &Customer, service: Service) -> ServiceStatus {
    overview_status(
        customer
            .services
            .iter()
            .filter(|a| a.service == service)
            .map(|a| a.status),
    )
}

/// The open order for a service, if any.
fn pending_order(customer: &Customer, service: Service) -> Option<&OrderNo> {
    customer.open_orders.iter().find_map(|open| {
        open.details
            .service_status()
            .filter(|(s, _)| *s == service)
            .map(|_| &open.order_no)
    })
}

fn view<'a>(
    customer: &'a Customer,
    serials: &[SerialRecord],
    entry: &'a CatalogueEntry,
) -> ServiceView<'a> {
    let service = entry.service;
    let pending = pending_order(customer, service);
    let status = super::usage::service_status(customer, service);
    let actions = if pending.is_some() {
        Vec::new()
    } else {
        actions_in(service, applied_status(customer, service))
            .into_iter()
            .filter(|a| entry.actions.contains(a))
            .collect()
    };
    ServiceView {
        service,
        name: &entry.name,
        status,
        actions,
        monthly_fee: entry.monthly_fee,
        description: &entry.description,
        pending_order: pending,
        license_plus: (service == Service::Security).then(|| count(&license_plus(serials))),
    }
}

/// The catalogue's entries operators have set, as the store shares them.
pub struct Catalogue(Arc<[CatalogueEntry]>);

/// The catalogue: with the member and serials their session's view holds
/// (`session::authenticate_view`), the one read `GET /v1/services` makes.
pub async fn catalogue_now(ctx: &Context) -> Result<Catalogue, Error> {
    Ok(Catalogue(ctx.store.catalogue().await?))
}

impl Catalogue {
    /// Which catalogue this is, for an answer made from it (`store::ViewAnswers`).
    pub fn version(&self) -> CatalogueVersion {
        CatalogueVersion(Arc::clone(&self.0))
    }

    /// Every service of the member's line.
    pub fn services<'a>(
        &'a self,
        customer: &'a Customer,
        serials: &[SerialRecord],
    ) -> Services<'a> {
        Services {
            services: catalogue(&self.0)
                .map(|entry| view(customer, serials, entry))
                .collect(),
        }
    }
}

/// An application for one service.
#[derive(Debug, Clone)]
pub struct Application {
    pub action: ServiceAction,
    /// セキュリティ機能's change: the ライセンスプラス count asked for (0–5).
    pub license_plus: Option<u8>,
    /// The devices the member confirms lose their protection: every one the dry run named.
    pub release_devices: Vec<DeviceId>,
    pub consent: Consent,
    pub applicant: Applicant,
    pub dry_run: bool,
}

/// A device that loses its protection when a change removes its serial.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LosingProtection {
    pub serial: Serial,
    pub device: Device,
}

#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
pub struct CountChange {
    pub before: u8,
    pub after: u8,
}

/// The confirmation screen: nothing has changed yet.
#[derive(Debug, Serialize, ToSchema)]
pub struct Confirmation {
    pub service: Service,
    pub action: ServiceAction,
    pub before: ServiceStatus,
    pub after: ServiceStatus,
    pub monthly_fee: u64,
    /// セキュリティ機能's change: ライセンスプラス serials before and after.
    pub license_plus: Option<CountChange>,
    /// Serials in use the change removes, with the device each protects now.
    pub devices_losing_protection: Vec<LosingProtection>,
    pub applicant: Applicant,
}

/// The receipt of an accepted application.
#[derive(Debug, Serialize, ToSchema)]
pub struct Accepted {
    pub receipt_no: String,
    #[serde(with = "japan::instant")]
    #[schema(value_type = String, format = DateTime)]
    pub accepted_at: Timestamp,
    #[schema(value_type = String)]
    pub order_no: OrderNo,
    pub status: ApplicationStatus,
    pub service: Service,
    pub action: ServiceAction,
}

pub enum Outcome {
    Confirmation(Confirmation),
    Accepted(Accepted),
}

/// The serials a change to `to` ライセンスプラス removes: those on no device first, then
/// those on one; among them the newest first (the member's list is in the order they were
/// issued).
fn to_remove<'a>(customer: &Customer, extra: &[&'a SerialRecord], to: u8) -> Vec<&'a SerialRecord> {
    let surplus = extra.len().saturating_sub(usize::from(to));
    let issued = |s: &SerialRecord| customer.serials.iter().position(|n| n == &s.serial);
    let mut candidates: Vec<&SerialRecord> = extra.to_vec();
    candidates.sort_by_key(|s| std::cmp::Reverse(issued(s)));
    candidates.sort_by_key(|s| s.device.is_some());
    candidates.into_iter().take(surplus).collect()
}

pub async fn apply(
    ctx: &Context,
    customer_id: &CustomerId,
    service: Service,
    application: Application,
    answer_log: Option<&dyn AnswerLog>,
) -> Result<Outcome, Error> {
    application.consent.check(TermsKind::Services)?;
    if service == Service::Security && application.action == ServiceAction::Change {
        match application.license_plus {
            Some(n) if n <= MAX_LICENSE_PLUS => {}
            Some(_) => {
                return Err(Error::invalid_field(
                    "options.license_plus",
                    FieldCode::InvalidValue,
                ));
            }
            None => {
                return Err(Error::invalid_field(
                    "options.license_plus",
                    FieldCode::Required,
                ));
            }
        }
    }
    retry_on_conflict(|| async {
        let (mut customer, serials) = ctx
            .store
            .customer_with_serials(customer_id)
            .await?
            .ok_or(Error::NotFound)?;
        if customer.is_cancelled() {
            return Err(Error::MembershipCancelled);
        }
        if pending_order(&customer, service).is_some() {
            return Err(Error::ApplicationPending);
        }
        let stored = ctx.store.catalogue().await?;
        let entry = catalogue(&stored)
            .find(|e| e.service == service)
            .ok_or(Error::NotFound)?;
        let before = applied_status(&customer, service);
        let offered = actions_in(service, before)
            .into_iter()
            .any(|a| a == application.action && entry.actions.contains(&a));
        if !offered {
            return Err(Error::NotApplicable);
        }
        let (after, change) = match application.action {
            ServiceAction::Subscribe => (ServiceStatus::InUse, None),
            ServiceAction::Terminate => (ServiceStatus::NotContracted, None),
            ServiceAction::Change => {
                let extra = license_plus(&serials);
                let to = application.license_plus.unwrap_or_default();
                if to == count(&extra) {
                    return Err(Error::NoChange);
                }
                // docs/cloud.md: a member holds at most 200 serials, the retired included.
                let added = usize::from(to.saturating_sub(count(&extra)));
                if customer.serials.len() + added > SERIALS_PER_MEMBER {
                    return Err(Error::NotApplicable);
                }
                let removed = to_remove(&customer, &extra, to);
                (
                    ServiceStatus::InUse,
                    Some((
                        LicensePlusChange {
                            from: count(&extra),
                            to,
                            remove: removed.iter().map(|s| s.serial.clone()).collect(),
                        },
                        removed
                            .iter()
                            .filter_map(|s| {
                                s.device.clone().map(|device| LosingProtection {
                                    serial: s.serial.clone(),
                                    device,
                                })
                            })
                            .collect::<Vec<_>>(),
                    )),
                )
            }
        };
        let losing = change.as_ref().map(|(_, l)| l.clone()).unwrap_or_default();
        if application.dry_run {
            return Ok(Outcome::Confirmation(Confirmation {
                service,
                action: application.action,
                before,
                after,
                monthly_fee: entry.monthly_fee,
                license_plus: change.as_ref().map(|(c, _)| CountChange {
                    before: c.from,
                    after: c.to,
                }),
                devices_losing_protection: losing,
                applicant: application.applicant.clone(),
            }));
        }
        // docs/services.md: a device loses its protection only with the member's say-so,
        // for that very device (one installed since the dry run is not confirmed).
        let confirmed = losing
            .iter()
            .all(|l| application.release_devices.contains(&l.device.device_id));
        if !confirmed {
            return Err(Error::invalid_field(
                "options.release_devices",
                FieldCode::ConfirmationRequired,
            ));
        }
        let now = ctx.clock.now();
        let expect = Expect::Version(customer.version);
        take_daily_place(&mut customer, now)?;
        let details = OrderDetails::Service {
            service,
            action: application.action,
            license_plus: change.map(|(c, _)| c),
            completion_mail: completion_mail(&application.applicant),
        };
        let (order, placing) = orders::place(&mut customer, |_| details, now);
        let summary = format!("{}の{}", entry.name, application.action.name_ja());
        let (receipt, filing) =
            receipts::file_for_order(ReceiptKind::ServiceApplication, summary, &order);
        let accepted = Accepted {
            receipt_no: receipt.receipt_no,
            accepted_at: now,
            order_no: order.order_no.clone(),
            status: ApplicationStatus::Accepted,
            service,
            action: application.action,
        };
        let mut writes = vec![Write::put_customer(customer, expect), placing, filing];
        writes.extend(keep_answer(answer_log, &accepted));
        ctx.store.commit(writes).await?;
        tracing::info!(%customer_id, ?service, action = ?accepted.action, order_no = %accepted.order_no, "service application accepted");
        Ok(Outcome::Accepted(accepted))
    })
    .await
}
