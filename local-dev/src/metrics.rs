//! `GET /metrics` (docs/operations.md#metrics): every metric of core's `telemetry`, in
//! Prometheus' text format, for operators only. It is served on the same address behind the
//! admin token (a Prometheus scrape job sends it as `authorization: Bearer …`), not on a
//! second address: local-dev has one port to open and one secret to guard, and the counts
//! (logins, locks, 503s) are the operators' to read, not the members'.

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use madoguchi_core::http::AppState;
use madoguchi_core::http::auth::Operator;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

use crate::Failure;

/// How often the histograms' samples are folded into their summaries.
const UPKEEP: std::time::Duration = std::time::Duration::from_secs(5);

/// Installs the process's recorder; every `telemetry` call from now on is kept. A task
/// folds the histograms' samples in every few seconds: without it they pile up in memory
/// until a scrape (every answer adds one), which may never come.
pub fn install() -> Result<PrometheusHandle, Failure> {
    let handle = PrometheusBuilder::new()
        .install_recorder()
        .map_err(|error| format!("the metrics recorder: {error}"))?;
    madoguchi_core::telemetry::describe();
    let upkept = handle.clone();
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(UPKEEP).await;
            upkept.run_upkeep();
        }
    });
    Ok(handle)
}

/// The route, over the app's state (for the operator's check).
pub fn route(handle: PrometheusHandle, state: AppState) -> Router {
    Router::new()
        .route(
            "/metrics",
            get(move |_: Operator| {
                let handle = handle.clone();
                async move {
                    // Histograms are summarised as they are read.
                    handle.run_upkeep();
                    (
                        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
                        handle.render(),
                    )
                        .into_response()
                }
            }),
        )
        .with_state(state)
}
