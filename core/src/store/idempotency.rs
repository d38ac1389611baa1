//! The records of `Idempotency-Key` (docs/api.md#idempotency-key): the first answer to a
//! request, or the mark that it is still being worked on, and giving back a claim that got
//! no answer.

use async_trait::async_trait;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::store::StoreError;

/// The first answer to a request sent with an `Idempotency-Key` (docs/api.md), or the mark
/// that it is still being worked on.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IdempotencyRecord {
    /// Caller scope and key: `customer:CAF1234567:<key>`.
    pub key: String,
    /// SHA-256 of the method, path and body of the first request.
    pub request_digest: String,
    pub created_at: Timestamp,
    /// `None` while the first request is still running.
    pub response: Option<StoredResponse>,
    pub version: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredResponse {
    pub status: u16,
    pub content_type: Option<String>,
    pub content_language: Option<String>,
    pub body: String,
}

#[async_trait]
pub trait Idempotency: Send + Sync {
    async fn idempotency(&self, key: &str) -> Result<Option<IdempotencyRecord>, StoreError>;

    /// Gives back an idempotency claim that got no answer: removes the record only while it
    /// is still this claim (same version) and unanswered. One conditional write of its own,
    /// never part of a commit: anything else stored means nothing to do, so a kept answer is
    /// never erased.
    async fn release_claim(&self, key: &str, version: u64) -> Result<(), StoreError>;
}
