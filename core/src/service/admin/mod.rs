//! Operators' work (docs/operators.md): members (create, inspect, reissue the access key), purchase
//! codes, service providers, the outbox and the status view, one module per operation.

mod codes;
mod customers;
mod outbox;
mod providers;
mod status;

pub use codes::{IssuedCodes, issue_codes};
pub(crate) use customers::issue;
pub use customers::{
    CreatedCustomer, CustomerState, IssuedSerial, Membership, NewCustomer, NewLicense,
    OperatorSerialView, ReissuedAccessKey, create_customer, customer_state, reissue_access_key,
};
pub use outbox::{Outbox, OutboxFilter, OutboxMail, outbox, settle_failed_mail};
pub use providers::{put_catalogue_entry, register_provider, seed_providers};
pub use status::{
    BuildStatus, LastReminderRun, OldestOrder, OpenOrders, OutboxStatus, StatusView, StoreStatus,
    measure, status,
};
