//! `kill -9` of local-dev under a mixed write load, then a restart on the same data dir,
//! round after round: every write it acknowledged must be there after each restart, with
//! its receipt and its mail, and the invariants of docs/usage.md, renewal.md and readers.md must hold.
//!
//! A write cut off by the kill (sent, never answered) may or may not have happened; the
//! checks accept either, never a half. Writes to one serial (activations) and one member's
//! provider settings are sent one at a time, so that the order of their answers is the
//! order of their commits and "the last acknowledged one wins" can be checked exactly.

mod checks;

use checks::{expiry_of, verify};

use std::collections::HashSet;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use jiff::ToSpan;
use jiff::civil::Date;
use rand::Rng;
use reqwest::Method;
use serde_json::{Value, json};

use crate::Failure;
use crate::member::{self, Member, Secrets};
use crate::server::{Api, LocalDev, LogBook};
use crate::verify::Check;

pub struct Options {
    pub rounds: usize,
    /// How long the load runs before the kill, at random between these (milliseconds).
    pub load_ms: (u64, u64),
    pub workers: usize,
    pub members_per_round: usize,
}

#[derive(Debug, Default)]
pub struct Figures {
    pub rounds: usize,
    pub acknowledged: usize,
    pub cut_off: usize,
    pub refused: usize,
    pub checks: usize,
}

/// A member of the run, with what serialises the writes whose order the checks rely on.
struct Crew {
    member: Member,
    token: Mutex<String>,
    serial_turns: Vec<tokio::sync::Mutex<()>>,
    line_turn: tokio::sync::Mutex<()>,
    first_expiry: Vec<Date>,
}

impl Crew {
    fn token(&self) -> String {
        self.token.lock().unwrap().clone()
    }
}

#[derive(Debug, Clone)]
enum Kind {
    Activation { serial: usize, device: String },
    Renewal { serial: usize, body: Value },
    Reader,
    Line { provider: String },
}

/// One write sent to the server: `answer` is its 2xx body, or `None` when the kill cut it
/// off before an answer came.
#[derive(Debug, Clone)]
struct Write {
    member: usize,
    kind: Kind,
    answer: Option<Value>,
}

struct Load {
    api: Api,
    crews: Vec<Arc<Crew>>,
    /// Indexes into `crews` of this round's members.
    active: Vec<usize>,
    codes: Mutex<Vec<String>>,
    renewal_terms: String,
    line_terms: String,
    ledger: Mutex<Vec<Write>>,
    refused: AtomicUsize,
    server_errors: Mutex<Vec<String>>,
    stop: AtomicBool,
    sent: AtomicUsize,
}

enum Outcome {
    Acknowledged(Value),
    CutOff,
    Refused,
    NotSent,
}

impl Load {
    /// What happened to a write, recording 5xx answers as failures of the run.
    fn outcome(&self, what: &str, result: Result<crate::server::Reply, reqwest::Error>) -> Outcome {
        self.sent.fetch_add(1, Ordering::Relaxed);
        match result {
            Ok(reply) if reply.is_success() => Outcome::Acknowledged(reply.body),
            Ok(reply) if reply.status >= 500 => {
                self.server_errors
                    .lock()
                    .unwrap()
                    .push(format!("{what}: {} {}", reply.status, reply.text));
                Outcome::Refused
            }
            Ok(_) => {
                self.refused.fetch_add(1, Ordering::Relaxed);
                Outcome::Refused
            }
            Err(e) if e.is_connect() => Outcome::NotSent,
            Err(_) => Outcome::CutOff,
        }
    }

    fn record(&self, member: usize, kind: Kind, outcome: Outcome) {
        let answer = match outcome {
            Outcome::Acknowledged(body) => Some(body),
            Outcome::CutOff => None,
            Outcome::Refused | Outcome::NotSent => return,
        };
        self.ledger.lock().unwrap().push(Write {
            member,
            kind,
            answer,
        });
    }

    async fn activate(&self, m: usize, serial: usize, device: String) {
        let crew = &self.crews[m];
        let _turn = crew.serial_turns[serial].lock().await;
        let path = format!("/v1/serials/{}/activation", crew.member.serials[serial]);
        let body = json!({"device_id": device, "os": "windows", "name": "検証端末"});
        let result = self
            .api
            .send(Method::POST, &path, Some(&crew.token()), Some(&body))
            .await;
        let outcome = self.outcome(&path, result);
        self.record(m, Kind::Activation { serial, device }, outcome);
    }

    async fn renew(&self, m: usize, serial: usize, with_session: bool) {
        let Some(code) = self.codes.lock().unwrap().pop() else {
            return;
        };
        let crew = &self.crews[m];
        let body = json!({
            "code": code,
            "serial": crew.member.serials[serial],
            "email": crew.member.email,
            "consent": {"terms_version": self.renewal_terms, "agreed": true},
            "dry_run": false,
        });
        let token = with_session.then(|| crew.token());
        let result = self
            .api
            .send(Method::POST, "/v1/renewals", token.as_deref(), Some(&body))
            .await;
        let outcome = self.outcome("/v1/renewals", result);
        self.record(m, Kind::Renewal { serial, body }, outcome);
    }

    async fn order_reader(&self, m: usize, usb: &str) {
        let crew = &self.crews[m];
        let body = json!({"type": usb, "payment_method": "chocom", "dry_run": false});
        let result = self
            .api
            .send(
                Method::POST,
                "/v1/readers",
                Some(&crew.token()),
                Some(&body),
            )
            .await;
        let outcome = self.outcome("/v1/readers", result);
        self.record(m, Kind::Reader, outcome);
    }

    async fn apply_line(&self, m: usize, provider: &str, setting: &str) {
        let crew = &self.crews[m];
        let _turn = crew.line_turn.lock().await;
        let body = json!({
            "changes": [{"provider_code": provider, "setting": setting}],
            "consent": {"terms_version": self.line_terms, "agreed": true},
            "applicant": {"name": "検証 太郎", "phone": "03-1234-5678",
                          "email": crew.member.email, "completion_email": true},
            "dry_run": false,
        });
        let path = "/v1/line-notification/applications";
        let result = self
            .api
            .send(Method::POST, path, Some(&crew.token()), Some(&body))
            .await;
        let outcome = self.outcome(path, result);
        let provider = provider.to_owned();
        self.record(m, Kind::Line { provider }, outcome);
    }

    /// One worker: mixed writes on this round's members until told to stop.
    async fn work(self: Arc<Self>, round: usize, worker: usize) {
        let mut n = 0;
        while !self.stop.load(Ordering::Relaxed) {
            n += 1;
            let (m, pick, serial, flag) = {
                let mut rng = rand::rng();
                (
                    self.active[rng.random_range(0..self.active.len())],
                    rng.random_range(0..100),
                    rng.random_range(0..2usize),
                    rng.random_bool(0.5),
                )
            };
            match pick {
                0..35 => {
                    let device = format!("dev-r{round}-w{worker}-{n}");
                    self.activate(m, serial, device).await;
                }
                35..60 => self.renew(m, serial, flag).await,
                60..75 => {
                    let usb = if flag { "usb_windows" } else { "usb_mac" };
                    self.order_reader(m, usb).await;
                }
                _ => {
                    let provider = if serial == 0 { "W0099" } else { "060000" };
                    let setting = if flag { "notify" } else { "do_not_notify" };
                    self.apply_line(m, provider, setting).await;
                }
            }
        }
    }
}

pub async fn run(
    options: &Options,
    binary: &Path,
    data_dir: &Path,
    log: &LogBook,
    secrets: &Secrets,
) -> Result<Figures, Failure> {
    let mut server = LocalDev::start(binary, data_dir, log).await?;
    secrets.add("admin token", &server.admin_token);
    let renewal_terms = member::terms_version(&server.api, "renewal").await?;
    let line_terms = member::terms_version(&server.api, "line-notification").await?;
    let mut crews: Vec<Arc<Crew>> = Vec::new();
    let mut ledger: Vec<Write> = Vec::new();
    let mut redeemed_checked = HashSet::new();
    let mut figures = Figures::default();

    for round in 1..=options.rounds {
        let api = server.api.clone();
        let admin = server.admin_token.clone();
        let mut active = Vec::new();
        for i in 0..options.members_per_round {
            let name = format!("検証 {}郎", ["一", "二", "三", "四"][i % 4]);
            let made = member::create(&api, &admin, &name, "crash", secrets).await?;
            let token = member::login(&api, &made, secrets).await?;
            let state = member::state(&api, &admin, &made.customer_id).await?;
            let first_expiry = made
                .serials
                .iter()
                .map(|s| expiry_of(&state, s).ok_or(format!("{s} has no expiry")))
                .collect::<Result<Vec<_>, _>>()?;
            active.push(crews.len());
            crews.push(Arc::new(Crew {
                serial_turns: made.serials.iter().map(|_| Default::default()).collect(),
                member: made,
                token: Mutex::new(token),
                line_turn: Default::default(),
                first_expiry,
            }));
        }
        let codes = member::issue_codes(&api, &admin, 40, secrets).await?;
        let load = Arc::new(Load {
            api: api.clone(),
            crews: crews.clone(),
            active,
            codes: Mutex::new(codes),
            renewal_terms: renewal_terms.clone(),
            line_terms: line_terms.clone(),
            ledger: Mutex::new(Vec::new()),
            refused: AtomicUsize::new(0),
            server_errors: Mutex::new(Vec::new()),
            stop: AtomicBool::new(false),
            sent: AtomicUsize::new(0),
        });
        let workers: Vec<_> = (0..options.workers)
            .map(|w| tokio::spawn(load.clone().work(round, w)))
            .collect();
        let wait = rand::rng().random_range(options.load_ms.0..=options.load_ms.1);
        tokio::time::sleep(Duration::from_millis(wait)).await;
        load.stop.store(true, Ordering::Relaxed);
        server.kill().await?;
        for worker in workers {
            worker.await?;
        }
        let errors = load.server_errors.lock().unwrap().clone();
        if !errors.is_empty() {
            return Err(format!("round {round}: 5xx answers:\n{}", errors.join("\n")).into());
        }
        let this_round = load.ledger.lock().unwrap().clone();
        let acknowledged = this_round.iter().filter(|w| w.answer.is_some()).count();
        let cut_off = this_round.len() - acknowledged;
        figures.acknowledged += acknowledged;
        figures.cut_off += cut_off;
        figures.refused += load.refused.load(Ordering::Relaxed);
        ledger.extend(this_round);

        server = LocalDev::start(binary, data_dir, log)
            .await
            .map_err(|e| format!("round {round}: the data dir did not open again: {e}"))?;
        let mut check = Check::default();
        verify(
            &server,
            &crews,
            &ledger,
            &mut redeemed_checked,
            &mut check,
            secrets,
        )
        .await?;
        figures.checks += check.passed;
        if !check.problems.is_empty() {
            return Err(format!(
                "round {round}: after kill -9 and restart:\n{}",
                check.report()
            )
            .into());
        }
        figures.rounds = round;
        println!(
            "round {round}: killed after {wait} ms with {} requests sent; {acknowledged} \
             acknowledged writes, {cut_off} cut off; after restart all {} acknowledged so far \
             are there ({} checks)",
            load.sent.load(Ordering::Relaxed),
            figures.acknowledged,
            check.passed
        );
    }
    if !server.stop().await? {
        return Err("local-dev did not stop cleanly on SIGTERM".into());
    }
    Ok(figures)
}

/// The member's session, or a new one when it has idled out.
async fn fresh_token(api: &Api, crew: &Crew, secrets: &Secrets) -> Result<String, Failure> {
    let token = crew.token();
    let probe = api
        .must(Method::GET, "/v1/receipts?limit=1", Some(&token), None)
        .await?;
    if probe.status != 401 {
        return Ok(token);
    }
    let token = member::login(api, &crew.member, secrets).await?;
    *crew.token.lock().unwrap() = token.clone();
    Ok(token)
}
