//! Installing a serial on a device, releasing it, and its history (docs/usage.md).
//!
//! One serial serves one device: activating it elsewhere moves it, and the device that had
//! it loses protection (the original portal: 他の端末に切り替わり、ご利用いただけなくなります).

use serde::Serialize;
use utoipa::ToSchema;

use super::paging::{self, Paging};
use super::{AnswerLog, Context, Error, keep_answer_as, retry_on_conflict};
use crate::domain::Mail;
use crate::domain::{
    CustomerId, Device, DeviceId, DeviceName, EventKind, HistoryEvent, Os, Serial, SerialRecord,
    SerialStatus,
};
use crate::store::{Expect, Write};

/// The device asking for protection.
#[derive(Debug, Clone)]
pub struct DeviceRequest {
    pub device_id: DeviceId,
    pub os: Os,
    pub name: DeviceName,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Activation {
    pub serial: Serial,
    pub status: SerialStatus,
    pub device: Option<Device>,
    /// The device that held the serial just before this change, if another one did.
    pub previous_device: Option<Device>,
}

/// One page of a serial's history, oldest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct History {
    pub events: Vec<HistoryEvent>,
    /// Hand back as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

/// The caller's own serial; another member's is answered exactly like a missing one.
async fn own_serial(
    ctx: &Context,
    customer_id: &CustomerId,
    serial: &Serial,
) -> Result<SerialRecord, Error> {
    match ctx.store.serial(serial).await? {
        Some(record) if record.customer_id == *customer_id => Ok(record),
        _ => Err(Error::NotFound),
    }
}

pub async fn activate(
    ctx: &Context,
    customer_id: &CustomerId,
    serial: &Serial,
    request: DeviceRequest,
    answer_log: Option<&dyn AnswerLog>,
) -> Result<Activation, Error> {
    retry_on_conflict(|| async {
        let (customer, guard) = member_guard(ctx, customer_id).await?;
        let mut record = own_serial(ctx, customer_id, serial).await?;
        // docs/services.md: a serial an open change removes goes on no new device: the member
        // confirmed which devices lose protection, and no other may. (The member's version
        // is in the guard, so an application committed meanwhile sends this one round again.)
        if record.status == SerialStatus::Unavailable || customer.is_removing(serial) {
            return Err(Error::SerialUnavailable);
        }
        let now = ctx.clock.now();
        if record.is_expired_on(crate::domain::japan::date_of(now)) {
            return Err(Error::LicenseExpired);
        }
        if let Some(held) = record
            .device
            .clone()
            .filter(|d| d.device_id == request.device_id)
        {
            return reactivate(ctx, record, held, &request, guard, answer_log).await;
        }
        let previous = record.device.take();
        let device = Device {
            device_id: request.device_id.clone(),
            os: request.os,
            name: request.name.clone(),
            activated_at: now,
        };
        let (kind, moved_from) = match previous {
            None => (EventKind::Activated, None),
            Some(held) => (EventKind::Moved, Some(held)),
        };

        let mut writes = Vec::with_capacity(4);
        writes.push(guard);
        if let Some(from) = &moved_from {
            writes.push(Write::EnqueueMail(Mail::serial_moved(
                &customer, serial, &device, from, now,
            )));
        }
        let expect = Expect::Version(record.version);
        writes.push(Write::AppendHistory {
            serial: serial.clone(),
            seq: record.events,
            event: HistoryEvent {
                at: now,
                kind,
                device: device.clone(),
                previous_device: moved_from.clone(),
            },
        });
        record.events += 1;
        record.status = SerialStatus::InUse;
        record.device = Some(device.clone());
        writes.push(Write::put_serial(record, expect));
        let activation = Activation {
            serial: serial.clone(),
            status: SerialStatus::InUse,
            device: Some(device),
            previous_device: moved_from,
        };
        writes.extend(keep_answer_as(answer_log, 200, &activation));
        ctx.store.commit(writes).await?;
        tracing::info!(%customer_id, %serial, ?kind, "serial activated");
        Ok(activation)
    })
    .await
}

/// docs/usage.md: activating again on the device that holds the serial adds no event and mails
/// nothing; the answer is the serial in use there, taken from nobody. A new name or OS for
/// the device is kept (the member sees what they last typed), still without an event; with
/// nothing new, nothing is written but a kept answer.
async fn reactivate(
    ctx: &Context,
    mut record: SerialRecord,
    held: Device,
    request: &DeviceRequest,
    guard: Write,
    answer_log: Option<&dyn AnswerLog>,
) -> Result<Activation, Error> {
    let device = Device {
        os: request.os,
        name: request.name.clone(),
        ..held.clone()
    };
    let activation = Activation {
        serial: record.serial.clone(),
        status: SerialStatus::InUse,
        device: Some(device.clone()),
        previous_device: None,
    };
    let mut writes = Vec::with_capacity(2);
    if device != held {
        let expect = Expect::Version(record.version);
        record.device = Some(device);
        writes.push(Write::put_serial(record, expect));
    }
    writes.extend(keep_answer_as(answer_log, 200, &activation));
    if !writes.is_empty() {
        writes.push(guard);
        ctx.store.commit(writes).await?;
    }
    Ok(activation)
}

/// Releases the serial from its device: awaiting install again.
pub async fn deactivate(
    ctx: &Context,
    customer_id: &CustomerId,
    serial: &Serial,
) -> Result<Activation, Error> {
    retry_on_conflict(|| async {
        let (_, guard) = member_guard(ctx, customer_id).await?;
        let mut record = own_serial(ctx, customer_id, serial).await?;
        if record.status == SerialStatus::Unavailable {
            return Err(Error::SerialUnavailable);
        }
        let Some(released) = record.device.take() else {
            // Already released: nothing to change, the same answer.
            return Ok(Activation {
                serial: serial.clone(),
                status: record.status,
                device: None,
                previous_device: None,
            });
        };
        let now = ctx.clock.now();
        let expect = Expect::Version(record.version);
        let event = HistoryEvent {
            at: now,
            kind: EventKind::Deactivated,
            device: released.clone(),
            previous_device: None,
        };
        let seq = record.events;
        record.events += 1;
        record.status = SerialStatus::AwaitingInstall;
        ctx.store
            .commit(vec![
                Write::AppendHistory {
                    serial: serial.clone(),
                    seq,
                    event,
                },
                Write::put_serial(record, expect),
                guard,
            ])
            .await?;
        tracing::info!(%customer_id, %serial, "serial released");
        Ok(Activation {
            serial: serial.clone(),
            status: SerialStatus::AwaitingInstall,
            device: None,
            previous_device: Some(released),
        })
    })
    .await
}

/// One page of the serial's history. The serial is checked to be the caller's before any
/// of it is read: a cursor names a place, never whose history it is.
pub async fn history(
    ctx: &Context,
    customer_id: &CustomerId,
    serial: &Serial,
    paging: Paging<u64>,
) -> Result<History, Error> {
    own_serial(ctx, customer_id, serial).await?;
    let page = ctx
        .store
        .history(serial, paging.after, paging.limit)
        .await?;
    Ok(History {
        events: page.items,
        next_cursor: page.next.as_ref().map(paging::cursor),
    })
}

/// The member as a serial's change must still find them: refused once cancelled (their
/// sessions ended with it), and a guard for the commit, so that a cancellation landing
/// first makes the commit fail and its retry refuse. A large member's cancellation retires
/// their serials over several commits (docs/cancellation.md), so a serial's own version
/// does not stand for its member's.
async fn member_guard(
    ctx: &Context,
    customer_id: &CustomerId,
) -> Result<(crate::domain::Customer, Write), Error> {
    let member = ctx.member(customer_id).await?;
    if member.is_cancelled() {
        return Err(Error::Unauthorized);
    }
    let guard = Write::CheckCustomer {
        customer_id: customer_id.clone(),
        version: member.version,
    };
    Ok((member, guard))
}
