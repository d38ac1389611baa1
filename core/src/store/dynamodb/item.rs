//! Records as items and back: serde_dynamo maps the fields, the keys come from `keys`.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use jiff::Timestamp;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::keys::Key;
use crate::store::StoreError;

pub(super) type Item = HashMap<String, AttributeValue>;

/// An item's sort key (empty for an item without one, which no table of ours holds).
pub(super) fn sort_key(item: &Item) -> &str {
    match item.get("sk") {
        Some(AttributeValue::S(sk)) => sk,
        _ => "",
    }
}

pub(super) fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

pub(super) fn n(value: impl ToString) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

/// A record as an item: its own fields plus its key (callers add index or TTL attributes).
pub(super) fn item<T: Serialize>(record: &T, key: Key) -> Result<Item, StoreError> {
    let mut item: Item = serde_dynamo::to_item(record)?;
    item.extend(key.attributes());
    Ok(item)
}

pub(super) fn record<T: DeserializeOwned>(item: Item) -> Result<T, StoreError> {
    Ok(serde_dynamo::from_item(item)?)
}

/// Seconds since the epoch at which DynamoDB's TTL may remove an item.
pub(super) fn expires_at(at: Timestamp) -> AttributeValue {
    n(at.as_second())
}
