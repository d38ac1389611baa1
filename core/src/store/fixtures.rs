//! Test support: a member grown past what one commit changes, as the services applied for
//! over the years will grow them. The API creates a member in one commit
//! (`SERIALS_PER_COMMIT` serials at most), so the operations that must work for larger
//! members are tested on members grown here, through the store's own commits.

use jiff::Timestamp;

use super::{Expect, SERIALS_PER_COMMIT, Store, StoreError, Write};
use crate::domain::{
    Billing, CustomerId, Device, DeviceId, DeviceName, Os, Plan, Product, Serial, SerialRecord,
    SerialStatus,
};

/// Adds `count` ライセンスプラス term licences ending on `expires_on` to a member, every
/// other one in use on a device of its own, a commit of `SERIALS_PER_COMMIT` at a time.
/// Answers the serials added, in order.
pub async fn grow_member(
    store: &dyn Store,
    customer_id: &CustomerId,
    count: usize,
    expires_on: jiff::civil::Date,
    now: Timestamp,
) -> Result<Vec<Serial>, StoreError> {
    let mut added = Vec::with_capacity(count);
    while added.len() < count {
        let mut customer = store
            .customer(customer_id)
            .await?
            .ok_or_else(|| StoreError::Backend(format!("no member {customer_id}")))?;
        let expect = Expect::Version(customer.version);
        let step = (count - added.len()).min(SERIALS_PER_COMMIT);
        let mut writes = Vec::with_capacity(step + 1);
        for _ in 0..step {
            let n = added.len() + writes.len();
            let serial = licence(customer_id, expires_on, n, now);
            customer.serials.push(serial.serial.clone());
            writes.push(Write::put_serial(serial, Expect::Absent));
        }
        added.extend(
            customer.serials[customer.serials.len() - step..]
                .iter()
                .cloned(),
        );
        writes.push(Write::put_customer(customer, expect));
        store.commit(writes).await?;
    }
    Ok(added)
}

/// The `n`-th licence added: in use on device `grown-n` when `n` is even.
fn licence(
    customer_id: &CustomerId,
    expires_on: jiff::civil::Date,
    n: usize,
    now: Timestamp,
) -> SerialRecord {
    let device = n.is_multiple_of(2).then(|| Device {
        device_id: DeviceId::parse(&format!("grown-{n}")).expect("a device id"),
        os: Os::Windows,
        name: DeviceName::parse(&format!("PC {n}")).expect("a device name"),
        activated_at: now,
    });
    SerialRecord {
        serial: Serial::generate(Product::SecuritySuite),
        customer_id: customer_id.clone(),
        product: Product::SecuritySuite,
        plan: Plan::LicensePlus,
        billing: Billing::Term,
        expires_on: Some(expires_on),
        program_version: Product::SecuritySuite.current_version(),
        product_key: crate::domain::serial::new_product_key(),
        status: if device.is_some() {
            SerialStatus::InUse
        } else {
            SerialStatus::AwaitingInstall
        },
        device,
        events: 0,
        expired_notice_for: None,
        version: 0,
    }
}

/// A member's serials as stored: how many are still usable (not `unavailable`), and how
/// many history events say a device lost its licence (what a cancellation leaves).
pub async fn usable_and_deactivated(
    store: &dyn Store,
    customer_id: &CustomerId,
) -> Result<(usize, usize), StoreError> {
    let (_, serials) = store
        .customer_with_serials(customer_id)
        .await?
        .ok_or_else(|| StoreError::Backend(format!("no member {customer_id}")))?;
    let usable = serials
        .iter()
        .filter(|s| s.status != SerialStatus::Unavailable)
        .count();
    let mut deactivated = 0;
    for serial in &serials {
        let history = store.history(&serial.serial, None, 200).await?;
        deactivated += history
            .items
            .iter()
            .filter(|e| e.kind == crate::domain::EventKind::Deactivated)
            .count();
    }
    Ok((usable, deactivated))
}
