//! The `login` Lambda function: ログイン / ログアウト (SPEC §2, §12).

use madoguchi_core::lambda::{Error, Function, run_http};

#[tokio::main]
async fn main() -> Result<(), Error> {
    run_http(Function::Login).await
}
