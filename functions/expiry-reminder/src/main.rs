//! The `expiry-reminder` Lambda function: 有効期限のお知らせ, daily (docs/reminders.md, docs/cloud.md).

use madoguchi_core::lambda::{Error, run_expiry_reminder};

#[tokio::main]
async fn main() -> Result<(), Error> {
    run_expiry_reminder().await
}
