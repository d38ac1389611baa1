//! Per-client counts (docs/login.md, docs/renewal.md): one item per count, changed only by single conditional
//! updates (`places = places + 1` while a place is free), never inside a transaction, so
//! that concurrent attempts from one address (everyone behind one NAT) are counted one
//! after the other by DynamoDB instead of conflicting.
//!
//! Attributes: `opened_ms` (the window's opening, milliseconds since the epoch), `places`
//! (taken and not given back), `kept` (answers that kept their place), `holders` (the ids of
//! the places held by attempts still running), `expires_at` (TTL: the window's end, after
//! which nothing reads the item as open).
//!
//! Each place has a holder id, and every update of a place is conditioned on the holder
//! being (or not yet being) in `holders`: an update whose answer was lost, sent again by
//! the SDK, finds its own effect and changes nothing twice. Without it, a give-back sent
//! twice would free a place another attempt holds, and a burst could run more tries than
//! the limit.

use async_trait::async_trait;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{ReturnValue, ReturnValuesOnConditionCheckFailure};
use jiff::Timestamp;

use super::error::condition_failed;
use super::item::{Item, expires_at, n, s};
use super::{DynamoStore, keys};
use crate::store::{Admission, ClientCounts, CountRule, Place, StoreError};

/// Rounds of "the window changed under us" before giving up. Each round loses only to a
/// window opening or a place given back, so two are nearly always enough.
const ROUNDS: usize = 8;

fn number(item: &Item, name: &str) -> Option<i64> {
    item.get(name)?.as_n().ok()?.parse().ok()
}

fn opened(item: &Item) -> Option<Timestamp> {
    Timestamp::from_millisecond(number(item, "opened_ms")?).ok()
}

impl DynamoStore {
    pub(super) async fn take_count_place(
        &self,
        rule: &CountRule,
        now: Timestamp,
    ) -> Result<Admission, StoreError> {
        let key = || keys::client_count(&rule.key);
        // A window opened at or before this instant has closed.
        let closed_by = (now - rule.length).as_millisecond();
        let holder = crate::secret::random_string(b"0123456789abcdefghijklmnopqrstuvwxyz", 16);
        for _ in 0..ROUNDS {
            let counted = self
                .client
                .update_item()
                .table_name(&self.table)
                .set_key(Some(key().attributes()))
                .condition_expression(
                    "opened_ms > :closed_by AND places < :limit AND NOT contains(holders, :me)",
                )
                .update_expression("SET places = places + :one ADD holders :holders")
                .expression_attribute_values(":closed_by", n(closed_by))
                .expression_attribute_values(":limit", n(rule.limit))
                .expression_attribute_values(":one", n(1))
                .expression_attribute_values(":me", s(holder.clone()))
                .expression_attribute_values(":holders", ss(&holder))
                .return_values(ReturnValue::AllNew)
                .return_values_on_condition_check_failure(
                    ReturnValuesOnConditionCheckFailure::AllOld,
                )
                .set_return_consumed_capacity(self.capacity())
                .send()
                .await;
            let stored = match counted {
                Ok(output) => {
                    self.consumed_writing(&output.consumed_capacity);
                    let item = output.attributes.unwrap_or_default();
                    let window_opened_at = opened(&item).ok_or_else(|| malformed(&rule.key))?;
                    return Ok(Admission::Admitted(Place {
                        window_opened_at,
                        holder,
                    }));
                }
                Err(error) if condition_failed(&error) => match old_item(error) {
                    Some(item) => Some(item),
                    // An emulator that does not return the old item: read it.
                    None => self.raw_item(key()).await?,
                },
                Err(error) => return Err(error.into()),
            };
            // This very place, taken by a send whose answer was lost.
            if let Some(item) = stored.as_ref().filter(|item| holds(item, &holder))
                && let Some(window_opened_at) = opened(item)
            {
                return Ok(Admission::Admitted(Place {
                    window_opened_at,
                    holder,
                }));
            }
            match stored
                .as_ref()
                .map(|item| (opened(item), number(item, "places")))
            {
                Some((Some(opened_at), Some(places))) if opened_at.as_millisecond() > closed_by => {
                    if places >= i64::from(rule.limit) {
                        let kept = stored.as_ref().and_then(|item| number(item, "kept"));
                        let running = places.saturating_sub(kept.unwrap_or(0)).max(0);
                        return Ok(Admission::Refused {
                            reopens_at: opened_at + rule.length,
                            running: u32::try_from(running).unwrap_or(u32::MAX),
                        });
                    }
                    // A place was given back since: count again.
                }
                _ => {
                    if let Some(place) = self.open_window(rule, now, closed_by, &holder).await? {
                        return Ok(Admission::Admitted(place));
                    }
                }
            }
        }
        Err(StoreError::Conflict(format!("the count {}", rule.key)))
    }

    /// One strongly consistent read of the count: no window open, or a place free in it.
    pub(super) async fn count_place_may_be_free(
        &self,
        rule: &CountRule,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let closed_by = (now - rule.length).as_millisecond();
        let Some(item) = self.raw_item(keys::client_count(&rule.key)).await? else {
            return Ok(true);
        };
        Ok(match (opened(&item), number(&item, "places")) {
            (Some(opened_at), Some(places)) if opened_at.as_millisecond() > closed_by => {
                places < i64::from(rule.limit)
            }
            _ => true,
        })
    }

    /// Replaces a closed (or missing) window with one opening `now`, holding one place;
    /// `None` when another attempt opened it first.
    async fn open_window(
        &self,
        rule: &CountRule,
        now: Timestamp,
        closed_by: i64,
        holder: &str,
    ) -> Result<Option<Place>, StoreError> {
        let opened_ms = now.as_millisecond();
        let mut item = keys::client_count(&rule.key).attributes();
        item.insert("opened_ms".into(), n(opened_ms));
        item.insert("places".into(), n(1));
        item.insert("kept".into(), n(0));
        item.insert("holders".into(), ss(holder));
        item.insert("expires_at".into(), expires_at(now + rule.length));
        let put = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk) OR opened_ms <= :closed_by")
            .expression_attribute_values(":closed_by", n(closed_by))
            .set_return_consumed_capacity(self.capacity())
            .send()
            .await;
        match put {
            Ok(output) => {
                self.consumed_writing(&output.consumed_capacity);
                let window_opened_at = Timestamp::from_millisecond(opened_ms)
                    .map_err(|e| StoreError::Backend(e.to_string()))?;
                Ok(Some(Place {
                    window_opened_at,
                    holder: holder.to_owned(),
                }))
            }
            Err(error) if condition_failed(&error) => Ok(None),
            Err(error) => Err(error.into()),
        }
    }

    /// One update to the count while its window is the one `place` was taken in and the
    /// place is still held (so that a send of it repeated changes nothing); a window
    /// replaced since, or the place already settled, means nothing to do.
    pub(super) async fn settle_count_place(
        &self,
        key: &str,
        place: &Place,
        update: &str,
    ) -> Result<(), StoreError> {
        let sent = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(keys::client_count(key).attributes()))
            .condition_expression("opened_ms = :opened AND contains(holders, :me)")
            .update_expression(format!("{update} DELETE holders :holders"))
            .expression_attribute_values(":opened", n(place.window_opened_at.as_millisecond()))
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":me", s(place.holder.clone()))
            .expression_attribute_values(":holders", ss(&place.holder))
            .set_return_consumed_capacity(self.capacity())
            .send()
            .await;
        self.applied(sent, |o| &o.consumed_capacity)?;
        Ok(())
    }
}

/// A string set of one.
fn ss(value: &str) -> aws_sdk_dynamodb::types::AttributeValue {
    aws_sdk_dynamodb::types::AttributeValue::Ss(vec![value.to_owned()])
}

/// Whether the count's `holders` has this holder.
fn holds(item: &Item, holder: &str) -> bool {
    item.get("holders")
        .and_then(|value| value.as_ss().ok())
        .is_some_and(|holders| holders.iter().any(|h| h == holder))
}

fn old_item<R: std::fmt::Debug + Send + Sync + 'static>(
    error: SdkError<UpdateItemError, R>,
) -> Option<Item> {
    match error.into_service_error() {
        UpdateItemError::ConditionalCheckFailedException(failed) => failed.item,
        _ => None,
    }
}

fn malformed(key: &str) -> StoreError {
    StoreError::Backend(format!("the count {key} has no window"))
}

#[async_trait]
impl ClientCounts for DynamoStore {
    async fn take_place(&self, rule: &CountRule, now: Timestamp) -> Result<Admission, StoreError> {
        self.take_count_place(rule, now).await
    }

    async fn place_may_be_free(
        &self,
        rule: &CountRule,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        self.count_place_may_be_free(rule, now).await
    }

    async fn give_back_place(&self, key: &str, place: Place) -> Result<(), StoreError> {
        self.settle_count_place(key, &place, "SET places = places - :one")
            .await
    }

    async fn keep_place(&self, key: &str, place: Place) -> Result<(), StoreError> {
        self.settle_count_place(key, &place, "SET kept = kept + :one")
            .await
    }
}
