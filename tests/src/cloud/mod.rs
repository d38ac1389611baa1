//! The cloud as AWS enforces it, around DynamoDB Local (which enforces no IAM, has no
//! capacity to exceed and never fails): a proxy per function that holds each call against
//! that function's policy in `infra/template.yaml` and injects DynamoDB's faults, with
//! stand-ins for Secrets Manager and SES held to the same check.

pub mod calls;
pub mod faults;
pub mod policy;
mod proxy;

pub use faults::{Fault, FaultCounts, FaultPlan};
pub use policy::{Need, Policy, Stack, Template};
pub use proxy::{Cloud, Denial, SentEmail};
