//! `Idempotency-Key` (SPEC §1): a POST sent again with the same key and the same body gets
//! the first answer again (same status, same body) and has no second effect; the same key
//! with a different body is 422 `idempotency_key_reused`. Keys are scoped to the caller
//! (the member, the operator, or for anonymous calls the client address) and kept 24 hours.
//!
//! The first request claims the key before it runs, so a retry arriving while it still
//! runs is told so (409 `idempotency_key_in_use`) instead of running twice.

use axum::body::{Body, Bytes, to_bytes};
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use jiff::SignedDuration;
use sha2::{Digest, Sha256};

use super::auth::{ClientIp, bearer};
use super::problem::Problem;
use super::{AppState, BODY_LIMIT};
use crate::domain::FieldError;
use crate::secret::secrets_equal;
use crate::service::{Error, retry_on_conflict, session};
use crate::store::{Expect, IdempotencyRecord, StoredResponse, Write};

pub const HEADER: &str = "idempotency-key";
const KEPT_FOR: SignedDuration = SignedDuration::from_hours(24);

/// Who the key belongs to; `None` when the caller cannot be told (a dead token: the
/// request goes on and is refused as unauthorised).
async fn caller(state: &AppState, parts: &mut Parts) -> Option<String> {
    match bearer(parts) {
        Some(token) if secrets_equal(token, &state.admin_token) => Some("operator".to_owned()),
        Some(token) => session::authenticate(&state.ctx, token)
            .await
            .ok()
            .map(|s| format!("customer:{}", s.customer_id)),
        None => {
            let ClientIp(ip) = ClientIp::from_request_parts(parts, &()).await.ok()?;
            Some(format!("client:{ip}"))
        }
    }
}

fn valid_key(key: &str) -> bool {
    (1..=255).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_graphic())
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

enum Claim {
    /// This request runs; its answer is recorded under the record's version.
    Mine {
        version: u64,
    },
    Replay(StoredResponse),
}

async fn claim(state: &AppState, key: &str, digest: &str) -> Result<Claim, Problem> {
    let ctx = &state.ctx;
    let claimed = retry_on_conflict(|| async {
        let now = ctx.clock.now();
        let stored = ctx.store.idempotency(key).await?;
        if let Some(record) = stored.as_ref().filter(|r| now < r.created_at + KEPT_FOR) {
            if record.request_digest != digest {
                return Ok(Err(Problem::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "idempotency_key_reused",
                )));
            }
            return Ok(match &record.response {
                Some(response) => Ok(Claim::Replay(response.clone())),
                None => Err(Problem {
                    retry_after_seconds: Some(1),
                    ..Problem::new(StatusCode::CONFLICT, "idempotency_key_in_use")
                }),
            });
        }
        // Unknown, or older than 24 hours: this request takes the key.
        let expect = stored.map_or(Expect::Absent, |r| Expect::Version(r.version));
        let record = IdempotencyRecord {
            key: key.to_owned(),
            request_digest: digest.to_owned(),
            created_at: now,
            response: None,
            version: 0,
        };
        ctx.store
            .commit(vec![Write::PutIdempotency { record, expect }])
            .await?;
        Ok::<_, Error>(Ok(Claim::Mine {
            version: expect.next_version(),
        }))
    })
    .await;
    claimed.map_err(Problem::from)?
}

/// Records the answer for later replays; answers worth retrying (5xx, 429) release the
/// key instead, so that a retry runs for real.
async fn remember(
    state: &AppState,
    key: &str,
    digest: &str,
    version: u64,
    response: Response,
) -> Response {
    let status = response.status();
    let ctx = &state.ctx;
    if status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS {
        let release = vec![Write::DeleteIdempotency {
            key: key.to_owned(),
        }];
        if let Err(error) = ctx.store.commit(release).await {
            tracing::warn!(%error, "could not release an idempotency key");
        }
        return response;
    }
    let (parts, body) = response.into_parts();
    let Ok(bytes) = to_bytes(body, usize::MAX).await else {
        return Problem::new(StatusCode::INTERNAL_SERVER_ERROR, "internal_error").into_response();
    };
    let text = |name: header::HeaderName| {
        parts
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let record = IdempotencyRecord {
        key: key.to_owned(),
        request_digest: digest.to_owned(),
        created_at: ctx.clock.now(),
        response: Some(StoredResponse {
            status: status.as_u16(),
            content_type: text(header::CONTENT_TYPE),
            content_language: text(header::CONTENT_LANGUAGE),
            body: String::from_utf8_lossy(&bytes).into_owned(),
        }),
        version: 0,
    };
    let write = Write::PutIdempotency {
        record,
        expect: Expect::Version(version),
    };
    if let Err(error) = ctx.store.commit(vec![write]).await {
        tracing::warn!(%error, "could not record an answer for its idempotency key");
    }
    Response::from_parts(parts, Body::from(bytes))
}

fn replay(stored: StoredResponse) -> Response {
    let status = StatusCode::from_u16(stored.status).unwrap_or(StatusCode::OK);
    let mut response = (status, stored.body).into_response();
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
    response
}

/// Middleware for every route: only POSTs that carry the header are affected.
pub async fn guard(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if request.method() != Method::POST || !request.headers().contains_key(HEADER) {
        return next.run(request).await;
    }
    let (mut parts, body) = request.into_parts();
    let key = parts
        .headers
        .get(HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !valid_key(key) {
        return Problem::validation(vec![FieldError {
            field: "Idempotency-Key".to_owned(),
            code: "invalid_idempotency_key",
        }])
        .into_response();
    }
    let key = key.to_owned();
    let Some(scope) = caller(&state, &mut parts).await else {
        return next.run(Request::from_parts(parts, body)).await;
    };
    let bytes: Bytes = match to_bytes(body, BODY_LIMIT).await {
        Ok(bytes) => bytes,
        Err(_) => {
            return Problem::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large")
                .into_response();
        }
    };
    let digest = request_digest(&parts, &bytes);
    let record_key = format!("{scope}:{key}");
    match claim(&state, &record_key, &digest).await {
        Err(problem) => problem.into_response(),
        Ok(Claim::Replay(stored)) => replay(stored),
        Ok(Claim::Mine { version }) => {
            let response = next
                .run(Request::from_parts(parts, Body::from(bytes)))
                .await;
            remember(&state, &record_key, &digest, version, response).await
        }
    }
}
