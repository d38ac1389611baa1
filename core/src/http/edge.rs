//! The layer every request enters first and every answer leaves by (docs/operations.md):
//!
//! - the request's id: API Gateway's (the Lambda adapter puts it in the request's
//!   extensions) or a fresh one, known to what the request creates ([`crate::trace`]) and
//!   returned as `x-request-id`. An id a client sends is not taken: a client could
//!   otherwise choose what the logs say;
//! - the trace span every log line of the request is written in, naming the id, the method
//!   and the path only: query strings and headers may carry addresses and tokens, which
//!   never reach the logs;
//! - the language of `Accept-Language`, read once: a problem is rendered in it where it
//!   is made ([`super::problem`]), so that the idempotency guard stores the answer the
//!   client was given, and no layer renders an answer twice;
//! - `Cache-Control: no-store` on every answer that does not say otherwise: answers are a
//!   member's own (docs/api.md);
//! - the answer counted and timed by its route's template, status and problem `code`
//!   (docs/operations.md#metrics): the template, not the path, so that an order number or
//!   a serial in a path never becomes a label.
//!
//! One plain tower layer rather than a middleware per concern: each `from_fn` middleware
//! boxes its future and clones the stack below it for every request, which cost the
//! bare route a third of its rate (docs/performance.md).

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use tower::{Layer, Service};
use tracing::Instrument;

use super::problem::{Lang, Problem, ProblemCode};
use crate::trace::{self, RequestId};

pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// The code of a refusal replayed from its Idempotency-Key's record, which carries no
/// `Problem` (the idempotency guard sets it), for the answer's count.
#[derive(Debug, Clone, Copy)]
pub(super) struct ReplayedCode(pub ProblemCode);

#[derive(Debug, Clone, Copy, Default)]
pub struct Edge;

impl<S> Layer<S> for Edge {
    type Service = EdgeService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        EdgeService { inner }
    }
}

#[derive(Debug, Clone)]
pub struct EdgeService<S> {
    inner: S,
}

impl<S> Service<Request> for EdgeService<S>
where
    S: Service<Request, Response = Response, Error = Infallible>,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request) -> Self::Future {
        let started = Instant::now();
        let id = request
            .extensions()
            .get::<RequestId>()
            .cloned()
            .unwrap_or_else(RequestId::generate);
        request.extensions_mut().insert(id.clone());
        let lang = Lang::from_headers(request.headers());
        // The template's own `Arc<str>`: no copy of it per answer.
        let route = request.extensions().get::<MatchedPath>().cloned();
        let span = tracing::info_span!(
            "request",
            request_id = %id,
            method = %request.method(),
            path = %request.uri().path(),
        );
        let answer = self.inner.call(request);
        Box::pin(
            async move {
                let Ok(mut response) = trace::scope(id.clone(), lang.scope(answer)).await;
                counted(&response, route.as_ref(), started);
                let headers = response.headers_mut();
                if !headers.contains_key(header::CACHE_CONTROL) {
                    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
                }
                headers.insert(REQUEST_ID_HEADER, id.header_value());
                Ok(response)
            }
            .instrument(span),
        )
    }
}

fn counted(response: &Response, route: Option<&MatchedPath>, started: Instant) {
    let extensions = response.extensions();
    let code = match (
        extensions.get::<Problem>(),
        extensions.get::<ReplayedCode>(),
    ) {
        (Some(problem), _) => problem.code.as_str(),
        (None, Some(ReplayedCode(code))) => code.as_str(),
        (None, None) => "none",
    };
    let status = response.status();
    let seconds = started.elapsed().as_secs_f64();
    crate::telemetry::answer(
        route.map_or("unmatched", MatchedPath::as_str),
        status.as_u16(),
        code,
        seconds,
    );
    // What the server could not do is logged where it failed (a panic, a store failure, a
    // conflict that did not settle); this line ties the answer to it. `busy` is the store
    // pushing back, which a retry a second later rarely meets again: a warning. Any other
    // server error is an error, as operators' log queries look for (docs/runbook.md).
    if status == StatusCode::SERVICE_UNAVAILABLE {
        tracing::warn!(status = status.as_u16(), code, seconds, "answered busy");
    } else if status.is_server_error() {
        tracing::error!(
            status = status.as_u16(),
            code,
            seconds,
            "answered with a server error"
        );
    }
}
