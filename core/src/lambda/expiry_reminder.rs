//! The expiry-reminder function (docs/reminders.md, docs/cloud.md): EventBridge Scheduler invokes it daily at
//! 00:00 UTC with `{"scheduled_time": …}`. It runs for the Japan date of the time the event
//! names, not of the moment it runs, so a late or retried invocation does that day's work.

use jiff::Timestamp;
use jiff::civil::Date;
use lambda_runtime::{LambdaEvent, service_fn};
use serde::Deserialize;
use serde_json::Value;

use super::{Error, start};
use crate::Context;
use crate::config::Config;
use crate::domain::japan;
use crate::service::reminders::{self, Summary};

/// The events the job accepts, as the message of an event that is none of them says.
const EXPECTED: &str = "{\"scheduled_time\":\"<RFC 3339>\"} (EventBridge Scheduler), \
     an EventBridge scheduled event with \"time\", or {\"date\":\"YYYY-MM-DD\"}";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventError {
    #[error("expected {EXPECTED}")]
    Unrecognised,
    #[error("\"{field}\" is not {expected}: {value:?}")]
    Malformed {
        field: &'static str,
        expected: &'static str,
        value: String,
    },
    /// Running ahead would send false "expired" notices (docs/operators.md: `date_in_future`).
    #[error("{date} is after today in Japan ({today})")]
    DateInFuture { date: Date, today: Date },
}

/// The fields the job reads; an EventBridge envelope's others are ignored.
#[derive(Deserialize)]
struct JobEvent {
    scheduled_time: Option<String>,
    time: Option<String>,
    date: Option<String>,
}

/// The Japan date an event asks the job to run for; never after `today`.
pub fn job_date(event: &Value, today: Date) -> Result<Date, EventError> {
    let event = JobEvent::deserialize(event).map_err(|_| EventError::Unrecognised)?;
    let date = match (event.date, event.scheduled_time, event.time) {
        (Some(date), _, _) => date.parse().map_err(|_| EventError::Malformed {
            field: "date",
            expected: "a date YYYY-MM-DD",
            value: date,
        })?,
        (None, Some(time), _) => japan::date_of(instant("scheduled_time", time)?),
        (None, None, Some(time)) => japan::date_of(instant("time", time)?),
        (None, None, None) => return Err(EventError::Unrecognised),
    };
    if date > today {
        return Err(EventError::DateInFuture { date, today });
    }
    Ok(date)
}

fn instant(field: &'static str, value: String) -> Result<Timestamp, EventError> {
    value.parse().map_err(|_| EventError::Malformed {
        field,
        expected: "an RFC 3339 instant",
        value,
    })
}

/// One invocation: the job for the event's date, answered with the summary of docs/reminders.md.
pub async fn remind(ctx: &Context, event: &Value) -> Result<Summary, Error> {
    let date = job_date(event, ctx.today())?;
    let summary = reminders::run_daily(ctx, date).await?;
    tracing::info!(
        %date,
        due = summary.due,
        sent = summary.sent,
        skipped = summary.skipped,
        "expiry reminders"
    );
    Ok(summary)
}

/// Serves the expiry-reminder function.
pub async fn run_expiry_reminder() -> Result<(), Error> {
    start::init_logs();
    let ctx = start::init(async {
        let config = Config::from_env()?;
        start::context(&config, &crate::config::aws().await?).await
    })
    .await?;
    let metrics = super::emf::install("expiry-reminder");
    tracing::info!(function = "expiry-reminder", "ready");
    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| {
        let ctx = ctx.clone();
        // The mails this run queues name the invocation (docs/operations.md#request-ids).
        let id = crate::trace::RequestId::parse(&event.context.request_id)
            .unwrap_or_else(crate::trace::RequestId::generate);
        async move {
            let ran = crate::trace::scope(id, remind(&ctx, &event.payload)).await;
            super::emf::flush(metrics, std::io::stdout().lock());
            ran
        }
    }))
    .await
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn date(s: &str) -> Date {
        s.parse().unwrap()
    }

    const TODAY: &str = "2026-11-30";

    #[test]
    fn the_scheduled_time_is_read_in_japan_time() {
        let today = date(TODAY);
        for (time, expected) in [
            ("2026-11-30T00:00:00Z", "2026-11-30"),
            ("2026-11-29T15:30:00Z", "2026-11-30"),
            ("2026-11-29T14:59:59Z", "2026-11-29"),
            ("2026-11-30T09:00:00+09:00", "2026-11-30"),
        ] {
            let event = json!({"scheduled_time": time});
            assert_eq!(job_date(&event, today), Ok(date(expected)), "{time}");
        }
    }

    #[test]
    fn an_eventbridge_scheduled_event_is_read_by_its_time() {
        let event = json!({
            "version": "0",
            "id": "89d1a02d-5ec7-412e-82f5-13505f849b41",
            "detail-type": "Scheduled Event",
            "source": "aws.events",
            "account": "123456789012",
            "time": "2026-11-29T15:30:00Z",
            "region": "ap-northeast-1",
            "resources": ["arn:aws:events:ap-northeast-1:123456789012:rule/daily"],
            "detail": {}
        });
        assert_eq!(job_date(&event, date(TODAY)), Ok(date("2026-11-30")));
    }

    #[test]
    fn a_date_is_taken_as_it_is() {
        let event = json!({"date": "2026-11-02"});
        assert_eq!(job_date(&event, date(TODAY)), Ok(date("2026-11-02")));
    }

    #[test]
    fn anything_else_says_what_was_expected() {
        for event in [
            json!({}),
            json!({"detail": {}}),
            json!("2026-11-30"),
            json!(null),
        ] {
            let error = job_date(&event, date(TODAY)).unwrap_err();
            assert_eq!(error, EventError::Unrecognised, "{event}");
            let message = error.to_string();
            for named in ["scheduled_time", "\"time\"", "\"date\""] {
                assert!(message.contains(named), "{message}");
            }
        }
    }

    #[test]
    fn a_malformed_time_or_date_is_named() {
        for (event, field) in [
            (json!({"scheduled_time": "tomorrow"}), "scheduled_time"),
            (json!({"time": "2026-11-30"}), "time"),
            (json!({"date": "2026/11/30"}), "date"),
        ] {
            let error = job_date(&event, date(TODAY)).unwrap_err();
            assert!(
                matches!(&error, EventError::Malformed { field: f, .. } if *f == field),
                "{event}: {error}"
            );
        }
    }

    #[test]
    fn a_day_after_today_is_refused() {
        let event = json!({"scheduled_time": "2026-11-30T15:00:00Z"});
        assert_eq!(
            job_date(&event, date(TODAY)),
            Err(EventError::DateInFuture {
                date: date("2026-12-01"),
                today: date(TODAY)
            })
        );
    }
}
