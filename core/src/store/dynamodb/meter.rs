//! What each call consumed, for measuring an operation's cost (the bench's `capacity`).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use aws_sdk_dynamodb::types::{ConsumedCapacity, ReturnConsumedCapacity};

use super::DynamoStore;

/// Adds up what DynamoDB reports it consumed (`ReturnConsumedCapacity`), reads and writes
/// apart as on-demand prices them, and the calls made: for measuring each operation's
/// cost, not for production.
#[derive(Debug, Default)]
pub struct CapacityMeter {
    /// Read request units, in thousandths.
    milli_read: AtomicU64,
    /// Write request units outside transactions, in thousandths.
    milli_write: AtomicU64,
    /// Write request units of TransactWriteItems, in thousandths.
    milli_transaction: AtomicU64,
    calls: AtomicU64,
}

/// What the meter has counted so far.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Consumed {
    pub read_units: f64,
    /// Outside transactions.
    pub write_units: f64,
    /// In TransactWriteItems: DynamoDB bills two units per item written in a transaction,
    /// and DynamoDB Local reports one.
    pub transaction_units: f64,
    pub calls: u64,
}

impl std::ops::Sub for Consumed {
    type Output = Consumed;
    fn sub(self, before: Consumed) -> Consumed {
        Consumed {
            read_units: self.read_units - before.read_units,
            write_units: self.write_units - before.write_units,
            transaction_units: self.transaction_units - before.transaction_units,
            calls: self.calls - before.calls,
        }
    }
}

fn milli(units: f64) -> u64 {
    (units * 1000.0).round() as u64
}

impl CapacityMeter {
    /// So far.
    pub fn read(&self) -> Consumed {
        Consumed {
            read_units: self.milli_read.load(Ordering::Relaxed) as f64 / 1000.0,
            write_units: self.milli_write.load(Ordering::Relaxed) as f64 / 1000.0,
            transaction_units: self.milli_transaction.load(Ordering::Relaxed) as f64 / 1000.0,
            calls: self.calls.load(Ordering::Relaxed),
        }
    }
}

impl DynamoStore {
    /// The same store, asking DynamoDB for the capacity each call consumes.
    pub fn metered(mut self) -> (Self, Arc<CapacityMeter>) {
        let meter = Arc::new(CapacityMeter::default());
        self.meter = Some(meter.clone());
        (self, meter)
    }

    /// What to ask each call to report: nothing unless metered.
    pub(super) fn capacity(&self) -> Option<ReturnConsumedCapacity> {
        self.meter.as_ref().map(|_| ReturnConsumedCapacity::Total)
    }

    /// Counts one read call (GetItem, Query) and the read units it reports.
    pub(super) fn consumed_reading<'a>(
        &self,
        reports: impl IntoIterator<Item = &'a ConsumedCapacity>,
    ) {
        self.consumed(reports, |meter| &meter.milli_read);
    }

    /// Counts one write call (PutItem, UpdateItem, DeleteItem, BatchWriteItem) and the
    /// write units it reports.
    pub(super) fn consumed_writing<'a>(
        &self,
        reports: impl IntoIterator<Item = &'a ConsumedCapacity>,
    ) {
        self.consumed(reports, |meter| &meter.milli_write);
    }

    /// The answer of one conditional write whose failed condition means "nothing to do"
    /// (a session already gone, a claim answered, a mail no longer pending): whether it
    /// applied, its write units counted; any other failure is the call's error.
    pub(super) fn applied<O, E, R>(
        &self,
        sent: Result<O, aws_sdk_dynamodb::error::SdkError<E, R>>,
        capacity: impl Fn(&O) -> &Option<ConsumedCapacity>,
    ) -> Result<bool, crate::store::StoreError>
    where
        E: aws_sdk_dynamodb::error::ProvideErrorMetadata + std::fmt::Debug,
        R: std::fmt::Debug,
    {
        match sent {
            Ok(output) => {
                self.consumed_writing(capacity(&output));
                Ok(true)
            }
            Err(error) if super::condition_failed(&error) => Ok(false),
            Err(error) => Err(error.into()),
        }
    }

    /// Counts one TransactWriteItems and the write units it reports.
    pub(super) fn consumed_in_transaction<'a>(
        &self,
        reports: impl IntoIterator<Item = &'a ConsumedCapacity>,
    ) {
        self.consumed(reports, |meter| &meter.milli_transaction);
    }

    /// A call consumes units of its own kind only: the aggregate it reports (the table's
    /// and its index's, which is all DynamoDB Local reports) is added to that kind.
    fn consumed<'a>(
        &self,
        reports: impl IntoIterator<Item = &'a ConsumedCapacity>,
        kind: impl Fn(&CapacityMeter) -> &AtomicU64,
    ) {
        let Some(meter) = &self.meter else { return };
        let units: f64 = reports.into_iter().filter_map(|c| c.capacity_units).sum();
        kind(meter).fetch_add(milli(units), Ordering::Relaxed);
        meter.calls.fetch_add(1, Ordering::Relaxed);
    }
}
