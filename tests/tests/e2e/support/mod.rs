//! A real madoguchi on a loopback port, over a real redb file, with a clock the test moves.

mod cloud;
mod setup;

use cloud::deployed_routes;

use std::sync::{Arc, Mutex, OnceLock};

use jiff::{SignedDuration, Timestamp};
use madoguchi_core::domain::CustomerId;
use madoguchi_core::http::{AppState, all_operations, app};
use madoguchi_core::store::Store;
use madoguchi_core::store::dynamodb::DynamoStore;
use madoguchi_core::store::redb::RedbStore;
use madoguchi_core::{Clock, Context, ManualClock, Settings};
use madoguchi_tests::cloud::Cloud;
use reqwest::{Method, StatusCode, header};
use serde_json::{Value, json};

/// Every log line any test's server wrote, for the "no secrets in logs" checks.
static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();

#[derive(Clone)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn capture_logs() {
    LOGS.get_or_init(|| {
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let writer = Capture(buffer.clone());
        tracing_subscriber::fmt()
            .with_env_filter("debug,hyper=info,h2=info,reqwest=info")
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .init();
        buffer
    });
}

/// Everything logged so far, by every server in this test process.
pub fn logs() -> String {
    String::from_utf8_lossy(&LOGS.get().expect("logs captured").lock().unwrap()).into_owned()
}

/// Whether the suite runs on DynamoDB Local (`MADOGUCHI_TEST_STORE=dynamodb`, as
/// `scripts/test`'s second pass sets it) rather than a fresh redb file per test.
fn on_dynamodb() -> bool {
    std::env::var("MADOGUCHI_TEST_STORE").as_deref() == Ok("dynamodb")
}

/// A new table of its own in DynamoDB Local, named for no other test.
pub async fn fresh_dynamodb_table() -> DynamoStore {
    assert!(
        std::env::var("AWS_ENDPOINT_URL_DYNAMODB").is_ok_and(|e| e.contains("127.0.0.1")),
        "DynamoDB tests talk to DynamoDB Local on loopback: run them through scripts/test"
    );
    dynamodb_table(&format!(
        "test-{}",
        madoguchi_core::secret::random_digits(12)
    ))
    .await
}

/// The table `name` in DynamoDB Local, created when missing.
pub async fn dynamodb_table(name: &str) -> DynamoStore {
    let store = DynamoStore::from_env(name).await;
    store.ensure_table().await.unwrap();
    store
}

pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub clock: Arc<ManualClock>,
    pub ctx: Context,
    pub admin_token: String,
    /// The server's key for stored answers: another app over the same store (a Lambda
    /// function) must hold the same one to replay them.
    pub sealing_key: madoguchi_core::secret::SealingKey,
    /// In the cloud's shape ([`TestApp::in_the_cloud`]): the proxy each function reaches
    /// the table through, held to its IAM policy.
    pub cloud: Option<Arc<Cloud>>,
    _dir: tempfile::TempDir,
}

/// What a request came back with.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: header::HeaderMap,
    pub body: Value,
}

impl Answer {
    /// The problem `code`, checking that the answer is a problem document.
    pub fn code(&self) -> &str {
        assert_eq!(
            self.headers[header::CONTENT_TYPE],
            "application/problem+json",
            "not a problem answer: {self:?}"
        );
        self.body["code"].as_str().expect("problem has a code")
    }

    /// The status and problem `code` of a refusal, to compare with the expected pair.
    pub fn refusal(&self) -> (StatusCode, &str) {
        (self.status, self.code())
    }

    /// Whether the refusal names this field with this field `code`.
    pub fn has_field_code(&self, field: &str, code: &str) -> bool {
        self.field_codes()
            .contains(&(field.to_owned(), code.to_owned()))
    }

    pub fn field_codes(&self) -> Vec<(String, String)> {
        self.body["errors"]
            .as_array()
            .map(|errors| {
                errors
                    .iter()
                    .map(|e| {
                        (
                            e["field"].as_str().unwrap().to_owned(),
                            e["code"].as_str().unwrap().to_owned(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// A member made through the admin API.
#[derive(Debug, Clone)]
pub struct Member {
    pub customer_id: String,
    pub access_key: String,
    pub serials: Vec<String>,
    pub email: String,
}

/// 2026-11-22 09:00 in Japan.
pub fn start_of_tests() -> Timestamp {
    "2026-11-22T00:00:00Z".parse().unwrap()
}

/// The version of the terms every consent in these tests agrees to.
pub const TERMS: &str = "2026-10";

/// The current version of the 回線情報通知 consent (docs/line-notification.md#consent).
pub const LINE_TERMS: &str = "2026-12";

/// The current version of the services' consent (docs/services.md).
pub const SERVICE_TERMS: &str = "2026-12";

/// A standard security-suite licence: a term one ending on `expires_on`, or with `None` a
/// monthly one.
pub fn licence(expires_on: Option<&str>) -> Value {
    match expires_on {
        Some(date) => {
            json!({"product": "security-suite", "plan": "standard", "billing": "term", "expires_on": date})
        }
        None => json!({"product": "security-suite", "plan": "standard", "billing": "monthly"}),
    }
}

/// The body of `POST /v1/serials/{serial}/activation`.
pub fn device(id: &str, os: &str, name: &str) -> Value {
    json!({"device_id": id, "os": os, "name": name})
}

/// The path that activates a serial (`POST`) and releases it (`DELETE`).
pub fn activation_path(serial: &str) -> String {
    format!("/v1/serials/{serial}/activation")
}

/// The body of `POST /v1/renewals` for the member's first serial, with consent given.
/// A submitted application to change W0099 to `setting` (docs/line-notification.md), with
/// the applicant's address and whether the 工事完了通知 is asked for.
pub fn line_change(setting: &str, completion_email: bool) -> Value {
    json!({
        "changes": [{"provider_code": "W0099", "setting": setting}],
        "consent": {"terms_version": LINE_TERMS, "agreed": true},
        "applicant": {"name": "西日本 太郎", "phone": "06-0000-0000",
                      "email": "taro@example.jp", "completion_email": completion_email},
        "dry_run": false,
    })
}

pub fn renewal(code: &str, member: &Member, dry_run: bool) -> Value {
    json!({
        "code": code,
        "serial": member.serials[0],
        "email": member.email,
        "consent": {"terms_version": TERMS, "agreed": true},
        "dry_run": dry_run,
    })
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(Settings::default()).await
    }

    /// On redb, one process over a fresh file, as local-dev runs; on DynamoDB, in the
    /// cloud's shape ([`TestApp::in_the_cloud_with`]), every route served by its function
    /// through the IAM proxy.
    pub async fn spawn_with(settings: Settings) -> Self {
        if on_dynamodb() {
            return Self::in_the_cloud_with(settings).await;
        }
        let dir = tempfile::tempdir().unwrap();
        let store = RedbStore::open(&dir.path().join("madoguchi.redb")).unwrap();
        Self::serve(Arc::new(store), settings, dir, None).await
    }

    /// Over a store of the test's own choosing, whatever engine the suite runs on.
    pub async fn spawn_over(store: Arc<dyn Store>) -> Self {
        Self::serve(
            store,
            Settings::default(),
            tempfile::tempdir().unwrap(),
            None,
        )
        .await
    }

    /// Serves every operation over `store`; with a `cloud`, each route is served as its
    /// function serves it, over a client of that function's own through the proxy.
    async fn serve(
        store: Arc<dyn Store>,
        settings: Settings,
        dir: tempfile::TempDir,
        cloud: Option<Cloud>,
    ) -> Self {
        capture_logs();
        let clock = Arc::new(ManualClock::new(start_of_tests()));
        let ctx = Context::new(store, clock.clone(), settings);
        madoguchi_core::service::admin::seed_providers(&ctx)
            .await
            .unwrap();
        let admin_token = madoguchi_core::secret::random_secret();
        let sealing_key = madoguchi_core::secret::SealingKey::generate();
        let state = AppState::new(
            ctx.clone(),
            Some(admin_token.clone().into()),
            sealing_key.clone(),
        );
        let cloud = cloud.map(Arc::new);
        let router = match &cloud {
            Some(cloud) => deployed_routes(cloud, &state).await,
            None => app(all_operations(), state),
        };
        Self {
            base: madoguchi_tests::serve(router).await,
            client: reqwest::Client::new(),
            clock,
            ctx,
            admin_token,
            sealing_key,
            cloud,
            _dir: dir,
        }
    }

    pub fn advance(&self, by: SignedDuration) {
        self.clock.advance(by);
    }

    /// Sends a request; `body` goes as JSON, `token` as the bearer.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Answer {
        self.call_with(method, path, token, &[], body).await
    }

    /// The same, with more headers (`Idempotency-Key`, `Accept-Language`, …).
    pub async fn call_with(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        headers: &[(&str, &str)],
        body: Option<Value>,
    ) -> Answer {
        let mut request = self.client.request(method, format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        answer(request.send().await.unwrap()).await
    }

    /// A member's POST with an `Idempotency-Key`.
    pub async fn post_with_key(&self, path: &str, token: &str, key: &str, body: &Value) -> Answer {
        let headers = [("idempotency-key", key)];
        self.call_with(
            Method::POST,
            path,
            Some(token),
            &headers,
            Some(body.clone()),
        )
        .await
    }

    /// `POST /v1/renewals` without a login.
    pub async fn renew(&self, body: Value) -> Answer {
        self.call(Method::POST, "/v1/renewals", None, Some(body))
            .await
    }

    /// Each `(query, field, code)` sent to the list at `path` is refused with 422
    /// `validation_failed` naming that field (docs/api.md, docs/usage.md: `limit` and `cursor`).
    pub async fn assert_queries_refused(
        &self,
        path: &str,
        token: &str,
        cases: &[(&str, &str, &str)],
    ) {
        for (query, field, code) in cases {
            let refused = self.get(&format!("{path}?{query}"), token).await;
            assert_eq!(
                refused.refusal(),
                (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"),
                "{query}"
            );
            assert!(
                refused.has_field_code(field, code),
                "{query}: {:?}",
                refused.body
            );
        }
    }

    /// `POST /v1/renewals` without a login, from the loopback address `127.0.<n / 250>.<n % 250
    /// + 2>`: one of many clients, each with its own per-client count (docs/renewal.md).
    pub async fn renew_from(&self, client: u32, body: Value) -> Answer {
        let address =
            std::net::Ipv4Addr::new(127, 0, (client / 250) as u8, (client % 250 + 2) as u8);
        let from = reqwest::Client::builder()
            .local_address(std::net::IpAddr::V4(address))
            .build()
            .unwrap();
        let request = from.post(format!("{}/v1/renewals", self.base)).json(&body);
        answer(request.send().await.unwrap()).await
    }

    /// Installs a serial on a Windows PC named `PC`.
    pub async fn activate(&self, token: &str, serial: &str, device_id: &str) -> Answer {
        let path = activation_path(serial);
        self.post(&path, token, device(device_id, "windows", "PC"))
            .await
    }

    /// `POST /v1/readers`: one more card reader, or with `dry_run` its price.
    pub async fn order_reader(&self, token: &str, body: Value) -> Answer {
        self.post("/v1/readers", token, body).await
    }

    /// `POST /v1/membership/cancellation` without a reason.
    pub async fn cancel_membership(&self, token: &str) -> Answer {
        self.post("/v1/membership/cancellation", token, json!({}))
            .await
    }

    /// The member's receipts, newest first.
    pub async fn receipts(&self, token: &str) -> Vec<Value> {
        let ledger = self.get("/v1/receipts", token).await;
        assert_eq!(ledger.status, StatusCode::OK, "{:?}", ledger.body);
        ledger.body["receipts"].as_array().unwrap().clone()
    }

    /// Every page of a paged list (docs/api.md) of `limit` items, following `next_cursor` from
    /// the first page to the one that says none follow; `list` names the items' field.
    pub async fn pages(
        &self,
        path: &str,
        token: &str,
        list: &str,
        limit: usize,
    ) -> Vec<Vec<Value>> {
        let mut pages = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let query = match &cursor {
                Some(cursor) => format!("limit={limit}&cursor={cursor}"),
                None => format!("limit={limit}"),
            };
            let page = self.get(&format!("{path}?{query}"), token).await;
            assert_eq!(page.status, StatusCode::OK, "{:?}", page.body);
            pages.push(page.body[list].as_array().unwrap().clone());
            assert!(pages.len() <= 100, "a list that never ends");
            match &page.body["next_cursor"] {
                Value::String(next) => cursor = Some(next.clone()),
                Value::Null => return pages,
                other => panic!("next_cursor is {other}"),
            }
        }
    }

    pub async fn get(&self, path: &str, token: &str) -> Answer {
        self.call(Method::GET, path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> Answer {
        self.call(Method::POST, path, Some(token), Some(body)).await
    }

    pub async fn admin_post(&self, path: &str, body: Value) -> Answer {
        let token = self.admin_token.clone();
        self.post(&format!("/admin/v1{path}"), &token, body).await
    }

    /// The back office carries an order out: 工事中, then 完了 (docs/orders.md).
    pub async fn carry_out(&self, order_no: &str) {
        for status in ["in_progress", "completed"] {
            let moved = self
                .admin_post(
                    &format!("/orders/{order_no}/events"),
                    json!({"event_id": format!("test-{order_no}-{status}"), "status": status}),
                )
                .await;
            assert_eq!(moved.status, StatusCode::OK, "{:?}", moved.body);
        }
    }

    pub async fn admin_get(&self, path: &str) -> Answer {
        let token = self.admin_token.clone();
        self.get(&format!("/admin/v1{path}"), &token).await
    }

    /// `POST /admin/v1/customers` with this body.
    pub async fn create_customer(&self, body: Value) -> Answer {
        self.admin_post("/customers", body).await
    }

    /// Creates a member on a `flets_next` line with the given licences.
    pub async fn member_with(&self, line: &str, licenses: Value) -> Member {
        let email = format!(
            "member.{}@example.jp",
            madoguchi_core::secret::random_digits(8)
        );
        let created = self
            .create_customer(
                json!({"name": "山田 太郎", "email": email, "line": line, "licenses": licenses}),
            )
            .await;
        assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
        Member {
            customer_id: created.body["customer_id"].as_str().unwrap().to_owned(),
            access_key: created.body["access_key"].as_str().unwrap().to_owned(),
            serials: created.body["serials"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s["serial"].as_str().unwrap().to_owned())
                .collect(),
            email,
        }
    }

    /// A member with only the standard (monthly) serial.
    pub async fn member(&self) -> Member {
        self.member_with("flets_next", json!([])).await
    }

    /// A member whose standard licence is a term one ending on `expires_on`.
    pub async fn member_until(&self, expires_on: &str) -> Member {
        self.member_with("flets_next", json!([licence(Some(expires_on))]))
            .await
    }

    /// A member with only the standard serial, and the token of a session of theirs.
    pub async fn logged_in(&self) -> (Member, String) {
        let member = self.member().await;
        let token = self.login(&member).await;
        (member, token)
    }

    pub async fn try_login(&self, customer_id: &str, access_key: &str) -> Answer {
        self.call(
            Method::POST,
            "/v1/sessions",
            None,
            Some(json!({"customer_id": customer_id, "access_key": access_key})),
        )
        .await
    }

    /// A login with the member's own ID and key.
    pub async fn try_login_as(&self, member: &Member) -> Answer {
        self.try_login(&member.customer_id, &member.access_key)
            .await
    }

    /// Whether the store still holds the session of `token`, found as a member's request
    /// finds it: ending sessions must remove them, not only have requests refused.
    pub async fn session_stored(&self, token: &str) -> bool {
        let digest = madoguchi_core::secret::token_digest(token);
        let member = madoguchi_core::domain::token_member(token).expect("a token as issued");
        let key = madoguchi_core::store::SessionKey {
            token_digest: &digest,
            member: member.as_ref(),
        };
        let view = self.ctx.store.session_view(key, false).await.unwrap();
        view.is_some()
    }

    pub async fn login(&self, member: &Member) -> String {
        let answer = self.try_login_as(member).await;
        assert_eq!(answer.status, StatusCode::CREATED, "{:?}", answer.body);
        answer.body["token"].as_str().unwrap().to_owned()
    }

    /// Purchase codes issued by an operator.
    pub async fn issue_codes(&self, product: &str, term_months: u32, count: u32) -> Vec<String> {
        let issued = self
            .admin_post(
                "/codes",
                json!({"product": product, "term_months": term_months, "count": count}),
            )
            .await;
        assert_eq!(issued.status, StatusCode::CREATED, "{:?}", issued.body);
        issued.body["codes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap().to_owned())
            .collect()
    }

    /// The member's state as operators see it.
    pub async fn state_of(&self, member: &Member) -> Value {
        let state = self
            .admin_get(&format!("/customers/{}", member.customer_id))
            .await;
        assert_eq!(state.status, StatusCode::OK, "{:?}", state.body);
        state.body
    }

    /// Mails queued to an address, as operators see them.
    pub async fn mails_to(&self, email: &str) -> Vec<Value> {
        let answer = self.admin_get(&format!("/outbox?to={email}")).await;
        assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
        answer.body["mails"].as_array().unwrap().clone()
    }

    /// The mails of one kind queued to an address, oldest first.
    pub async fn mails_of_kind(&self, email: &str, kind: &str) -> Vec<Value> {
        let mut mails = self.mails_to(email).await;
        mails.retain(|m| m["kind"] == kind);
        mails
    }

    /// The kind of every mail queued to an address, oldest first.
    pub async fn mail_kinds(&self, email: &str) -> Vec<String> {
        let mails = self.mails_to(email).await;
        mails
            .iter()
            .map(|m| m["kind"].as_str().unwrap().to_owned())
            .collect()
    }
}

pub async fn answer(response: reqwest::Response) -> Answer {
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.bytes().await.unwrap();
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| panic!("{status}: not JSON: {}", String::from_utf8_lossy(&bytes)))
    };
    Answer {
        status,
        headers,
        body,
    }
}

/// A back office that keeps what it is handed (docs/orders.md): the detail type and the
/// event, for the tests that dispatch without the cloud's bus.
#[derive(Default)]
pub struct HandedOver(std::sync::Mutex<Vec<(String, Value)>>);

impl HandedOver {
    pub fn events(&self) -> Vec<(String, Value)> {
        self.0.lock().unwrap().clone()
    }
}

#[async_trait::async_trait]
impl madoguchi_core::service::outbox::BackOffice for HandedOver {
    async fn publish(
        &self,
        detail_type: &str,
        order: &madoguchi_core::domain::product_order::ProductOrder,
    ) -> Result<(), String> {
        let event = serde_json::to_value(order).map_err(|e| e.to_string())?;
        self.0.lock().unwrap().push((detail_type.to_owned(), event));
        Ok(())
    }
}
