//! `POST /admin/v1/customers`: a new member with their line, licences and services; the
//! answer shows the access key this once.

use jiff::Timestamp;
use jiff::civil::Date;
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::japan;
use crate::domain::reader::new_reader_id;
use crate::domain::serial::new_product_key;
use crate::domain::{
    Billing, Customer, CustomerId, Email, FieldCode, FieldErrors, Line, PersonName, Plan, Product,
    Reader, ReaderStatus, ReaderType, Serial, SerialRecord, SerialStatus, Service,
    ServiceApplication, ServiceStatus,
};
use crate::secret::{hash_access_key, new_access_key};
use crate::service::{AnswerLog, Context, Error, keep_answer, retry_on_conflict};
use crate::store::{Expect, SERIALS_PER_COMMIT, Write};

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

/// The rules across fields of a new member's licences.
fn check_licenses(licenses: &[NewLicense]) -> Result<(), Error> {
    let mut errors = FieldErrors::new();
    // A member is created in one commit (the line's standard serial may be added): far
    // above any real line. The operations on a member work up to 200 serials
    // (docs/cancellation.md), which a member can reach only by growing after creation.
    let standards = licenses.iter().filter(|l| l.plan == Plan::Standard).count();
    if licenses.len() + usize::from(standards == 0) > SERIALS_PER_COMMIT {
        errors.push("licenses", FieldCode::TooLong);
    }
    if standards > 1 {
        errors.push("licenses", FieldCode::MoreThanOneStandard);
    }
    for (i, license) in licenses.iter().enumerate() {
        match (license.billing, license.expires_on) {
            (Billing::Term, None) => {
                errors.push(&format!("licenses[{i}].expires_on"), FieldCode::Required)
            }
            (Billing::Monthly, Some(_)) => errors.push(
                &format!("licenses[{i}].expires_on"),
                FieldCode::NotAllowedForMonthly,
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

/// docs/usage.md: every line includes one standard serial; without one in the request, the
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

/// A fresh serial for one licence, waiting for its first install.
pub(crate) fn issue(license: &NewLicense, customer_id: &CustomerId, line: Line) -> SerialRecord {
    SerialRecord {
        serial: Serial::generate(license.product),
        customer_id: customer_id.clone(),
        product: license.product,
        plan: license.plan,
        billing: license.billing,
        expires_on: license.expires_on,
        program_version: license.version.unwrap_or(license.product.current_version()),
        product_key: new_product_key(),
        // On a collaboration line the standard tool is not offered.
        status: if line == Line::Collab && license.plan == Plan::Standard {
            SerialStatus::Unavailable
        } else {
            SerialStatus::AwaitingInstall
        },
        device: None,
        events: 0,
        expired_notice_for: None,
        version: 0,
    }
}

/// docs/readers.md: the first reader comes free with the starter kit.
fn starter_kit_reader(now: Timestamp) -> Reader {
    Reader {
        reader_id: new_reader_id(),
        reader_type: ReaderType::UsbWindows,
        status: ReaderStatus::Delivered,
        rental: false,
        // When the line started, which is when the member was created here: the day the
        // starter kit shipped is not known to madoguchi.
        ordered_on: japan::date_of(now),
        order_no: None,
    }
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
    let access_key_hash = ctx.argon2(move || hash_access_key(&key)).await?;
    // Fresh IDs collide rarely; a collision fails the commit and the retry draws new ones.
    retry_on_conflict(|| {
        attempt(
            ctx,
            &new,
            &licenses,
            &access_key,
            &access_key_hash,
            answer_log,
        )
    })
    .await
}

async fn attempt(
    ctx: &Context,
    new: &NewCustomer,
    licenses: &[NewLicense],
    access_key: &str,
    access_key_hash: &str,
    answer_log: Option<&dyn AnswerLog>,
) -> Result<CreatedCustomer, Error> {
    let now = ctx.clock.now();
    let customer_id = CustomerId::generate();
    let serials: Vec<SerialRecord> = licenses
        .iter()
        .map(|license| issue(license, &customer_id, new.line))
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
        access_key_hash: access_key_hash.to_owned(),
        failed_logins: 0,
        locked_at: None,
        cancelled_at: None,
        services,
        serials: serials.iter().map(|s| s.serial.clone()).collect(),
        provider_settings: Vec::new(),
        readers: vec![starter_kit_reader(now)],
        unlock: Default::default(),
        applications: Default::default(),
        open_orders: Vec::new(),
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
        access_key: access_key.to_owned(),
        serials: issued,
    };
    writes.extend(keep_answer(answer_log, &created));
    ctx.store.commit(writes).await?;
    tracing::info!(%customer_id, "customer created");
    Ok(created)
}
