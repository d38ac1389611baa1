//! The `renewal` Lambda function: 更新ユーザー登録 (docs/renewal.md, docs/cloud.md).

use madoguchi_core::lambda::{Error, Function, run_http};

#[tokio::main]
async fn main() -> Result<(), Error> {
    run_http(Function::Renewal).await
}
