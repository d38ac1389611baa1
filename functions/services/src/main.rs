//! The `services` Lambda function: a member's orders, their progress and withdrawal
//! (docs/orders.md, docs/cloud.md).

use madoguchi_core::lambda::{Error, Function, run_http};

#[tokio::main]
async fn main() -> Result<(), Error> {
    run_http(Function::Services).await
}
