//! The `cancellation` Lambda function: 解約 (docs/cancellation.md, docs/cloud.md).

use madoguchi_core::lambda::{Error, Function, run_http};

#[tokio::main]
async fn main() -> Result<(), Error> {
    run_http(Function::Cancellation).await
}
