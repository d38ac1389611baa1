//! madoguchi-core: the self-service counter's rules, its storage port and adapters, the
//! mail senders, and the HTTP routers that every deployment (one Lambda function per
//! operation, or local-dev) mounts.
//!
//! The layers, top to bottom. A module uses its own layer and those below it, never one
//! above (`scripts/check-layers` holds it so; ARCHITECTURE.md says why in this order):
//! `http` parses a request into `domain` values, a `service` operation applies the rules,
//! and the `store` commits the result in one atomic write.

#[cfg(feature = "lambda")]
pub mod lambda;

pub mod http;

pub mod service;

pub mod mail;

pub mod store;

pub mod domain;

pub mod config;
pub mod settings;
pub mod support;

pub mod clock;
pub mod secret;
pub mod telemetry;
pub mod trace;

pub use clock::{Clock, ManualClock, SystemClock};
pub use service::Context;
pub use settings::Settings;
