//! The `admin` Lambda function: The operators' API, for IAM callers (docs/operators.md, docs/cloud.md).

use madoguchi_core::lambda::{Error, Function, run_http};

#[tokio::main]
async fn main() -> Result<(), Error> {
    run_http(Function::Admin).await
}
