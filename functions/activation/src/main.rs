//! The `activation` Lambda function: A serial's device activation, release and history (docs/usage.md, docs/cloud.md).

use madoguchi_core::lambda::{Error, Function, run_http};

#[tokio::main]
async fn main() -> Result<(), Error> {
    run_http(Function::Activation).await
}
