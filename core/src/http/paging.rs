//! `?limit=` and `?cursor=` of the paged lists (docs/api.md, docs/usage.md), checked before anything is
//! read: a bad one is 422 `validation_failed` naming the field, whichever list it asks for.

use axum::extract::rejection::QueryRejection;
use axum::extract::{FromRequestParts, Query};
use axum::http::request::Parts;
use serde::Deserialize;
use utoipa::IntoParams;

use super::problem::Problem;
use crate::domain::{FieldCode, FieldErrors};
use crate::service::paging::{Paging, Place};

/// The query of a paged list, as documented.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// How many items the page holds: 1–200, 50 when absent.
    #[param(minimum = 1, maximum = 200, value_type = Option<u32>)]
    limit: Option<String>,
    /// The `next_cursor` of the previous page; absent for the first page.
    cursor: Option<String>,
}

/// The page a request asks for, in `P`'s list.
pub struct Page<P>(pub Paging<P>);

impl<P: Place, S: Send + Sync> FromRequestParts<S> for Page<P> {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Problem> {
        let query = Query::<PageQuery>::from_request_parts(parts, state)
            .await
            .map_err(unreadable)?;
        let paging = Paging::parse(query.limit.as_deref(), query.cursor.as_deref())?;
        Ok(Self(paging))
    }
}

/// A query string that does not even parse (`?limit=1&limit=2`): the field it names.
fn unreadable(rejection: QueryRejection) -> Problem {
    let message = rejection.body_text();
    let field = match message.split('`').nth(1) {
        Some("cursor") => "cursor",
        _ => "limit",
    };
    let code = if field == "cursor" {
        FieldCode::InvalidCursor
    } else {
        FieldCode::InvalidLimit
    };
    let mut errors = FieldErrors::new();
    errors.push(field, code);
    errors.into()
}
