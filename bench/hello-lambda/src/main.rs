//! A `lambda_http` function that answers "hello": the floor the functions' start is measured
//! against (docs/performance.md#targets). Like them, it sets up logs before it serves.

use lambda_http::{Body, Error, Request, Response, run, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_http::tracing::init_default_subscriber();
    run(service_fn(|_: Request| async {
        Ok::<_, Error>(Response::new(Body::from("hello")))
    }))
    .await
}
