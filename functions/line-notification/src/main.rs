//! The `line-notification` Lambda function: 回線情報通知の通知可否設定 and its terms (SPEC §4, §12).

use madoguchi_core::lambda::{Error, Function, run_http};

#[tokio::main]
async fn main() -> Result<(), Error> {
    run_http(Function::LineNotification).await
}
