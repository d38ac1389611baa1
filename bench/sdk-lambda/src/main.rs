//! The shape of a typical Rust Lambda function over DynamoDB (docs/performance.md#targets):
//! `lambda_http`, the SDK's configuration from the environment, one client, and per event
//! one `GetItem` whose item is answered as JSON. No warm-up read at init, as such a function
//! has none. The Lambda bench measures madoguchi's functions against it: spawn to first
//! answer, init, warm latency and memory.
//!
//! The item is named by `FLOOR_TABLE`, `FLOOR_PK` and `FLOOR_SK`.

use aws_sdk_dynamodb::types::AttributeValue;
use lambda_http::{Body, Error, Request, Response, run, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_http::tracing::init_default_subscriber();
    let config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let client = aws_sdk_dynamodb::Client::new(&config);
    let table = std::env::var("FLOOR_TABLE")?;
    let pk = std::env::var("FLOOR_PK")?;
    let sk = std::env::var("FLOOR_SK")?;
    let (client, table, pk, sk) = (&client, table.as_str(), pk.as_str(), sk.as_str());
    run(service_fn(move |_: Request| async move {
        let read = client
            .get_item()
            .table_name(table)
            .key("pk", AttributeValue::S(pk.to_owned()))
            .key("sk", AttributeValue::S(sk.to_owned()))
            .send()
            .await?;
        let item: serde_json::Value = match read.item {
            Some(item) => serde_dynamo::from_item(item)?,
            None => serde_json::Value::Null,
        };
        let answer = Response::builder()
            .header("content-type", "application/json")
            .body(Body::from(item.to_string()))?;
        Ok::<_, Error>(answer)
    }))
    .await
}
