//! Who is calling: a member's bearer token, an operator's admin token, the client address.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::header;
use axum::http::request::Parts;

use super::AppState;
use super::problem::Problem;
use crate::domain::Session;
use crate::secret::secrets_equal;
use crate::service::{Error, session};

pub(super) fn bearer(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// A logged-in member (docs/login.md): the handler runs only with a live session.
pub struct Member(pub Session);

impl FromRequestParts<AppState> for Member {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Problem> {
        // The idempotency guard may have authenticated this request already.
        if let Some(session) = parts.extensions.remove::<Session>() {
            return Ok(Member(session));
        }
        let token = bearer(parts).ok_or(Error::Unauthorized)?;
        Ok(Member(session::authenticate(&state.ctx, token).await?))
    }
}

/// A logged-in member read together with their serials (docs/usage.md's usage): the session's
/// checks and the answer's data from one trip to the store.
pub struct MemberWithSerials(pub session::Authenticated);

impl FromRequestParts<AppState> for MemberWithSerials {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Problem> {
        let token = bearer(parts).ok_or(Error::Unauthorized)?;
        let view = session::authenticate_view(&state.ctx, token, true).await?;
        Ok(MemberWithSerials(view))
    }
}

/// A member if the request is logged in, nobody if it carries no token (docs/renewal.md: renewal
/// needs no login). A token that is there but dead is still 401.
pub struct MaybeMember(pub Option<Session>);

impl FromRequestParts<AppState> for MaybeMember {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Problem> {
        if parts.headers.get(header::AUTHORIZATION).is_none() {
            return Ok(MaybeMember(None));
        }
        let Member(session) = Member::from_request_parts(parts, state).await?;
        Ok(MaybeMember(Some(session)))
    }
}

/// An operator (docs/operators.md, docs/cloud.md): an IAM caller that API Gateway authorised, or a holder of
/// the admin token when one is configured.
pub struct Operator;

impl FromRequestParts<AppState> for Operator {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Problem> {
        if let Some(IamCaller(arn)) = parts.extensions.get::<IamCaller>() {
            tracing::info!(caller = %arn, "operator authorised by IAM");
            return Ok(Operator);
        }
        if holds_admin_token(parts, state) {
            return Ok(Operator);
        }
        Err(Error::Unauthorized.into())
    }
}

/// Whether the request carries the configured admin token; never, when none is.
pub(super) fn holds_admin_token(parts: &Parts, state: &AppState) -> bool {
    match (bearer(parts), state.admin_token.as_deref()) {
        (Some(token), Some(admin_token)) => secrets_equal(token, admin_token),
        _ => false,
    }
}

/// The IAM principal (its ARN) that API Gateway authorised for this request. Only the
/// Lambda adapter inserts it, from the request context API Gateway wrote: a client
/// cannot send one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IamCaller(pub String);

/// The client's address, as the deployment knows it: an outer layer may insert it (the
/// Lambda adapter takes API Gateway's source IP); otherwise the socket peer.
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub IpAddr);

impl ClientIp {
    pub fn of(parts: &Parts) -> Self {
        if let Some(ip) = parts.extensions.get::<ClientIp>() {
            return ip.as_counted();
        }
        if let Some(ConnectInfo(peer)) = parts.extensions.get::<ConnectInfo<SocketAddr>>() {
            return ClientIp(peer.ip()).as_counted();
        }
        // Only in-process calls without a socket get here; they share one bucket.
        ClientIp(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
    }

    /// docs/login.md: every per-client limit counts IPv4 by the whole address and IPv6 by its /64
    /// prefix (a home line holds at least a /64). An IPv4 client seen through a dual-stack
    /// socket (`::ffff:a.b.c.d`) is an IPv4 client.
    fn as_counted(self) -> Self {
        match self.0 {
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => ClientIp(IpAddr::V4(v4)),
                None => ClientIp(IpAddr::V6(Ipv6Addr::from_bits(
                    v6.to_bits() & (u128::MAX << 64),
                ))),
            },
            IpAddr::V4(_) => self,
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Problem> {
        Ok(ClientIp::of(parts))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counted(ip: &str) -> String {
        ClientIp(ip.parse().unwrap()).as_counted().0.to_string()
    }

    #[test]
    fn ipv6_clients_are_counted_by_their_64_and_ipv4_by_the_whole_address() {
        assert_eq!(
            counted("2001:db8:4a7f:1c00:8d2e:31ff:fe4b:9a10"),
            "2001:db8:4a7f:1c00::"
        );
        assert_eq!(counted("2001:db8:4a7f:1c00::1"), "2001:db8:4a7f:1c00::");
        assert_eq!(counted("2001:db8:4a7f:1c01::1"), "2001:db8:4a7f:1c01::");
        assert_eq!(counted("203.0.113.24"), "203.0.113.24");
        assert_eq!(counted("::ffff:203.0.113.24"), "203.0.113.24");
    }
}
