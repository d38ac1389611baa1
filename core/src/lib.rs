//! madoguchi-core: the self-service counter's rules, its storage ports and adapters, and the
//! HTTP routers that every deployment (one Lambda per operation, or local-dev) mounts.
//!
//! Data flows one way: `http` parses a request into `domain` types, a `service` function
//! applies the SPEC's rules, and the `store` commits the result in one atomic write.

pub mod clock;
pub mod config;
pub mod domain;
pub mod http;
#[cfg(feature = "lambda")]
pub mod lambda;
pub mod mail;
pub mod secret;
pub mod service;
pub mod settings;
pub mod store;

pub use clock::{Clock, ManualClock, SystemClock};
pub use service::Context;
pub use settings::Settings;
