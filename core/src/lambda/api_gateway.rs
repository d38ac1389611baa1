//! What API Gateway's HTTP API says about a request (payload 2.0), turned into what the
//! routers read (docs/cloud.md): the client address is `requestContext.http.sourceIp`, a named
//! stage's `/<stage>` prefix is not part of the route, and an IAM caller is an operator.

use std::net::IpAddr;

use axum::Router;
use axum::extract::{Request as AxumRequest, State};
use axum::http::Uri;
use axum::middleware::Next;
use axum::response::Response;
use lambda_http::Request;
use lambda_http::aws_lambda_events::apigw::ApiGatewayV2httpRequestContext;
use lambda_http::request::RequestContext;
use tower::ServiceExt;
use tower::util::MapRequest;

use crate::config::EdgeSecret;
use crate::http::auth::{ClientIp, IamCaller};
use crate::trace::RequestId;

/// The header CloudFront's viewer-request function sets to the viewer's address.
const VIEWER_IP: &str = "x-madoguchi-viewer-ip";
/// The header CloudFront adds, to the API origin only, with the edge secret.
const EDGE: &str = "x-madoguchi-edge";

/// A function's app: the router behind [`from_api_gateway`].
pub type LambdaApp = MapRequest<Router, fn(Request) -> Request>;

/// Outside the router, not a layer of it: a router's layers run after routing, too late to
/// take the stage off the path.
pub(super) fn serve(router: Router) -> LambdaApp {
    router.map_request(from_api_gateway as fn(Request) -> Request)
}

/// Reads the request context `lambda_http` leaves in the extensions; a request without one
/// (not from API Gateway) passes unchanged.
pub fn from_api_gateway(mut request: Request) -> Request {
    let Some(RequestContext::ApiGatewayV2(context)) = request.extensions().get::<RequestContext>()
    else {
        return request;
    };
    let client = source_ip(context);
    let caller = iam_caller(context);
    // docs/operations.md#request-ids: API Gateway's id, also in its access log.
    let id = context.request_id.as_deref().and_then(RequestId::parse);
    // `lambda_http` puts a named stage in front of the path; `$default` has none.
    let route = context
        .stage
        .as_deref()
        .filter(|stage| *stage != "$default")
        .and_then(|stage| without_stage(request.uri(), stage));

    match client {
        Some(ip) => {
            request.extensions_mut().insert(ClientIp(ip));
        }
        None => tracing::warn!("API Gateway sent no usable source IP"),
    }
    if let Some(caller) = caller {
        request.extensions_mut().insert(caller);
    }
    if let Some(id) = id {
        request.extensions_mut().insert(id);
    }
    if let Some(route) = route {
        *request.uri_mut() = route;
    }
    request
}

/// Behind the portal's CloudFront (docs/portal.md), API Gateway's source IP is the edge's: the
/// client is the viewer address CloudFront reports. That header is believed only beside
/// the edge secret, which CloudFront adds and a client cannot know; anything else keeps
/// the source IP, so that a client cannot choose the address its tries are counted by.
pub async fn viewer_behind_edge(
    State(edge): State<EdgeSecret>,
    mut request: AxumRequest,
    next: Next,
) -> Response {
    let headers = request.headers();
    let from_edge = headers
        .get(EDGE)
        .is_some_and(|given| edge.matches(given.as_bytes()));
    let viewer = headers
        .get(VIEWER_IP)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.trim().parse::<IpAddr>().ok());
    if let (true, Some(viewer)) = (from_edge, viewer) {
        request.extensions_mut().insert(ClientIp(viewer));
    }
    next.run(request).await
}

fn source_ip(context: &ApiGatewayV2httpRequestContext) -> Option<IpAddr> {
    context.http.source_ip.as_deref()?.parse().ok()
}

/// The principal API Gateway's IAM authoriser let through: its ARN.
fn iam_caller(context: &ApiGatewayV2httpRequestContext) -> Option<IamCaller> {
    let iam = context.authorizer.as_ref()?.iam.as_ref()?;
    iam.user_arn
        .clone()
        .or_else(|| iam.caller_id.clone())
        .filter(|arn| !arn.is_empty())
        .map(IamCaller)
}

/// The URI with `/<stage>` taken off the front of its path, if it is there.
fn without_stage(uri: &Uri, stage: &str) -> Option<Uri> {
    let rest = uri.path().strip_prefix('/')?.strip_prefix(stage)?;
    let path = match rest {
        "" => "/",
        rest if rest.starts_with('/') => rest,
        _ => return None,
    };
    let path_and_query = match uri.query() {
        Some(query) => format!("{path}?{query}"),
        None => path.to_owned(),
    };
    let mut parts = uri.clone().into_parts();
    parts.path_and_query = Some(path_and_query.parse().ok()?);
    Uri::from_parts(parts).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::routing::get;

    /// A route that answers with the client address the routers would count.
    async fn counted_as(headers: &[(&str, &str)]) -> String {
        let edge: EdgeSecret = "e".repeat(40).parse().unwrap();
        let app = Router::new()
            .route(
                "/",
                get(|request: AxumRequest| async move {
                    let (parts, _) = request.into_parts();
                    ClientIp::of(&parts).0.to_string()
                }),
            )
            .layer(axum::middleware::from_fn_with_state(
                edge,
                viewer_behind_edge,
            ));
        let mut request = axum::http::Request::get("/");
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let mut request = request.body(Body::empty()).unwrap();
        // As API Gateway's source IP would be: the CloudFront edge.
        request
            .extensions_mut()
            .insert(ClientIp("198.51.100.7".parse().unwrap()));
        let response = app.oneshot(request).await.unwrap();
        let body = axum::body::to_bytes(response.into_body(), 1024)
            .await
            .unwrap();
        String::from_utf8(body.to_vec()).unwrap()
    }

    #[tokio::test]
    async fn the_viewer_address_counts_only_beside_the_edge_secret() {
        let secret = "e".repeat(40);
        assert_eq!(
            counted_as(&[(EDGE, &secret), (VIEWER_IP, "203.0.113.9")]).await,
            "203.0.113.9"
        );
        // IPv6 viewers are counted by their /64, as everywhere.
        assert_eq!(
            counted_as(&[(EDGE, &secret), (VIEWER_IP, "2001:db8:1:2:3:4:5:6")]).await,
            "2001:db8:1:2::"
        );
        // A client that names its own address without the secret is counted by the source.
        assert_eq!(
            counted_as(&[(VIEWER_IP, "203.0.113.9")]).await,
            "198.51.100.7"
        );
        assert_eq!(
            counted_as(&[(EDGE, "wrong"), (VIEWER_IP, "203.0.113.9")]).await,
            "198.51.100.7"
        );
        assert_eq!(
            counted_as(&[(EDGE, &secret), (VIEWER_IP, "not an address")]).await,
            "198.51.100.7"
        );
    }

    #[test]
    fn a_named_stage_comes_off_the_front_of_the_path_only() {
        let strip = |uri: &str, stage: &str| {
            without_stage(&uri.parse().unwrap(), stage).map(|uri| uri.to_string())
        };
        assert_eq!(
            strip("https://api.example/prod/v1/usage?limit=5", "prod").as_deref(),
            Some("https://api.example/v1/usage?limit=5")
        );
        assert_eq!(strip("/prod", "prod").as_deref(), Some("/"));
        assert_eq!(strip("/v1/usage", "prod"), None);
        assert_eq!(strip("/production/v1/usage", "prod"), None);
        assert_eq!(strip("/v1/prod/usage", "prod"), None);
    }
}
