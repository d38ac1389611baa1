//! docs/cloud.md: the check that holds every function's calls against its policy in
//! `infra/template.yaml` reads the policies as IAM does, and refuses what they do not
//! allow, naming the function, the action and the resource.

use madoguchi_tests::cloud::policy::wildcard;
use madoguchi_tests::cloud::{Need, Stack, Template};

use crate::support::TestApp;

#[test]
fn wildcards_match_as_iam_does() {
    assert!(wildcard("dynamodb:*", "dynamodb:GetItem", true));
    assert!(wildcard("DynamoDB:getitem", "dynamodb:GetItem", true));
    assert!(!wildcard("dynamodb:Get*", "dynamodb:Query", true));
    assert!(wildcard(
        "arn:aws:logs:*:log-group:x:*",
        "arn:aws:logs:r:log-group:x:s",
        false
    ));
    // A table's grant is not its indexes'.
    assert!(!wildcard("table/t", "table/t/index/gsi1", false));
    assert!(wildcard("table/t*", "table/t/index/gsi1", false));
}

#[test]
fn the_template_reads_as_one_policy_per_function() {
    let stack = Stack::new("madoguchi-table", "ap-northeast-1");
    let policies = Template::of_this_repository().policies(&stack).unwrap();
    let names: Vec<&str> = policies.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "activation",
            "admin",
            "cancellation",
            "expiry-reminder",
            "line-notification",
            "login",
            "outbox-dispatcher",
            "reader",
            "renewal",
            "services",
            "usage"
        ]
    );
    let table = stack.table_arn("madoguchi-table");
    let query = |index: &str| Need::new("dynamodb:Query", format!("{table}/index/{index}"));
    let reminder = &policies["expiry-reminder"];
    assert!(reminder.allows(&query("gsi2")));
    // gsi1 for the card-reader orders awaiting payment (docs/reminders.md); a function that
    // lists nothing by status is not given it.
    assert!(reminder.allows(&query("gsi1")));
    assert!(!policies["usage"].allows(&query("gsi1")));
    assert!(!reminder.allows(&query("gsi3")));
    assert!(!reminder.allows(&Need::new("dynamodb:DeleteItem", table.clone())));
    // Another table of the account is no resource of the stack.
    let elsewhere = Need::new("dynamodb:GetItem", stack.table_arn("another-table"));
    assert!(!policies["usage"].allows(&elsewhere));

    // SES only from the stack's sender address, whatever identity it is sent as.
    let dispatcher = &policies["outbox-dispatcher"];
    let sender = stack.parameters["SenderAddress"].clone();
    let domain = sender.rsplit_once('@').unwrap().1;
    let mut send = Need::new("ses:SendEmail", stack.ses_identity_arn(domain));
    send.context
        .insert("ses:FromAddress".into(), sender.clone());
    assert!(dispatcher.allows(&send));
    send.context
        .insert("ses:FromAddress".into(), format!("someone-else@{domain}"));
    assert!(!dispatcher.allows(&send));
    assert!(!policies["login"].allows(&send));
}

/// The check can fail: a call the template does not give a function is refused as IAM
/// refuses it, and named.
#[tokio::test]
#[ignore = "needs DynamoDB Local: scripts/test starts it"]
async fn a_call_the_policy_does_not_allow_is_refused_and_named() {
    let app = TestApp::in_the_cloud().await;
    let cloud = app.cloud();
    let client = aws_sdk_dynamodb::Client::new(&app.sdk_of("usage").await);
    let table = cloud.stack().table.clone();
    let refused = client
        .query()
        .table_name(&table)
        .index_name("gsi2")
        .key_condition_expression("gsi2pk = :pk")
        .expression_attribute_values(
            ":pk",
            aws_sdk_dynamodb::types::AttributeValue::S("EXPIRY#00".into()),
        )
        .send()
        .await
        .unwrap_err();
    let message = format!("{:?}", refused.into_service_error());
    assert!(message.contains("AccessDeniedException"), "{message}");

    let denials = cloud.take_denials();
    assert_eq!(denials.len(), 1, "{denials:?}");
    assert_eq!(
        denials[0].to_string(),
        format!(
            "usage is not allowed dynamodb:Query on {}/index/gsi2 by infra/template.yaml",
            cloud.stack().table_arn(&table)
        )
    );
}
