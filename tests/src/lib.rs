//! What the end-to-end tests and the benchmarks share: madoguchi served on a loopback port.
//!
//! It lives here, not in core, because only tests and benchmarks serve on a port picked at
//! random: core holds what every deployment runs, and local-dev binds its configured
//! address with a graceful shutdown, which is another thing.

pub mod cloud;

use std::net::SocketAddr;

/// Serves `router` in the background on a free loopback port and returns its base URL,
/// `http://127.0.0.1:<port>`. Every request carries its peer as `ConnectInfo<SocketAddr>`,
/// the client address of docs/login.md, as it does under local-dev.
pub async fn serve(router: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a free loopback port");
    let addr = listener.local_addr().expect("a bound listener's address");
    tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .expect("the loopback server runs");
    });
    format!("http://{addr}")
}
