//! The read path's servers for an external load generator (`bench/read-path`): a bare axum
//! "hello" route and madoguchi over a fresh redb file with one member, each on its own
//! loopback port, until stopped. Prints, one per line, `HELLO=<url>`, `MADOGUCHI=<url>`
//! and `TOKEN=<a logged-in member's bearer token>`.
//!
//! `cargo run --release -p madoguchi-bench --bin serve`

mod servers;

use serde_json::json;

#[tokio::main]
async fn main() {
    // Listening for the stop before anything else, so that a stop during start-up is heard.
    let mut stop = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .expect("a SIGTERM handler");
    let servers::Servers {
        ctx,
        madoguchi,
        hello,
        dir: _dir,
    } = servers::start().await;
    let created = servers::new_member(&ctx, "山田 太郎", "read@example.jp", Vec::new()).await;
    let login: serde_json::Value = reqwest::Client::new()
        .post(format!("{madoguchi}/v1/sessions"))
        .json(&json!({
            "customer_id": created.customer_id.to_string(),
            "access_key": created.access_key,
        }))
        .send()
        .await
        .expect("a login")
        .json()
        .await
        .expect("its answer");
    println!("HELLO={hello}");
    println!("MADOGUCHI={madoguchi}");
    println!("TOKEN={}", login["token"].as_str().expect("a token"));
    tokio::select! {
        _ = stop.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
}
