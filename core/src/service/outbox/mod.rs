//! The outbox's delivery (docs/mail.md): each mail due is re-read, claimed, handed to a
//! sender and marked sent; the table's stream and the scheduled sweep both start it. Orders
//! are handed to the back office the same way (`handover`, docs/orders.md).

mod dispatcher;
mod handover;
#[cfg(feature = "dynamodb")]
pub mod stream;

pub use dispatcher::{CLAIM_LEASE, Delivery, Sweep, deliver, dispatch_pending, sweep};
pub use handover::{BackOffice, HandOver, HandOvers, hand_over, hand_over_due};
