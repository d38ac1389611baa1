//! A logged-in session (docs/login.md). Only the token's digest is stored.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::customer::CustomerId;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Session {
    /// SHA-256 of the token, hex: the key the session is stored under.
    pub token_digest: String,
    pub customer_id: CustomerId,
    pub created_at: Timestamp,
    /// Refreshed at most once per `Settings::session_touch_interval`.
    pub last_seen_at: Timestamp,
}
