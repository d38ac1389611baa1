//! What API Gateway's HTTP API says about a request (payload 2.0), turned into what the
//! routers read (SPEC §12): the client address is `requestContext.http.sourceIp`, a named
//! stage's `/<stage>` prefix is not part of the route, and an IAM caller is an operator.

use std::net::IpAddr;

use axum::Router;
use axum::http::Uri;
use lambda_http::Request;
use lambda_http::aws_lambda_events::apigw::ApiGatewayV2httpRequestContext;
use lambda_http::request::RequestContext;
use tower::ServiceExt;
use tower::util::MapRequest;

use crate::http::auth::{ClientIp, IamCaller};

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
    if let Some(route) = route {
        *request.uri_mut() = route;
    }
    request
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
