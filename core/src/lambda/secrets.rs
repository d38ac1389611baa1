//! The secrets an HTTP function needs, read once at its start (docs/cloud.md). In the cloud a
//! function's configuration names each secret by its ARN, never holds its value, and IAM
//! lets only the functions that use a secret read it; locally (`scripts/emulator`) the
//! value may be given as a variable instead. The reads run at the same time as the
//! DynamoDB warm-up, so that they add no wall time to a cold start.

use aws_config::SdkConfig;

use super::Error;
use crate::config::{
    self, Config, ConfigError, EDGE_SECRET_ARN, EdgeSecret, SEALING_KEY, SEALING_KEY_SECRET_ARN,
    SecretArn,
};
use crate::secret::SealingKey;

/// The sealing key: given, or read from its secret. Every HTTP function requires it.
pub(super) async fn sealing_key(config: &Config, sdk: &SdkConfig) -> Result<SealingKey, Error> {
    if let Some(key) = &config.sealing_key {
        return Ok(key.clone());
    }
    let Some(arn) = &config.sealing_key_secret else {
        return Err(ConfigError::Missing(SEALING_KEY).into());
    };
    let value = read(sdk, arn, SEALING_KEY_SECRET_ARN).await?;
    Ok(config::sealing_key(Some(value))?.ok_or(ConfigError::Missing(SEALING_KEY))?)
}

/// The portal's edge secret: given, read from its secret, or none (the API reached
/// directly, as operators reach `admin`).
pub(super) async fn edge_secret(
    config: &Config,
    sdk: &SdkConfig,
) -> Result<Option<EdgeSecret>, Error> {
    if let Some(edge) = &config.edge_secret {
        return Ok(Some(edge.clone()));
    }
    let Some(arn) = &config.edge_secret_secret else {
        return Ok(None);
    };
    let value = read(sdk, arn, EDGE_SECRET_ARN).await?;
    let edge = value.parse().map_err(|reason| ConfigError::Malformed {
        name: EDGE_SECRET_ARN,
        reason: format!("the secret's value: {reason}"),
    })?;
    Ok(Some(edge))
}

/// A secret's current string value. A failure names the variable that named the secret,
/// never the value.
async fn read(sdk: &SdkConfig, arn: &SecretArn, variable: &'static str) -> Result<String, Error> {
    let client = aws_sdk_secretsmanager::Client::new(sdk);
    let output = client
        .get_secret_value()
        .secret_id(arn.as_str())
        .send()
        .await
        .map_err(|error| {
            use aws_sdk_secretsmanager::error::ProvideErrorMetadata as _;
            let reason = match error.as_service_error() {
                Some(service) => format!(
                    "{}: {}",
                    service.code().unwrap_or("unknown"),
                    service.message().unwrap_or("")
                ),
                None => format!("{error}"),
            };
            format!("{variable}: the secret cannot be read: {reason}")
        })?;
    output
        .secret_string
        .ok_or_else(|| format!("{variable}: the secret holds no string").into())
}
