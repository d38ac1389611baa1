//! The functions' metrics (docs/operations.md#metrics): core's `telemetry` recorded by
//! `metrics_cloudwatch_embedded` and written to stdout in CloudWatch's embedded metric
//! format (EMF) after each invocation, one JSON line per set of labels. Lambda sends stdout
//! to CloudWatch Logs, which turns those lines into metrics in the `Madoguchi` namespace,
//! each with the dimension `Function` and its own labels. No call to CloudWatch's API is
//! made, and nothing is sent while an invocation runs.
//!
//! The crate is used without its Lambda integration, which would pin a `lambda_runtime`
//! of its own: the functions flush it themselves, here.

use std::io::Write;

use metrics_cloudwatch_embedded::{Builder, Collector};

use crate::telemetry;

/// Installs the process's recorder for `function`; `None` (logged) when another recorder
/// was installed first, and the function then runs without metrics. The dimension
/// `Function` is the deployed function's name (`AWS_LAMBDA_FUNCTION_NAME`, unique to its
/// stack, as the template's alarms name it), or `function` outside Lambda.
pub fn install(function: &str) -> Option<&'static Collector> {
    let deployed =
        std::env::var("AWS_LAMBDA_FUNCTION_NAME").unwrap_or_else(|_| function.to_owned());
    match Builder::new()
        .cloudwatch_namespace(telemetry::NAMESPACE)
        .with_dimension("Function", deployed)
        .init()
    {
        Ok(collector) => {
            telemetry::describe();
            Some(collector)
        }
        Err(error) => {
            tracing::warn!(%error, "metrics are not recorded");
            None
        }
    }
}

/// Writes what was recorded since the last flush to `out`, and starts again from zero.
pub fn flush(collector: Option<&'static Collector>, out: impl Write) {
    if let Some(collector) = collector
        && let Err(error) = collector.flush(out)
    {
        tracing::warn!(%error, "metrics could not be written");
    }
}
