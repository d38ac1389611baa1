//! The store users grow onto: one DynamoDB table (see `README.md` beside the store module
//! for its keys). Every commit is one `TransactWriteItems`; versions become condition
//! expressions, so concurrent requests cannot both win. Touching a session and releasing a
//! claim are single conditional writes of their own.
//!
//! This file holds the store and its reads; `keys` the table's layout, `writes` what each
//! write becomes, `transaction` the commit, `outbox` the dispatcher's reads and writes,
//! `stream` which of the table's stream records are new mails, `table` provisioning,
//! `meter` consumed capacity, `error` how SDK failures become `StoreError`s.

mod commit;
mod counts;
mod error;
mod idempotency;
mod item;
mod keys;
mod ledger;
mod lists;
mod members;
mod meter;
mod orders;
mod outbox;
mod reminders;
mod renewals;
mod sessions;
mod status;
pub mod stream;
mod table;
mod together;
mod writes;

use std::sync::Arc;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder;
use serde::de::DeserializeOwned;

pub use meter::{CapacityMeter, Consumed};

use super::{Page, StoreError};
use crate::domain::{CustomerId, Serial};
use error::condition_failed;
use item::{Item, n, record, s};
use keys::{IndexKey, Key, Prefix, Range};

#[derive(Clone)]
pub struct DynamoStore {
    client: Client,
    table: String,
    meter: Option<Arc<CapacityMeter>>,
    /// When DynamoDB's TTL may remove a session (docs/login.md: 12 hours after login).
    session_lifetime: jiff::SignedDuration,
}

impl DynamoStore {
    /// A store over `table`, with the client configured from the standard AWS variables
    /// (`AWS_REGION`, `AWS_ENDPOINT_URL_DYNAMODB`, credentials…).
    pub async fn from_env(table: impl Into<String>) -> Self {
        let config = aws_config::load_from_env().await;
        Self::new(Client::new(&config), table)
    }

    /// A store over `table`, its client configured as a deployment configures it
    /// (`config::aws`: the standard variables, the SDK's behaviour and retries pinned).
    pub async fn configured(table: &str) -> Result<Self, crate::config::ConfigError> {
        Ok(Self::with_sdk(&crate::config::aws().await?, table))
    }

    /// A store over `table`, its client built from `sdk`.
    pub fn with_sdk(sdk: &aws_config::SdkConfig, table: &str) -> Self {
        Self::new(Client::new(sdk), table)
    }

    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
            meter: None,
            session_lifetime: crate::Settings::default().session_lifetime,
        }
    }

    /// The table this store reads and writes.
    pub fn table(&self) -> &str {
        &self.table
    }

    /// Sessions expire by TTL after this lifetime (keep it equal to the settings').
    pub fn with_session_lifetime(mut self, lifetime: jiff::SignedDuration) -> Self {
        self.session_lifetime = lifetime;
        self
    }

    async fn get<T: DeserializeOwned>(&self, key: Key) -> Result<Option<T>, StoreError> {
        self.raw_item(key).await?.map(record).transpose()
    }

    /// One item as stored, read strongly consistent.
    async fn raw_item(&self, key: Key) -> Result<Option<Item>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key.attributes()))
            .consistent_read(true)
            .set_return_consumed_capacity(self.capacity())
            .send()
            .await?;
        self.consumed_reading(&output.consumed_capacity);
        Ok(output.item)
    }

    /// Whether an item is stored under `key`, whatever it holds.
    async fn exists(&self, key: Key) -> Result<bool, StoreError> {
        #[derive(serde::Deserialize)]
        struct Any {}
        Ok(self.get::<Any>(key).await?.is_some())
    }

    /// Runs a query to its last page (or `limit` items), metering each page.
    async fn query_pages(
        &self,
        query: QueryFluentBuilder,
        limit: usize,
    ) -> Result<Vec<Item>, StoreError> {
        self.query_pages_from(query, None, limit).await
    }

    /// The same, starting after the item with key `start` when given.
    async fn query_pages_from(
        &self,
        query: QueryFluentBuilder,
        mut start: Option<Item>,
        limit: usize,
    ) -> Result<Vec<Item>, StoreError> {
        let mut items = Vec::new();
        loop {
            let output = query
                .clone()
                .set_exclusive_start_key(start)
                .set_return_consumed_capacity(self.capacity())
                .send()
                .await?;
            self.consumed_reading(&output.consumed_capacity);
            items.extend(output.items.unwrap_or_default());
            start = output.last_evaluated_key;
            if start.is_none() || items.len() >= limit {
                items.truncate(limit);
                return Ok(items);
            }
        }
    }

    /// Every item of a partition whose sort key starts with the prefix's.
    async fn query_prefix(
        &self,
        prefix: Prefix,
        newest_first: bool,
    ) -> Result<Vec<Item>, StoreError> {
        self.query_pages(self.prefix_query(prefix, newest_first), usize::MAX)
            .await
    }

    /// Every item of a partition between two sort keys, in their order.
    async fn query_range(&self, range: Range) -> Result<Vec<Item>, StoreError> {
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk AND sk BETWEEN :from AND :to")
            .expression_attribute_values(":pk", s(range.pk))
            .expression_attribute_values(":from", s(range.from))
            .expression_attribute_values(":to", s(range.to))
            .consistent_read(true);
        self.query_pages(query, usize::MAX).await
    }

    fn prefix_query(&self, prefix: Prefix, newest_first: bool) -> QueryFluentBuilder {
        self.client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk AND begins_with(sk, :prefix)")
            .expression_attribute_values(":pk", s(prefix.pk))
            .expression_attribute_values(":prefix", s(prefix.sk))
            .scan_index_forward(!newest_first)
            .consistent_read(true)
    }

    /// One page of a partition's items under the prefix, after the item keyed `after`, each
    /// with its place read from its sort key: one Query of `limit + 1` items (`Page`), so it
    /// costs the same however many items the partition holds.
    async fn page<T: DeserializeOwned, P>(
        &self,
        prefix: Prefix,
        newest_first: bool,
        after: Option<Key>,
        limit: usize,
        place: impl Fn(&str) -> Option<P>,
    ) -> Result<Page<T, P>, StoreError> {
        let read = limit.saturating_add(1);
        let query = self
            .prefix_query(prefix, newest_first)
            .set_limit(i32::try_from(read).ok());
        let items = self
            .query_pages_from(query, after.map(Key::attributes), read)
            .await?;
        let read = items
            .into_iter()
            .map(|item| {
                let sk = item::sort_key(&item);
                let at = place(sk).ok_or_else(|| {
                    StoreError::Backend(format!("an item keyed {sk:?} in a list"))
                })?;
                Ok((at, record(item)?))
            })
            .collect::<Result<_, StoreError>>()?;
        Ok(Page::from_read(read, limit))
    }

    /// The records of a partition whose sort key starts with the prefix's, oldest first.
    async fn records<T: DeserializeOwned>(&self, prefix: Prefix) -> Result<Vec<T>, StoreError> {
        self.query_prefix(prefix, false)
            .await?
            .into_iter()
            .map(record)
            .collect()
    }

    /// Records of the secondary index under `upto`'s partition, up to `upto`, at most
    /// `limit`. (A secondary index reads eventually consistently; its readers re-read what
    /// they act on.)
    async fn index_records<T: DeserializeOwned>(
        &self,
        upto: IndexKey,
        limit: usize,
    ) -> Result<Vec<T>, StoreError> {
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(keys::GSI1)
            .key_condition_expression("gsi1pk = :pk AND gsi1sk <= :upto")
            .expression_attribute_values(":pk", s(upto.pk))
            .expression_attribute_values(":upto", s(upto.sk))
            .set_limit(i32::try_from(limit).ok());
        self.query_pages(query, limit)
            .await?
            .into_iter()
            .map(record)
            .collect()
    }

    /// The member a serial belongs to.
    async fn owner_of(&self, serial: &Serial) -> Result<Option<CustomerId>, StoreError> {
        #[derive(serde::Deserialize)]
        struct Owner {
            owner: CustomerId,
        }
        Ok(self
            .get::<Owner>(keys::serial_owner(serial))
            .await?
            .map(|o| o.owner))
    }
}
