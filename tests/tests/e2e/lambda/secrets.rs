//! docs/cloud.md: a secret reaches only the functions that use it, and never as plain text in a
//! function's configuration. Each HTTP function, configured as the template configures it,
//! is given the ARN of each secret it uses and reads it at its start from Secrets Manager
//! (the proxy's stand-in, held to the function's policy); the two functions that serve no
//! route are given neither, and may read neither.

use std::env::VarError;

use madoguchi_core::config::Config;
use madoguchi_core::lambda::{Function, http_state};
use madoguchi_tests::cloud::Template;
use reqwest::StatusCode;

use super::{fixture, invoke};
use crate::support::TestApp;

#[tokio::test]
#[ignore = "needs DynamoDB Local: scripts/test starts it"]
async fn each_function_reads_the_secrets_it_uses_at_its_start_and_no_other() {
    let app = TestApp::in_the_cloud().await;
    let cloud = app.cloud();
    let sealing = cloud.put_secret("SealingSecret", &"sealing-key-".repeat(4));
    let edge = cloud.put_secret("EdgeSecret", &"edge-secret-".repeat(4));
    let template = Template::of_this_repository();
    let health = fixture(
        "apigw-v2/route.json",
        &[("method", "GET"), ("path", "/healthz")],
    );

    for function in Function::ALL {
        let name = function.name();
        let variables = template.environment(name, cloud.stack()).unwrap();
        for (variable, value) in &variables {
            assert!(
                !value.contains("{{resolve:") && !value.contains("sealing-key-"),
                "{name}: {variable} holds a secret's value"
            );
        }
        let config =
            Config::from_lookup(|v| variables.get(v).cloned().ok_or(VarError::NotPresent)).unwrap();
        let sdk = app.sdk_of(name).await;
        let (state, edge_secret) = http_state(&config, &sdk)
            .await
            .unwrap_or_else(|e| panic!("{name} cannot start: {e}"));
        assert_eq!(
            edge_secret.is_some(),
            function != Function::Admin,
            "{name}: only the functions behind the portal's CloudFront know its secret"
        );
        let answer = invoke(function, state, &health).await;
        assert_eq!(answer.status, StatusCode::OK, "{name}");
    }

    let reads = cloud.secret_reads();
    for function in Function::ALL {
        let mut read: Vec<&str> = reads
            .iter()
            .filter(|(f, _)| f == function.name())
            .map(|(_, arn)| arn.as_str())
            .collect();
        read.sort();
        let mut expected = vec![sealing.as_str()];
        if function != Function::Admin {
            expected.push(edge.as_str());
        }
        expected.sort();
        assert_eq!(read, expected, "{}", function.name());
    }

    // The reminder job and the dispatcher are given no secret, and may not read one.
    for name in ["expiry-reminder", "outbox-dispatcher"] {
        let variables = template.environment(name, cloud.stack()).unwrap();
        assert!(
            variables
                .keys()
                .all(|v| !v.contains("SECRET") && !v.contains("SEALING")),
            "{name}: {variables:?}"
        );
        let sdk = app.sdk_of(name).await;
        let refused = aws_sdk_secretsmanager::Client::new(&sdk)
            .get_secret_value()
            .secret_id(&sealing)
            .send()
            .await;
        assert!(refused.is_err(), "{name} read the sealing key");
    }
    let denials = cloud.take_denials();
    assert_eq!(denials.len(), 2, "{denials:?}");
    assert!(
        denials
            .iter()
            .all(|d| d.action == "secretsmanager:GetSecretValue" && d.resource == sealing)
    );
}
