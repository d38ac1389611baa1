//! `GET /admin/v1/status` (docs/operations.md#the-status-view): what an operator looks at
//! first. It answers from the counters each commit keeps and a few single reads (the
//! first pending mail, the oldest order of each open status), never from a scan of the
//! mails or the orders, so it costs the same however much is stored.

use futures::future::try_join_all;
use jiff::Timestamp;
use jiff::civil::Date;
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::{OrderNo, OrderStatus, japan};
use crate::service::{Context, Error};
use crate::store::ReminderRun;
use crate::telemetry::{self, seconds_since};

#[derive(Debug, Serialize, ToSchema)]
pub struct StatusView {
    /// When the view was read.
    #[serde(with = "japan::instant")]
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
    pub outbox: OutboxStatus,
    /// The reminder job's last run (scheduled or by hand); none before the first.
    pub last_reminder_run: Option<LastReminderRun>,
    /// Every status an open order can be in, in the order orders move through them.
    pub open_orders: Vec<OpenOrders>,
    pub store: StoreStatus,
    pub build: BuildStatus,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OutboxStatus {
    /// Mails still to deliver, those waiting for a retry included.
    pub pending: i64,
    /// Mails given up after their last attempt (`GET /admin/v1/outbox?status=failed`).
    pub failed: i64,
    /// How long the first mail of the pending list has been due; 0 when none is. The
    /// metric `madoguchi_outbox_oldest_pending_seconds` measures the same.
    pub oldest_pending_seconds: f64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LastReminderRun {
    #[schema(value_type = String, format = Date)]
    pub date: Date,
    pub due: u64,
    pub sent: u64,
    pub skipped: u64,
    #[serde(with = "japan::instant")]
    #[schema(value_type = String, format = DateTime)]
    pub finished_at: Timestamp,
    /// `schedule`, or `operator` for a run by hand.
    pub by: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OpenOrders {
    pub status: OrderStatus,
    pub count: i64,
    /// The order longest in this status; none when no order is.
    pub oldest: Option<OldestOrder>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OldestOrder {
    #[schema(value_type = String)]
    pub order_no: OrderNo,
    #[serde(with = "japan::instant")]
    #[schema(value_type = String, format = DateTime)]
    pub placed_at: Timestamp,
    /// Seconds since it was placed: what `madoguchi_orders_oldest_open_seconds` measures.
    pub waited_seconds: f64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StoreStatus {
    /// `redb` or `dynamodb`.
    pub engine: &'static str,
    /// The database file's size in bytes, on redb.
    pub file_bytes: Option<u64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BuildStatus {
    /// The release (`Cargo.toml`'s version).
    pub version: &'static str,
    /// What `MADOGUCHI_BUILD` named when it was compiled (`infra/deploy.sh` sets the
    /// commit); none for a build without it.
    pub build: Option<&'static str>,
}

impl From<ReminderRun> for LastReminderRun {
    fn from(run: ReminderRun) -> Self {
        Self {
            date: run.date,
            due: run.due,
            sent: run.sent,
            skipped: run.skipped,
            finished_at: run.finished_at,
            by: run.by,
        }
    }
}

/// The statuses of an open order.
fn open_statuses() -> impl Iterator<Item = OrderStatus> {
    OrderStatus::ALL.into_iter().filter(|s| !s.is_final())
}

pub async fn status(ctx: &Context) -> Result<StatusView, Error> {
    let now = ctx.clock.now();
    let oldest_orders = try_join_all(open_statuses().map(|s| ctx.store.oldest_in(s)));
    let (stored, first_due, oldest_orders) = tokio::try_join!(
        ctx.store.status(),
        ctx.store.pending_mails(now, None, 1),
        oldest_orders,
    )?;
    let open_orders = open_statuses()
        .zip(oldest_orders)
        .map(|(status, oldest)| OpenOrders {
            status,
            count: stored.tally.open_orders.get(&status).copied().unwrap_or(0),
            oldest: oldest.map(|place| OldestOrder {
                waited_seconds: seconds_since(place.placed_at, now),
                order_no: place.order_no,
                placed_at: place.placed_at,
            }),
        })
        .collect();
    Ok(StatusView {
        at: now,
        outbox: OutboxStatus {
            pending: stored.tally.mails_pending,
            failed: stored.tally.mails_failed,
            oldest_pending_seconds: first_due
                .first()
                .map_or(0.0, |mail| seconds_since(mail.place.due_at, now)),
        },
        last_reminder_run: stored.last_reminder_run.map(LastReminderRun::from),
        open_orders,
        store: StoreStatus {
            engine: stored.engine,
            file_bytes: stored.file_bytes,
        },
        build: BuildStatus {
            version: env!("CARGO_PKG_VERSION"),
            build: option_env!("MADOGUCHI_BUILD"),
        },
    })
}

/// Records the view's figures as metrics (docs/operations.md#metrics), so that the
/// dashboard and the alarms read what the view shows: the dispatcher's sweep calls it,
/// every 5 minutes in the cloud and every minute in local-dev. Each part is read on its
/// own, as the view reads it: a read that fails leaves only its own figures missing (the
/// back office's alarms watch the oldest orders, whatever the counters' read did).
pub async fn measure(ctx: &Context) {
    match ctx.store.status().await {
        Ok(stored) => {
            telemetry::outbox_mails("pending", stored.tally.mails_pending);
            telemetry::outbox_mails("failed", stored.tally.mails_failed);
            for status in open_statuses() {
                let count = stored.tally.open_orders.get(&status).copied().unwrap_or(0);
                telemetry::open_orders(status.as_str(), count);
            }
        }
        Err(error) => tracing::warn!(%error, "the status view's counters were not read"),
    }
    let now = ctx.clock.now();
    // How long the back office has left work undone: a reader awaiting payment waits on
    // the member, and lapses by itself (docs/readers.md#payment).
    for status in open_statuses().filter(|s| *s != OrderStatus::AwaitingPayment) {
        match ctx.store.oldest_in(status).await {
            Ok(oldest) => {
                let waited = oldest.map_or(0.0, |place| seconds_since(place.placed_at, now));
                telemetry::oldest_open_order(status.as_str(), waited);
            }
            Err(error) => tracing::warn!(?status, %error, "the oldest open order was not read"),
        }
    }
}
