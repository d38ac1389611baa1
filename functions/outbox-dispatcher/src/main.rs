//! The `outbox-dispatcher` Lambda function: delivers the outbox from the table's stream and
//! a scheduled sweep (docs/mail.md, docs/cloud.md).

use madoguchi_core::lambda::{Error, run_outbox_dispatcher};

#[tokio::main]
async fn main() -> Result<(), Error> {
    run_outbox_dispatcher().await
}
