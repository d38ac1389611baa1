//! The OpenAPI document (docs/api.md): what every route declares, plus what holds for many
//! routes at once, written here once.

use utoipa::openapi::path::Operation;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::{Content, Ref, RefOr, Response};
use utoipa::{IntoParams, Modify, OpenApi};

use super::problem::ProblemBody;

/// The document before the routes are merged into it.
pub(super) fn base() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

/// Adds the problems many operations share, then the problem body to every refusal. It
/// runs after the merge: the routes' operations exist only then.
pub(super) fn with_common_problems(mut api: utoipa::openapi::OpenApi) -> utoipa::openapi::OpenApi {
    BodyProblems.modify(&mut api);
    UnauthorizedProblem.modify(&mut api);
    ProblemDocuments.modify(&mut api);
    api
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "madoguchi",
        description = "The self-service counter of a subscription security and ISP service.",
    ),
    modifiers(&BearerSchemes),
    components(schemas(ProblemBody)),
    tags(
        (name = "login", description = "ログイン"),
        (name = "usage", description = "ご利用状況の確認"),
        (name = "terms", description = "同意事項"),
        (name = "line-notification", description = "回線情報通知の通知可否設定"),
        (name = "renewal", description = "更新ユーザー登録"),
        (name = "readers", description = "ICカードリーダーの追加申込み"),
        (name = "cancellation", description = "解約"),
        (name = "receipts", description = "受付一覧"),
        (name = "orders", description = "ご注文（工事・発送）の状況"),
        (name = "services", description = "サービスの申込・変更・廃止"),
        (name = "support", description = "お問い合わせ先"),
        (name = "admin", description = "Operators"),
    )
)]
struct ApiDoc;

/// The `Idempotency-Key` header of the submissions that document it (docs/api.md): only
/// described here; the idempotency guard reads the header itself.
#[derive(IntoParams)]
#[into_params(parameter_in = Header)]
pub(super) struct IdempotencyKey {
    /// Retries with the same key and body get the first answer
    #[param(
        rename = "Idempotency-Key",
        min_length = 1,
        max_length = 255,
        pattern = "^[!-~]+$"
    )]
    #[allow(dead_code)]
    idempotency_key: Option<String>,
}

struct BearerSchemes;

impl Modify for BearerSchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        for name in ["member", "operator"] {
            components.add_security_scheme(
                name,
                SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
            );
        }
    }
}

/// Every operation that takes a body can also answer 400 (not JSON), 413 (over 64 KiB) and
/// 415 (not `application/json`): documented once here instead of on every route.
struct BodyProblems;

impl Modify for BodyProblems {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for (_, operation) in operations(openapi) {
            if operation.request_body.is_none() {
                continue;
            }
            let responses = &mut operation.responses.responses;
            for (status, description) in [
                ("400", "`malformed_json`"),
                ("413", "`payload_too_large`"),
                ("415", "`unsupported_media_type`"),
            ] {
                responses
                    .entry(status.to_owned())
                    .or_insert_with(|| Response::new(description).into());
            }
        }
    }
}

/// Every operation behind a bearer token, a member's or an operator's, answers 401
/// `unauthorized` without a live one: documented once here instead of on every route.
struct UnauthorizedProblem;

impl Modify for UnauthorizedProblem {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for (_, operation) in operations(openapi) {
            if operation.security.as_ref().is_none_or(Vec::is_empty) {
                continue;
            }
            operation
                .responses
                .responses
                .entry("401".to_owned())
                .or_insert_with(|| Response::new("`unauthorized`").into());
        }
    }
}

/// Every operation of the document, with its path.
fn operations(
    openapi: &mut utoipa::openapi::OpenApi,
) -> impl Iterator<Item = (&String, &mut Operation)> {
    openapi.paths.paths.iter_mut().flat_map(|(path, item)| {
        [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.options,
            &mut item.head,
            &mut item.patch,
            &mut item.trace,
        ]
        .into_iter()
        .flatten()
        .map(move |operation| (path, operation))
    })
}

/// Every refusal, 4xx or 5xx, is a problem document (docs/api.md). A route documents each status
/// it can refuse with and names its `code`s in the description; the body, the same for all,
/// is added here.
struct ProblemDocuments;

impl Modify for ProblemDocuments {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for (_, operation) in operations(openapi) {
            for (status, response) in operation.responses.responses.iter_mut() {
                let RefOr::T(response) = response else {
                    continue;
                };
                if is_refusal(status) && response.content.is_empty() {
                    response.content.insert(
                        "application/problem+json".to_owned(),
                        Content::new(Some(Ref::from_schema_name("ProblemBody"))),
                    );
                }
            }
        }
    }
}

fn is_refusal(status: &str) -> bool {
    status.starts_with('4') || status.starts_with('5')
}

#[cfg(test)]
mod tests {
    use utoipa_axum::router::OpenApiRouter;

    use super::*;
    use crate::http::{AppState, all_operations};

    fn documented() -> utoipa::openapi::OpenApi {
        let (_, api) = OpenApiRouter::<AppState>::with_openapi(base())
            .merge(all_operations())
            .split_for_parts();
        with_common_problems(api)
    }

    /// docs/openapi.json, which every app serves, is the document the routers declare.
    /// `MADOGUCHI_WRITE_OPENAPI=1 cargo test -p madoguchi-core openapi_json` writes it anew.
    #[test]
    fn docs_openapi_json_is_the_document_the_routers_declare() {
        let declared = serde_json::to_string_pretty(crate::http::api_document())
            .expect("the document serialises")
            + "\n";
        if std::env::var("MADOGUCHI_WRITE_OPENAPI").as_deref() == Ok("1") {
            let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/openapi.json");
            std::fs::write(path, &declared).expect("docs/openapi.json written");
            return;
        }
        assert!(
            crate::http::API_DOCUMENT_JSON == declared,
            "docs/openapi.json is not the document the routers declare: write it anew with \
             MADOGUCHI_WRITE_OPENAPI=1 cargo test -p madoguchi-core openapi_json"
        );
    }

    #[test]
    fn the_401_is_documented_on_every_secured_operation_and_only_there() {
        let mut api = documented();
        let mut secured = 0;
        for (path, operation) in operations(&mut api) {
            let unauthorized = match operation.responses.responses.get("401") {
                Some(RefOr::T(response)) => response.description == "`unauthorized`",
                _ => false,
            };
            let is_secured = operation.security.as_ref().is_some_and(|s| !s.is_empty());
            assert_eq!(unauthorized, is_secured, "{path}");
            secured += usize::from(is_secured);
        }
        assert!(secured > 0);
    }

    #[test]
    fn every_documented_refusal_is_a_problem_document_naming_its_codes() {
        let mut api = documented();
        let mut refusals = 0;
        for (path, operation) in operations(&mut api) {
            for (status, response) in &operation.responses.responses {
                let RefOr::T(response) = response else {
                    panic!("{path} {status}: a reference");
                };
                if !is_refusal(status) {
                    continue;
                }
                let types: Vec<_> = response.content.keys().collect();
                assert_eq!(types, ["application/problem+json"], "{path} {status}");
                assert!(response.description.starts_with('`'), "{path} {status}");
                refusals += 1;
            }
        }
        assert!(refusals > 0);
    }
}
