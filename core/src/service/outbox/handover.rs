//! The hand-over of orders to the back office (docs/orders.md), with the outbox's
//! discipline: an order committed with a publication pending is read again by its number
//! before it is published, so a stale index or a stream record seen twice publishes
//! nothing twice; it is claimed first, so two publishers at once do not both publish; a
//! failed publication is retried later with the mail's backoff, never holding back the
//! orders behind it. A crash between publishing and marking publishes it once more: the
//! back office takes `order_no` as its idempotency key.
//!
//! Claims and marks are commits of the order at the version read, so they need nothing
//! of the store beyond what every operation uses.

use async_trait::async_trait;
use jiff::Timestamp;
use serde::Serialize;

use super::dispatcher::CLAIM_LEASE;
use crate::domain::product_order::{ProductOrder, detail_type};
use crate::domain::{Order, OrderNo, backoff, scrub};
use crate::service::{Context, Error, retry_on_conflict};
use crate::store::{PublishPlace, StoreError, Write};

/// Where orders go: an EventBridge bus in the cloud, the simulated back office locally.
#[async_trait]
pub trait BackOffice: Send + Sync {
    /// Publishes one event; an error leaves the order to publish again later.
    async fn publish(&self, detail_type: &str, order: &ProductOrder) -> Result<(), String>;

    /// How long a publisher's claim on an order lasts: longer than a publisher can take.
    /// The dispatcher's is longer than its function's timeout (`CLAIM_LEASE`).
    fn lease(&self) -> jiff::SignedDuration {
        CLAIM_LEASE
    }
}

/// What became of one order's hand-over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HandOver {
    Published,
    /// It failed; it is due again after the backoff.
    Retrying,
    /// Nothing to do: published already, not due yet, claimed by another, or not there.
    Skipped,
}

/// Hands one order over, if its publication is still pending and due.
pub async fn hand_over(
    ctx: &Context,
    back_office: &dyn BackOffice,
    order_no: &OrderNo,
) -> Result<HandOver, StoreError> {
    let now = ctx.clock.now();
    let Some(order) = ctx.store.order(order_no).await? else {
        tracing::warn!(%order_no, "no such order to hand over");
        return Ok(HandOver::Skipped);
    };
    if !due(&order, now) {
        return Ok(HandOver::Skipped);
    }
    let claimer = crate::secret::random_string(b"0123456789abcdefghijklmnopqrstuvwxyz", 16);
    let mut claimed = order.clone();
    claimed.publication.claim = Some(claimer.clone());
    claimed.publication.claimed_until = Some(now + back_office.lease());
    let claim = Write::move_order(claimed.clone(), &order);
    match ctx.store.commit(vec![claim]).await {
        Ok(()) => {}
        Err(StoreError::Conflict(_)) => {
            tracing::debug!(%order_no, "order changed or claimed meanwhile; left to the next round");
            return Ok(HandOver::Skipped);
        }
        Err(error) => return Err(error),
    }
    let event = ProductOrder::from(&claimed);
    let sequence = claimed.publication.sequence;
    let published = back_office.publish(detail_type(&claimed), &event).await;
    let outcome = if published.is_ok() {
        HandOver::Published
    } else {
        HandOver::Retrying
    };
    let reason = published.err().map(|e| scrub(&e));
    let recorded = retry_on_conflict(|| async {
        let Some(mut current) = ctx.store.order(order_no).await? else {
            return Ok(false);
        };
        // Only this publisher's claim is its to end: a change made meanwhile (a progress
        // report) ended it, and what is pending then goes out again.
        if current.publication.claim.as_deref() != Some(claimer.as_str()) {
            return Ok(false);
        }
        let read = current.clone();
        let at = ctx.clock.now();
        let publication = &mut current.publication;
        publication.claim = None;
        publication.claimed_until = None;
        // A later event (a withdrawal meanwhile) stays pending: it is the next to publish.
        let superseded = publication.sequence != sequence;
        match &reason {
            _ if superseded => {}
            None => {
                publication.pending = false;
                publication.attempts = 0;
                publication.due_at = None;
                publication.published_at = Some(at);
                publication.last_error = None;
            }
            Some(reason) => {
                publication.attempts += 1;
                publication.due_at = Some(at + backoff(publication.attempts));
                publication.last_error = Some(reason.clone());
            }
        }
        ctx.store
            .commit(vec![Write::move_order(current, &read)])
            .await?;
        Ok::<_, Error>(true)
    })
    .await;
    match (&recorded, &reason) {
        (Err(error), _) => {
            tracing::error!(%order_no, %error, "an order's hand-over could not be recorded; it goes out again");
        }
        (Ok(recorded), None) => {
            tracing::info!(%order_no, kind = ?claimed.kind(), status = ?claimed.status, request_id = claimed.request_id.as_deref(), "order handed to the back office");
            // Each of madoguchi's own moves (a placement, a withdrawal) is recorded as
            // handed over once; a record lost to a newer one goes out again, and is
            // counted then.
            if *recorded {
                crate::telemetry::order(claimed.kind().as_str(), claimed.status.as_str());
            }
        }
        (Ok(_), Some(reason)) => {
            tracing::warn!(%order_no, attempts = claimed.publication.attempts + 1, %reason, "an order's hand-over failed; it will be retried");
        }
    }
    Ok(outcome)
}

/// Still to publish, due by `now`, and claimed by no publisher still within its lease.
fn due(order: &Order, now: Timestamp) -> bool {
    let publication = &order.publication;
    let claimed = publication.claimed_until.is_some_and(|until| until > now);
    publication.pending && !claimed && publication.due_at.is_none_or(|due| due <= now)
}

/// What a round of hand-overs did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct HandOvers {
    pub published: usize,
    pub retrying: usize,
    pub skipped: usize,
}

/// Hands over up to `limit` orders due by `due_by`, in the order they fell due.
pub async fn hand_over_due(
    ctx: &Context,
    back_office: &dyn BackOffice,
    due_by: Timestamp,
    limit: usize,
) -> Result<HandOvers, StoreError> {
    let mut summary = HandOvers::default();
    let mut after: Option<PublishPlace> = None;
    let mut read = 0;
    while read < limit {
        let wanted = 100.min(limit - read);
        let page = ctx
            .store
            .orders_to_publish(due_by, after.as_ref(), wanted)
            .await?;
        let Some(last) = page.last() else { break };
        after = Some(last.clone());
        read += page.len();
        let full = page.len() == wanted;
        for place in page {
            match hand_over(ctx, back_office, &place.order_no).await {
                Ok(HandOver::Published) => summary.published += 1,
                Ok(HandOver::Retrying) => summary.retrying += 1,
                Ok(HandOver::Skipped) => summary.skipped += 1,
                Err(error) => {
                    // One order's store failure holds back none of the others.
                    tracing::error!(order_no = %place.order_no, %error, "the store failed on this order; the next round tries it again");
                    summary.skipped += 1;
                }
            }
        }
        if !full {
            break;
        }
    }
    Ok(summary)
}
