//! Every request gets an id (docs/operations.md#request-ids): the one API Gateway gave
//! (the Lambda adapter puts it in the request's extensions), or a fresh one. It is in
//! every log line of the request (the trace span names it), in what the request creates
//! (through [`crate::trace`]) and in the answer's `x-request-id`. An id a client sends is
//! not taken: a client could otherwise choose what the logs say.

use axum::extract::Request;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;

use crate::trace::{self, RequestId};

pub const HEADER: &str = "x-request-id";

/// Middleware, outside the trace span's layer, so that the span can name the id.
pub async fn assign(mut request: Request, next: Next) -> Response {
    let id = request
        .extensions()
        .get::<RequestId>()
        .cloned()
        .unwrap_or_else(RequestId::generate);
    request.extensions_mut().insert(id.clone());
    let mut response = trace::scope(id.clone(), next.run(request)).await;
    if let Ok(value) = HeaderValue::from_str(id.as_str()) {
        response.headers_mut().insert(HEADER, value);
    }
    response
}

/// The request's id, for the trace span.
pub fn of(request: &Request) -> &str {
    request
        .extensions()
        .get::<RequestId>()
        .map_or("", RequestId::as_str)
}
