//! Members made through the admin API, their logins, renewal codes and the secrets the log
//! scan looks for.

use std::sync::{Arc, Mutex};

use reqwest::Method;
use serde_json::{Value, json};

use crate::Failure;
use crate::server::Api;

/// Everything the run learns that must never reach a log line, with what it is.
#[derive(Clone, Default)]
pub struct Secrets(Arc<Mutex<Vec<(&'static str, String)>>>);

impl Secrets {
    pub fn add(&self, what: &'static str, secret: &str) {
        self.0.lock().unwrap().push((what, secret.to_owned()));
    }

    pub fn all(&self) -> Vec<(&'static str, String)> {
        self.0.lock().unwrap().clone()
    }
}

/// A member with a term standard serial and a term License Plus serial.
#[derive(Debug, Clone)]
pub struct Member {
    pub customer_id: String,
    pub access_key: String,
    pub name: String,
    pub email: String,
    pub serials: Vec<String>,
    pub product_keys: Vec<String>,
}

/// One term licence of security-suite, ending about a hundred days from now.
fn term(plan: &str) -> Value {
    let ends = jiff::Timestamp::now()
        .checked_add(jiff::SignedDuration::from_hours(24 * 100))
        .expect("a date a hundred days ahead")
        .to_string();
    json!({"product": "security-suite", "plan": plan, "billing": "term", "expires_on": &ends[..10]})
}

pub async fn create(
    api: &Api,
    admin: &str,
    name: &str,
    email_tag: &str,
    secrets: &Secrets,
) -> Result<Member, Failure> {
    let email = format!(
        "{email_tag}.{}@example.jp",
        madoguchi_core::secret::random_digits(8)
    );
    let created = api
        .ok(
            Method::POST,
            "/admin/v1/customers",
            Some(admin),
            Some(&json!({"name": name, "email": email, "line": "flets_next",
                         "licenses": [term("standard"), term("license_plus")]})),
        )
        .await?;
    let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    let serials = created["serials"].as_array().cloned().unwrap_or_default();
    let member = Member {
        customer_id: text(&created["customer_id"]),
        access_key: text(&created["access_key"]),
        name: name.to_owned(),
        email,
        serials: serials.iter().map(|s| text(&s["serial"])).collect(),
        product_keys: serials.iter().map(|s| text(&s["product_key"])).collect(),
    };
    secrets.add("access key", &member.access_key);
    secrets.add("email address", &member.email);
    Ok(member)
}

/// A new session of the member.
pub async fn login(api: &Api, member: &Member, secrets: &Secrets) -> Result<String, Failure> {
    let session = api
        .ok(
            Method::POST,
            "/v1/sessions",
            None,
            Some(&json!({"customer_id": member.customer_id, "access_key": member.access_key})),
        )
        .await?;
    let token = session["token"].as_str().unwrap_or_default().to_owned();
    secrets.add("session token", &token);
    Ok(token)
}

/// One-month renewal codes for security-suite.
pub async fn issue_codes(
    api: &Api,
    admin: &str,
    count: usize,
    secrets: &Secrets,
) -> Result<Vec<String>, Failure> {
    let issued = api
        .ok(
            Method::POST,
            "/admin/v1/codes",
            Some(admin),
            Some(&json!({"product": "security-suite", "term_months": 1, "count": count})),
        )
        .await?;
    let codes: Vec<String> = issued["codes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c.as_str().map(str::to_owned))
        .collect();
    for code in &codes {
        secrets.add("renewal code", code);
    }
    Ok(codes)
}

/// The current version of the consent text of `kind` (`renewal`, `line-notification`).
pub async fn terms_version(api: &Api, kind: &str) -> Result<String, Failure> {
    let terms = api
        .ok(Method::GET, &format!("/v1/terms/{kind}"), None, None)
        .await?;
    Ok(terms["version"].as_str().unwrap_or_default().to_owned())
}

/// A member's state as operators see it.
pub async fn state(api: &Api, admin: &str, customer_id: &str) -> Result<Value, Failure> {
    api.ok(
        Method::GET,
        &format!("/admin/v1/customers/{customer_id}"),
        Some(admin),
        None,
    )
    .await
}

/// Every page of a paged list (`receipts`, `events`) at `path`.
pub async fn all_pages(
    api: &Api,
    path: &str,
    token: &str,
    field: &str,
) -> Result<Vec<Value>, Failure> {
    let mut items = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page_path = match &cursor {
            Some(c) => format!("{path}?limit=200&cursor={c}"),
            None => format!("{path}?limit=200"),
        };
        let page = api.ok(Method::GET, &page_path, Some(token), None).await?;
        items.extend(page[field].as_array().cloned().unwrap_or_default());
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return Ok(items),
        }
    }
}

/// Mails queued to an address, as operators see them.
pub async fn mails_to(api: &Api, admin: &str, email: &str) -> Result<Vec<Value>, Failure> {
    let outbox = api
        .ok(
            Method::GET,
            &format!("/admin/v1/outbox?to={email}"),
            Some(admin),
            None,
        )
        .await?;
    Ok(outbox["mails"].as_array().cloned().unwrap_or_default())
}
