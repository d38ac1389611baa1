//! The `reader` Lambda function: ICカードリーダーの追加申込み (docs/readers.md, docs/cloud.md).

use madoguchi_core::lambda::{Error, Function, run_http};

#[tokio::main]
async fn main() -> Result<(), Error> {
    run_http(Function::Reader).await
}
