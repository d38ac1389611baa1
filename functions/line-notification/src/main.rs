//! The `line-notification` Lambda function: 回線情報通知の通知可否設定 and its terms (docs/line-notification.md, docs/cloud.md).

use madoguchi_core::lambda::{Error, Function, run_http};

#[tokio::main]
async fn main() -> Result<(), Error> {
    run_http(Function::LineNotification).await
}
