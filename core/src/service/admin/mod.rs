//! Operators' work (docs/operators.md): members (create, inspect, reissue the access key), purchase
//! codes, service providers and the outbox, one module per operation.

mod codes;
mod customers;
mod outbox;
mod providers;

pub use codes::{IssuedCodes, issue_codes};
pub(crate) use customers::issue;
pub use customers::{
    CreatedCustomer, CustomerState, IssuedSerial, Membership, NewCustomer, NewLicense,
    OperatorSerialView, ReissuedAccessKey, create_customer, customer_state, reissue_access_key,
};
pub use outbox::{Outbox, OutboxFilter, OutboxMail, outbox};
pub use providers::{put_catalogue_entry, register_provider, seed_providers};
