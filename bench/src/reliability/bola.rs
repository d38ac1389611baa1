//! The BOLA matrix (docs/api.md: another member's object is answered exactly as one that does
//! not exist), built from `/openapi.json` so that a new route is tried without an edit
//! here: every `/v1/` route that names an object, in its path or in its body, is called
//! with member A's session and each of member B's objects, and must answer 404 exactly as
//! for an object that does not exist; no answer may hold anything of B's; B's state must be
//! the same afterwards.

use std::collections::BTreeMap;

use reqwest::Method;
use serde_json::{Map, Value, json};

use crate::Failure;
use crate::member::{self, Member, Secrets};
use crate::server::{Api, LocalDev, Reply};
use crate::verify::Check;

/// Body fields that name one of the member's objects. (A `device_id` in a body is the
/// client's own choice of name, and a `customer_id` there is a login's or an unlock's,
/// whose answers are the same for everyone by rule.)
const OBJECT_FIELDS: &[&str] = &["serial", "reader_id", "receipt_no", "order_no"];

/// Path parameters that name what every member shares, not an object of one: a service of
/// the catalogue (docs/services.md). A route they alone name is tried as one naming no object.
const SHARED_NAMES: &[&str] = &["service"];

#[derive(Debug, Default)]
pub struct Figures {
    /// Route × object × variant combinations tried.
    pub tried: usize,
    pub calls: usize,
    pub routes: Vec<String>,
    pub scanned: usize,
}

/// What a member owns, by the name a path parameter or body field gives it.
type Objects = BTreeMap<&'static str, Vec<String>>;

struct Owner {
    member: Member,
    objects: Objects,
}

/// Member `who` with one of each kind of object: both serials installed, a reader ordered,
/// a provider setting changed and a licence renewed, so that each has a receipt.
async fn owner(
    api: &Api,
    admin: &str,
    name: &str,
    tag: &str,
    secrets: &Secrets,
) -> Result<(Owner, String), Failure> {
    let made = member::create(api, admin, name, tag, secrets).await?;
    let token = member::login(api, &made, secrets).await?;
    let device = format!("{tag}-device-{}", madoguchi_core::secret::random_digits(6));
    for serial in &made.serials {
        api.ok(
            Method::POST,
            &format!("/v1/serials/{serial}/activation"),
            Some(&token),
            Some(&json!({"device_id": device, "os": "windows", "name": format!("{name}のPC")})),
        )
        .await?;
    }
    let reader = api
        .ok(
            Method::POST,
            "/v1/readers",
            Some(&token),
            Some(&json!({"type": "usb_windows", "payment_method": "chocom"})),
        )
        .await?;
    let terms = member::terms_version(api, "line-notification").await?;
    let line = api
        .ok(
            Method::POST,
            "/v1/line-notification/applications",
            Some(&token),
            Some(
                &json!({"changes": [{"provider_code": "W0099", "setting": "do_not_notify"}],
                         "consent": {"terms_version": terms, "agreed": true},
                         "applicant": {"name": name, "phone": "03-1234-5678",
                                       "email": made.email, "completion_email": true}}),
            ),
        )
        .await?;
    let code = member::issue_codes(api, admin, 1, secrets).await?.remove(0);
    let terms = member::terms_version(api, "renewal").await?;
    let renewal = api
        .ok(
            Method::POST,
            "/v1/renewals",
            Some(&token),
            Some(
                &json!({"code": code, "serial": made.serials[0], "email": made.email,
                         "consent": {"terms_version": terms, "agreed": true}}),
            ),
        )
        .await?;
    let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    let objects = Objects::from([
        ("serial", made.serials.clone()),
        ("reader_id", vec![text(&reader["reader"]["reader_id"])]),
        (
            "order_no",
            vec![text(&reader["order_no"]), text(&line["order_no"])],
        ),
        (
            "receipt_no",
            vec![
                text(&reader["receipt_no"]),
                text(&line["receipt_no"]),
                text(&renewal["receipt_no"]),
            ],
        ),
        ("customer_id", vec![made.customer_id.clone()]),
        ("device_id", vec![device]),
    ]);
    Ok((
        Owner {
            member: made,
            objects,
        },
        token,
    ))
}

/// Everything of B's that must never reach A, with what it is.
fn secrets_of(b: &Owner) -> Vec<(String, String)> {
    let mut all = vec![
        ("name".to_owned(), b.member.name.clone()),
        ("email".to_owned(), b.member.email.clone()),
    ];
    for key in &b.member.product_keys {
        all.push(("product key".to_owned(), key.clone()));
    }
    for (kind, objects) in &b.objects {
        for object in objects {
            all.push(((*kind).to_owned(), object.clone()));
        }
    }
    all.push(("device name".to_owned(), format!("{}のPC", b.member.name)));
    all
}

/// B's state as operators see it and B's receipts: what a matrix call must not change.
async fn snapshot(api: &Api, admin: &str, b: &Owner, token: &str) -> Result<Value, Failure> {
    let state = member::state(api, admin, &b.member.customer_id).await?;
    let receipts = member::all_pages(api, "/v1/receipts", token, "receipts").await?;
    Ok(json!({"state": state, "receipts": receipts}))
}

pub async fn run(server: &LocalDev, secrets: &Secrets) -> Result<Figures, Failure> {
    let api = &server.api;
    let admin = &server.admin_token;
    let (a, a_token) = owner(api, admin, "甲野 太郎", "bola.a", secrets).await?;
    let (b, b_token) = owner(api, admin, "乙川 花子", "bola.b", secrets).await?;
    let code = member::issue_codes(api, admin, 1, secrets).await?.remove(0);
    let terms = member::terms_version(api, "renewal").await?;
    let leaks = secrets_of(&b);
    let before = snapshot(api, admin, &b, &b_token).await?;
    let doc = api.ok(Method::GET, "/openapi.json", None, None).await?;

    let mut figures = Figures::default();
    let mut check = Check::default();
    let paths = doc["paths"].as_object().cloned().unwrap_or_default();
    for (path, item) in &paths {
        if !path.starts_with("/v1/") {
            continue;
        }
        for (method, operation) in item.as_object().into_iter().flatten() {
            let Ok(method) = method.to_uppercase().parse::<Method>() else {
                continue;
            };
            let route = format!("{method} {path}");
            let secured = operation["security"]
                .as_array()
                .is_some_and(|s| s.iter().any(|r| r.get("member").is_some()));
            let path_params: Vec<String> = operation["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|p| p["in"] == "path")
                .filter_map(|p| p["name"].as_str().map(str::to_owned))
                .filter(|name| !SHARED_NAMES.contains(&name.as_str()))
                .collect();
            let body = &operation["requestBody"]["content"]["application/json"]["schema"];
            let body = (!body.is_null()).then(|| resolve(&doc, body));
            let properties = body
                .and_then(|s| s["properties"].as_object())
                .cloned()
                .unwrap_or_default();
            let body_objects: Vec<String> = properties
                .keys()
                .filter(|k| OBJECT_FIELDS.contains(&k.as_str()))
                .cloned()
                .collect();

            if path_params.is_empty() && body_objects.is_empty() {
                // Names no object: A's own answer is still scanned for B's data.
                if secured && method == Method::GET {
                    let reply = api.must(method, path, Some(&a_token), None).await?;
                    scan(&reply, &leaks, None, &route, &mut check);
                    figures.scanned += 1;
                }
                continue;
            }
            let unknown: Vec<&String> = path_params
                .iter()
                .filter(|p| !b.objects.contains_key(p.as_str()))
                .collect();
            if !unknown.is_empty() {
                // A public route's parameter (a terms kind) names nothing of a member's.
                check.that(!secured, || {
                    format!("{route}: no object of a member to try for {unknown:?}; teach the matrix what it names")
                });
                continue;
            }
            figures.routes.push(route.clone());
            let variants: Vec<Option<bool>> = if properties.contains_key("dry_run") {
                vec![Some(true), Some(false)]
            } else {
                vec![None]
            };
            for target in path_params.iter().chain(&body_objects) {
                for object in &b.objects[target.as_str()] {
                    for dry_run in &variants {
                        let missing = missing_like(object);
                        let call = |object: &str| {
                            let fill = Fill {
                                target,
                                object,
                                dry_run: *dry_run,
                                owner: &b,
                                code: &code,
                                terms: &terms,
                            };
                            let mut uri = path.clone();
                            for param in &path_params {
                                let value = if param == target {
                                    object.to_owned()
                                } else {
                                    a.objects[param.as_str()][0].clone()
                                };
                                uri = uri.replace(&format!("{{{param}}}"), &value);
                            }
                            let body =
                                body.map(|s| sample(&doc, s, "", &fill).unwrap_or(json!({})));
                            (uri, body)
                        };
                        let (uri, body_of_b) = call(object);
                        let theirs = api
                            .must(method.clone(), &uri, Some(&a_token), body_of_b.as_ref())
                            .await?;
                        let (uri, body_missing) = call(&missing);
                        let nobodys = api
                            .must(method.clone(), &uri, Some(&a_token), body_missing.as_ref())
                            .await?;
                        figures.tried += 1;
                        figures.calls += 2;
                        let what =
                            format!("{route} with B's {target} {object} (dry_run {dry_run:?})");
                        check.that(
                            theirs.status == 404
                                && theirs.content_type == "application/problem+json",
                            || format!("{what}: {} {}", theirs.status, theirs.text),
                        );
                        check.that(
                            theirs.status == nobodys.status
                                && theirs.text.replace(object.as_str(), "{object}")
                                    == nobodys.text.replace(&missing, "{object}"),
                            || {
                                format!(
                                    "{what}: answered {} {}, a missing one {} {}",
                                    theirs.status, theirs.text, nobodys.status, nobodys.text
                                )
                            },
                        );
                        scan(&theirs, &leaks, Some(object), &what, &mut check);
                        figures.scanned += 1;
                    }
                }
            }
        }
    }
    let after = snapshot(api, admin, &b, &b_token).await?;
    check.that(before == after, || {
        format!("B's state changed during the matrix:\nbefore {before}\nafter  {after}")
    });
    if figures.routes.is_empty() {
        check.that(false, || {
            "no route of /openapi.json names an object".to_owned()
        });
    }
    println!(
        "{} routes × objects tried; routes: {}",
        figures.tried,
        figures.routes.join(", ")
    );
    if check.problems.is_empty() {
        Ok(figures)
    } else {
        Err(check.report().into())
    }
}

/// B's data in A's answer; `sent` (what A put in the request) may be echoed back.
fn scan(
    reply: &Reply,
    leaks: &[(String, String)],
    sent: Option<&String>,
    what: &str,
    check: &mut Check,
) {
    for (kind, secret) in leaks {
        if Some(secret) != sent {
            check.that(!reply.text.contains(secret.as_str()), || {
                format!("{what}: the answer holds B's {kind}: {}", reply.text)
            });
        }
    }
}

/// An object of the same shape that nobody owns: the digits after its last hyphen changed.
fn missing_like(object: &str) -> String {
    let cut = object.rfind('-').map_or(0, |i| i + 1);
    let digits = madoguchi_core::secret::random_digits(object.len());
    let mut fresh = digits.chars();
    let tail: String = object[cut..]
        .chars()
        .map(|c| {
            if c.is_ascii_digit() {
                fresh.next().unwrap_or(c)
            } else {
                c
            }
        })
        .collect();
    format!("{}{tail}", &object[..cut])
}

/// What fills a request body: the object under test where its field is, and otherwise what
/// its owner would send, so that only the caller is wrong.
struct Fill<'a> {
    target: &'a str,
    object: &'a str,
    dry_run: Option<bool>,
    owner: &'a Owner,
    code: &'a str,
    terms: &'a str,
}

impl Fill<'_> {
    fn known(&self, field: &str) -> Option<Value> {
        if field == self.target {
            return Some(json!(self.object));
        }
        if let Some(objects) = self.owner.objects.get(field) {
            return objects.first().map(|o| json!(o));
        }
        Some(match field {
            "email" => json!(self.owner.member.email),
            "code" => json!(self.code),
            "terms_version" => json!(self.terms),
            "agreed" => json!(true),
            "dry_run" => json!(self.dry_run?),
            "phone" => json!("03-1234-5678"),
            "name" => json!("検証 端末"),
            "provider_code" => json!("W0099"),
            "completion_email" => json!(false),
            _ => return None,
        })
    }
}

fn is_object(doc: &Value, schema: &Value) -> bool {
    let schema = resolve(doc, schema);
    schema.get("properties").is_some()
        || ["oneOf", "anyOf"].iter().any(|choice| {
            schema[*choice].as_array().is_some_and(|vs| {
                vs.iter()
                    .any(|v| resolve(doc, v).get("properties").is_some())
            })
        })
}

fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema["$ref"].as_str() {
        Some(reference) => {
            let name = reference.rsplit('/').next().unwrap_or_default();
            resolve(doc, &doc["components"]["schemas"][name])
        }
        None => schema,
    }
}

/// A valid value for `schema`: known fields from `fill`, the rest from the schema (its
/// example, first enum value, or the simplest value of its type).
fn sample(doc: &Value, schema: &Value, field: &str, fill: &Fill) -> Option<Value> {
    let schema = resolve(doc, schema);
    if let Some(value) = fill.known(field) {
        return Some(value);
    }
    if let Some(example) = schema.get("example") {
        return Some(example.clone());
    }
    for choice in ["oneOf", "anyOf"] {
        if let Some(variants) = schema[choice].as_array() {
            let variant = variants
                .iter()
                .find(|v| resolve(doc, v)["type"] != "null")?;
            return sample(doc, variant, field, fill);
        }
    }
    let kind = match &schema["type"] {
        Value::Array(kinds) => kinds.iter().find(|k| *k != "null").cloned(),
        Value::Null if schema.get("properties").is_some() => Some(json!("object")),
        other => Some(other.clone()),
    }?;
    Some(match kind.as_str()? {
        "object" => {
            let required: Vec<&str> = schema["required"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            let mut object = Map::new();
            for (name, property) in schema["properties"].as_object().into_iter().flatten() {
                // Optional parts are filled where they are known or hold known fields
                // (a consent), so that only the caller is wrong.
                let value = if required.contains(&name.as_str()) || is_object(doc, property) {
                    sample(doc, property, name, fill)
                } else {
                    fill.known(name)
                };
                if let Some(value) = value {
                    object.insert(name.clone(), value);
                }
            }
            Value::Object(object)
        }
        "array" => json!([sample(doc, &schema["items"], "", fill)?]),
        "string" => match schema["enum"].as_array().and_then(|e| e.first()) {
            Some(first) => first.clone(),
            None if schema["format"] == "date" => json!("2027-01-01"),
            None => json!("x"),
        },
        "integer" | "number" => schema.get("minimum").cloned().unwrap_or(json!(1)),
        "boolean" => json!(false),
        _ => return None,
    })
}
