//! The Lambda adapter (docs/cloud.md): each HTTP function serves its operations through the same
//! `http::app` local-dev serves, behind API Gateway's HTTP API (payload 2.0); the
//! expiry-reminder job answers the schedule's events, and the outbox dispatcher the
//! table's stream and its sweep. A function's `main` is one call here.

mod api_gateway;
pub mod emf;
mod expiry_reminder;
mod function;
#[cfg(feature = "eventbridge")]
pub mod order_bus;
#[cfg(all(feature = "smtp", feature = "ses", feature = "eventbridge"))]
mod outbox_dispatcher;
mod secrets;
mod start;

pub use api_gateway::{LambdaApp, from_api_gateway};
pub use expiry_reminder::{EventError, job_date, remind, run_expiry_reminder};
pub use function::Function;
pub use lambda_runtime::Error;
#[cfg(all(feature = "smtp", feature = "ses", feature = "eventbridge"))]
pub use outbox_dispatcher::run_outbox_dispatcher;
pub use start::report_init_error;

use crate::config::{AdminToken, Config};
use crate::http::AppState;

/// Serves one HTTP function: logs, configuration, secrets and the store are set up once
/// per cold start, then every event goes through `function`'s app.
///
/// Its operations are picked here, inlined into the function's `main`, where `function` is
/// a constant: the build then links only that function's handlers. Picked at run time,
/// every `bootstrap` carried every operation's code (docs/performance.md#lambda-functions-bootstrap-size-and-cold-start-init).
#[inline(always)]
pub fn run_http(function: Function) -> impl Future<Output = Result<(), Error>> {
    serve_http(function, function.operations())
}

async fn serve_http(
    function: Function,
    operations: utoipa_axum::router::OpenApiRouter<AppState>,
) -> Result<(), Error> {
    start::init_logs();
    let (state, edge) = start::init(async {
        let config = Config::from_env()?;
        let sdk = crate::config::aws().await?;
        http_state(&config, &sdk).await
    })
    .await?;
    let metrics = emf::install(function.name());
    tracing::info!(function = function.name(), "ready");
    let app = Function::serve(operations, state, edge);
    lambda_http::run(tower::service_fn(move |request: lambda_http::Request| {
        let app = app.clone();
        async move {
            let answer = tower::ServiceExt::oneshot(app, request).await;
            emf::flush(metrics, std::io::stdout().lock());
            answer
        }
    }))
    .await
}

/// What an HTTP function serves with: its context over the table (warmed up), the sealing
/// key and the portal's edge secret, read at the same time.
pub async fn http_state(
    config: &Config,
    sdk: &aws_config::SdkConfig,
) -> Result<(AppState, Option<crate::config::EdgeSecret>), Error> {
    let (ctx, sealing_key, edge) = tokio::try_join!(
        start::context(config, sdk),
        secrets::sealing_key(config, sdk),
        secrets::edge_secret(config, sdk),
    )?;
    let state = AppState::new(
        ctx,
        config.admin_token.clone().map(AdminToken::into_shared),
        sealing_key,
    );
    Ok((state, edge))
}
