//! The log scan: no access key, session token, admin token, renewal code, unlock code or
//! full email address in any line local-dev wrote during the run (docs/login.md, docs/operators.md).

use std::time::Duration;

use reqwest::Method;
use serde_json::json;

use crate::Failure;
use crate::member::{self, Secrets};
use crate::server::LocalDev;
use crate::verify::Check;

pub struct Figures {
    pub lines: usize,
    pub secrets: usize,
}

pub fn scan(lines: &[String], secrets: &[(&'static str, String)]) -> Result<Figures, Failure> {
    let mut check = Check::default();
    check.that(lines.iter().any(|l| l.contains("madoguchi_core")), || {
        "no line of madoguchi's own was captured: the scan would prove nothing".to_owned()
    });
    let sender = madoguchi_core::mail::DEFAULT_FROM;
    for (n, line) in lines.iter().enumerate() {
        for (what, secret) in secrets {
            check.that(!line.contains(secret.as_str()), || {
                format!(
                    "line {}: a {what}: {}",
                    n + 1,
                    line.replace(secret.as_str(), &format!("<{what}>"))
                )
            });
        }
        for address in email_addresses(line) {
            check.that(sender.contains(address), || {
                format!(
                    "line {}: an email address: {}",
                    n + 1,
                    line.replace(address, "<email>")
                )
            });
        }
        let unlock_context = line.to_lowercase().contains("unlock");
        check.that(!(unlock_context && has_eight_digits(line)), || {
            format!("line {}: eight digits in an unlock line: {line}", n + 1)
        });
    }
    if check.problems.is_empty() {
        Ok(Figures {
            lines: lines.len(),
            secrets: secrets.len(),
        })
    } else {
        Err(check.report().into())
    }
}

/// Every `local@domain.tld` in a line.
fn email_addresses(line: &str) -> Vec<&str> {
    let local = |c: char| c.is_ascii_alphanumeric() || "._%+-".contains(c);
    let domain = |c: char| c.is_ascii_alphanumeric() || ".-".contains(c);
    let mut found = Vec::new();
    for (at, _) in line.match_indices('@') {
        let start = line[..at]
            .char_indices()
            .rev()
            .take_while(|(_, c)| local(*c))
            .last()
            .map(|(i, _)| i);
        let end = at
            + 1
            + line[at + 1..]
                .find(|c: char| !domain(c))
                .unwrap_or(line.len() - at - 1);
        let host = line[at + 1..end].trim_end_matches('.');
        if let Some(start) = start
            && host.contains('.')
        {
            found.push(&line[start..at + 1 + host.len()]);
        }
    }
    found
}

fn has_eight_digits(line: &str) -> bool {
    line.split(|c: char| !c.is_ascii_digit())
        .any(|run| run.len() == 8)
}

/// The unlock codes the run can obtain, added to the secrets the scan looks for: once
/// `/v1/account-unlock` (docs/login.md#self-service-unlock) is served, a member is locked, asks for a code, and the
/// code is read from the `unlock_code` mail and used. Until then this finds none.
pub async fn obtain_unlock_codes(server: &LocalDev, secrets: &Secrets) -> Result<String, Failure> {
    let api = &server.api;
    let admin = &server.admin_token;
    let doc = api.ok(Method::GET, "/openapi.json", None, None).await?;
    if doc["paths"].get("/v1/account-unlock").is_none() {
        return Ok(
            "/v1/account-unlock is not in /openapi.json: no unlock code to obtain \
                   (the scan for eight digits in unlock lines still runs)"
                .to_owned(),
        );
    }
    let locked = member::create(api, admin, "施錠 太郎", "unlock", secrets).await?;
    let wrong = json!({"customer_id": locked.customer_id, "access_key": "Wrong-Key-0000"});
    let mut status = 0;
    for _ in 0..12 {
        status = api
            .must(Method::POST, "/v1/sessions", None, Some(&wrong))
            .await?
            .status;
        if status == 423 {
            break;
        }
    }
    if status != 423 {
        return Err(format!("wrong logins did not lock the member (last answer {status})").into());
    }
    let asked = json!({"customer_id": locked.customer_id});
    api.ok(Method::POST, "/v1/account-unlock", None, Some(&asked))
        .await?;
    let mut codes = Vec::new();
    for _ in 0..50 {
        let mails = member::mails_to(api, admin, &locked.email).await?;
        codes = mails
            .iter()
            .filter(|m| m["kind"] == "unlock_code")
            .flat_map(|m| {
                m["body"]
                    .as_str()
                    .unwrap_or_default()
                    .split(|c: char| !c.is_ascii_digit())
                    .filter(|run| run.len() == 8)
                    .map(str::to_owned)
                    .collect::<Vec<_>>()
            })
            .collect();
        if !codes.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let Some(code) = codes.first() else {
        return Err("no unlock_code mail with an eight-digit code".into());
    };
    for code in &codes {
        secrets.add("unlock code", code);
    }
    let confirm = json!({"customer_id": locked.customer_id, "code": code});
    api.ok(
        Method::POST,
        "/v1/account-unlock/confirm",
        None,
        Some(&confirm),
    )
    .await?;
    Ok(format!(
        "{} unlock codes obtained from the unlock_code mail and used",
        codes.len()
    ))
}
