//! Members, as operators see them: created, inspected whole, given a new access key.

mod access_key;
mod create;
mod state;

use utoipa_axum::router::OpenApiRouter;

use crate::domain::CustomerId;
use crate::http::AppState;
use crate::http::problem::Problem;

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(create::router())
        .merge(state::router())
        .merge(access_key::router())
}

/// A customer ID in a path that cannot be one names nobody: 404, like an unknown one.
fn customer_in_path(raw: &str) -> Result<CustomerId, Problem> {
    CustomerId::parse(raw).map_err(|_| Problem::not_found())
}
