//! The store conformance suite on DynamoDB Local (the same suite redb passes in core's unit
//! tests). `scripts/test` starts DynamoDB Local and runs these.

use madoguchi_core::store::conformance;

use crate::support::fresh_dynamodb_table;

#[tokio::test]
#[ignore = "needs DynamoDB Local: scripts/test starts it"]
async fn dynamodb_passes_the_store_conformance_suite() {
    let store = fresh_dynamodb_table().await;
    conformance::run_all(&store).await;
}

#[tokio::test]
#[ignore = "needs DynamoDB Local: scripts/test starts it"]
async fn dynamodb_creates_its_table_once_however_often_asked() {
    let store = fresh_dynamodb_table().await;
    store.ensure_table().await.unwrap();
    store.ensure_table().await.unwrap();
}
