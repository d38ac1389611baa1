//! The `login` Lambda function: ログイン / ログアウト (docs/login.md, docs/cloud.md).

use madoguchi_core::lambda::{Error, Function, run_http};

#[tokio::main]
async fn main() -> Result<(), Error> {
    run_http(Function::Login).await
}
