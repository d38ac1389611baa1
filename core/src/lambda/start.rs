//! A function's cold start (docs/cloud.md#start-up): logs, configuration and the store, once; and
//! when that fails, the reason reported to the Lambda runtime as the init error.

use std::future::Future;
use std::sync::Arc;

use lambda_runtime::Diagnostic;
use lambda_runtime_api_client::body::Body;
use lambda_runtime_api_client::{PooledClient, build_request};

use super::Error;
use crate::config::{self, Config};
use crate::store::Sessions;
use crate::store::dynamodb::DynamoStore;
use crate::{Context, Settings, SystemClock};

/// JSON lines when the function's log format is JSON (`AWS_LAMBDA_LOG_FORMAT`), plain text
/// otherwise; the level from `AWS_LAMBDA_LOG_LEVEL` or `RUST_LOG`.
pub(super) fn init_logs() {
    lambda_runtime::tracing::init_default_subscriber();
}

/// Runs a function's start; a failure is logged, reported to the runtime API as the init
/// error (docs/cloud.md) and returned, so that `main` exits with it.
pub(super) async fn init<T>(start: impl Future<Output = Result<T, Error>>) -> Result<T, Error> {
    let error = match start.await {
        Ok(ready) => return Ok(ready),
        Err(error) => error,
    };
    tracing::error!(%error, "the function cannot start");
    // Outside Lambda (a binary run by hand) there is no runtime API to tell.
    if let Ok(runtime_api) = std::env::var("AWS_LAMBDA_RUNTIME_API")
        && let Err(report) = report_init_error(&runtime_api, error.as_ref()).await
    {
        tracing::warn!(error = %report, "the init error could not be reported");
    }
    Err(error)
}

/// `POST /2018-06-01/runtime/init/error` to the runtime API at `runtime_api` (host:port).
pub async fn report_init_error(
    runtime_api: &str,
    error: &(dyn std::error::Error + Send + Sync),
) -> Result<(), Error> {
    let client = PooledClient::builder()
        .with_endpoint(runtime_api.try_into()?)
        .build();
    let diagnostic = Diagnostic {
        error_type: "Runtime.InitError".to_owned(),
        error_message: error.to_string(),
    };
    let request = build_request()
        .method("POST")
        .uri("/2018-06-01/runtime/init/error")
        .header("lambda-runtime-function-error-type", "Runtime.InitError")
        .body(Body::from(serde_json::to_vec(&diagnostic)?))?;
    let response = client.call(request).await?;
    if !response.status().is_success() {
        return Err(format!("the runtime API answered {}", response.status()).into());
    }
    Ok(())
}

/// Everything an operation needs, over the table the template created. One cheap read
/// warms the client up (credentials, the TLS handshake), so the first member's request
/// does not pay for it; a table that cannot be read stops the start here, named.
pub(super) async fn context(
    config: &Config,
    sdk: &aws_config::SdkConfig,
) -> Result<Context, Error> {
    let store = DynamoStore::with_sdk(sdk, config.table.as_str());
    // A read through the store of a key that never exists: session keys are SHA-256 hex.
    store.session("warm-up").await.map_err(|error| {
        format!(
            "{} `{}` cannot be read: {error}",
            config::TABLE,
            config.table
        )
    })?;
    let settings = Settings {
        reminder_thresholds: config.reminder_days.0.clone(),
        payment_url: config.payment_url.0.clone(),
        support: config.support.clone(),
        portal_url: config.portal_url.clone(),
        ..Settings::default()
    };
    Ok(Context::new(
        Arc::new(store),
        Arc::new(SystemClock),
        settings,
    ))
}
