//! `kill -9` of local-dev under a mixed write load, then a restart on the same data dir,
//! round after round: every write it acknowledged must be there after each restart, with
//! its receipt and its mail, and the invariants of docs/usage.md, renewal.md and readers.md must hold.
//!
//! A write cut off by the kill (sent, never answered) may or may not have happened; the
//! checks accept either, never a half. Writes to one serial (activations) and one member's
//! provider settings are sent one at a time, so that the order of their answers is the
//! order of their commits and "the last acknowledged one wins" can be checked exactly.

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

fn serial_in<'a>(state: &'a Value, serial: &str) -> Option<&'a Value> {
    state["serials"]
        .as_array()?
        .iter()
        .find(|s| s["serial"] == serial)
}

fn expiry_of(state: &Value, serial: &str) -> Option<Date> {
    serial_in(state, serial)?["expires_on"]
        .as_str()?
        .parse()
        .ok()
}

fn text(v: &Value) -> &str {
    v.as_str().unwrap_or_default()
}

/// Everything the ledger says must be there, and the invariants, on the restarted server.
async fn verify(
    server: &LocalDev,
    crews: &[Arc<Crew>],
    ledger: &[Write],
    redeemed_checked: &mut HashSet<String>,
    check: &mut Check,
    secrets: &Secrets,
) -> Result<(), Failure> {
    let api = &server.api;
    let admin = &server.admin_token;
    let mut mail_files = None;
    for (m, crew) in crews.iter().enumerate() {
        let who = &crew.member.customer_id;
        let writes: Vec<&Write> = ledger.iter().filter(|w| w.member == m).collect();
        let state = member::state(api, admin, who).await?;
        let token = fresh_token(api, crew, secrets).await?;
        let receipts = member::all_pages(api, "/v1/receipts", &token, "receipts").await?;
        let receipt_nos: HashSet<&str> = receipts.iter().map(|r| text(&r["receipt_no"])).collect();
        let receipts_of = |kind: &str| receipts.iter().filter(|r| r["kind"] == kind).count();
        let mails = member::mails_to(api, admin, &crew.member.email).await?;
        let mut mailed = |kind: &str, needles: &[&str]| {
            let in_outbox = mails.iter().any(|mail| {
                mail["kind"] == kind && needles.iter().all(|n| text(&mail["body"]).contains(n))
            });
            in_outbox || {
                let files = mail_files.get_or_insert_with(|| delivered_mail(&server.data_dir));
                files.iter().any(|f| needles.iter().all(|n| f.contains(n)))
            }
        };

        // Activations: the history holds every acknowledged move, in order, as one chain.
        for (s, serial) in crew.member.serials.iter().enumerate() {
            let history = member::all_pages(
                api,
                &format!("/v1/serials/{serial}/history"),
                &token,
                "events",
            )
            .await?;
            let devices: Vec<&str> = history
                .iter()
                .map(|e| text(&e["device"]["device_id"]))
                .collect();
            let moves: Vec<(&str, Option<&Value>)> = writes
                .iter()
                .filter_map(|w| match &w.kind {
                    Kind::Activation { serial: ws, device } if *ws == s => {
                        Some((device.as_str(), w.answer.as_ref()))
                    }
                    _ => None,
                })
                .collect();
            let mut at = 0;
            for (device, answer) in &moves {
                let Some(answer) = answer else { continue };
                let found = devices[at..].iter().position(|d| d == device);
                check.that(found.is_some(), || {
                    format!("{serial}: acknowledged activation on {device} missing from the history (or out of order)")
                });
                if let Some(i) = found {
                    at += i + 1;
                }
                if let Some(previous) = answer["previous_device"]["device_id"].as_str() {
                    check.that(
                        mailed(
                            "serial_moved",
                            &[serial, &format!("（{device}）"), &format!("（{previous}）")],
                        ),
                        || {
                            format!(
                                "{serial}: no serial_moved mail for the move {previous} → {device}"
                            )
                        },
                    );
                }
            }
            for pair in history.windows(2) {
                if pair[1]["kind"] == "moved" {
                    check.that(
                        pair[1]["previous_device"]["device_id"] == pair[0]["device"]["device_id"],
                        || format!("{serial}: the history's moves do not form one chain"),
                    );
                }
            }
            let holder = serial_in(&state, serial)
                .and_then(|s| s["device"]["device_id"].as_str())
                .unwrap_or("");
            let last_acknowledged = moves.iter().rposition(|(_, a)| a.is_some());
            let mut allowed: Vec<&str> = match last_acknowledged {
                Some(i) => vec![moves[i].0],
                None => vec![""],
            };
            let after = last_acknowledged.map_or(0, |i| i + 1);
            allowed.extend(moves[after..].iter().map(|(d, _)| *d));
            check.that(allowed.contains(&holder), || {
                format!("{serial}: held by {holder:?}, the last acknowledged activation (or one cut off after it) is {allowed:?}")
            });
            check.that(devices.last().copied().unwrap_or("") == holder, || {
                format!("{serial}: the holder {holder:?} is not the history's last device")
            });

            // Renewals: the expiry moved once per committed code, each with its receipt.
            let renewals: Vec<&Write> = writes
                .iter()
                .copied()
                .filter(|w| matches!(&w.kind, Kind::Renewal { serial: ws, .. } if *ws == s))
                .collect();
            let acknowledged = renewals.iter().filter(|w| w.answer.is_some()).count();
            let expiry = expiry_of(&state, serial);
            let mut expected = crew.first_expiry[s];
            let mut months = None;
            for n in 0..=renewals.len() {
                if n >= acknowledged && Some(expected) == expiry {
                    months = Some(n);
                    break;
                }
                expected = expected.checked_add(1.month())?;
            }
            check.that(months.is_some(), || {
                format!(
                    "{serial}: expires {expiry:?}, not {} plus {acknowledged} to {} months",
                    crew.first_expiry[s],
                    renewals.len()
                )
            });
            let renewal_receipts = receipts
                .iter()
                .filter(|r| r["kind"] == "renewal" && text(&r["summary"]).contains(serial.as_str()))
                .count();
            check.that(months == Some(renewal_receipts), || {
                format!("{serial}: {renewal_receipts} renewal receipts, but the expiry moved {months:?} months")
            });
            for renewal in renewals {
                let (Some(answer), Kind::Renewal { body, .. }) = (&renewal.answer, &renewal.kind)
                else {
                    continue;
                };
                let receipt = text(&answer["receipt_no"]);
                check.that(receipt_nos.contains(receipt), || {
                    format!("{serial}: renewal receipt {receipt} missing")
                });
                check.that(mailed("renewal_completed", &[receipt]), || {
                    format!("{serial}: no renewal mail for {receipt}")
                });
                let code = text(&body["code"]).to_owned();
                if redeemed_checked.insert(code) {
                    let again = api
                        .must(Method::POST, "/v1/renewals", None, Some(body))
                        .await?;
                    check.that(
                        again.status == 409 && again.code() == "code_already_redeemed",
                        || {
                            format!(
                                "{serial}: an acknowledged code redeemed again answered {} {}",
                                again.status, again.text
                            )
                        },
                    );
                }
            }
        }

        // Reader orders: each acknowledged reader listed; one receipt per rented reader.
        let orders: Vec<&Write> = writes
            .iter()
            .copied()
            .filter(|w| matches!(w.kind, Kind::Reader))
            .collect();
        let acknowledged = orders.iter().filter(|w| w.answer.is_some()).count();
        let readers = state["readers"].as_array().cloned().unwrap_or_default();
        let rented = readers.iter().filter(|r| r["rental"] == true).count();
        check.that((acknowledged..=orders.len()).contains(&rented), || {
            format!(
                "{who}: {rented} rented readers, {acknowledged} to {} orders",
                orders.len()
            )
        });
        check.that(receipts_of("reader_order") == rented, || {
            format!(
                "{who}: {} reader receipts for {rented} rented readers",
                receipts_of("reader_order")
            )
        });
        for answer in orders.iter().filter_map(|w| w.answer.as_ref()) {
            let reader = text(&answer["reader"]["reader_id"]);
            let receipt = text(&answer["receipt_no"]);
            check.that(readers.iter().any(|r| r["reader_id"] == reader), || {
                format!("{who}: reader {reader} missing")
            });
            check.that(receipt_nos.contains(receipt), || {
                format!("{who}: reader receipt {receipt} missing")
            });
            check.that(
                mailed("reader_ordered", &[text(&answer["order_no"])]),
                || format!("{who}: no mail for order {}", answer["order_no"]),
            );
        }

        // Provider settings: the last acknowledged application wins.
        let applications: Vec<&Write> = writes
            .iter()
            .copied()
            .filter(|w| matches!(w.kind, Kind::Line { .. }))
            .collect();
        let acknowledged = applications.iter().filter(|w| w.answer.is_some()).count();
        let line_receipts = receipts_of("line_notification");
        check.that((acknowledged..=applications.len()).contains(&line_receipts), || {
            format!("{who}: {line_receipts} line-notification receipts, {acknowledged} to {} applications", applications.len())
        });
        for provider in ["W0099", "060000"] {
            let on_provider: Vec<&Write> = applications
                .iter()
                .copied()
                .filter(|w| matches!(&w.kind, Kind::Line { provider: p } if p == provider))
                .collect();
            let setting_after = |w: &Write| {
                w.answer
                    .as_ref()
                    .map(|a| text(&a["changes"][0]["after"]).to_owned())
            };
            let last = on_provider.iter().rposition(|w| w.answer.is_some());
            let mut allowed = vec![match last {
                Some(i) => setting_after(on_provider[i]).unwrap_or_default(),
                None => "notify".to_owned(),
            }];
            if on_provider[last.map_or(0, |i| i + 1)..]
                .iter()
                .any(|w| w.answer.is_none())
            {
                allowed.extend(["notify".to_owned(), "do_not_notify".to_owned()]);
            }
            let setting = state["providers"]
                .as_array()
                .and_then(|ps| ps.iter().find(|p| p["provider_code"] == provider))
                .map(|p| text(&p["setting"]).to_owned())
                .unwrap_or_default();
            check.that(allowed.contains(&setting), || {
                format!("{who}: {provider} is {setting}, the last acknowledged application says {allowed:?}")
            });
        }
        for answer in applications.iter().filter_map(|w| w.answer.as_ref()) {
            let receipt = text(&answer["receipt_no"]);
            check.that(receipt_nos.contains(receipt), || {
                format!("{who}: line-notification receipt {receipt} missing")
            });
            check.that(mailed("line_notification_completed", &[receipt]), || {
                format!("{who}: no completion mail for {receipt}")
            });
        }
    }
    Ok(())
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

/// The decoded text of every `.eml` file local-dev delivered.
fn delivered_mail(data_dir: &Path) -> Vec<String> {
    use base64::Engine as _;
    let Ok(entries) = std::fs::read_dir(data_dir.join("mail")) else {
        return Vec::new();
    };
    entries
        .filter_map(Result::ok)
        .filter_map(|e| std::fs::read_to_string(e.path()).ok())
        .map(|raw| {
            let (head, body) = raw
                .split_once("\r\n\r\n")
                .or_else(|| raw.split_once("\n\n"))
                .unwrap_or((&raw, ""));
            if head
                .to_ascii_lowercase()
                .contains("content-transfer-encoding: base64")
            {
                let packed: String = body.split_whitespace().collect();
                let decoded = base64::engine::general_purpose::STANDARD
                    .decode(packed)
                    .unwrap_or_default();
                format!("{head}\n{}", String::from_utf8_lossy(&decoded))
            } else {
                raw.clone()
            }
        })
        .collect()
}
