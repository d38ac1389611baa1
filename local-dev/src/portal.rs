//! The members' web portal (docs/portal.md): the static files of `web/`, served beside the API on
//! the same origin, with the headers CloudFront adds in the cloud (`infra/template.yaml`).
//! Release builds carry the files inside the binary; debug builds read them from `web/` on
//! every request, so an edited page shows on reload.

use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use rust_embed::RustEmbed;
use tower_http::set_header::SetResponseHeaderLayer;

#[derive(RustEmbed)]
#[folder = "../web/"]
struct Files;

/// Scripts and styles from this origin only (no inline code), nothing fetched from
/// elsewhere, and calls only to the API on the same origin. The same policy is in the
/// template's CloudFront response headers; a test keeps the two equal.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
    style-src 'self'; img-src 'self'; connect-src 'self'; base-uri 'none'; \
    form-action 'self'; frame-ancestors 'none'";

/// `/` is the page; everything it loads is under `/app/`, so that no portal path can
/// shadow an API route (an unknown `/v1/…` is still the API's 404 problem).
pub fn routes() -> Router {
    let header = |name: HeaderName, value: &'static str| {
        SetResponseHeaderLayer::overriding(name, HeaderValue::from_static(value))
    };
    Router::new()
        .route("/", get(|| async { file("index.html") }))
        .route(
            "/app/{*path}",
            get(|Path(path): Path<String>| async move { file(&format!("app/{path}")) }),
        )
        .layer(header(
            header::CONTENT_SECURITY_POLICY,
            CONTENT_SECURITY_POLICY,
        ))
        .layer(header(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(header(header::REFERRER_POLICY, "no-referrer"))
        // Small files, always checked again: a new release shows at once.
        .layer(header(header::CACHE_CONTROL, "no-cache"))
}

fn file(path: &str) -> Response {
    match Files::get(path) {
        Some(found) => {
            let mime = found.metadata.mimetype();
            let content_type = if mime.starts_with("text/") || mime.ends_with("javascript") {
                format!("{mime}; charset=utf-8")
            } else {
                mime.to_owned()
            };
            ([(header::CONTENT_TYPE, content_type)], found.data).into_response()
        }
        None => (StatusCode::NOT_FOUND, "not found").into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cloud_serves_the_portal_with_the_same_content_security_policy() {
        let template = include_str!("../../infra/template.yaml");
        assert!(
            template.contains(CONTENT_SECURITY_POLICY),
            "infra/template.yaml's response headers policy must carry {CONTENT_SECURITY_POLICY:?}"
        );
    }

    #[test]
    fn the_page_and_its_scripts_are_there() {
        assert!(Files::get("index.html").is_some());
        assert!(Files::get("app/main.js").is_some());
    }
}
