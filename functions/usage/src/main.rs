//! The `usage` Lambda function: ご利用状況の確認 and the receipts ledger (docs/usage.md, docs/api.md, docs/cloud.md).

use madoguchi_core::lambda::{Error, Function, run_http};

#[tokio::main]
async fn main() -> Result<(), Error> {
    run_http(Function::Usage).await
}
