//! The proxy's stand-ins for the services DynamoDB Local has no emulator of: Secrets
//! Manager, SES and EventBridge. Each answers as the service does once the proxy has held
//! the call against the function's policy, and keeps what it was given for the tests.

use serde_json::{Value, json};

use super::proxy::{PutEvent, SentEmail, Shared};
use super::wire::{Reply, json_reply};

pub(super) fn secret(shared: &Shared, function: &str, operation: &str, body: &Value) -> Reply {
    let id = body["SecretId"].as_str().unwrap_or_default();
    let found = shared
        .secrets
        .lock()
        .unwrap()
        .iter()
        .find(|(arn, _)| arn.as_str() == id)
        .map(|(arn, value)| (arn.clone(), value.clone()));
    match (operation, found) {
        ("GetSecretValue", Some((arn, value))) => {
            shared
                .secret_reads
                .lock()
                .unwrap()
                .push((function.to_owned(), arn.clone()));
            let name = arn.rsplit(':').next().unwrap_or_default().to_owned();
            json_reply(
                200,
                "application/x-amz-json-1.1",
                &json!({"ARN": arn, "Name": name, "SecretString": value,
                        "VersionId": "00000000-0000-4000-8000-000000000001",
                        "VersionStages": ["AWSCURRENT"], "CreatedDate": 1.7e9}),
            )
        }
        _ => json_reply(
            400,
            "application/x-amz-json-1.1",
            &json!({"__type": "ResourceNotFoundException",
                    "Message": "Secrets Manager can't find the specified secret."}),
        ),
    }
}

pub(super) fn send_email(shared: &Shared, function: &str, body: &Value) -> Reply {
    let text = |value: &Value| value.as_str().unwrap_or_default().to_owned();
    let sent = SentEmail {
        function: function.to_owned(),
        from: text(&body["FromEmailAddress"]),
        to: body["Destination"]["ToAddresses"]
            .as_array()
            .map(|a| a.iter().map(text).collect())
            .unwrap_or_default(),
        subject: text(&body["Content"]["Simple"]["Subject"]["Data"]),
    };
    let refused = shared.refused.lock().unwrap();
    if sent.to.iter().any(|to| refused.contains(to)) {
        return json_reply(
            400,
            "application/json",
            &json!({"message": "Email address is not verified."}),
        )
        .with_header("x-amzn-errortype", "MessageRejected");
    }
    drop(refused);
    let mut all = shared.sent.lock().unwrap();
    all.push(sent);
    let id = format!("0100019-stand-in-{:08}", all.len());
    json_reply(200, "application/json", &json!({"MessageId": id}))
}

pub(super) fn put_events(shared: &Shared, function: &str, body: &Value) -> Reply {
    let text = |value: &Value| value.as_str().unwrap_or_default().to_owned();
    let mut all = shared.events.lock().unwrap();
    let mut entries = Vec::new();
    for entry in body["Entries"].as_array().into_iter().flatten() {
        all.push(PutEvent {
            function: function.to_owned(),
            bus: text(&entry["EventBusName"]),
            source: text(&entry["Source"]),
            detail_type: text(&entry["DetailType"]),
            detail: serde_json::from_str(entry["Detail"].as_str().unwrap_or("null"))
                .unwrap_or(Value::Null),
        });
        entries.push(json!({"EventId": format!("stand-in-{:08}", all.len())}));
    }
    json_reply(
        200,
        "application/x-amz-json-1.1",
        &json!({"FailedEntryCount": 0, "Entries": entries}),
    )
}
