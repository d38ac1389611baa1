//! The Lambda adapter (SPEC §12): each HTTP function serves its operations through the same
//! `http::app` local-dev serves, behind API Gateway's HTTP API (payload 2.0); the
//! expiry-reminder job answers the schedule's events, and the outbox dispatcher the
//! table's stream and its sweep. A function's `main` is one call here.

mod api_gateway;
mod expiry_reminder;
mod function;
#[cfg(all(feature = "smtp", feature = "ses"))]
mod outbox_dispatcher;
mod start;

pub use api_gateway::{LambdaApp, from_api_gateway};
pub use expiry_reminder::{EventError, job_date, remind, run_expiry_reminder};
pub use function::Function;
pub use lambda_runtime::Error;
#[cfg(all(feature = "smtp", feature = "ses"))]
pub use outbox_dispatcher::run_outbox_dispatcher;
pub use start::report_init_error;

use crate::config::{AdminToken, Config};
use crate::http::AppState;

/// Serves one HTTP function: logs, configuration and the store are set up once per cold
/// start, then every event goes through `function`'s app.
pub async fn run_http(function: Function) -> Result<(), Error> {
    start::init_logs();
    let (state, edge) = start::init(async {
        let config = Config::from_env()?;
        let sealing_key = config.required_sealing_key()?;
        let ctx = start::context(&config).await?;
        let state = AppState {
            ctx,
            admin_token: config.admin_token.map(AdminToken::into_shared),
            sealing_key,
        };
        Ok((state, config.edge_secret))
    })
    .await?;
    tracing::info!(function = function.name(), "ready");
    lambda_http::run(function.app(state, edge)).await
}
