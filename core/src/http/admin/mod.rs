//! The operators' API under `/admin/v1` (docs/operators.md), one module per operation.

mod codes;
mod customers;
mod jobs;
mod orders;
mod outbox;
mod providers;
mod services;
mod status;

use utoipa_axum::router::OpenApiRouter;

use super::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(customers::router())
        .merge(outbox::router())
        .merge(codes::router())
        .merge(providers::router())
        .merge(jobs::router())
        .merge(orders::router())
        .merge(services::router())
        .merge(status::router())
}
