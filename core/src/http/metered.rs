//! Every answer counted and timed (docs/operations.md#metrics): by its route's template, its
//! status and its problem `code`. The template, not the path, so that an order number or a
//! serial in a path never becomes a label.

use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;

use super::problem::{Problem, ProblemCode};

/// The code of a refusal replayed from its Idempotency-Key's record, which carries no
/// `Problem` (the idempotency guard sets it).
#[derive(Debug, Clone, Copy)]
pub(super) struct ReplayedCode(pub ProblemCode);

/// Middleware, outside the problem renderers, so that it sees the final answer.
pub async fn count(request: Request, next: Next) -> Response {
    // The template's own `Arc<str>`, kept beside the request: no copy of it per answer.
    let route = request.extensions().get::<MatchedPath>().cloned();
    let started = Instant::now();
    let response = next.run(request).await;
    let extensions = response.extensions();
    let code = match (
        extensions.get::<Problem>(),
        extensions.get::<ReplayedCode>(),
    ) {
        (Some(problem), _) => problem.code.as_str(),
        (None, Some(ReplayedCode(code))) => code.as_str(),
        (None, None) => "none",
    };
    crate::telemetry::answer(
        route.as_ref().map_or("unmatched", MatchedPath::as_str),
        response.status().as_u16(),
        code,
        started.elapsed().as_secs_f64(),
    );
    response
}
