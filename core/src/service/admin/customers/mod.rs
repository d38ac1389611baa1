//! Members, as operators see them: created with their licences, inspected whole, and given
//! a new access key.

mod access_key;
mod create;
mod state;

pub use access_key::{ReissuedAccessKey, reissue_access_key};
pub(crate) use create::issue;
pub use create::{CreatedCustomer, IssuedSerial, NewCustomer, NewLicense, create_customer};
pub use state::{CustomerState, Membership, OperatorSerialView, customer_state};
