//! What each call consumed, for measuring an operation's cost (the bench's `capacity`).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use aws_sdk_dynamodb::types::{ConsumedCapacity, ReturnConsumedCapacity};

use super::DynamoStore;

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

    /// Counts one call and what it reports consumed.
    pub(super) fn consumed<'a>(&self, reports: impl IntoIterator<Item = &'a ConsumedCapacity>) {
        if let Some(meter) = &self.meter {
            meter.add(reports.into_iter().filter_map(|c| c.capacity_units).sum());
        }
    }
}
