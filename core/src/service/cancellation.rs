//! 解約 (SPEC §7): the membership ends, and every consequence applies at once, in one
//! commit: serials unavailable, notification off, rentals to return, sessions ended.

use jiff::Timestamp;
use jiff::civil::Date;
use serde::Serialize;
use utoipa::ToSchema;

use super::line_notification::set;
use super::{AnswerLog, Context, Error, keep_answer_past_session, receipts, retry_on_conflict};
use crate::domain::japan;
use crate::domain::{
    CustomerId, EventKind, HistoryEvent, ProviderCode, ReaderStatus, ReceiptKind, Serial,
    SerialStatus, SetVia, Setting,
};
use crate::mail::Mail;
use crate::store::{Expect, Write};

#[derive(Debug, Clone)]
pub struct CancellationRequest {
    /// 解約理由, free text (optional).
    pub reason: Option<String>,
    pub dry_run: bool,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ConsequenceKind {
    NoRefund,
    SerialUnavailable,
    NotificationStops,
    ReaderToReturn,
    SessionsEnd,
}

/// One thing the cancellation will do, in the member's words.
#[derive(Debug, Serialize, ToSchema)]
pub struct Consequence {
    pub kind: ConsequenceKind,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub serial: Option<Serial>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider_code: Option<ProviderCode>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reader_id: Option<String>,
}

impl Consequence {
    fn new(kind: ConsequenceKind, message: String) -> Self {
        Self {
            kind,
            message,
            serial: None,
            provider_code: None,
            reader_id: None,
        }
    }
}

/// The confirmation screen.
#[derive(Debug, Serialize, ToSchema)]
pub struct Preview {
    #[schema(value_type = String, format = Date)]
    pub effective_on: Date,
    /// 中途解約の返金なし: always 0.
    pub refund: u64,
    pub consequences: Vec<Consequence>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Cancelled {
    pub receipt_no: String,
    #[serde(with = "japan::instant")]
    #[schema(value_type = String, format = DateTime)]
    pub accepted_at: Timestamp,
    #[schema(value_type = String, format = Date)]
    pub effective_on: Date,
    pub refund: u64,
}

pub enum Outcome {
    Preview(Preview),
    Cancelled(Cancelled),
}

pub async fn cancel(
    ctx: &Context,
    customer_id: &CustomerId,
    request: CancellationRequest,
    answer_log: Option<&dyn AnswerLog>,
) -> Result<Outcome, Error> {
    retry_on_conflict(|| async {
        let (mut customer, serials) = ctx
            .store
            .customer_with_serials(customer_id)
            .await?
            .ok_or(Error::NotFound)?;
        if customer.is_cancelled() {
            return Err(Error::AlreadyCancelled);
        }
        let providers = ctx.store.providers().await?;
        let now = ctx.clock.now();
        let today = japan::date_of(now);

        let mut consequences = vec![Consequence::new(
            ConsequenceKind::NoRefund,
            "年会費は中途解約による返金はありません（返金額 0円）。".to_owned(),
        )];
        for serial in &serials {
            consequences.push(Consequence {
                serial: Some(serial.serial.clone()),
                ..Consequence::new(
                    ConsequenceKind::SerialUnavailable,
                    format!("シリアル番号 {} は利用不可になります。", serial.serial),
                )
            });
        }
        for provider in &providers {
            consequences.push(Consequence {
                provider_code: Some(provider.provider_code.clone()),
                ..Consequence::new(
                    ConsequenceKind::NotificationStops,
                    format!(
                        "{} への回線情報通知は「通知しない」になります。",
                        provider.provider_name
                    ),
                )
            });
        }
        for reader in customer.readers.iter().filter(|r| r.rental) {
            consequences.push(Consequence {
                reader_id: Some(reader.reader_id.clone()),
                ..Consequence::new(
                    ConsequenceKind::ReaderToReturn,
                    format!(
                        "貸与中のICカードリーダー {} をご返却ください。",
                        reader.reader_id
                    ),
                )
            });
        }
        consequences.push(Consequence::new(
            ConsequenceKind::SessionsEnd,
            "すべての端末でログアウトされます。".to_owned(),
        ));
        if request.dry_run {
            return Ok(Outcome::Preview(Preview {
                effective_on: today,
                refund: 0,
                consequences,
            }));
        }

        let expect = Expect::Version(customer.version);
        customer.cancelled_at = Some(now);
        for provider in &providers {
            set(
                &mut customer,
                &provider.provider_code,
                Setting::DoNotNotify,
                today,
                SetVia::Cancellation,
            );
        }
        for reader in customer.readers.iter_mut().filter(|r| r.rental) {
            reader.status = ReaderStatus::ToBeReturned;
        }
        let mut writes = Vec::new();
        for mut serial in serials {
            let serial_expect = Expect::Version(serial.version);
            if let Some(device) = serial.device.take() {
                writes.push(Write::AppendHistory {
                    serial: serial.serial.clone(),
                    seq: serial.events,
                    event: HistoryEvent {
                        at: now,
                        kind: EventKind::Deactivated,
                        device,
                        previous_device: None,
                    },
                });
                serial.events += 1;
            }
            serial.status = SerialStatus::Unavailable;
            writes.push(Write::put_serial(serial, serial_expect));
        }
        let summary = match &request.reason {
            Some(reason) => format!("解約（理由: {reason}）"),
            None => "解約".to_owned(),
        };
        let (receipt, filing) =
            receipts::file(customer_id, ReceiptKind::Cancellation, summary, now);
        let to_return: Vec<_> = customer.readers.iter().filter(|r| r.rental).collect();
        writes.push(Write::EnqueueMail(Mail::membership_cancelled(
            &customer,
            &customer.serials,
            &to_return,
            &receipt.receipt_no,
            now,
        )));
        let cancelled = Cancelled {
            receipt_no: receipt.receipt_no,
            accepted_at: now,
            effective_on: today,
            refund: 0,
        };
        writes.extend([
            filing,
            Write::DeleteSessionsOf {
                customer_id: customer_id.clone(),
            },
            Write::put_customer(customer, expect),
        ]);
        writes.extend(keep_answer_past_session(answer_log, &cancelled));
        ctx.store.commit(writes).await?;
        tracing::info!(%customer_id, "membership cancelled");
        Ok(Outcome::Cancelled(cancelled))
    })
    .await
}
