//! docs/operations.md: an alarm on a metric nobody emits never fires. Every metric of the
//! `Madoguchi` namespace that an alarm or the dashboard of `infra/template.yaml` names is
//! one `core/src/telemetry.rs` emits, under the same name, with exactly the dimensions the
//! functions write (`Function`, then the metric's labels): CloudWatch matches a metric by
//! its whole set of dimensions, so one missing or extra is a different, silent metric.

use std::collections::BTreeSet;

use madoguchi_core::telemetry::{CATALOGUE, NAMESPACE};
use madoguchi_tests::cloud::{Stack, Template};
use serde_json::Value;
use serde_yaml_ng::Value as Yaml;

/// The dimensions a metric is written with, by its name.
fn emitted(name: &str) -> Option<BTreeSet<String>> {
    CATALOGUE
        .iter()
        .find(|(emitted, ..)| *emitted == name)
        .map(|(_, _, labels, _)| {
            std::iter::once("Function")
                .chain(labels.iter().copied())
                .map(str::to_owned)
                .collect()
        })
}

/// Whether `value` is one the code writes for the label `label` of `metric`: a function of
/// the template, a route the API serves, a mail's or an order's status, or an outcome the
/// code names.
fn known_value(metric: &str, label: &str, value: &str) -> bool {
    match label {
        "Function" => {
            value.ends_with("-AWS-Serverless-Function") || value.ends_with("-outbox-dispatcher")
        }
        "route" => madoguchi_core::http::api_document()
            .paths
            .paths
            .contains_key(value),
        "status" if metric == madoguchi_core::telemetry::OUTBOX_MAILS => {
            ["pending", "failed"].contains(&value)
        }
        "status" => madoguchi_core::domain::OrderStatus::ALL
            .iter()
            .any(|s| s.as_str() == value),
        "result" => [
            "sent",
            "retried",
            "failed",
            "due",
            "skipped",
            "retried_by_operator",
            "abandoned",
        ]
        .contains(&value),
        "outcome" => [
            "succeeded",
            "failed",
            "locked",
            "cancelled",
            "throttled",
            "error",
        ]
        .contains(&value),
        "event" => ["sent", "used"].contains(&value),
        _ => false,
    }
}

/// One metric an alarm names: (namespace, name, dimension names); each dimension's value
/// (resolved as deployed) is checked with `known_value` when the metric is ours.
fn named(template: &Template, stack: &Stack, metric: &Yaml) -> (String, String, BTreeSet<String>) {
    let ours = metric["Namespace"].as_str() == Some(NAMESPACE);
    let dimensions = metric["Dimensions"]
        .as_sequence()
        .map(|ds| {
            ds.iter()
                .map(|d| {
                    let name = d["Name"].as_str().expect("a dimension's name").to_owned();
                    let value = template.resolve(&d["Value"], stack).expect("a value");
                    assert!(
                        !ours
                            || known_value(
                                metric["MetricName"].as_str().unwrap_or(""),
                                &name,
                                &value
                            ),
                        "{name}={value} is a value the code never writes"
                    );
                    name
                })
                .collect()
        })
        .unwrap_or_default();
    (
        metric["Namespace"].as_str().unwrap_or_default().to_owned(),
        metric["MetricName"].as_str().unwrap_or_default().to_owned(),
        dimensions,
    )
}

/// Whether a metric named as `(namespace, name, dimensions)` is one the code emits; the
/// reason when not.
fn check(
    where_: &str,
    (namespace, name, dimensions): &(String, String, BTreeSet<String>),
) -> Option<String> {
    if namespace != NAMESPACE {
        return None;
    }
    match emitted(name) {
        None => Some(format!("{where_}: {name} is emitted by no code")),
        Some(expected) if expected != *dimensions => Some(format!(
            "{where_}: {name} with dimensions {dimensions:?}, but it is written with {expected:?}"
        )),
        Some(_) => None,
    }
}

#[test]
fn every_alarm_and_dashboard_metric_is_one_the_code_emits() {
    let template = Template::of_this_repository();
    let stack = Stack::new("madoguchi-table", "ap-northeast-1");
    let mut problems = Vec::new();
    let mut ours = 0;

    let alarms = template.resources_of("AWS::CloudWatch::Alarm");
    assert!(alarms.len() >= 12, "{:?}", alarms.keys());
    for (alarm, resource) in &alarms {
        let properties = &resource["Properties"];
        let actions = format!("{:?}", properties["AlarmActions"]);
        assert!(actions.contains("AlarmTopic"), "{alarm} notifies no one");
        assert!(
            properties["AlarmDescription"]
                .as_str()
                .is_some_and(|d| d.contains("docs/runbook.md#")),
            "{alarm} points to no section of the runbook"
        );
        let mut metrics = Vec::new();
        if properties["MetricName"].is_string() {
            metrics.push(named(&template, &stack, properties));
        }
        for entry in properties["Metrics"].as_sequence().into_iter().flatten() {
            if !entry["MetricStat"].is_null() {
                metrics.push(named(&template, &stack, &entry["MetricStat"]["Metric"]));
            }
        }
        assert!(!metrics.is_empty(), "{alarm} watches no metric");
        for metric in &metrics {
            ours += usize::from(metric.0 == NAMESPACE);
            problems.extend(check(alarm, metric));
        }
    }

    // The dashboard: its body as deployed, each widget's metrics (`[namespace, name,
    // dimension, value, …, {options}]`), and the `Madoguchi` metrics its searches name.
    let dashboards = template.resources_of("AWS::CloudWatch::Dashboard");
    assert_eq!(dashboards.len(), 1, "one dashboard");
    let (name, dashboard) = dashboards.into_iter().next().unwrap();
    let body = template
        .resolve(&dashboard["Properties"]["DashboardBody"], &stack)
        .expect("the dashboard's body resolves");
    let body: Value = serde_json::from_str(&body).expect("the dashboard's body is JSON");
    let widgets = body["widgets"].as_array().expect("widgets");
    for widget in widgets {
        for metric in widget["properties"]["metrics"]
            .as_array()
            .into_iter()
            .flatten()
        {
            let parts = metric.as_array().expect("a metric is an array");
            if let Some(search) = parts[0]["expression"].as_str() {
                if search.contains(&format!("{{{NAMESPACE},")) {
                    let name = search
                        .split("MetricName=\"")
                        .nth(1)
                        .and_then(|rest| rest.split('"').next())
                        .expect("a search names its metric");
                    let schema = search.split('{').nth(1).unwrap().split('}').next().unwrap();
                    let dimensions = schema.split(',').skip(1).map(str::to_owned).collect();
                    ours += 1;
                    let named = (NAMESPACE.to_owned(), name.to_owned(), dimensions);
                    problems.extend(check(name, &named));
                }
                continue;
            }
            let strings: Vec<&str> = parts.iter().filter_map(Value::as_str).collect();
            let dimensions = strings[2..]
                .iter()
                .step_by(2)
                .map(|d| (*d).to_owned())
                .collect();
            if strings[0] == NAMESPACE {
                for pair in strings[2..].chunks(2) {
                    assert!(
                        known_value(strings[1], pair[0], pair[1]),
                        "dashboard: {}={} is a value the code never writes",
                        pair[0],
                        pair[1]
                    );
                }
            }
            let named = (strings[0].to_owned(), strings[1].to_owned(), dimensions);
            ours += usize::from(named.0 == NAMESPACE);
            problems.extend(check(&name, &named));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(
        ours >= 20,
        "the alarms and dashboard watch {ours} metrics of ours"
    );

    // And the other way: every metric the code emits is on the dashboard.
    let text = body.to_string();
    for (metric, ..) in CATALOGUE {
        assert!(text.contains(metric), "{metric} is on no widget");
    }
}
