//! 回線情報通知の通知可否設定 (docs/line-notification.md): per provider, whether the line's identifier is
//! notified; changed by an application with consent, a confirmation step and a receipt.

use jiff::Timestamp;
use jiff::civil::Date;
use serde::Serialize;
use utoipa::ToSchema;

use super::terms::{Consent, TermsKind};
use super::{
    AnswerLog, Context, Error, applications, keep_answer, orders, receipts, retry_on_conflict,
};
use crate::domain::japan;
use crate::domain::{
    Customer, CustomerId, OrderDetails, OrderNo, Provider, ProviderCode, ProviderSetting,
    ReceiptKind, SetVia, Setting, SettingChange,
};
use crate::store::{Expect, Write};

/// One provider as the member sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProviderView {
    pub provider_code: ProviderCode,
    pub provider_name: String,
    pub service_name: String,
    pub setting: Setting,
    /// 設定日: null while the initial 通知する stands.
    #[schema(value_type = Option<String>, format = Date)]
    pub set_on: Option<Date>,
    /// 設定方法: null while the initial 通知する stands.
    pub set_via: Option<SetVia>,
    /// 変更中: the setting an open order will set, until it completes; null otherwise.
    pub pending: Option<Pending>,
}

/// A change accepted and not yet carried out (docs/orders.md).
#[derive(Debug, Serialize, ToSchema)]
pub struct Pending {
    pub setting: Setting,
    #[schema(value_type = String)]
    pub order_no: OrderNo,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LineNotification {
    pub providers: Vec<ProviderView>,
}

/// Every registered provider with the member's setting for it.
pub fn settings_of(customer: &Customer, providers: &[Provider]) -> Vec<ProviderView> {
    providers
        .iter()
        .map(|p| {
            let (setting, set_on, set_via) = match customer.setting_for(&p.provider_code) {
                Some(set) => (set.setting, Some(set.set_on), Some(set.set_via)),
                None => match customer.cancelled_at {
                    Some(at) => (
                        Setting::DoNotNotify,
                        Some(japan::date_of(at)),
                        Some(SetVia::Cancellation),
                    ),
                    None => (customer.initial_setting(), None, None),
                },
            };
            let pending = customer
                .pending_setting(&p.provider_code)
                .map(|(setting, order_no)| Pending {
                    setting,
                    order_no: order_no.clone(),
                });
            ProviderView {
                pending,
                provider_code: p.provider_code.clone(),
                provider_name: p.provider_name.clone(),
                service_name: p.service_name.clone(),
                setting,
                set_on,
                set_via,
            }
        })
        .collect()
}

pub async fn overview(ctx: &Context, customer_id: &CustomerId) -> Result<LineNotification, Error> {
    let customer = ctx.member(customer_id).await?;
    let providers = ctx.store.providers().await?;
    Ok(LineNotification {
        providers: settings_of(&customer, &providers),
    })
}

/// One asked-for change; providers appear at most once per application.
#[derive(Debug, Clone)]
pub struct Change {
    pub provider_code: ProviderCode,
    pub setting: Setting,
}

pub use super::applications::{Applicant, ApplicationStatus};

#[derive(Debug, Clone)]
pub struct Application {
    pub changes: Vec<Change>,
    pub consent: Consent,
    pub applicant: Applicant,
    pub dry_run: bool,
}

/// One change as the confirmation and the receipt show it.
pub type ChangeView = SettingChange;

/// The confirmation screen: nothing has changed yet.
#[derive(Debug, Serialize, ToSchema)]
pub struct Confirmation {
    pub changes: Vec<ChangeView>,
    pub applicant: Applicant,
}

/// The receipt of an applied change.
#[derive(Debug, Serialize, ToSchema)]
pub struct Applied {
    pub receipt_no: String,
    #[serde(with = "japan::instant")]
    #[schema(value_type = String, format = DateTime)]
    pub accepted_at: Timestamp,
    /// The order that carries the changes out (docs/orders.md).
    #[schema(value_type = String)]
    pub order_no: OrderNo,
    pub status: ApplicationStatus,
    pub changes: Vec<ChangeView>,
}

pub enum Outcome {
    Confirmation(Confirmation),
    Applied(Applied),
}

/// Checks every change against the registered providers and the member's settings.
fn plan(
    customer: &Customer,
    providers: &[Provider],
    changes: &[Change],
) -> Result<Vec<ChangeView>, Error> {
    changes
        .iter()
        .map(|change| {
            let provider = providers
                .iter()
                .find(|p| p.provider_code == change.provider_code)
                .ok_or(Error::ProviderNotFound)?;
            if customer.pending_setting(&change.provider_code).is_some() {
                return Err(Error::ChangePending);
            }
            let before = customer.current_setting(&change.provider_code);
            if before == change.setting {
                return Err(Error::NoChange);
            }
            Ok(ChangeView {
                provider_code: change.provider_code.clone(),
                provider_name: provider.provider_name.clone(),
                before,
                after: change.setting,
            })
        })
        .collect()
}

/// Sets `setting` for a provider, replacing any earlier setting of it.
pub(crate) fn set(
    customer: &mut Customer,
    provider: &ProviderCode,
    setting: Setting,
    on: Date,
    via: SetVia,
) {
    customer
        .provider_settings
        .retain(|s| &s.provider_code != provider);
    customer.provider_settings.push(ProviderSetting {
        provider_code: provider.clone(),
        setting,
        set_on: on,
        set_via: via,
    });
}

pub async fn apply(
    ctx: &Context,
    customer_id: &CustomerId,
    application: Application,
    answer_log: Option<&dyn AnswerLog>,
) -> Result<Outcome, Error> {
    application.consent.check(TermsKind::LineNotification)?;
    retry_on_conflict(|| async {
        let mut customer = ctx.member(customer_id).await?;
        if customer.is_cancelled() {
            return Err(Error::MembershipCancelled);
        }
        let providers = ctx.store.providers().await?;
        let changes = plan(&customer, &providers, &application.changes)?;
        if application.dry_run {
            return Ok(Outcome::Confirmation(Confirmation {
                changes,
                applicant: application.applicant.clone(),
            }));
        }

        // docs/line-notification.md: the day's count rides on the member's version, with the order.
        let now = ctx.clock.now();
        applications::take_daily_place(&mut customer, now)?;
        let expect = Expect::Version(customer.version);
        // docs/orders.md: the changes are one order, carried out by the back office; each
        // provider keeps its setting, shown pending, until the order completes.
        let completion_mail = applications::completion_mail(&application.applicant);
        let details = OrderDetails::LineNotification {
            changes: changes.clone(),
            completion_mail,
        };
        let (order, placing) = orders::place(&mut customer, |_| details, now);
        let summary = format!("回線情報通知の通知可否設定の変更（{}件）", changes.len());
        let (receipt, filing) =
            receipts::file_for_order(ReceiptKind::LineNotification, summary, &order);
        let applied = Applied {
            receipt_no: receipt.receipt_no.clone(),
            accepted_at: now,
            order_no: order.order_no.clone(),
            status: ApplicationStatus::Accepted,
            changes,
        };
        let mut writes = vec![Write::put_customer(customer, expect), filing, placing];
        writes.extend(keep_answer(answer_log, &applied));
        ctx.store.commit(writes).await?;
        tracing::info!(%customer_id, receipt_no = %applied.receipt_no, order_no = %applied.order_no, "line notification change accepted");
        Ok(Outcome::Applied(applied))
    })
    .await
}
