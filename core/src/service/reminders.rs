//! 有効期限のお知らせ (docs/reminders.md): the daily job that mails expiry reminders.
//!
//! For each term licence due, the most urgent threshold reached and not yet sent for its
//! expiry date is mailed, so a missed day catches up with one mail; one "expired" notice
//! follows the expiry. A reminder is recorded in the same commit as its mail, so two runs,
//! even at once, send it once. The licences come from the expiry index: the job reads the
//! days it needs, never every licence (a licence leaves the index once its "expired" notice
//! is out).

use jiff::ToSpan;
use jiff::civil::Date;
use serde::Serialize;
use utoipa::ToSchema;

use super::{Context, Error, retry_on_conflict};
use crate::domain::Mail;
use crate::store::{Expect, ExpiryPlace, ReminderRun, Write, reminder_date};

/// Licences read from the expiry index at a time.
const PAGE: usize = 500;

#[derive(Debug, Serialize, ToSchema)]
pub struct Summary {
    #[schema(value_type = String, format = Date)]
    pub date: Date,
    /// Licences with a reminder due on `date`.
    pub due: usize,
    /// Mails queued by this run.
    pub sent: usize,
    /// Due, but already sent by an earlier (or concurrent) run.
    pub skipped: usize,
}

/// Which reminder a licence is due on `date`, if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Due {
    DaysLeft { threshold: u32, days_left: i64 },
    Expired,
}

fn due(expires_on: Date, date: Date, thresholds: &[u32]) -> Option<Due> {
    let days_left = (expires_on - date).get_days() as i64;
    if days_left < 0 {
        return Some(Due::Expired);
    }
    thresholds
        .iter()
        .copied()
        .filter(|t| days_left <= i64::from(*t))
        .min()
        .map(|threshold| Due::DaysLeft {
            threshold,
            days_left,
        })
}

fn reminder_key(listed: &ExpiryPlace, due: Due) -> String {
    let which = match due {
        Due::DaysLeft { threshold, .. } => threshold.to_string(),
        Due::Expired => "expired".to_owned(),
    };
    crate::store::expiry::reminder_key(&listed.serial, listed.expires_on, &which)
}

/// The operators' run for a day they choose (docs/reminders.md): never a day still to come, whose
/// run would send false "expired" notices.
pub async fn run_chosen(ctx: &Context, date: Date) -> Result<Summary, Error> {
    if date > ctx.today() {
        return Err(Error::DateInFuture);
    }
    let summary = run(ctx, date).await?;
    record_run(ctx, &summary, "operator").await?;
    Ok(summary)
}

/// The scheduled job's work for `date`: the reminders, then the card-reader orders left
/// unpaid past their due date (docs/readers.md#payment), which need the same daily beat.
pub async fn run_daily(ctx: &Context, date: Date) -> Result<Summary, Error> {
    let summary = run(ctx, date).await?;
    super::reader::expire_unpaid(ctx, date).await?;
    record_run(ctx, &summary, "schedule").await?;
    // Counted once the whole run finished (docs/operations.md#metrics): a run that fails
    // part-way is the job's error, not a run.
    crate::telemetry::reminder_run(
        summary.due as u64,
        summary.sent as u64,
        summary.skipped as u64,
    );
    Ok(summary)
}

/// Keeps the run for the status view (docs/operations.md#the-status-view), replacing the
/// last. A run whose record fails is the job's error: running it again is harmless.
async fn record_run(ctx: &Context, summary: &Summary, by: &str) -> Result<(), Error> {
    let run = ReminderRun {
        date: summary.date,
        due: summary.due as u64,
        sent: summary.sent as u64,
        skipped: summary.skipped as u64,
        finished_at: ctx.clock.now(),
        by: by.to_owned(),
    };
    ctx.store
        .commit(vec![Write::RecordReminderRun(run)])
        .await?;
    Ok(())
}

pub async fn run(ctx: &Context, date: Date) -> Result<Summary, Error> {
    let thresholds = &ctx.settings.reminder_thresholds;
    let furthest = i64::from(thresholds.iter().copied().max().unwrap_or(0));
    let until = date.checked_add(furthest.days()).unwrap_or(date);
    let mut summary = Summary {
        date,
        due: 0,
        sent: 0,
        skipped: 0,
    };
    // A page at a time, so that a large due set is never held at once.
    let mut after: Option<ExpiryPlace> = None;
    loop {
        let page = ctx
            .store
            .serials_expiring(until, after.as_ref(), PAGE)
            .await?;
        for place in &page {
            let Some(due) = due(place.expires_on, date, thresholds) else {
                continue;
            };
            summary.due += 1;
            if remind(ctx, place, due).await? {
                summary.sent += 1;
            } else {
                summary.skipped += 1;
            }
        }
        if page.len() < PAGE {
            break;
        }
        after = page.last().cloned();
    }
    tracing::info!(%date, due = summary.due, sent = summary.sent, skipped = summary.skipped, "expiry reminders");
    Ok(summary)
}

/// Queues one reminder unless it was sent already or the licence changed since it was
/// listed; `true` when this run sent it. The commit is guarded by the serial's and the
/// customer's versions, so a renewal or a cancellation landing meanwhile wins.
async fn remind(ctx: &Context, listed: &ExpiryPlace, due: Due) -> Result<bool, Error> {
    let expires_on = listed.expires_on;
    let key = reminder_key(listed, due);
    retry_on_conflict(|| async {
        if ctx.store.reminder_sent(&key).await? {
            return Ok(false);
        }
        let Some(mut serial) = ctx.store.serial(&listed.serial).await? else {
            return Ok(false);
        };
        if reminder_date(&serial) != Some(expires_on) {
            return Ok(false);
        }
        let Some(customer) = ctx.store.customer(&serial.customer_id).await? else {
            return Ok(false);
        };
        if customer.is_cancelled() {
            // Listed, so still usable: a cancellation stopped halfway. It is finished here.
            super::cancellation::finish_left(ctx, &customer.customer_id).await;
            return Ok(false);
        }
        let now = ctx.clock.now();
        // The portal's renewal with this serial chosen (docs/reminders.md).
        let renewal = ctx.settings.portal_url.as_ref().map(|portal| {
            format!(
                "{}/#/renewal?serial={}",
                portal.trim_end_matches('/'),
                serial.serial
            )
        });
        let renewal = renewal.as_deref();
        let mail = match due {
            Due::DaysLeft { days_left, .. } => {
                Mail::expiry_reminder(&customer, &serial, days_left, renewal, now)
            }
            Due::Expired => Mail::license_expired(&customer, &serial, renewal, now),
        };
        let serial_guard = match due {
            Due::DaysLeft { .. } => Write::CheckSerial {
                serial: serial.serial.clone(),
                customer_id: serial.customer_id.clone(),
                version: serial.version,
            },
            Due::Expired => {
                let expect = Expect::Version(serial.version);
                serial.expired_notice_for = Some(expires_on);
                Write::put_serial(serial, expect)
            }
        };
        // Another run recording it first fails this commit; the retry then sees it sent.
        let writes = vec![
            Write::RecordReminder { key: key.clone() },
            Write::EnqueueMail(mail),
            serial_guard,
            Write::CheckCustomer {
                customer_id: customer.customer_id.clone(),
                version: customer.version,
            },
        ];
        ctx.store.commit(writes).await?;
        Ok(true)
    })
    .await
}

/// The next 09:00 in Japan after `now`: when the daily run is due.
pub fn next_run_after(now: jiff::Timestamp) -> jiff::Timestamp {
    let zone = crate::domain::japan::zone();
    let today = crate::domain::japan::date_of(now);
    let at_nine = |day: Date| {
        day.at(9, 0, 0, 0)
            .to_zoned(zone.clone())
            .expect("a fixed offset has every local time")
            .timestamp()
    };
    let candidate = at_nine(today);
    if candidate > now {
        candidate
    } else {
        at_nine(today.tomorrow().expect("within the calendar"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        s.parse().unwrap()
    }

    #[test]
    fn the_most_urgent_threshold_reached_is_due() {
        let t = [30, 14, 7, 1];
        let today = d("2026-11-22");
        assert_eq!(due(d("2027-01-01"), today, &t), None);
        assert_eq!(
            due(d("2026-12-22"), today, &t),
            Some(Due::DaysLeft {
                threshold: 30,
                days_left: 30
            })
        );
        assert_eq!(
            due(d("2026-11-28"), today, &t),
            Some(Due::DaysLeft {
                threshold: 7,
                days_left: 6
            })
        );
        assert_eq!(
            due(d("2026-11-22"), today, &t),
            Some(Due::DaysLeft {
                threshold: 1,
                days_left: 0
            })
        );
        assert_eq!(due(d("2026-11-21"), today, &t), Some(Due::Expired));
    }

    #[test]
    fn the_daily_run_is_at_nine_in_japan() {
        let before: jiff::Timestamp = "2026-11-21T23:59:00Z".parse().unwrap(); // 08:59 JST
        assert_eq!(next_run_after(before).to_string(), "2026-11-22T00:00:00Z");
        let after: jiff::Timestamp = "2026-11-22T00:00:00Z".parse().unwrap(); // 09:00 JST
        assert_eq!(next_run_after(after).to_string(), "2026-11-23T00:00:00Z");
    }
}
