//! The store users grow onto: one DynamoDB table (see `README.md` beside this file for its
//! keys). Every commit is one `TransactWriteItems`; versions become condition expressions,
//! so concurrent requests cannot both win. Touching a session and releasing a claim are
//! single conditional writes of their own.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, ConditionCheck, ConsumedCapacity, Delete,
    GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection, ProjectionType, Put,
    ReturnConsumedCapacity, ScalarAttributeType, StreamSpecification, StreamViewType,
    TimeToLiveSpecification, TransactWriteItem, Update,
};
use jiff::Timestamp;
use jiff::civil::Date;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{
    Expect, IdempotencyRecord, Store, StoreError, Throttle, Versioned, Write, reminder_date,
};
use crate::domain::{
    CodeRecord, Customer, CustomerId, Email, HistoryEvent, Provider, Receipt, RenewalCode, Serial,
    SerialRecord, Session,
};
use crate::mail::{Mail, MailStatus};

type Item = HashMap<String, AttributeValue>;

/// The secondary index both the expiry index and the outbox's pending list live in.
const GSI1: &str = "gsi1";
const PENDING: &str = "OUTBOX#PENDING";
const EXPIRY: &str = "EXPIRY";
/// DynamoDB's own limit on one transaction.
const MAX_TRANSACTION_ITEMS: usize = 100;

#[derive(Clone)]
pub struct DynamoStore {
    client: Client,
    table: String,
    meter: Option<Arc<CapacityMeter>>,
    /// When DynamoDB's TTL may remove a session (SPEC §2: 12 hours after login).
    session_lifetime: jiff::SignedDuration,
}

/// Adds up what DynamoDB reports it consumed (`ReturnConsumedCapacity`), and the calls
/// made: for measuring each operation's cost, not for production.
#[derive(Debug, Default)]
pub struct CapacityMeter {
    /// Capacity units, in thousandths.
    milli_units: AtomicU64,
    calls: AtomicU64,
}

impl CapacityMeter {
    fn add(&self, units: f64) {
        self.milli_units
            .fetch_add((units * 1000.0).round() as u64, Ordering::Relaxed);
        self.calls.fetch_add(1, Ordering::Relaxed);
    }

    /// (capacity units, calls) so far.
    pub fn read(&self) -> (f64, u64) {
        (
            self.milli_units.load(Ordering::Relaxed) as f64 / 1000.0,
            self.calls.load(Ordering::Relaxed),
        )
    }
}

fn backend(error: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(error.to_string())
}

/// Service errors carry their reason in the metadata; `Display` of an `SdkError` alone
/// says only "service error".
fn sdk<E: ProvideErrorMetadata + std::fmt::Debug, R: std::fmt::Debug>(
    error: SdkError<E, R>,
) -> StoreError {
    match error.as_service_error() {
        Some(service) => StoreError::Backend(format!(
            "{}: {}",
            service.code().unwrap_or("unknown"),
            service.message().unwrap_or("")
        )),
        None => StoreError::Backend(format!("{error:?}")),
    }
}

fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

fn n(value: impl ToString) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

/// A record as an item: its own fields, plus its keys and any index or TTL attributes.
fn item<T: Serialize>(record: &T, pk: String, sk: String) -> Result<Item, StoreError> {
    let mut item: Item = serde_dynamo::to_item(record).map_err(backend)?;
    item.insert("pk".into(), s(pk));
    item.insert("sk".into(), s(sk));
    Ok(item)
}

fn record<T: DeserializeOwned>(item: Item) -> Result<T, StoreError> {
    serde_dynamo::from_item(item).map_err(backend)
}

fn key(pk: String, sk: &str) -> Item {
    HashMap::from([("pk".to_owned(), s(pk)), ("sk".to_owned(), s(sk))])
}

// The keys of each kind of item (the single-table design in README.md).
fn customer_pk(id: &CustomerId) -> String {
    format!("CUSTOMER#{id}")
}
const CUSTOMER_SK: &str = "CUSTOMER";
fn serial_sk(serial: &Serial) -> String {
    format!("CUSTOMER#SERIAL#{serial}")
}
fn serial_pk(serial: &Serial) -> String {
    format!("SERIAL#{serial}")
}
const OWNER_SK: &str = "OWNER";
fn event_sk(seq: u64) -> String {
    format!("EVENT#{seq:012}")
}
fn session_pk(digest: &str) -> String {
    format!("SESSION#{digest}")
}
fn session_pointer_sk(digest: &str) -> String {
    format!("SESSION#{digest}")
}
fn mail_pk(to: &Email) -> String {
    format!("MAILTO#{to}")
}
fn mail_sk(mail_id: &str) -> String {
    format!("MAIL#{mail_id}")
}
fn receipt_sk(receipt: &Receipt) -> String {
    format!(
        "RECEIPT#{:024}#{}",
        receipt.accepted_at.as_nanosecond(),
        receipt.receipt_no
    )
}

/// Seconds since the epoch at which DynamoDB's TTL may remove an item.
fn expires_at(at: Timestamp) -> AttributeValue {
    n(at.as_second())
}

/// The code and message of a service error.
fn refusal(error: impl ProvideErrorMetadata) -> (String, String) {
    (
        error.code().unwrap_or("unknown").to_owned(),
        error.message().unwrap_or("").to_owned(),
    )
}

/// A conditional put, as one part of a transaction.
fn put(
    table: &str,
    item: Item,
    condition: Option<(&str, Item)>,
) -> Result<TransactWriteItem, StoreError> {
    let mut builder = Put::builder().table_name(table).set_item(Some(item));
    if let Some((expression, values)) = condition {
        builder = builder.condition_expression(expression);
        if !values.is_empty() {
            builder = builder.set_expression_attribute_values(Some(values));
        }
    }
    Ok(TransactWriteItem::builder()
        .put(builder.build().map_err(backend)?)
        .build())
}

/// The condition an `Expect` stands for.
fn expectation(expect: Expect) -> (&'static str, Item) {
    match expect {
        Expect::Absent => ("attribute_not_exists(pk)", Item::new()),
        Expect::Version(v) => (
            "version = :read",
            HashMap::from([(":read".to_owned(), n(v))]),
        ),
    }
}

fn versioned(table: &str, item: Item, expect: Expect) -> Result<TransactWriteItem, StoreError> {
    put(table, item, Some(expectation(expect)))
}

fn absent(table: &str, item: Item) -> Result<TransactWriteItem, StoreError> {
    put(table, item, Some(("attribute_not_exists(pk)", Item::new())))
}

fn check_version(table: &str, key: Item, version: u64) -> Result<TransactWriteItem, StoreError> {
    let check = ConditionCheck::builder()
        .table_name(table)
        .set_key(Some(key))
        .condition_expression("version = :read")
        .expression_attribute_values(":read", n(version))
        .build()
        .map_err(backend)?;
    Ok(TransactWriteItem::builder().condition_check(check).build())
}

fn delete(table: &str, key: Item) -> Result<TransactWriteItem, StoreError> {
    let delete = Delete::builder()
        .table_name(table)
        .set_key(Some(key))
        .build()
        .map_err(backend)?;
    Ok(TransactWriteItem::builder().delete(delete).build())
}

impl DynamoStore {
    /// A store over `table`, with the client configured from the standard AWS variables
    /// (`AWS_REGION`, `AWS_ENDPOINT_URL_DYNAMODB`, credentials…).
    pub async fn from_env(table: impl Into<String>) -> Self {
        let config = aws_config::load_from_env().await;
        Self::new(Client::new(&config), table)
    }

    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
            meter: None,
            session_lifetime: crate::Settings::default().session_lifetime,
        }
    }

    /// Sessions expire by TTL after this lifetime (keep it equal to the settings').
    pub fn with_session_lifetime(mut self, lifetime: jiff::SignedDuration) -> Self {
        self.session_lifetime = lifetime;
        self
    }

    /// The same store, asking DynamoDB for the capacity each call consumes.
    pub fn metered(mut self) -> (Self, Arc<CapacityMeter>) {
        let meter = Arc::new(CapacityMeter::default());
        self.meter = Some(meter.clone());
        (self, meter)
    }

    fn capacity(&self) -> Option<ReturnConsumedCapacity> {
        self.meter.as_ref().map(|_| ReturnConsumedCapacity::Total)
    }

    fn consumed<'a>(&self, reports: impl IntoIterator<Item = &'a ConsumedCapacity>) {
        if let Some(meter) = &self.meter {
            meter.add(reports.into_iter().filter_map(|c| c.capacity_units).sum());
        }
    }

    /// Creates the table with its index, stream and TTL when it does not exist yet.
    pub async fn ensure_table(&self) -> Result<(), StoreError> {
        match self
            .client
            .describe_table()
            .table_name(&self.table)
            .send()
            .await
        {
            Ok(_) => return self.ensure_ttl().await,
            Err(error)
                if error
                    .as_service_error()
                    .is_some_and(|e| e.is_resource_not_found_exception()) => {}
            Err(error) => return Err(sdk(error)),
        }
        let attribute = |name: &str| {
            AttributeDefinition::builder()
                .attribute_name(name)
                .attribute_type(ScalarAttributeType::S)
                .build()
                .map_err(backend)
        };
        let key = |name: &str, kind: KeyType| {
            KeySchemaElement::builder()
                .attribute_name(name)
                .key_type(kind)
                .build()
                .map_err(backend)
        };
        let index = GlobalSecondaryIndex::builder()
            .index_name(GSI1)
            .key_schema(key("gsi1pk", KeyType::Hash)?)
            .key_schema(key("gsi1sk", KeyType::Range)?)
            .projection(
                Projection::builder()
                    .projection_type(ProjectionType::All)
                    .build(),
            )
            .build()
            .map_err(backend)?;
        let created = self
            .client
            .create_table()
            .table_name(&self.table)
            .billing_mode(BillingMode::PayPerRequest)
            .attribute_definitions(attribute("pk")?)
            .attribute_definitions(attribute("sk")?)
            .attribute_definitions(attribute("gsi1pk")?)
            .attribute_definitions(attribute("gsi1sk")?)
            .key_schema(key("pk", KeyType::Hash)?)
            .key_schema(key("sk", KeyType::Range)?)
            .global_secondary_indexes(index)
            .stream_specification(
                StreamSpecification::builder()
                    .stream_enabled(true)
                    .stream_view_type(StreamViewType::NewImage)
                    .build()
                    .map_err(backend)?,
            )
            .send()
            .await;
        if let Err(error) = created {
            // Another process may have created it meanwhile.
            let already = error
                .as_service_error()
                .is_some_and(|e| e.is_resource_in_use_exception());
            if !already {
                return Err(sdk(error));
            }
        }
        self.wait_until_active().await?;
        self.ensure_ttl().await
    }

    async fn wait_until_active(&self) -> Result<(), StoreError> {
        use aws_sdk_dynamodb::types::TableStatus;
        for _ in 0..120 {
            let described = self
                .client
                .describe_table()
                .table_name(&self.table)
                .send()
                .await
                .map_err(sdk)?;
            let status = described.table.and_then(|t| t.table_status);
            if status == Some(TableStatus::Active) {
                return Ok(());
            }
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        }
        Err(StoreError::Backend(format!(
            "table {} did not become active",
            self.table
        )))
    }

    /// Sessions, throttles and idempotency records rely on TTL: switch it on if it is off.
    async fn ensure_ttl(&self) -> Result<(), StoreError> {
        use aws_sdk_dynamodb::types::TimeToLiveStatus;
        let described = self
            .client
            .describe_time_to_live()
            .table_name(&self.table)
            .send()
            .await
            .map_err(sdk)?;
        let status = described
            .time_to_live_description
            .and_then(|d| d.time_to_live_status);
        if matches!(
            status,
            Some(TimeToLiveStatus::Enabled | TimeToLiveStatus::Enabling)
        ) {
            return Ok(());
        }
        self.client
            .update_time_to_live()
            .table_name(&self.table)
            .time_to_live_specification(
                TimeToLiveSpecification::builder()
                    .enabled(true)
                    .attribute_name("expires_at")
                    .build()
                    .map_err(backend)?,
            )
            .send()
            .await
            .map_err(sdk)?;
        Ok(())
    }

    async fn get<T: DeserializeOwned>(&self, key: Item) -> Result<Option<T>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key))
            .consistent_read(true)
            .set_return_consumed_capacity(self.capacity())
            .send()
            .await
            .map_err(sdk)?;
        self.consumed(&output.consumed_capacity);
        output.item.map(record).transpose()
    }

    /// Runs a query to its last page (or `limit` items), metering each page.
    async fn query_pages(
        &self,
        query: QueryFluentBuilder,
        limit: usize,
    ) -> Result<Vec<Item>, StoreError> {
        let mut items = Vec::new();
        let mut start = None;
        loop {
            let output = query
                .clone()
                .set_exclusive_start_key(start)
                .set_return_consumed_capacity(self.capacity())
                .send()
                .await
                .map_err(sdk)?;
            self.consumed(&output.consumed_capacity);
            items.extend(output.items.unwrap_or_default());
            start = output.last_evaluated_key;
            if start.is_none() || items.len() >= limit {
                items.truncate(limit);
                return Ok(items);
            }
        }
    }

    /// Every item of a partition whose sort key starts with `prefix`.
    async fn query_prefix(
        &self,
        pk: String,
        prefix: &str,
        newest_first: bool,
    ) -> Result<Vec<Item>, StoreError> {
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk AND begins_with(sk, :prefix)")
            .expression_attribute_values(":pk", s(pk))
            .expression_attribute_values(":prefix", s(prefix))
            .scan_index_forward(!newest_first)
            .consistent_read(true);
        self.query_pages(query, usize::MAX).await
    }

    /// Items of the secondary index under `gsi1pk` with `gsi1sk <= upto`, up to `limit`.
    /// (A secondary index reads eventually consistently; its readers re-read what they act on.)
    async fn query_index(
        &self,
        gsi1pk: &str,
        upto: &str,
        limit: usize,
    ) -> Result<Vec<Item>, StoreError> {
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(GSI1)
            .key_condition_expression("gsi1pk = :pk AND gsi1sk <= :upto")
            .expression_attribute_values(":pk", s(gsi1pk))
            .expression_attribute_values(":upto", s(upto))
            .set_limit(i32::try_from(limit).ok());
        self.query_pages(query, limit).await
    }

    /// The member a serial belongs to.
    async fn owner_of(&self, serial: &Serial) -> Result<Option<CustomerId>, StoreError> {
        #[derive(serde::Deserialize)]
        struct Owner {
            owner: CustomerId,
        }
        Ok(self
            .get::<Owner>(key(serial_pk(serial), OWNER_SK))
            .await?
            .map(|o| o.owner))
    }

    fn serial_item(&self, serial: &SerialRecord) -> Result<Item, StoreError> {
        let mut item = item(
            serial,
            customer_pk(&serial.customer_id),
            serial_sk(&serial.serial),
        )?;
        // The sparse expiry index (SPEC §8): only licences that can still get reminders.
        if let Some(date) = reminder_date(serial) {
            item.insert("gsi1pk".into(), s(EXPIRY));
            item.insert("gsi1sk".into(), s(format!("{date}#{}", serial.serial)));
        }
        Ok(item)
    }

    /// The transaction items one write stands for. Some need a read first (a session's
    /// owner, a member's sessions); the versions in the transaction keep those reads honest.
    async fn parts(&self, write: Write) -> Result<Vec<TransactWriteItem>, StoreError> {
        let table = self.table.as_str();
        Ok(match write {
            Write::PutCustomer(Versioned {
                record: customer,
                expect,
            }) => {
                let pk = customer_pk(&customer.customer_id);
                vec![versioned(
                    table,
                    item(&customer, pk, CUSTOMER_SK.into())?,
                    expect,
                )?]
            }
            Write::CheckCustomer {
                customer_id,
                version,
            } => {
                vec![check_version(
                    table,
                    key(customer_pk(&customer_id), CUSTOMER_SK),
                    version,
                )?]
            }
            Write::CheckSerial {
                serial,
                customer_id,
                version,
            } => vec![check_version(
                table,
                key(customer_pk(&customer_id), &serial_sk(&serial)),
                version,
            )?],
            Write::PutSerial(Versioned {
                record: serial,
                expect,
            }) => {
                let mut parts = vec![versioned(table, self.serial_item(&serial)?, expect)?];
                if expect == Expect::Absent {
                    let mut owner = key(serial_pk(&serial.serial), OWNER_SK);
                    owner.insert("owner".into(), s(serial.customer_id.to_string()));
                    parts.push(absent(table, owner)?);
                }
                parts
            }
            Write::AppendHistory { serial, seq, event } => {
                vec![absent(
                    table,
                    item(&event, serial_pk(&serial), event_sk(seq))?,
                )?]
            }
            Write::PutSession(session) => {
                let lifetime_ends = session.created_at + self.session_lifetime;
                let mut session_item = item(
                    &session,
                    session_pk(&session.token_digest),
                    "SESSION".into(),
                )?;
                session_item.insert("expires_at".into(), expires_at(lifetime_ends));
                let mut pointer = key(
                    customer_pk(&session.customer_id),
                    &session_pointer_sk(&session.token_digest),
                );
                pointer.insert("expires_at".into(), expires_at(lifetime_ends));
                vec![put(table, session_item, None)?, put(table, pointer, None)?]
            }
            Write::DeleteSession { token_digest } => {
                let Some(session) = self.session(&token_digest).await? else {
                    return Ok(Vec::new());
                };
                vec![
                    delete(table, key(session_pk(&token_digest), "SESSION"))?,
                    delete(
                        table,
                        key(
                            customer_pk(&session.customer_id),
                            &session_pointer_sk(&token_digest),
                        ),
                    )?,
                ]
            }
            Write::DeleteSessionsOf { customer_id } => {
                let pk = customer_pk(&customer_id);
                let pointers = self.query_prefix(pk.clone(), "SESSION#", false).await?;
                let mut parts = Vec::with_capacity(pointers.len() * 2);
                for pointer in pointers {
                    let Some(AttributeValue::S(sk)) = pointer.get("sk") else {
                        continue;
                    };
                    let digest = sk.trim_start_matches("SESSION#");
                    parts.push(delete(table, key(session_pk(digest), "SESSION"))?);
                    parts.push(delete(table, key(pk.clone(), sk))?);
                }
                parts
            }
            Write::PutThrottle {
                key: throttle_key,
                throttle:
                    Versioned {
                        record: throttle,
                        expect,
                    },
            } => {
                let mut throttle_item = item(
                    &throttle,
                    format!("THROTTLE#{throttle_key}"),
                    "THROTTLE".into(),
                )?;
                // A day past the newest failure no window can still need it; with none left,
                // the item may go at once.
                let ends = throttle
                    .failures
                    .last()
                    .map_or(AttributeValue::N("0".into()), |last| {
                        expires_at(*last + jiff::SignedDuration::from_hours(24))
                    });
                throttle_item.insert("expires_at".into(), ends);
                vec![versioned(table, throttle_item, expect)?]
            }
            Write::PutIdempotency(Versioned { record, expect }) => {
                let mut idempotency_item = item(
                    &record,
                    format!("IDEMPOTENCY#{}", record.key),
                    "IDEMPOTENCY".into(),
                )?;
                idempotency_item.insert(
                    "expires_at".into(),
                    expires_at(record.created_at + jiff::SignedDuration::from_hours(25)),
                );
                vec![versioned(table, idempotency_item, expect)?]
            }
            Write::PutProvider(provider) => {
                let sk = format!("PROVIDER#{}", provider.provider_code);
                vec![absent(table, item(&provider, "PROVIDERS".into(), sk)?)?]
            }
            Write::PutCode(Versioned {
                record: code,
                expect,
            }) => {
                let pk = format!("CODE#{}", code.code.key());
                vec![versioned(table, item(&code, pk, "CODE".into())?, expect)?]
            }
            Write::PutReceipt {
                customer_id,
                receipt,
            } => {
                let number = key(format!("RECEIPT#{}", receipt.receipt_no), "RECEIPT");
                let sk = receipt_sk(&receipt);
                vec![
                    absent(table, number)?,
                    put(table, item(&receipt, customer_pk(&customer_id), sk)?, None)?,
                ]
            }
            Write::RecordReminder { key: reminder } => {
                vec![absent(
                    table,
                    key(format!("REMINDER#{reminder}"), "REMINDER"),
                )?]
            }
            Write::EnqueueMail(mail) => {
                let mut mail_item = item(&mail, mail_pk(&mail.to), mail_sk(&mail.mail_id))?;
                mail_item.insert("gsi1pk".into(), s(PENDING));
                mail_item.insert("gsi1sk".into(), s(mail.mail_id.clone()));
                vec![absent(table, mail_item)?]
            }
            Write::MarkMailSent { mail_id, to, at } => {
                let update = Update::builder()
                    .table_name(table)
                    .set_key(Some(key(mail_pk(&to), &mail_sk(&mail_id))))
                    // The index may lag: a mail already marked is not marked again.
                    .condition_expression("attribute_exists(pk) AND #status = :pending")
                    .expression_attribute_values(
                        ":pending",
                        serde_dynamo::to_attribute_value(MailStatus::Pending).map_err(backend)?,
                    )
                    .update_expression("SET #status = :sent, sent_at = :at REMOVE gsi1pk, gsi1sk")
                    .expression_attribute_names("#status", "status")
                    .expression_attribute_values(
                        ":sent",
                        serde_dynamo::to_attribute_value(MailStatus::Sent).map_err(backend)?,
                    )
                    .expression_attribute_values(
                        ":at",
                        serde_dynamo::to_attribute_value(at).map_err(backend)?,
                    )
                    .build()
                    .map_err(backend)?;
                vec![TransactWriteItem::builder().update(update).build()]
            }
        })
    }
}

impl DynamoStore {
    /// Applies deletions outside any transaction, a batch at a time.
    async fn delete_now(&self, deletions: Vec<TransactWriteItem>) -> Result<(), StoreError> {
        use aws_sdk_dynamodb::types::{DeleteRequest, WriteRequest};
        let keys: Vec<Item> = deletions
            .into_iter()
            .filter_map(|part| part.delete.map(|d| d.key))
            .collect();
        for batch in keys.chunks(25) {
            let mut requests = Vec::with_capacity(batch.len());
            for key in batch {
                let delete = DeleteRequest::builder()
                    .set_key(Some(key.clone()))
                    .build()
                    .map_err(backend)?;
                requests.push(WriteRequest::builder().delete_request(delete).build());
            }
            let mut pending = HashMap::from([(self.table.clone(), requests)]);
            while !pending.is_empty() {
                let output = self
                    .client
                    .batch_write_item()
                    .set_request_items(Some(pending))
                    .set_return_consumed_capacity(self.capacity())
                    .send()
                    .await
                    .map_err(sdk)?;
                self.consumed(output.consumed_capacity());
                pending = output.unprocessed_items.unwrap_or_default();
                pending.retain(|_, requests| !requests.is_empty());
            }
        }
        Ok(())
    }
}

#[async_trait]
impl Store for DynamoStore {
    async fn customer(&self, id: &CustomerId) -> Result<Option<Customer>, StoreError> {
        self.get(key(customer_pk(id), CUSTOMER_SK)).await
    }

    async fn customer_with_serials(
        &self,
        id: &CustomerId,
    ) -> Result<Option<(Customer, Vec<SerialRecord>)>, StoreError> {
        // One Query: the member and their serials share a partition and a key prefix.
        let mut items = self
            .query_prefix(customer_pk(id), CUSTOMER_SK, false)
            .await?;
        let Some(position) = items
            .iter()
            .position(|i| i.get("sk") == Some(&s(CUSTOMER_SK)))
        else {
            return Ok(None);
        };
        let customer: Customer = record(items.remove(position))?;
        let mut serials: Vec<SerialRecord> =
            items.into_iter().map(record).collect::<Result<_, _>>()?;
        // In the member's order, as issued.
        serials.sort_by_key(|s| customer.serials.iter().position(|c| *c == s.serial));
        Ok(Some((customer, serials)))
    }

    async fn serial(&self, serial: &Serial) -> Result<Option<SerialRecord>, StoreError> {
        let Some(owner) = self.owner_of(serial).await? else {
            return Ok(None);
        };
        self.get(key(customer_pk(&owner), &serial_sk(serial))).await
    }

    async fn history(&self, serial: &Serial) -> Result<Vec<HistoryEvent>, StoreError> {
        self.query_prefix(serial_pk(serial), "EVENT#", false)
            .await?
            .into_iter()
            .map(record)
            .collect()
    }

    async fn session(&self, token_digest: &str) -> Result<Option<Session>, StoreError> {
        self.get(key(session_pk(token_digest), "SESSION")).await
    }

    async fn throttle(&self, throttle_key: &str) -> Result<Option<Throttle>, StoreError> {
        self.get(key(format!("THROTTLE#{throttle_key}"), "THROTTLE"))
            .await
    }

    async fn serials_expiring(&self, until: Date) -> Result<Vec<SerialRecord>, StoreError> {
        self.query_index(EXPIRY, &format!("{until}#~"), usize::MAX)
            .await?
            .into_iter()
            .map(record)
            .collect()
    }

    async fn reminder_sent(&self, reminder: &str) -> Result<bool, StoreError> {
        #[derive(serde::Deserialize)]
        struct Any {}
        Ok(self
            .get::<Any>(key(format!("REMINDER#{reminder}"), "REMINDER"))
            .await?
            .is_some())
    }

    async fn providers(&self) -> Result<Vec<Provider>, StoreError> {
        self.query_prefix("PROVIDERS".into(), "PROVIDER#", false)
            .await?
            .into_iter()
            .map(record)
            .collect()
    }

    async fn code(&self, code: &RenewalCode) -> Result<Option<CodeRecord>, StoreError> {
        self.get(key(format!("CODE#{}", code.key()), "CODE")).await
    }

    async fn receipts_of(&self, customer_id: &CustomerId) -> Result<Vec<Receipt>, StoreError> {
        self.query_prefix(customer_pk(customer_id), "RECEIPT#", true)
            .await?
            .into_iter()
            .map(record)
            .collect()
    }

    async fn idempotency(&self, claim: &str) -> Result<Option<IdempotencyRecord>, StoreError> {
        self.get(key(format!("IDEMPOTENCY#{claim}"), "IDEMPOTENCY"))
            .await
    }

    async fn pending_mails(&self, limit: usize) -> Result<Vec<Mail>, StoreError> {
        self.query_index(PENDING, "~", limit)
            .await?
            .into_iter()
            .map(record)
            .collect()
    }

    async fn mails_to(&self, to: &Email) -> Result<Vec<Mail>, StoreError> {
        self.query_prefix(mail_pk(to), "MAIL#", false)
            .await?
            .into_iter()
            .map(record)
            .collect()
    }

    async fn has_customers(&self) -> Result<bool, StoreError> {
        #[derive(serde::Deserialize)]
        struct Any {}
        Ok(self
            .get::<Any>(key("META".into(), "CUSTOMERS"))
            .await?
            .is_some())
    }

    async fn commit(&self, writes: Vec<Write>) -> Result<(), StoreError> {
        let new_member = writes.iter().any(|w| {
            matches!(
                w,
                Write::PutCustomer(Versioned {
                    expect: Expect::Absent,
                    ..
                })
            )
        });
        let (ending, others): (Vec<_>, Vec<_>) = writes
            .into_iter()
            .partition(|w| matches!(w, Write::DeleteSessionsOf { .. }));
        let mut parts = Vec::new();
        for write in others {
            parts.extend(self.parts(write).await?);
        }
        if new_member {
            // Lets `has_customers` be one read; once per commit, as no item may appear twice.
            parts.push(put(&self.table, key("META".into(), "CUSTOMERS"), None)?);
        }
        if parts.len() > MAX_TRANSACTION_ITEMS {
            return Err(StoreError::Backend(format!(
                "{} items exceed one transaction",
                parts.len()
            )));
        }
        for write in ending {
            let deletions = self.parts(write).await?;
            if parts.len() + deletions.len() <= MAX_TRANSACTION_ITEMS {
                parts.extend(deletions);
            } else {
                // Too many sessions for one transaction: they end first, on their own. Should
                // the rest then fail, the member has merely been logged out early.
                self.delete_now(deletions).await?;
            }
        }
        if parts.is_empty() {
            return Ok(());
        }
        // The SDK retries a call whose answer it did not get; the token makes a retried
        // transaction that had in fact committed succeed again instead of failing its own
        // conditions. The same token is kept while DynamoDB says it is still in progress.
        let request = self
            .client
            .transact_write_items()
            .set_transact_items(Some(parts))
            .client_request_token(crate::secret::random_string(
                b"0123456789abcdefghijklmnopqrstuvwxyz",
                32,
            ))
            .set_return_consumed_capacity(self.capacity());
        let mut pause = std::time::Duration::from_millis(20);
        for _ in 0..8 {
            match request.clone().send().await {
                Ok(output) => {
                    self.consumed(output.consumed_capacity());
                    return Ok(());
                }
                Err(error) => match error.into_service_error() {
                    TransactWriteItemsError::TransactionCanceledException(cancelled) => {
                        return Err(cancellation(&cancelled));
                    }
                    TransactWriteItemsError::TransactionInProgressException(_) => {
                        tokio::time::sleep(pause).await;
                        pause *= 2;
                    }
                    other => {
                        return Err(StoreError::Backend(format!(
                            "{}: {}",
                            other.code().unwrap_or("unknown"),
                            other.message().unwrap_or("")
                        )));
                    }
                },
            }
        }
        Err(StoreError::Backend(
            "a transaction stayed in progress without an answer".into(),
        ))
    }

    async fn touch_session(&self, token_digest: &str, at: Timestamp) -> Result<(), StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(session_pk(token_digest), "SESSION")))
            .condition_expression("attribute_exists(pk)")
            .update_expression("SET last_seen_at = :at")
            .expression_attribute_values(
                ":at",
                serde_dynamo::to_attribute_value(at).map_err(backend)?,
            )
            .set_return_consumed_capacity(self.capacity())
            .send()
            .await
            .map(|o| self.consumed(&o.consumed_capacity))
            .map_err(|e| refusal(e.into_service_error()));
        nothing_to_do_if_refused(result)
    }

    async fn release_claim(&self, claim: &str, version: u64) -> Result<(), StoreError> {
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key(format!("IDEMPOTENCY#{claim}"), "IDEMPOTENCY")))
            .condition_expression("version = :claimed AND attribute_type(#response, :null)")
            .expression_attribute_names("#response", "response")
            .expression_attribute_values(":claimed", n(version))
            .expression_attribute_values(":null", s("NULL"))
            .set_return_consumed_capacity(self.capacity())
            .send()
            .await
            .map(|o| self.consumed(&o.consumed_capacity))
            .map_err(|e| refusal(e.into_service_error()));
        nothing_to_do_if_refused(result)
    }
}

/// A single conditional write whose condition failed had nothing to do.
fn nothing_to_do_if_refused(result: Result<(), (String, String)>) -> Result<(), StoreError> {
    match result {
        Ok(()) => Ok(()),
        Err((code, _)) if code == "ConditionalCheckFailedException" => Ok(()),
        Err((code, message)) => Err(StoreError::Backend(format!("{code}: {message}"))),
    }
}

/// What a cancelled transaction means. A failed condition, a conflicting transaction or
/// throttling applied nothing and is the same `Conflict` redb reports: the service re-reads
/// and retries after a pause. Any other reason is a fault of this commit, not a race.
fn cancellation(
    cancelled: &aws_sdk_dynamodb::types::error::TransactionCanceledException,
) -> StoreError {
    let reasons: Vec<&str> = cancelled
        .cancellation_reasons()
        .iter()
        .filter_map(|r| r.code())
        .filter(|code| *code != "None")
        .collect();
    let raced = !reasons.is_empty()
        && reasons.iter().all(|c| {
            matches!(
                *c,
                "ConditionalCheckFailed"
                    | "TransactionConflict"
                    | "ThrottlingError"
                    | "ProvisionedThroughputExceeded"
            )
        });
    if raced {
        StoreError::Conflict(format!("transaction cancelled: {reasons:?}"))
    } else {
        StoreError::Backend(format!(
            "transaction cancelled: {reasons:?}: {}",
            cancelled.message().unwrap_or("")
        ))
    }
}
