//! docs/cloud.md: every route is served by exactly one function, and `infra/template.yaml` (the
//! one place that says which) routes each path to the function that serves it.

use std::collections::{BTreeMap, BTreeSet};

use madoguchi_core::lambda::Function;
use reqwest::{Method, StatusCode};
use serde_json::Value;
use serde_yaml_ng::Value as Yaml;

use super::{call, fixture};
use crate::support::TestApp;

/// `GET /v1/usage`, as the template and OpenAPI write a route.
type Route = (String, String);

/// The routes of an OpenAPI document's `paths`.
fn documented(api: &Value) -> BTreeSet<Route> {
    let mut routes = BTreeSet::new();
    for (path, item) in api["paths"].as_object().unwrap() {
        for method in ["get", "put", "post", "delete", "patch"] {
            if item.get(method).is_some() {
                routes.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    routes
}

fn served_by(function: Function) -> BTreeSet<Route> {
    let (_, api) = function.operations().split_for_parts();
    documented(&serde_json::to_value(api).unwrap())
}

/// The app's own routes (docs/api.md), which every function serves and the template sends to
/// `usage`.
fn app_routes() -> BTreeSet<Route> {
    [("GET", "/openapi.json"), ("GET", "/healthz")]
        .into_iter()
        .map(|(m, p)| (m.to_owned(), p.to_owned()))
        .collect()
}

/// The template's HTTP API events, by the binary of the function they invoke. Its
/// `!Ref`/`!GetAtt` tags are read as tagged values and never needed.
fn template_routes() -> BTreeMap<String, BTreeSet<Route>> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../infra/template.yaml");
    let text = std::fs::read_to_string(path).unwrap();
    let template: Yaml = serde_yaml_ng::from_str(&text).unwrap();
    let mut routes = BTreeMap::<String, BTreeSet<Route>>::new();
    for (_, resource) in template["Resources"].as_mapping().unwrap() {
        if resource["Type"].as_str() != Some("AWS::Serverless::Function") {
            continue;
        }
        let binary = resource["Metadata"]["BuildProperties"]["Binary"]
            .as_str()
            .expect("every function names its binary")
            .to_owned();
        let events = resource["Properties"]["Events"].as_mapping();
        for (_, event) in events.into_iter().flatten() {
            if event["Type"].as_str() != Some("HttpApi") {
                continue;
            }
            let properties = &event["Properties"];
            let route = (
                properties["Method"].as_str().unwrap().to_uppercase(),
                properties["Path"].as_str().unwrap().to_owned(),
            );
            routes.entry(binary.clone()).or_default().insert(route);
        }
    }
    routes
}

#[test]
fn the_template_sends_each_route_to_the_function_that_serves_it() {
    let mut template = template_routes();
    for function in Function::ALL {
        let mut served = served_by(function);
        if function == Function::Usage {
            served.extend(app_routes());
        }
        let routed = template.remove(function.name()).unwrap_or_default();
        assert_eq!(routed, served, "{}", function.name());
    }
    assert!(
        template.is_empty(),
        "routes to functions that serve none: {template:?}"
    );
}

#[test]
fn every_documented_route_is_served_by_exactly_one_function() {
    let (_, api) = madoguchi_core::http::all_operations().split_for_parts();
    let all = documented(&serde_json::to_value(api).unwrap());
    assert!(all.len() >= 20, "{all:?}");
    for route in &all {
        let serving: Vec<_> = Function::ALL
            .into_iter()
            .filter(|f| served_by(*f).contains(route))
            .map(Function::name)
            .collect();
        assert_eq!(serving.len(), 1, "{route:?} is served by {serving:?}");
    }
    let served: BTreeSet<Route> = Function::ALL.into_iter().flat_map(served_by).collect();
    assert_eq!(served, all, "a function serves an undocumented route");
}

/// A route with its path parameters filled in with something plausible.
fn concrete(path: &str) -> String {
    path.replace("{serial}", "SN-0000-0000")
        .replace("{kind}", "renewal")
        .replace("{customer_id}", "CAF0000000")
}

#[tokio::test]
#[ignore = "needs DynamoDB Local: scripts/test starts it"]
async fn a_function_answers_other_functions_routes_with_not_found() {
    let app = TestApp::in_the_cloud().await;
    for function in Function::ALL {
        let own = served_by(function);
        for (method, path) in Function::ALL.into_iter().flat_map(served_by) {
            if own.contains(&(method.clone(), path.clone())) {
                continue;
            }
            let event = fixture(
                "apigw-v2/route.json",
                &[("method", &method), ("path", &concrete(&path))],
            );
            let answer = call(&app, function, &event).await;
            // The same path with another method of its own would be 405; no function
            // shares a path with another.
            assert_eq!(
                (answer.status, answer.code()),
                (StatusCode::NOT_FOUND, "not_found"),
                "{method} {path} from {}",
                function.name()
            );
        }
    }
}

#[tokio::test]
#[ignore = "needs DynamoDB Local: scripts/test starts it"]
async fn every_function_describes_the_whole_api_and_answers_health_checks() {
    let app = TestApp::in_the_cloud().await;
    // What local-dev serves, every route mounted.
    let whole = app.call(Method::GET, "/openapi.json", None, None).await;
    assert_eq!(whole.status, StatusCode::OK);
    let whole = whole.body;
    for function in Function::ALL {
        let event = fixture(
            "apigw-v2/route.json",
            &[("method", "GET"), ("path", "/openapi.json")],
        );
        let document = call(&app, function, &event).await;
        assert_eq!(document.status, StatusCode::OK, "{}", function.name());
        assert_eq!(document.body, whole, "{}", function.name());

        let event = fixture(
            "apigw-v2/route.json",
            &[("method", "GET"), ("path", "/healthz")],
        );
        let health = call(&app, function, &event).await;
        assert_eq!(health.status, StatusCode::OK, "{}", function.name());
    }
}

/// `cargo lambda watch` (scripts/emulator) routes requests as the template does: the
/// workspace's `[workspace.metadata.lambda.watch.router]`, as `cargo metadata` reads it.
#[test]
fn the_emulator_routes_as_the_template_does() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let output = std::process::Command::new(cargo)
        .args([
            "metadata",
            "--no-deps",
            "--format-version",
            "1",
            "--offline",
        ])
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let metadata: Value = serde_json::from_slice(&output.stdout).unwrap();
    let router = metadata["metadata"]["lambda"]["watch"]["router"]
        .as_object()
        .expect("a router in Cargo.toml");
    let mut emulated = BTreeMap::<String, BTreeSet<Route>>::new();
    for (path, routes) in router {
        for route in routes.as_array().unwrap() {
            let function = route["function"].as_str().unwrap().to_owned();
            let method = route["method"].as_str().unwrap().to_owned();
            emulated
                .entry(function)
                .or_default()
                .insert((method, path.clone()));
        }
    }
    assert_eq!(emulated, template_routes());
}
