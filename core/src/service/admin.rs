//! Operators' work on members (SPEC §10): create, inspect, reissue the access key, and read
//! the outbox.

use jiff::Timestamp;
use jiff::civil::Date;
use serde::Serialize;
use utoipa::ToSchema;

use super::line_notification::{ProviderView, settings_of};
use super::usage::{SerialView, ServiceOverview, services_of};
use super::{
    AnswerLog, Context, Error, argon2_slot, keep_answer, keep_answer_as, retry_on_conflict,
};
use crate::domain::japan;
use crate::domain::reader::new_reader_id;
use crate::domain::serial::new_product_key;
use crate::domain::{
    Billing, CodeRecord, Customer, CustomerId, Email, FieldErrors, Invalid, Line, PersonName, Plan,
    Product, Provider, ProviderCode, Reader, ReaderStatus, ReaderType, RenewalCode, Serial,
    SerialRecord, SerialStatus, Service, ServiceApplication, ServiceStatus,
};
use crate::mail::{MailKind, MailStatus};
use crate::secret::{hash_access_key, new_access_key};
use crate::store::{Expect, StoreError, Write};

/// A licence to create with the member.
#[derive(Debug, Clone)]
pub struct NewLicense {
    pub product: Product,
    pub plan: Plan,
    pub billing: Billing,
    pub expires_on: Option<Date>,
    pub version: Option<u32>,
}

#[derive(Debug, Clone)]
pub struct NewCustomer {
    pub name: PersonName,
    pub email: Email,
    pub line: Line,
    pub licenses: Vec<NewLicense>,
    /// Service applications to record; when empty, the line's defaults.
    pub services: Vec<ServiceApplication>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedCustomer {
    pub customer_id: CustomerId,
    /// The one time the access key is shown: hand it to the member.
    pub access_key: String,
    pub serials: Vec<IssuedSerial>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct IssuedSerial {
    pub serial: Serial,
    pub product_key: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReissuedAccessKey {
    pub access_key: String,
}

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
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OperatorSerialView {
    #[serde(flatten)]
    pub serial: SerialView,
    pub product_key: String,
    pub program_version: u32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OutboxMail {
    /// What the dispatcher's log lines name the mail by.
    pub mail_id: String,
    #[schema(value_type = String)]
    pub to: Email,
    pub kind: MailKind,
    pub subject: String,
    pub body: String,
    pub status: MailStatus,
    #[serde(with = "japan::instant")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    /// Failed deliveries so far (SPEC §9: `failed` after 10).
    pub attempts: u32,
    /// Why the last delivery failed, addresses masked.
    pub last_error: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Outbox {
    pub mails: Vec<OutboxMail>,
}

/// The rules across fields of a new member's licences.
fn check_licenses(licenses: &[NewLicense]) -> Result<(), Error> {
    let mut errors = FieldErrors::new();
    // Every licence is a few items of one DynamoDB transaction; twenty is far above any
    // real line and well inside the limit.
    if licenses.len() > 20 {
        errors.push("licenses", Invalid::TOO_LONG);
    }
    let standards = licenses.iter().filter(|l| l.plan == Plan::Standard).count();
    if standards > 1 {
        errors.push("licenses", Invalid("more_than_one_standard"));
    }
    for (i, license) in licenses.iter().enumerate() {
        match (license.billing, license.expires_on) {
            (Billing::Term, None) => {
                errors.push(&format!("licenses[{i}].expires_on"), Invalid::REQUIRED)
            }
            (Billing::Monthly, Some(_)) => errors.push(
                &format!("licenses[{i}].expires_on"),
                Invalid("not_allowed_for_monthly"),
            ),
            _ => {}
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Error::Validation(errors))
    }
}

/// SPEC §3: every line includes one standard serial; without one in the request, the
/// line gets a monthly security-suite licence.
fn with_standard(mut licenses: Vec<NewLicense>) -> Vec<NewLicense> {
    if !licenses.iter().any(|l| l.plan == Plan::Standard) {
        licenses.insert(
            0,
            NewLicense {
                product: Product::SecuritySuite,
                plan: Plan::Standard,
                billing: Billing::Monthly,
                expires_on: None,
                version: None,
            },
        );
    }
    licenses
}

fn default_services(serials: &[SerialRecord]) -> Vec<ServiceApplication> {
    let security = if serials
        .iter()
        .any(|s| s.status != SerialStatus::Unavailable)
    {
        ServiceStatus::InUse
    } else {
        ServiceStatus::NotContracted
    };
    vec![
        // Seed 001 ※1: line information notification comes with the line.
        ServiceApplication {
            service: Service::LineNotification,
            status: ServiceStatus::InUse,
        },
        ServiceApplication {
            service: Service::Security,
            status: security,
        },
    ]
}

pub async fn create_customer(
    ctx: &Context,
    new: NewCustomer,
    answer_log: Option<&dyn AnswerLog>,
) -> Result<CreatedCustomer, Error> {
    check_licenses(&new.licenses)?;
    let licenses = with_standard(new.licenses.clone());
    let access_key = new_access_key();
    let key = access_key.clone();
    let access_key_hash = argon2_slot(move || hash_access_key(&key)).await;

    // Fresh IDs collide rarely; a collision fails the commit and the retry draws new ones.
    retry_on_conflict(|| async {
        let now = ctx.clock.now();
        let customer_id = CustomerId::generate();
        let serials: Vec<SerialRecord> = licenses
            .iter()
            .map(|license| SerialRecord {
                serial: Serial::generate(license.product),
                customer_id: customer_id.clone(),
                product: license.product,
                plan: license.plan,
                billing: license.billing,
                expires_on: license.expires_on,
                program_version: license.version.unwrap_or(license.product.current_version()),
                product_key: new_product_key(),
                // On a collaboration line the standard tool is not offered.
                status: if new.line == Line::Collab && license.plan == Plan::Standard {
                    SerialStatus::Unavailable
                } else {
                    SerialStatus::AwaitingInstall
                },
                device: None,
                events: 0,
                expired_notice_for: None,
                version: 0,
            })
            .collect();
        let services = if new.services.is_empty() {
            default_services(&serials)
        } else {
            new.services.clone()
        };
        let customer = Customer {
            customer_id: customer_id.clone(),
            name: new.name.clone(),
            email: new.email.clone(),
            line: new.line,
            access_key_hash: access_key_hash.clone(),
            failed_logins: 0,
            locked_at: None,
            cancelled_at: None,
            services,
            serials: serials.iter().map(|s| s.serial.clone()).collect(),
            provider_settings: Vec::new(),
            // SPEC §6: the first reader comes free with the starter kit.
            readers: vec![Reader {
                reader_id: new_reader_id(),
                reader_type: ReaderType::UsbWindows,
                status: ReaderStatus::Delivered,
                rental: false,
                ordered_on: japan::date_of(now),
            }],
            created_at: now,
            version: 0,
        };
        let issued = serials
            .iter()
            .map(|s| IssuedSerial {
                serial: s.serial.clone(),
                product_key: s.product_key.clone(),
            })
            .collect();
        let mut writes = vec![Write::put_customer(customer, Expect::Absent)];
        writes.extend(
            serials
                .into_iter()
                .map(|serial| Write::put_serial(serial, Expect::Absent)),
        );
        let created = CreatedCustomer {
            customer_id: customer_id.clone(),
            access_key: access_key.clone(),
            serials: issued,
        };
        writes.extend(keep_answer(answer_log, &created));
        ctx.store.commit(writes).await?;
        tracing::info!(%customer_id, "customer created");
        Ok(created)
    })
    .await
}

pub async fn customer_state(
    ctx: &Context,
    customer_id: &CustomerId,
) -> Result<CustomerState, Error> {
    let (customer, serials) = ctx
        .store
        .customer_with_serials(customer_id)
        .await?
        .ok_or(Error::NotFound)?;
    let providers = ctx.store.providers().await?;
    Ok(CustomerState {
        services: services_of(&customer),
        providers: settings_of(&customer, &providers),
        readers: customer.readers.clone(),
        serials: serials
            .iter()
            .map(|record| OperatorSerialView {
                serial: SerialView::from(record),
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

/// SPEC §10: a new access key replaces the old one and lifts a lock.
pub async fn reissue_access_key(
    ctx: &Context,
    customer_id: &CustomerId,
    answer_log: Option<&dyn AnswerLog>,
) -> Result<ReissuedAccessKey, Error> {
    let access_key = new_access_key();
    let key = access_key.clone();
    let access_key_hash = argon2_slot(move || hash_access_key(&key)).await;
    retry_on_conflict(|| async {
        let mut customer = ctx.member(customer_id).await?;
        if customer.is_cancelled() {
            return Err(Error::AlreadyCancelled);
        }
        let expect = Expect::Version(customer.version);
        customer.access_key_hash = access_key_hash.clone();
        customer.failed_logins = 0;
        customer.locked_at = None;
        let reissued = ReissuedAccessKey {
            access_key: access_key.clone(),
        };
        let mut writes = vec![Write::put_customer(customer, expect)];
        writes.extend(keep_answer_as(answer_log, 200, &reissued));
        ctx.store.commit(writes).await?;
        tracing::info!(%customer_id, "access key reissued");
        Ok(reissued)
    })
    .await
}

/// Which mails operators ask for (SPEC §10).
#[derive(Debug, Clone)]
pub enum OutboxFilter {
    /// Every mail to one address, or only those with a status.
    To(Email, Option<MailStatus>),
    /// Every mail given up after its last failed attempt (SPEC §9).
    Failed,
}

pub async fn outbox(ctx: &Context, filter: &OutboxFilter) -> Result<Outbox, Error> {
    let mails = match filter {
        OutboxFilter::To(to, status) => {
            let mut mails = ctx.store.mails_to(to).await?;
            mails.retain(|mail| status.is_none_or(|status| mail.status == status));
            mails
        }
        OutboxFilter::Failed => ctx.store.failed_mails().await?,
    };
    Ok(Outbox {
        mails: mails
            .into_iter()
            .map(|mail| OutboxMail {
                mail_id: mail.mail_id,
                to: mail.to,
                kind: mail.kind,
                subject: mail.subject,
                body: mail.body,
                status: mail.status,
                created_at: mail.created_at,
                attempts: mail.attempts,
                last_error: mail.last_error,
            })
            .collect(),
    })
}

/// SPEC §10: the providers every deployment starts with. Registering them again is a no-op,
/// so every start may call this.
pub async fn seed_providers(ctx: &Context) -> Result<(), Error> {
    let seeds = [
        ("W0099", "NTT西日本(試験用)", "試験用"),
        ("060000", "IP電話サービス提供者", "IP電話"),
    ];
    let registered = ctx.store.providers().await?;
    for (code, name, service) in seeds {
        let provider_code = ProviderCode::parse(code).expect("a valid seeded code");
        if registered.iter().any(|p| p.provider_code == provider_code) {
            continue;
        }
        let provider = Provider {
            provider_code,
            provider_name: name.to_owned(),
            service_name: service.to_owned(),
        };
        match ctx.store.commit(vec![Write::PutProvider(provider)]).await {
            Ok(()) | Err(StoreError::Conflict(_)) => {}
            Err(other) => return Err(other.into()),
        }
    }
    Ok(())
}

/// `POST /admin/v1/providers`.
pub async fn register_provider(
    ctx: &Context,
    provider: Provider,
    answer_log: Option<&dyn AnswerLog>,
) -> Result<Provider, Error> {
    let mut writes = vec![Write::PutProvider(provider.clone())];
    writes.extend(keep_answer(answer_log, &provider));
    match ctx.store.commit(writes).await {
        Ok(()) => {
            tracing::info!(provider_code = %provider.provider_code, "provider registered");
            Ok(provider)
        }
        Err(StoreError::Conflict(_)) => Err(Error::ProviderExists),
        Err(other) => Err(other.into()),
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct IssuedCodes {
    /// `XXXXX-XXXXX-XXXXX-XXXXX`, each redeemable once.
    #[schema(value_type = Vec<String>)]
    pub codes: Vec<RenewalCode>,
}

/// `POST /admin/v1/codes`: fresh purchase codes for a product and term.
pub async fn issue_codes(
    ctx: &Context,
    product: Product,
    term_months: u32,
    count: usize,
    answer_log: Option<&dyn AnswerLog>,
) -> Result<IssuedCodes, Error> {
    // A DynamoDB transaction holds at most 100 items, so codes are issued in commits of
    // fifty; the answer is kept with the last. A commit that fails leaves earlier codes
    // issued but never shown to anyone, which is harmless.
    const PER_COMMIT: usize = 50;
    let now = ctx.clock.now();
    let mut codes: Vec<RenewalCode> = Vec::with_capacity(count);
    while codes.len() < count {
        let size = PER_COMMIT.min(count - codes.len());
        let last = codes.len() + size == count;
        let chunk = retry_on_conflict(|| async {
            let chunk: Vec<RenewalCode> = (0..size).map(|_| RenewalCode::generate()).collect();
            let mut writes: Vec<Write> = chunk
                .iter()
                .map(|code| {
                    Write::put_code(
                        CodeRecord {
                            code: code.clone(),
                            product,
                            term_months,
                            created_at: now,
                            redeemed: None,
                            version: 0,
                        },
                        Expect::Absent,
                    )
                })
                .collect();
            if last {
                let all = IssuedCodes {
                    codes: codes.iter().chain(&chunk).cloned().collect(),
                };
                writes.extend(keep_answer(answer_log, &all));
            }
            ctx.store.commit(writes).await?;
            Ok(chunk)
        })
        .await?;
        codes.extend(chunk);
    }
    tracing::info!(?product, term_months, count, "renewal codes issued");
    Ok(IssuedCodes { codes })
}
