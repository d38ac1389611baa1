//! What each operation costs on DynamoDB: the calls it makes, the read and write request
//! units DynamoDB reports (`ReturnConsumedCapacity`), one request at a time over HTTP, and
//! what a million of it costs at on-demand prices.
//!
//! ```sh
//! eval "$(scripts/dynamodb-local start)"
//! cargo run --release -p madoguchi-bench --bin capacity
//! scripts/dynamodb-local stop
//! ```

use std::sync::Arc;

use madoguchi_bench::results::Results;
use madoguchi_core::domain::product_order::ProductOrder;
use madoguchi_core::http::{AppState, all_operations, app};
use madoguchi_core::mail::EmlDirectory;
use madoguchi_core::service::outbox::{BackOffice, dispatch_pending, hand_over_due};
use madoguchi_core::service::{admin, reminders};
use madoguchi_core::store::dynamodb::{CapacityMeter, Consumed, DynamoStore};
use madoguchi_core::{Context, Settings, SystemClock};
use reqwest::Method;
use serde_json::{Value, json};

/// On-demand prices in us-east-1 (USD per million request units), as AWS lists them since
/// the price cut of November 2024: inputs, not measurements. An item written in a
/// transaction is billed two write units; DynamoDB Local reports one, so those are doubled.
const USD_PER_MILLION_WRITE_UNITS: f64 = 0.625;
const USD_PER_MILLION_READ_UNITS: f64 = 0.125;

struct Probe {
    client: reqwest::Client,
    base: String,
    meter: Arc<CapacityMeter>,
    rows: Vec<(String, Consumed)>,
}

impl Probe {
    /// Sends one request and records what it cost.
    async fn measure(
        &mut self,
        name: &str,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Value {
        let before = self.meter.read();
        let mut request = self.client.request(method, format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let answer: Value = response.json().await.unwrap_or(Value::Null);
        assert!(status.is_success(), "{name}: {status} {answer}");
        self.record(name, before);
        answer
    }

    fn record(&mut self, name: &str, before: Consumed) {
        self.rows
            .push((name.to_owned(), self.meter.read() - before));
    }
}

/// A back office that takes every event at once: what the hand-over costs is the store's.
struct Accepting;

#[async_trait::async_trait]
impl BackOffice for Accepting {
    async fn publish(&self, _: &str, _: &ProductOrder) -> Result<(), String> {
        Ok(())
    }
}

#[derive(clap::Parser)]
struct Args {
    /// Where to keep the results for `report` (`scripts/bench`).
    #[arg(long)]
    results: Option<std::path::PathBuf>,
}

#[tokio::main]
async fn main() {
    let args = <Args as clap::Parser>::parse();
    let endpoint = std::env::var("AWS_ENDPOINT_URL_DYNAMODB").unwrap_or_default();
    assert!(
        endpoint.contains("127.0.0.1"),
        "start DynamoDB Local first: eval \"$(scripts/dynamodb-local start)\""
    );
    let table = format!("capacity-{}", madoguchi_core::secret::random_digits(8));
    let store = DynamoStore::from_env(table).await;
    store.ensure_table().await.unwrap();
    let (store, meter) = store.metered();
    let ctx = Context::new(Arc::new(store), Arc::new(SystemClock), Settings::default());
    admin::seed_providers(&ctx).await.unwrap();
    let admin_token = "capacity-admin-token";
    let state = AppState::new(
        ctx.clone(),
        Some(admin_token.into()),
        madoguchi_core::secret::SealingKey::generate(),
    );
    let mut probe = Probe {
        client: reqwest::Client::new(),
        base: madoguchi_tests::serve(app(all_operations(), state)).await,
        meter,
        rows: Vec::new(),
    };

    let expires = ctx
        .today()
        .checked_add(jiff::ToSpan::days(20))
        .unwrap()
        .to_string();
    let created = probe
        .measure(
            "admin: create a member (2 serials)",
            Method::POST,
            "/admin/v1/customers",
            Some(admin_token),
            Some(json!({"name": "容量 太郎", "email": "capacity@example.jp", "line": "flets_next",
                        "licenses": [{"product": "security-suite", "plan": "standard", "billing": "term", "expires_on": expires},
                                     {"product": "mobile-security", "plan": "license_plus", "billing": "monthly"}]})),
        )
        .await;
    let serial = created["serials"][0]["serial"].as_str().unwrap().to_owned();
    let login = json!({"customer_id": created["customer_id"], "access_key": created["access_key"]});
    let session = probe
        .measure("login", Method::POST, "/v1/sessions", None, Some(login))
        .await;
    let token = session["token"].as_str().unwrap().to_owned();
    let t = Some(token.as_str());
    probe
        .measure("usage", Method::GET, "/v1/usage", t, None)
        .await;
    let activation = format!("/v1/serials/{serial}/activation");
    probe
        .measure(
            "activate a serial",
            Method::POST,
            &activation,
            t,
            Some(json!({"device_id": "pc-1", "os": "windows", "name": "PC"})),
        )
        .await;
    probe
        .measure(
            "move it to another device",
            Method::POST,
            &activation,
            t,
            Some(json!({"device_id": "pc-2", "os": "mac", "name": "Mac"})),
        )
        .await;
    probe
        .measure(
            "serial history",
            Method::GET,
            &format!("/v1/serials/{serial}/history"),
            t,
            None,
        )
        .await;
    probe
        .measure(
            "line notification: list",
            Method::GET,
            "/v1/line-notification",
            t,
            None,
        )
        .await;
    probe
        .measure(
            "line notification: apply (with completion mail)",
            Method::POST,
            "/v1/line-notification/applications",
            t,
            Some(json!({"changes": [{"provider_code": "W0099", "setting": "do_not_notify"}],
                        "consent": {"terms_version": "2026-12", "agreed": true},
                        "applicant": {"name": "容量 太郎", "phone": "0312345678", "email": "applicant@example.jp", "completion_email": true}})),
        )
        .await;
    let codes = probe
        .measure(
            "admin: issue two codes",
            Method::POST,
            "/admin/v1/codes",
            Some(admin_token),
            Some(json!({"product": "security-suite", "term_months": 12, "count": 2})),
        )
        .await;
    probe
        .measure(
            "renewal",
            Method::POST,
            "/v1/renewals",
            None,
            Some(
                json!({"code": codes["codes"][0], "serial": serial, "email": "capacity@example.jp",
                        "consent": {"terms_version": "2026-10", "agreed": true}}),
            ),
        )
        .await;
    probe
        .measure(
            "renewal, logged in",
            Method::POST,
            "/v1/renewals",
            t,
            Some(json!({"code": codes["codes"][1], "serial": serial,
                        "consent": {"terms_version": "2026-10", "agreed": true}})),
        )
        .await;
    probe
        .measure("card readers: list", Method::GET, "/v1/readers", t, None)
        .await;
    let reader = probe
        .measure(
            "card readers: order",
            Method::POST,
            "/v1/readers",
            t,
            Some(json!({"type": "usb_windows", "payment_method": "chocom"})),
        )
        .await;
    probe
        .measure("services: list", Method::GET, "/v1/services", t, None)
        .await;
    let applied = probe
        .measure(
            "services: apply (subscribe)",
            Method::POST,
            "/v1/services/remote_support/applications",
            t,
            Some(json!({"action": "subscribe",
                        "consent": {"terms_version": "2026-12", "agreed": true},
                        "applicant": {"name": "容量 太郎", "phone": "0312345678"}})),
        )
        .await;
    probe
        .measure("orders: list", Method::GET, "/v1/orders", t, None)
        .await;
    let service_order = applied["order_no"].as_str().unwrap().to_owned();
    probe
        .measure(
            "orders: one",
            Method::GET,
            &format!("/v1/orders/{service_order}"),
            t,
            None,
        )
        .await;
    probe
        .measure(
            "orders: withdraw (a reader not yet paid)",
            Method::POST,
            &format!(
                "/v1/orders/{}/withdrawal",
                reader["order_no"].as_str().unwrap()
            ),
            t,
            Some(json!({})),
        )
        .await;
    for status in ["in_progress", "completed"] {
        probe
            .measure(
                &format!("admin: report an order {status}"),
                Method::POST,
                &format!("/admin/v1/orders/{service_order}/events"),
                Some(admin_token),
                Some(json!({"event_id": format!("capacity-{status}"), "status": status})),
            )
            .await;
    }
    // Every order so far handed to a back office that takes each at once.
    let before = probe.meter.read();
    let handed = hand_over_due(&ctx, &Accepting, ctx.clock.now(), 100)
        .await
        .unwrap();
    probe.record(
        &format!("orders: hand over {} events", handed.published),
        before,
    );
    probe
        .measure("receipts", Method::GET, "/v1/receipts", t, None)
        .await;

    // The reminder job for the day 30 days before the expiry, renewed twice by 12 months:
    // one licence due.
    let before = probe.meter.read();
    let renewed = ctx
        .today()
        .checked_add(jiff::ToSpan::days(20))
        .unwrap()
        .checked_add(jiff::ToSpan::months(24))
        .unwrap();
    let summary = reminders::run(&ctx, renewed.checked_sub(jiff::ToSpan::days(30)).unwrap())
        .await
        .unwrap();
    assert_eq!(summary.sent, 1);
    probe.record("reminder job (one licence due)", before);

    let dir = tempfile::tempdir().unwrap();
    let before = probe.meter.read();
    let delivered = dispatch_pending(&ctx, &EmlDirectory::new(dir.path()).unwrap(), 100)
        .await
        .unwrap();
    probe.record(&format!("outbox: deliver {delivered} mails"), before);

    probe
        .measure(
            "cancellation",
            Method::POST,
            "/v1/membership/cancellation",
            t,
            Some(json!({})),
        )
        .await;

    let mut results = Results::new(
        "DynamoDB per operation (calls; read and write units as DynamoDB bills them; USD per million at on-demand prices)",
    );
    for (name, used) in &probe.rows {
        let write_units = used.write_units + 2.0 * used.transaction_units;
        let usd = used.read_units * USD_PER_MILLION_READ_UNITS
            + write_units * USD_PER_MILLION_WRITE_UNITS;
        results.figure(
            name.as_str(),
            format!(
                "{} calls, {:.1} RRU, {write_units:.1} WRU: ${usd:.2}",
                used.calls, used.read_units
            ),
        );
    }
    results.finish(args.results.as_deref());
}
