//! The JSON body extractor: every way a body can be wrong becomes a problem answer
//! (docs/api.md), never a 500 and never axum's plain-text rejection.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{StatusCode, header};
use serde::de::DeserializeOwned;
use serde_json::error::Category;

use super::problem::{Problem, ProblemCode};
use crate::domain::{FieldCode, FieldError};

/// A JSON request body, deserialised strictly (request types deny unknown fields).
pub struct JsonBody<T>(pub T);

fn is_json(request: &Request) -> bool {
    let Some(value) = request.headers().get(header::CONTENT_TYPE) else {
        // curl and some mobile stacks omit it; the body still has to be JSON.
        return true;
    };
    let Ok(value) = value.to_str() else {
        return false;
    };
    let essence = value
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

impl<T, S> FromRequest<S> for JsonBody<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = Problem;

    async fn from_request(request: Request, state: &S) -> Result<Self, Problem> {
        if !is_json(&request) {
            return Err(Problem::new(ProblemCode::UnsupportedMediaType));
        }
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|rejection| {
                if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    Problem::new(ProblemCode::PayloadTooLarge)
                } else {
                    Problem::new(ProblemCode::MalformedJson)
                }
            })?;
        parse(&bytes).map(JsonBody)
    }
}

/// Deserialises a body, naming the field at fault.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Problem> {
    // Every body of the API is an object. serde fills a struct from an array too, field by
    // field in order, so `[]` would pass as a body whose fields are all optional.
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    if first.is_some_and(|b| *b != b'{') {
        return Err(
            match serde_json::from_slice::<serde::de::IgnoredAny>(bytes) {
                Ok(_) => Problem::validation(vec![FieldError {
                    field: "body".to_owned(),
                    code: FieldCode::InvalidType,
                }]),
                Err(_) => Problem::new(ProblemCode::MalformedJson),
            },
        );
    }
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner();
        match inner.classify() {
            Category::Data => Problem::validation(vec![field_error(&path, &inner.to_string())]),
            Category::Syntax | Category::Eof | Category::Io => {
                Problem::new(ProblemCode::MalformedJson)
            }
        }
    })?;
    deserializer
        .end()
        .map_err(|_| Problem::new(ProblemCode::MalformedJson))?;
    Ok(value)
}

/// Turns serde's message into a field and a stable code.
fn field_error(path: &str, message: &str) -> FieldError {
    // serde names the offending field between backticks: "unknown field `x`, expected …".
    let named = message.split('`').nth(1).unwrap_or("");
    let parent = if path == "." { "" } else { path };
    let join = |name: &str| {
        if parent.is_empty() || parent.ends_with(name) {
            if parent.is_empty() {
                name.to_owned()
            } else {
                parent.to_owned()
            }
        } else {
            format!("{parent}.{name}")
        }
    };
    let (field, code) = if message.starts_with("unknown field") {
        (join(named), FieldCode::UnknownField)
    } else if message.starts_with("missing field") {
        (join(named), FieldCode::Required)
    } else {
        (
            if parent.is_empty() {
                "body".to_owned()
            } else {
                parent.to_owned()
            },
            FieldCode::InvalidType,
        )
    };
    FieldError { field, code }
}

/// A value's JSON, as axum's `Json` answers it. An answer's types always serialise; were
/// one not to, it is logged and answered as `internal_error`.
pub fn to_json_bytes<T: serde::Serialize>(value: &T) -> Result<Bytes, Problem> {
    serde_json::to_vec(value).map(Bytes::from).map_err(|error| {
        tracing::error!(%error, "an answer did not serialise");
        Problem::new(ProblemCode::InternalError)
    })
}

/// An answer of JSON made earlier (`to_json_bytes`), with `Json`'s content type.
pub fn json_answer(body: Bytes) -> axum::response::Response {
    use axum::response::IntoResponse;
    let content_type = header::HeaderValue::from_static("application/json");
    ([(header::CONTENT_TYPE, content_type)], body).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Probe {
        name: String,
        inner: Option<Inner>,
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        n: u32,
    }

    fn refusal(body: &str) -> Problem {
        parse::<Probe>(body.as_bytes()).unwrap_err()
    }

    #[test]
    fn each_kind_of_bad_body_has_its_code_and_field() {
        assert_eq!(refusal("{").code, ProblemCode::MalformedJson);
        assert_eq!(
            refusal(r#"{"name":"a"} x"#).code,
            ProblemCode::MalformedJson
        );
        let unknown = refusal(r#"{"name":"a","extra":1}"#);
        assert_eq!(
            (
                unknown.code,
                unknown.errors[0].field.as_str(),
                unknown.errors[0].code
            ),
            (
                ProblemCode::ValidationFailed,
                "extra",
                FieldCode::UnknownField
            )
        );
        let missing = refusal("{}");
        assert_eq!(
            (missing.errors[0].field.as_str(), missing.errors[0].code),
            ("name", FieldCode::Required)
        );
        let typed = refusal(r#"{"name":5}"#);
        assert_eq!(
            (typed.errors[0].field.as_str(), typed.errors[0].code),
            ("name", FieldCode::InvalidType)
        );
        let nested = refusal(r#"{"name":"a","inner":{"n":"x"}}"#);
        assert_eq!(nested.errors[0].field, "inner.n");
        let nested_unknown = refusal(r#"{"name":"a","inner":{"n":1,"m":2}}"#);
        assert_eq!(nested_unknown.errors[0].field, "inner.m");
        assert_eq!(refusal("[]").errors[0].field, "body");
        // A body whose fields are all optional is still an object, never an array or a
        // bare value.
        #[derive(Debug, serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct Optional {
            #[serde(default)]
            date: Option<String>,
        }
        for body in ["[]", " [\"2026-11-22\"]", "5", "\"x\"", "null"] {
            let refused = parse::<Optional>(body.as_bytes()).unwrap_err();
            assert_eq!(
                (
                    refused.code,
                    refused.errors[0].field.as_str(),
                    refused.errors[0].code
                ),
                (
                    ProblemCode::ValidationFailed,
                    "body",
                    FieldCode::InvalidType
                ),
                "{body}"
            );
        }
        assert_eq!(
            parse::<Optional>(b"[").unwrap_err().code,
            ProblemCode::MalformedJson
        );
        assert!(parse::<Optional>(b" {} ").is_ok());
    }
}
