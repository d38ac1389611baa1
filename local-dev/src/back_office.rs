//! The provider's back office, simulated (docs/orders.md, README.md#the-back-office): it
//! takes each order handed over, and carries it out after `MADOGUCHI_WORKS_MINUTES`
//! through the same service code the operators' route `POST /admin/v1/orders/{order_no}/events`
//! calls. A real back office replaces it by consuming the hand-over (EventBridge in the
//! cloud) and reporting progress on that route.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use jiff::SignedDuration;
use madoguchi_core::Context;
use madoguchi_core::domain::product_order::ProductOrder;
use madoguchi_core::domain::{OrderKind, OrderStatus};
use madoguchi_core::service::Error;
use madoguchi_core::service::orders::{self, Progress};
use madoguchi_core::service::outbox::{BackOffice, hand_over_due};
use madoguchi_core::store::OrderPlace;
use tokio::sync::watch;

/// How long the simulated work takes, or `off`: every order waits for the operators'
/// route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Works {
    Off,
    After(SignedDuration),
}

impl FromStr for Works {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        match text.trim() {
            "off" => Ok(Works::Off),
            minutes => minutes
                .parse::<u16>()
                .map(|m| Works::After(SignedDuration::from_mins(i64::from(m))))
                .map_err(|_| format!("{text:?}: minutes (0 and up), or `off`")),
        }
    }
}

/// Keeps each event handed over as a file, `<data dir>/orders/<order_no>.<type>.json`:
/// what a real back office would have received.
pub struct HandOverFiles {
    dir: PathBuf,
}

impl HandOverFiles {
    pub fn new(data_dir: &Path) -> std::io::Result<Self> {
        let dir = data_dir.join("orders");
        std::fs::create_dir_all(&dir)?;
        Ok(Self { dir })
    }
}

#[async_trait]
impl BackOffice for HandOverFiles {
    async fn publish(&self, detail_type: &str, order: &ProductOrder) -> Result<(), String> {
        let path = self.dir.join(format!("{}.{detail_type}.json", order.id));
        let json = serde_json::to_vec_pretty(order).map_err(|e| e.to_string())?;
        tokio::fs::write(&path, json)
            .await
            .map_err(|e| format!("{}: {e}", path.display()))
    }

    /// A file is written in milliseconds, and local-dev is one process: a claim found after
    /// a restart was made by the process that died, and need not hold the order for the
    /// dispatcher's five minutes.
    fn lease(&self) -> SignedDuration {
        SignedDuration::from_secs(10)
    }
}

/// The next step of an order the simulated back office takes on its own, once the order
/// has been handed over and `works` has passed since its last move. (工事 starts at once.)
fn next_step(kind: OrderKind, status: OrderStatus) -> Option<(OrderStatus, bool)> {
    use OrderStatus::*;
    let waits = true;
    match (kind.is_shipment(), status) {
        (false, Accepted) => Some((InProgress, !waits)),
        (false, InProgress) => Some((Completed, waits)),
        // The member's e-money payment, then the warehouse: a step each `works` apart.
        (true, AwaitingPayment) => Some((Paid, waits)),
        (true, Paid) => Some((Shipped, waits)),
        (true, Shipped) => Some((Completed, waits)),
        _ => None,
    }
}

/// Hands orders over and carries them out, once a second, until told to stop.
pub async fn run(
    ctx: Context,
    files: HandOverFiles,
    works: Works,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        if let Err(error) = hand_over_due(&ctx, &files, ctx.clock.now(), 100).await {
            tracing::warn!(%error, "order hand-over round failed");
        }
        if let Works::After(works) = works
            && let Err(error) = carry_out(&ctx, works).await
        {
            tracing::warn!(%error, "back office round failed");
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
            _ = stop.changed() => return,
        }
    }
}

/// Moves every open order that has waited `works` since its last move.
async fn carry_out(ctx: &Context, works: SignedDuration) -> Result<(), Error> {
    let now = ctx.clock.now();
    let open = [
        OrderStatus::Accepted,
        OrderStatus::InProgress,
        OrderStatus::AwaitingPayment,
        OrderStatus::Paid,
        OrderStatus::Shipped,
    ];
    for status in open {
        let mut before: Option<OrderPlace> = None;
        loop {
            let page = ctx.store.orders_in(status, before.as_ref(), 100).await?;
            for order in &page.items {
                // Only what was handed over is the back office's to know of.
                if order.publication.pending && order.publication.published_at.is_none() {
                    continue;
                }
                let Some((next, waits)) = next_step(order.kind(), order.status) else {
                    continue;
                };
                if waits && order.updated_at + works > now {
                    continue;
                }
                let progress = Progress {
                    event_id: format!("local-{}-{}", order.order_no, next.as_str()),
                    status: next,
                    reason: None,
                };
                match orders::report(ctx, &order.order_no, &progress).await {
                    Ok(_) => {}
                    // A member's withdrawal or a cancellation got there first.
                    Err(Error::InvalidTransition { .. }) => {}
                    Err(error) => return Err(error),
                }
            }
            match page.next {
                Some(next) => before = Some(next),
                None => break,
            }
        }
    }
    Ok(())
}
