//! `Idempotency-Key` (docs/api.md): a POST sent again with the same key and the same body gets
//! the first answer again (same status, same body) and has no second effect; the same key
//! with a different body is 422 `idempotency_key_reused`. Keys are scoped to the caller
//! (the member, the operator, or for a call without login such as a renewal, the client
//! address and the route) and kept 24 hours.
//!
//! The first request claims the key before it runs, so a retry arriving while it still
//! runs is told so (409 `idempotency_key_in_use`) instead of running twice. A claim whose
//! request died without an answer (process killed, client gone) lapses after a minute.
//!
//! First answers can hold secrets (a new member's access key), so they are stored
//! encrypted with a key derived from the server's sealing key, the caller and the
//! Idempotency-Key, and filed under a keyed digest of both: the store alone (or anyone who
//! knows a caller and a key) can neither read an answer nor tell whose it is.
//!
//! A cancellation ends the session it was sent with, yet its retry must still get its
//! receipt (docs/api.md): its answer is also filed under the ended token, which is where a
//! request with a dead token finds it.

mod layer;

use axum::body::{Body, to_bytes};
use axum::extract::Request;
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use sha2::{Digest, Sha256};

pub use layer::Guard;
use layer::{Below, run};

use super::auth::{ClientIp, IamCaller, bearer, holds_admin_token};
use super::problem::{Problem, ProblemCode};
use super::{AppState, BODY_LIMIT};
use crate::Context;
use crate::domain::{FieldCode, FieldError};
use crate::secret::{SealingKey, token_digest};
use crate::service::{Error, retry_on_conflict, session};
use crate::store::{Expect, IdempotencyRecord, StoreError, StoredResponse, Write, expiry};

pub const HEADER: &str = "idempotency-key";

/// Whose a key is.
enum Caller {
    /// A live caller; for a member, also the scope of their token once its session ends.
    Known {
        scope: String,
        ended_session: Option<String>,
    },
    /// A token whose session has ended: only an answer filed for it can be replayed (a
    /// cancellation's); anything else is the route's 401.
    Ended(String),
    /// The token could not be looked up (a store failure): the key cannot be claimed, so
    /// the request is refused with 503 rather than run without its claim.
    Unknown,
}

fn ended_session_scope(token: &str) -> String {
    format!("ended session {}", token_digest(token))
}

/// Who the key belongs to. A live session is left in the request for the route's `Member`
/// extractor, so the token is looked up once.
async fn caller(state: &AppState, parts: &mut Parts) -> Caller {
    if let Some(IamCaller(arn)) = parts.extensions.get::<IamCaller>() {
        return Caller::Known {
            scope: format!("operator {arn}"),
            ended_session: None,
        };
    }
    match bearer(parts).map(str::to_owned) {
        Some(_) if holds_admin_token(parts, state) => Caller::Known {
            scope: "operator".to_owned(),
            ended_session: None,
        },
        Some(token) => match session::authenticate(&state.ctx, &token).await {
            Ok(session) => {
                let scope = format!("customer {}", session.customer_id);
                parts.extensions.insert(session);
                Caller::Known {
                    scope,
                    ended_session: Some(ended_session_scope(&token)),
                }
            }
            Err(Error::Unauthorized) => Caller::Ended(ended_session_scope(&token)),
            Err(error) => {
                tracing::warn!(%error, "could not look up a session for an idempotency key");
                Caller::Unknown
            }
        },
        // A call without login is scoped to its route too: a key the address used for a
        // renewal must not turn a member route's 401 into a key refusal.
        None => Caller::Known {
            scope: format!("client {} {}", ClientIp::of(parts).0, parts.uri.path()),
            ended_session: None,
        },
    }
}

fn valid_key(key: &str) -> bool {
    (1..=255).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_graphic())
}

/// Where the record is filed, and the key its answer is sealed with.
struct Slot {
    record_key: String,
    cipher: ChaCha20Poly1305,
}

impl Slot {
    fn new(sealing: &SealingKey, scope: &str, key: &str) -> Self {
        let derive = |purpose: &str| sealing.derive(&[purpose, scope, key]);
        Self {
            record_key: hex::encode(derive("idempotency record")),
            cipher: ChaCha20Poly1305::new(Key::from_slice(&derive("idempotency answer"))),
        }
    }

    fn seal(&self, body: &[u8]) -> String {
        let nonce: [u8; 12] = rand::random();
        let sealed = self
            .cipher
            .encrypt(Nonce::from_slice(&nonce), body)
            .expect("sealing a small body");
        STANDARD.encode([nonce.as_slice(), &sealed].concat())
    }

    fn open(&self, stored: &str) -> Option<Vec<u8>> {
        let bytes = STANDARD.decode(stored).ok()?;
        let (nonce, sealed) = bytes.split_at_checked(12)?;
        self.cipher.decrypt(Nonce::from_slice(nonce), sealed).ok()
    }
}

fn request_digest(parts: &Parts, body: &[u8]) -> String {
    let mut hash = Sha256::new();
    hash.update(parts.method.as_str());
    hash.update(b" ");
    hash.update(parts.uri.path());
    hash.update(b"\n");
    hash.update(body);
    hex::encode(hash.finalize())
}

/// Handed to a submitting route when its request claimed a key: the service records the
/// answer in the same commit as the effect.
#[derive(Clone)]
pub struct ClaimedKey {
    slot: std::sync::Arc<Slot>,
    /// Where the answer is filed for the caller's token once its session has ended.
    ended_session: Option<std::sync::Arc<Slot>>,
    digest: String,
    version: u64,
    at: jiff::Timestamp,
}

impl ClaimedKey {
    fn answer(&self, slot: &Slot, status: u16, body: &[u8], expect: Expect) -> Write {
        Write::put_idempotency(
            IdempotencyRecord {
                key: slot.record_key.clone(),
                request_digest: self.digest.clone(),
                created_at: self.at,
                response: Some(StoredResponse {
                    status,
                    content_type: Some("application/json".to_owned()),
                    content_language: None,
                    body: slot.seal(body),
                }),
                version: 0,
            },
            expect,
        )
    }
}

impl crate::service::AnswerLog for ClaimedKey {
    fn record(&self, status: u16, body: &[u8]) -> Write {
        self.answer(&self.slot, status, body, Expect::Version(self.version))
    }

    fn record_for_ended_session(&self, status: u16, body: &[u8]) -> Option<Write> {
        let slot = self.ended_session.as_ref()?;
        Some(self.answer(slot, status, body, Expect::Absent))
    }
}

/// Marks a response whose answer the service already recorded with its effect.
#[derive(Clone, Copy)]
pub struct AnswerKept;

/// Marks a request whose Idempotency-Key is malformed. The refusal (422) is left to the
/// route's `Submission` extractor, so that it comes after the route's own authentication:
/// a request without a login is 401 whatever its key.
#[derive(Clone, Copy)]
struct MalformedKey;

/// The claimed key of a submitting request, if it came with one. Every POST route takes
/// it, which is where a malformed key is refused.
pub struct Submission(pub Option<ClaimedKey>);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Submission {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Problem> {
        if parts.extensions.get::<MalformedKey>().is_some() {
            return Err(Problem::validation(vec![FieldError {
                field: "Idempotency-Key".to_owned(),
                code: FieldCode::InvalidIdempotencyKey,
            }]));
        }
        Ok(Submission(parts.extensions.get::<ClaimedKey>().cloned()))
    }
}

impl Submission {
    pub fn log(&self) -> Option<&dyn crate::service::AnswerLog> {
        self.0.as_ref().map(|k| k as &dyn crate::service::AnswerLog)
    }

    /// 201 with the receipt; marked as already kept when the service kept it.
    pub fn created<T: serde::Serialize>(&self, answer: T) -> Response {
        self.answer(StatusCode::CREATED, answer)
    }

    /// An answer the service kept with its effect (when the request had a key).
    pub fn answer<T: serde::Serialize>(&self, status: StatusCode, answer: T) -> Response {
        let mut response = (status, axum::Json(answer)).into_response();
        if self.0.is_some() {
            response.extensions_mut().insert(AnswerKept);
        }
        response
    }
}

enum Claim {
    /// This request runs; its answer is recorded under the record's version.
    Mine {
        version: u64,
        at: jiff::Timestamp,
    },
    Replay(StoredResponse),
}

async fn claim(ctx: &Context, slot: &Slot, digest: &str) -> Result<Claim, Problem> {
    let claimed = retry_on_conflict(|| async {
        let now = ctx.clock.now();
        let stored = ctx.store.idempotency(&slot.record_key).await?;
        let live = stored
            .as_ref()
            .filter(|r| now < expiry::idempotency_ends(r, &ctx.settings));
        if let Some(record) = live {
            if record.request_digest != digest {
                return Ok(Err(Problem::new(ProblemCode::IdempotencyKeyReused)));
            }
            return Ok(match &record.response {
                Some(response) => Ok(Claim::Replay(response.clone())),
                None => Err(Problem {
                    retry_after_seconds: Some(1),
                    ..Problem::new(ProblemCode::IdempotencyKeyInUse)
                }),
            });
        }
        // Unknown, expired, or a lapsed claim: this request takes the key.
        let expect = stored.map_or(Expect::Absent, |r| Expect::Version(r.version));
        let record = IdempotencyRecord {
            key: slot.record_key.clone(),
            request_digest: digest.to_owned(),
            created_at: now,
            response: None,
            version: 0,
        };
        ctx.store
            .commit(vec![Write::put_idempotency(record, expect)])
            .await?;
        Ok::<_, Error>(Ok(Claim::Mine {
            version: expect.next_version(),
            at: now,
        }))
    })
    .await;
    claimed.map_err(Problem::from)?
}

/// Gives the key back when the request ends without a recorded answer, including when its
/// future is dropped half-way (the client went away).
struct Release {
    ctx: Context,
    record_key: Option<String>,
    version: u64,
}

impl Release {
    fn disarm(&mut self) {
        self.record_key = None;
    }

    /// Gives the key back before the answer goes out, so that a retry sent as soon as the
    /// answer arrives finds it free (not "in use", nor "reused" by a changed body).
    async fn now(mut self) {
        if let Some(key) = self.record_key.take() {
            release(&self.ctx, &key, self.version).await;
        }
    }
}

impl Drop for Release {
    fn drop(&mut self) {
        if let Some(key) = self.record_key.take() {
            let ctx = self.ctx.clone();
            let version = self.version;
            tokio::spawn(async move { release(&ctx, &key, version).await });
        }
    }
}

/// Gives a claim back, trying again a few times while the store turns the call away (the
/// answer was most likely a 503 for that very reason). Should it still fail, the key stays
/// claimed until the claim lapses: the retry is told it is in use, never run twice.
async fn release(ctx: &Context, key: &str, version: u64) {
    const TRIES: u32 = 4;
    for tries in 1..=TRIES {
        match ctx.store.release_claim(key, version).await {
            Ok(()) => return,
            Err(StoreError::Throttled(_) | StoreError::Unavailable(_)) if tries < TRIES => {
                tokio::time::sleep(crate::store::backoff::pause(tries)).await;
            }
            Err(error) => {
                tracing::warn!(%error, "could not release an idempotency key");
                return;
            }
        }
    }
}

/// Answers that say "try again" (401, 429, 5xx) are not kept: the key is released so the
/// retry runs for real. Anything else is sealed and kept for replays.
async fn remember(
    ctx: &Context,
    slot: &Slot,
    digest: &str,
    version: u64,
    mut release: Release,
    response: Response,
) -> Response {
    let status = response.status();
    if response.extensions().get::<AnswerKept>().is_some() {
        release.disarm();
        return response;
    }
    if status.is_server_error()
        || status == StatusCode::UNAUTHORIZED
        || status == StatusCode::TOO_MANY_REQUESTS
    {
        release.now().await;
        return response;
    }
    let (parts, body) = response.into_parts();
    let Ok(bytes) = to_bytes(body, usize::MAX).await else {
        return Problem::new(ProblemCode::InternalError).into_response();
    };
    let text = |name: header::HeaderName| {
        parts
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let record = IdempotencyRecord {
        key: slot.record_key.clone(),
        request_digest: digest.to_owned(),
        created_at: ctx.clock.now(),
        response: Some(StoredResponse {
            status: status.as_u16(),
            content_type: text(header::CONTENT_TYPE),
            content_language: text(header::CONTENT_LANGUAGE),
            body: slot.seal(&bytes),
        }),
        version: 0,
    };
    let write = Write::put_idempotency(record, Expect::Version(version));
    match ctx.store.commit(vec![write]).await {
        Ok(()) => release.disarm(),
        Err(error) => tracing::warn!(%error, "could not record an answer for its idempotency key"),
    }
    Response::from_parts(parts, Body::from(bytes))
}

fn replay(slot: &Slot, stored: StoredResponse) -> Response {
    let Some(body) = slot.open(&stored.body) else {
        tracing::error!("a recorded answer could not be opened");
        return Problem::new(ProblemCode::InternalError).into_response();
    };
    // A replayed refusal is counted by its code (docs/operations.md#metrics), read from
    // the recorded document: no `Problem` goes with it, which would render it anew.
    let replayed_code = stored
        .content_type
        .as_deref()
        .filter(|kind| kind.starts_with("application/problem+json"))
        .and_then(|_| serde_json::from_slice::<serde_json::Value>(&body).ok())
        .and_then(|document| {
            let code = document["code"].as_str()?.to_owned();
            ProblemCode::ALL
                .iter()
                .copied()
                .find(|c| c.as_str() == code)
        });
    let status = StatusCode::from_u16(stored.status).unwrap_or(StatusCode::OK);
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.remove(header::CONTENT_TYPE);
    for (name, value) in [
        (header::CONTENT_TYPE, stored.content_type),
        (header::CONTENT_LANGUAGE, stored.content_language),
    ] {
        if let Some(value) = value.and_then(|v| HeaderValue::from_str(&v).ok()) {
            headers.insert(name, value);
        }
    }
    headers.insert("idempotent-replayed", HeaderValue::from_static("true"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Some(code) = replayed_code {
        response
            .extensions_mut()
            .insert(super::edge::ReplayedCode(code));
    }
    response
}

/// A request whose token's session has ended: the answer filed for that token under this
/// key, for the same request, within 24 hours; otherwise the route refuses it (401).
async fn replay_for_ended_session(
    ctx: &Context,
    slot: &Slot,
    parts: Parts,
    body: Body,
    next: Below,
) -> Response {
    let Ok(bytes) = to_bytes(body, BODY_LIMIT).await else {
        return Problem::new(ProblemCode::PayloadTooLarge).into_response();
    };
    let digest = request_digest(&parts, &bytes);
    let now = ctx.clock.now();
    match ctx.store.idempotency(&slot.record_key).await {
        Ok(Some(record))
            if record.request_digest == digest
                && now < expiry::idempotency_ends(&record, &ctx.settings) =>
        {
            if let Some(stored) = record.response {
                return replay(slot, stored);
            }
        }
        Ok(_) => {}
        Err(error) => return Problem::from(Error::from(error)).into_response(),
    }
    run(next, Request::from_parts(parts, Body::from(bytes))).await
}

/// A POST that carries the header.
async fn guard(state: AppState, request: Request, next: Below) -> Response {
    let (mut parts, body) = request.into_parts();
    let key = parts
        .headers
        .get(HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    if !valid_key(&key) {
        parts.extensions.insert(MalformedKey);
        return run(next, Request::from_parts(parts, body)).await;
    }
    let sealing = &state.sealing_key;
    let (scope, ended_session) = match caller(&state, &mut parts).await {
        Caller::Known {
            scope,
            ended_session,
        } => (scope, ended_session),
        Caller::Ended(scope) => {
            let slot = Slot::new(sealing, &scope, &key);
            return replay_for_ended_session(&state.ctx, &slot, parts, body, next).await;
        }
        Caller::Unknown => {
            return Problem {
                retry_after_seconds: Some(1),
                ..Problem::new(ProblemCode::Busy)
            }
            .into_response();
        }
    };
    let slot = std::sync::Arc::new(Slot::new(sealing, &scope, &key));
    let ended_session =
        ended_session.map(|scope| std::sync::Arc::new(Slot::new(sealing, &scope, &key)));
    let Ok(bytes) = to_bytes(body, BODY_LIMIT).await else {
        return Problem::new(ProblemCode::PayloadTooLarge).into_response();
    };
    let digest = request_digest(&parts, &bytes);
    let ctx = &state.ctx;
    match claim(ctx, &slot, &digest).await {
        Err(problem) => problem.into_response(),
        Ok(Claim::Replay(stored)) => replay(&slot, stored),
        Ok(Claim::Mine { version, at }) => {
            let release = Release {
                ctx: ctx.clone(),
                record_key: Some(slot.record_key.clone()),
                version,
            };
            let mut request = Request::from_parts(parts, Body::from(bytes));
            request.extensions_mut().insert(ClaimedKey {
                slot: slot.clone(),
                ended_session,
                digest: digest.clone(),
                version,
                at,
            });
            let response = run(next, request).await;
            remember(ctx, &slot, &digest, version, release, response).await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_sealed_per_caller_and_key_with_the_servers_key() {
        let server = SealingKey::generate();
        let mine = Slot::new(&server, "customer CAF1234567", "k-1");
        let sealed = mine.seal(br#"{"access_key":"Secret-Key-123"}"#);
        assert!(!sealed.contains("Secret"));
        assert_eq!(
            mine.open(&sealed).unwrap(),
            br#"{"access_key":"Secret-Key-123"}"#
        );
        let theirs = Slot::new(&server, "customer CAF7654321", "k-1");
        assert!(theirs.open(&sealed).is_none());
        assert_ne!(mine.record_key, theirs.record_key);
        // Scope and key are length-delimited: shifting text between them is another slot.
        assert_ne!(
            Slot::new(&server, "a b", "c").record_key,
            Slot::new(&server, "a", "b c").record_key
        );
        // Knowing the caller and the key is not enough: another server key opens nothing
        // and files elsewhere.
        let elsewhere = Slot::new(&SealingKey::generate(), "customer CAF1234567", "k-1");
        assert!(elsewhere.open(&sealed).is_none());
        assert_ne!(elsewhere.record_key, mine.record_key);
    }
}
