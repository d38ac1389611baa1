//! Path parameters as text. A path that cannot even be decoded (`%FF`) names nothing that
//! exists, so it is answered like any unknown object: 404 `not_found`, as a problem.

use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;

use super::problem::Problem;

pub struct PathText(pub String);

impl<S: Send + Sync> FromRequestParts<S> for PathText {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Problem> {
        Path::<String>::from_request_parts(parts, state)
            .await
            .map(|Path(text)| PathText(text))
            .map_err(|_| Problem::not_found())
    }
}
