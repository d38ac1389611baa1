//! The guard as a tower layer on every route (docs/performance.md: a `from_fn` middleware
//! boxed a future and cloned the routes below it for every request, guarded or not).

use std::convert::Infallible;
use std::task::Poll;

use axum::extract::Request;
use axum::http::Method;
use axum::response::Response;
use futures::future::{BoxFuture, Either};
use tower::util::BoxService;
use tower::{Layer, Service, ServiceExt};

use super::{HEADER, guard};
use crate::http::AppState;

/// The guard as a layer on every route: only a POST that carries the header pays for it;
/// anything else goes straight through, with nothing boxed or cloned.
#[derive(Clone)]
pub struct Guard(pub AppState);

impl<S> Layer<S> for Guard {
    type Service = Guarded<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Guarded {
            state: self.0.clone(),
            inner,
        }
    }
}

#[derive(Clone)]
pub struct Guarded<S> {
    state: AppState,
    inner: S,
}

impl<S> Service<Request> for Guarded<S>
where
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Either<S::Future, BoxFuture<'static, Result<Response, Infallible>>>;

    fn poll_ready(&mut self, cx: &mut std::task::Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        if request.method() != Method::POST || !request.headers().contains_key(HEADER) {
            return Either::Left(self.inner.call(request));
        }
        // The service made ready goes with the request; its clone waits for the next one.
        let fresh = self.inner.clone();
        let ready = std::mem::replace(&mut self.inner, fresh);
        let state = self.state.clone();
        Either::Right(Box::pin(async move {
            Ok(guard(state, request, BoxService::new(ready)).await)
        }))
    }
}

/// The routes below the guard, boxed for the POSTs it guards.
pub(super) type Below = BoxService<Request, Response, Infallible>;

pub(super) async fn run(next: Below, request: Request) -> Response {
    let Ok(response) = next.oneshot(request).await;
    response
}
