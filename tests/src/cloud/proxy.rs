//! The proxy: one loopback endpoint per function, in front of DynamoDB Local, that holds
//! every call against that function's statements in the template, stands in for Secrets
//! Manager, SES and EventBridge (held to the same check), and injects DynamoDB's faults.
//!
//! It speaks HTTP/1.1 itself, over plain TCP, because one of the faults it makes is a
//! connection closed after the write was applied and before any answer: a server
//! framework always answers.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write as _;
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};

use super::calls;
use super::faults::{self, Fault, FaultCounts, FaultPlan};
use super::policy::{Need, Policy, Stack, Template};
use super::stand_ins;
use super::wire::{Reply, Request, json_reply, read_request, reason};

/// The key of the shared endpoint among the endpoints.
const SHARED: &str = "(shared)";

/// The function a request on the shared endpoint comes from: the `app/<name>` part of the
/// SDK's user agent.
fn app_id(request: &Request) -> Option<String> {
    let agents = [
        request.header("x-amz-user-agent"),
        request.header("user-agent"),
    ];
    agents.into_iter().flatten().find_map(|agent| {
        agent
            .split_whitespace()
            .find_map(|part| part.strip_prefix("app/"))
            .map(str::to_owned)
    })
}

/// A call a function's policy does not allow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Denial {
    pub function: String,
    pub action: String,
    pub resource: String,
}

impl std::fmt::Display for Denial {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} is not allowed {} on {} by infra/template.yaml",
            self.function, self.action, self.resource
        )
    }
}

/// A mail the SES stand-in accepted.
#[derive(Debug, Clone)]
pub struct SentEmail {
    pub function: String,
    pub from: String,
    pub to: Vec<String>,
    pub subject: String,
}

/// An event the EventBridge stand-in accepted.
#[derive(Debug, Clone)]
pub struct PutEvent {
    pub function: String,
    pub bus: String,
    pub source: String,
    pub detail_type: String,
    pub detail: Value,
}

/// The proxy's state, shared by its endpoints.
pub(super) struct Shared {
    stack: Stack,
    policies: BTreeMap<String, Policy>,
    upstream: String,
    http: reqwest::Client,
    denials: Mutex<Vec<Denial>>,
    /// (function, action, resource) of every call checked and allowed.
    checked: Mutex<BTreeSet<(String, String, String)>>,
    /// (function, action pattern, resource pattern) of every grant a call needed.
    used: Mutex<BTreeSet<(String, String, String)>>,
    plan: Mutex<(FaultPlan, u64)>,
    counts: Mutex<FaultCounts>,
    pub(super) secrets: Mutex<BTreeMap<String, String>>,
    pub(super) secret_reads: Mutex<Vec<(String, String)>>,
    /// The SES identities verified in the stand-in account: the sender's domain, or the
    /// sender's address alone.
    ses_identities: Mutex<Vec<String>>,
    pub(super) sent: Mutex<Vec<SentEmail>>,
    /// Addresses SES answers `MessageRejected` for.
    pub(super) refused: Mutex<BTreeSet<String>>,
    pub(super) events: Mutex<Vec<PutEvent>>,
    log: Option<std::path::PathBuf>,
}

/// The proxy, for one stand-in stack over one table. Dropped, it checks that every call
/// was allowed: a test that made a call the template does not allow fails, naming it.
pub struct Cloud {
    shared: Arc<Shared>,
    endpoints: BTreeMap<String, String>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Cloud {
    /// Starts one endpoint per function of the template, in front of DynamoDB at
    /// `upstream`, for the stack over `table`.
    pub async fn start(upstream: &str, table: &str, region: &str) -> Self {
        let stack = Stack::new(table, region);
        let template = Template::of_this_repository();
        let policies = template
            .policies(&stack)
            .unwrap_or_else(|e| panic!("infra/template.yaml: {e}"));
        let sender = stack.parameters["SenderAddress"].clone();
        let domain = sender.rsplit_once('@').unwrap().1.to_owned();
        let shared = Arc::new(Shared {
            stack,
            policies,
            upstream: upstream.trim_end_matches('/').to_owned(),
            http: reqwest::Client::new(),
            denials: Mutex::default(),
            checked: Mutex::default(),
            used: Mutex::default(),
            plan: Mutex::new((FaultPlan::none(), 0)),
            counts: Mutex::default(),
            secrets: Mutex::default(),
            secret_reads: Mutex::default(),
            ses_identities: Mutex::new(vec![domain]),
            sent: Mutex::default(),
            refused: Mutex::default(),
            events: Mutex::default(),
            log: std::env::var_os("MADOGUCHI_IAM_LOG").map(Into::into),
        });
        let mut endpoints = BTreeMap::new();
        let mut tasks = Vec::new();
        let named = shared.policies.keys().cloned().map(Some);
        // The last listener is shared by every function, each telling who it is (below).
        for function in named.chain(std::iter::once(None)) {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let address = listener.local_addr().unwrap();
            endpoints.insert(
                function.clone().unwrap_or_else(|| SHARED.to_owned()),
                format!("http://{address}"),
            );
            let shared = shared.clone();
            tasks.push(tokio::spawn(async move {
                while let Ok((stream, _)) = listener.accept().await {
                    // An answer is written in one piece; without this, Nagle's algorithm
                    // would hold it back for the client's delayed acknowledgement.
                    let _ = stream.set_nodelay(true);
                    let (shared, function) = (shared.clone(), function.clone());
                    tokio::spawn(async move {
                        let _ = serve_connection(stream, &shared, function.as_deref()).await;
                    });
                }
            }));
        }
        Self {
            shared,
            endpoints,
            tasks,
        }
    }

    /// The one endpoint every function may share, where each call is held against the
    /// policy of the function its SDK names with `AWS_SDK_UA_APP_ID` (`app/<function>` in
    /// its user agent): for `cargo lambda watch`, which gives every function the same
    /// process environment but each package its own metadata variables.
    pub fn shared_endpoint(&self) -> &str {
        &self.endpoints[SHARED]
    }

    pub fn stack(&self) -> &Stack {
        &self.shared.stack
    }

    /// The endpoint a function's process is given (`AWS_ENDPOINT_URL_DYNAMODB`, and the
    /// same for Secrets Manager and SES).
    pub fn endpoint(&self, function: &str) -> &str {
        self.endpoints
            .get(function)
            .unwrap_or_else(|| panic!("the template has no function {function}"))
    }

    pub fn endpoints(&self) -> &BTreeMap<String, String> {
        &self.endpoints
    }

    /// From now on, faults as `plan` says.
    pub fn inject(&self, plan: FaultPlan) {
        *self.shared.plan.lock().unwrap() = (plan, 0);
    }

    pub fn fault_counts(&self) -> FaultCounts {
        self.shared.counts.lock().unwrap().clone()
    }

    /// Serves `value` as the secret the template's resource `logical` creates.
    pub fn put_secret(&self, logical: &str, value: &str) -> String {
        let arn = self.shared.stack.secret_arn(logical);
        self.shared
            .secrets
            .lock()
            .unwrap()
            .insert(arn.clone(), value.to_owned());
        arn
    }

    /// (function, secret ARN) of every secret read.
    pub fn secret_reads(&self) -> Vec<(String, String)> {
        self.shared.secret_reads.lock().unwrap().clone()
    }

    /// The mails the SES stand-in accepted.
    pub fn sent_emails(&self) -> Vec<SentEmail> {
        self.shared.sent.lock().unwrap().clone()
    }

    /// The events the EventBridge stand-in accepted.
    pub fn put_events(&self) -> Vec<PutEvent> {
        self.shared.events.lock().unwrap().clone()
    }

    /// From now on, SES has the sender's address verified as an identity of its own, not
    /// its domain: sending is then authorised against the address's identity.
    pub fn verify_sender_address_only(&self) {
        let sender = self.shared.stack.parameters["SenderAddress"].clone();
        *self.shared.ses_identities.lock().unwrap() = vec![sender];
    }

    /// SES refuses every mail to `address` from now on.
    pub fn refuse_mail_to(&self, address: &str) {
        self.shared
            .refused
            .lock()
            .unwrap()
            .insert(address.to_owned());
    }

    pub fn denials(&self) -> Vec<Denial> {
        self.shared.denials.lock().unwrap().clone()
    }

    /// The denials so far, which then no longer fail the test (for a test of the check).
    pub fn take_denials(&self) -> Vec<Denial> {
        std::mem::take(&mut *self.shared.denials.lock().unwrap())
    }

    /// The (function, action, resource) triples checked so far.
    pub fn checked(&self) -> BTreeSet<(String, String, String)> {
        self.shared.checked.lock().unwrap().clone()
    }

    /// Fails, naming each call the template does not allow.
    pub fn assert_every_call_allowed(&self) {
        let denials = self.denials();
        assert!(
            denials.is_empty(),
            "calls the IAM policies do not allow:\n{}",
            denials
                .iter()
                .map(|d| format!("  {d}"))
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
}

impl Drop for Cloud {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
        if !std::thread::panicking() {
            self.assert_every_call_allowed();
        }
    }
}

async fn serve_connection(
    mut stream: TcpStream,
    shared: &Shared,
    function: Option<&str>,
) -> std::io::Result<()> {
    let mut buffer = Vec::new();
    loop {
        let Some(request) = read_request(&mut stream, &mut buffer).await? else {
            return Ok(());
        };
        // A caller on the shared endpoint that names no function of the template is held
        // to no policy: every call it makes is refused.
        let function = match function {
            Some(function) => function.to_owned(),
            None => app_id(&request)
                .filter(|id| shared.policies.contains_key(id))
                .unwrap_or_else(|| "(a caller naming no function)".to_owned()),
        };
        match handle(shared, &function, request).await {
            Reply::Cut => return Ok(()),
            Reply::Answer {
                status,
                headers,
                body,
            } => {
                let mut head = Vec::new();
                write!(head, "HTTP/1.1 {status} {}\r\n", reason(status))?;
                for (name, value) in &headers {
                    write!(head, "{name}: {value}\r\n")?;
                }
                write!(head, "content-length: {}\r\n\r\n", body.len())?;
                head.extend_from_slice(&body);
                stream.write_all(&head).await?;
            }
        }
    }
}

async fn handle(shared: &Shared, function: &str, request: Request) -> Reply {
    let body: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
    let target = request
        .header("x-amz-target")
        .unwrap_or_default()
        .to_owned();
    if let Some(operation) = calls::dynamodb_operation(&target) {
        let operation = operation.to_owned();
        let needs = calls::dynamodb_needs(&operation, &body, &shared.stack);
        if let Some(denied) = check(shared, function, needs) {
            return denied;
        }
        return dynamodb(shared, request, &operation, body).await;
    }
    if let Some(operation) = target.strip_prefix("secretsmanager.") {
        let needs = calls::secret_needs(operation, &body);
        if let Some(denied) = check(shared, function, needs) {
            return denied;
        }
        return stand_ins::secret(shared, function, operation, &body);
    }
    if let Some(operation) = target.strip_prefix("AWSEvents.") {
        let needs = calls::events_needs(operation, &body, &shared.stack);
        if let Some(denied) = check(shared, function, needs) {
            return denied;
        }
        return stand_ins::put_events(shared, function, &body);
    }
    if request.method == "POST" && request.path.starts_with("/v2/email/outbound-emails") {
        let verified = shared.ses_identities.lock().unwrap().clone();
        let needs = calls::ses_send_needs(&body, &shared.stack, &verified);
        if let Some(denied) = check(shared, function, needs) {
            return denied;
        }
        return stand_ins::send_email(shared, function, &body);
    }
    json_reply(
        404,
        "application/json",
        &json!({"message": format!("the proxy serves no {} {}", request.method, request.path)}),
    )
}

/// Holds the needs against the function's policy; the refusal IAM gives when one is not
/// allowed.
fn check(shared: &Shared, function: &str, needs: Result<Vec<Need>, String>) -> Option<Reply> {
    let needs = match needs {
        Ok(needs) => needs,
        Err(error) => {
            return Some(json_reply(
                400,
                "application/x-amz-json-1.0",
                &json!({"__type": "com.amazon.coral.validate#ValidationException", "message": error}),
            ));
        }
    };
    let nobody = Policy::default();
    let policy = shared.policies.get(function).unwrap_or(&nobody);
    for need in needs {
        match policy.grant_for(&need) {
            Some((action, resource)) if policy.allows(&need) => {
                let call = (
                    function.to_owned(),
                    need.action.clone(),
                    need.resource.clone(),
                );
                if shared.checked.lock().unwrap().insert(call.clone()) {
                    log(shared, "checked", &call);
                }
                let grant = (function.to_owned(), action, resource);
                if shared.used.lock().unwrap().insert(grant.clone()) {
                    log(shared, "grant", &grant);
                }
            }
            _ => {
                let denial = Denial {
                    function: function.to_owned(),
                    action: need.action.clone(),
                    resource: need.resource.clone(),
                };
                tracing::error!(%denial, "a call the template does not allow");
                shared.denials.lock().unwrap().push(denial);
                let message = format!(
                    "User: arn:aws:sts::{}:assumed-role/{}-{function}/{function} is not authorized to perform: {} on resource: {} because no identity-based policy allows the {} action",
                    shared.stack.account,
                    shared.stack.name,
                    need.action,
                    need.resource,
                    need.action
                );
                return Some(json_reply(
                    400,
                    "application/x-amz-json-1.0",
                    &json!({"__type": "com.amazon.coral.service#AccessDeniedException", "Message": message}),
                ));
            }
        }
    }
    None
}

/// Appends a call checked, or a grant a call used, to the files under `MADOGUCHI_IAM_LOG`,
/// for the check that every grant of the template is needed by some test
/// (`cargo run -p madoguchi-tests --bin cloud-report`). The test's table is written
/// `{Table}`, so that every test's calls read alike.
fn log(shared: &Shared, kind: &str, (function, action, resource): &(String, String, String)) {
    let Some(dir) = &shared.log else { return };
    let generic = resource.replace(&shared.stack.table, "{Table}");
    let line = json!({"kind": kind, "function": function, "action": action, "resource": generic});
    super::append_record(dir, "grants", &line);
}

/// The fault the plan has for this call, if any.
fn next_fault(shared: &Shared, operation: &str) -> Option<Fault> {
    let mut guard = shared.plan.lock().unwrap();
    let (plan, seen) = &mut *guard;
    let applicable: Vec<Fault> = plan
        .kinds
        .iter()
        .copied()
        .filter(|k| k.applies_to(operation))
        .collect();
    let chosen = plan.operations.is_empty() || plan.operations.contains(&operation);
    if applicable.is_empty() || plan.burst == 0 || !chosen {
        return None;
    }
    *seen += 1;
    // The calls spared come first; the pattern counts from the first one after them.
    let n = (*seen - 1).checked_sub(plan.spared)?;
    let every = u64::from(plan.every.max(1));
    if n % every >= u64::from(plan.burst) {
        return None;
    }
    Some(applicable[((n / every) % applicable.len() as u64) as usize])
}

async fn dynamodb(shared: &Shared, request: Request, operation: &str, body: Value) -> Reply {
    let fault = next_fault(shared, operation);
    if let Some(fault) = fault {
        *shared
            .counts
            .lock()
            .unwrap()
            .injected
            .entry(fault)
            .or_default() += 1;
        if let Some((status, answer)) = fault.answer(&body) {
            return json_reply(status, "application/x-amz-json-1.0", &answer);
        }
    }
    shared.counts.lock().unwrap().calls += 1;
    let (sent, left) = match fault {
        Some(Fault::Unprocessed) => match faults::split_batch(operation, &body) {
            Some((sent, left)) => (Some(sent), Some(left)),
            None => (None, None),
        },
        _ => (None, None),
    };
    let forwarded = match &sent {
        Some(sent) => sent.to_string().into_bytes(),
        None => request.body.clone(),
    };
    let mut upstream = shared
        .http
        .post(format!("{}{}", shared.upstream, request.path))
        .body(forwarded);
    for (name, value) in &request.headers {
        let skip = ["host", "content-length", "connection"];
        if !skip.iter().any(|s| name.eq_ignore_ascii_case(s)) {
            upstream = upstream.header(name, value);
        }
    }
    let response = match upstream.send().await {
        Ok(response) => response,
        Err(error) => {
            return json_reply(
                500,
                "application/x-amz-json-1.0",
                &json!({"__type": "com.amazonaws.dynamodb.v20120810#InternalServerError",
                        "message": format!("DynamoDB Local: {error}")}),
            );
        }
    };
    if fault == Some(Fault::CutAfterWrite) {
        // Applied (the table answered), and the caller never hears of it.
        let _ = response.bytes().await;
        return Reply::Cut;
    }
    let status = response.status().as_u16();
    let mut headers: Vec<(String, String)> = response
        .headers()
        .iter()
        .filter(|(name, _)| {
            let name = name.as_str();
            name != "content-length" && name != "connection" && name != "transfer-encoding"
        })
        .map(|(n, v)| (n.to_string(), v.to_str().unwrap_or_default().to_owned()))
        .collect();
    let mut bytes = response
        .bytes()
        .await
        .map(|b| b.to_vec())
        .unwrap_or_default();
    if let (Some(left), 200) = (left, status) {
        let mut answer: Value = serde_json::from_slice(&bytes).unwrap_or_else(|_| json!({}));
        faults::add_unprocessed(operation, &mut answer, left);
        bytes = answer.to_string().into_bytes();
        // The body changed, so its checksum would not match.
        headers.retain(|(name, _)| name != "x-amz-crc32");
    }
    Reply::Answer {
        status,
        headers,
        body: bytes,
    }
}
