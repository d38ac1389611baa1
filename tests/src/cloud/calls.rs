//! What IAM needs for a call: the action and resource of each part of a DynamoDB, Secrets
//! Manager or SES request, as the services' authorization documents them.
//!
//! - A DynamoDB call needs its action on its table; `Query` and `Scan` with an `IndexName`
//!   need it on `table/T/index/I`; each item of a transaction needs the action of its kind
//!   (`Put` → `PutItem`, `Update` → `UpdateItem`, `Delete` → `DeleteItem`,
//!   `ConditionCheck` → `ConditionCheckItem`, `Get` → `GetItem`) on its table; a batch
//!   needs its batch action on each table it names.
//! - `secretsmanager:GetSecretValue` on the secret's ARN.
//! - `ses:SendEmail` on the sending identity, with `ses:FromAddress` in its context.

use serde_json::Value;

use super::policy::{Need, Stack};

/// The DynamoDB operation a JSON 1.0 request names (`X-Amz-Target:
/// DynamoDB_20120810.GetItem`).
pub fn dynamodb_operation(target: &str) -> Option<&str> {
    target.strip_prefix("DynamoDB_20120810.")
}

/// The needs of one DynamoDB request.
pub fn dynamodb_needs(operation: &str, body: &Value, stack: &Stack) -> Result<Vec<Need>, String> {
    let table = |value: &Value| -> Result<String, String> {
        value
            .as_str()
            .map(|name| stack.table_arn(name))
            .ok_or_else(|| format!("{operation} without a TableName"))
    };
    let action = |name: &str| format!("dynamodb:{name}");
    Ok(match operation {
        "Query" | "Scan" => {
            let mut resource = table(&body["TableName"])?;
            if let Some(index) = body["IndexName"].as_str() {
                resource = format!("{resource}/index/{index}");
            }
            vec![Need::new(&action(operation), resource)]
        }
        "TransactWriteItems" | "TransactGetItems" => {
            let items = body["TransactItems"]
                .as_array()
                .ok_or("a transaction without TransactItems")?;
            let mut needs = Vec::new();
            for item in items {
                let (kind, part) = item
                    .as_object()
                    .and_then(|o| o.iter().next())
                    .ok_or("an empty transaction item")?;
                let item_action = match kind.as_str() {
                    "Put" => "PutItem",
                    "Update" => "UpdateItem",
                    "Delete" => "DeleteItem",
                    "ConditionCheck" => "ConditionCheckItem",
                    "Get" => "GetItem",
                    other => return Err(format!("a transaction item of kind {other}")),
                };
                needs.push(Need::new(&action(item_action), table(&part["TableName"])?));
            }
            needs.sort();
            needs.dedup();
            needs
        }
        "BatchGetItem" | "BatchWriteItem" => body["RequestItems"]
            .as_object()
            .ok_or("a batch without RequestItems")?
            .keys()
            .map(|name| Need::new(&action(operation), stack.table_arn(name)))
            .collect(),
        "ListTables" => vec![Need::new(&action(operation), "*".to_owned())],
        // Every other call names one table: GetItem, PutItem, UpdateItem, DeleteItem,
        // DescribeTable, CreateTable, UpdateTimeToLive, DescribeTimeToLive…
        _ => vec![Need::new(&action(operation), table(&body["TableName"])?)],
    })
}

/// The needs of `secretsmanager:GetSecretValue` for a `SecretId` (a name or an ARN).
pub fn secret_needs(operation: &str, body: &Value) -> Result<Vec<Need>, String> {
    let id = body["SecretId"]
        .as_str()
        .ok_or_else(|| format!("{operation} without a SecretId"))?;
    Ok(vec![Need::new(
        &format!("secretsmanager:{operation}"),
        id.to_owned(),
    )])
}

/// The needs of SES v2 `SendEmail`: the identity that sends (the address's own when it is
/// a verified identity, else its domain's), with the bare address as `ses:FromAddress`.
pub fn ses_send_needs(
    body: &Value,
    stack: &Stack,
    verified: &[String],
) -> Result<Vec<Need>, String> {
    let from = body["FromEmailAddress"]
        .as_str()
        .ok_or("SendEmail without a FromEmailAddress")?;
    let address = bare_address(from);
    let domain = address
        .rsplit_once('@')
        .map(|(_, domain)| domain.to_owned())
        .ok_or_else(|| format!("a From address without a domain: {address}"))?;
    let identity = if verified.contains(&address) {
        address.clone()
    } else if verified.contains(&domain) {
        domain
    } else {
        return Err(format!("{address} is not a verified identity"));
    };
    let mut need = Need::new("ses:SendEmail", stack.ses_identity_arn(&identity));
    need.context.insert("ses:FromAddress".to_owned(), address);
    Ok(vec![need])
}

/// The needs of EventBridge `PutEvents`: `events:PutEvents` on the bus of each entry (its
/// name or ARN; the account's `default` bus when it names none).
pub fn events_needs(operation: &str, body: &Value, stack: &Stack) -> Result<Vec<Need>, String> {
    if operation != "PutEvents" {
        return Err(format!("the stand-in serves no EventBridge {operation}"));
    }
    let entries = body["Entries"]
        .as_array()
        .ok_or("PutEvents without Entries")?;
    Ok(entries
        .iter()
        .map(|entry| {
            let bus = entry["EventBusName"].as_str().unwrap_or("default");
            Need::new("events:PutEvents", stack.event_bus_arn(bus))
        })
        .collect())
}

/// `名前 <a@b>` or `=?UTF-8?B?…?= <a@b>` → `a@b`.
pub fn bare_address(from: &str) -> String {
    match (from.rfind('<'), from.rfind('>')) {
        (Some(start), Some(end)) if start < end => from[start + 1..end].trim().to_owned(),
        _ => from.trim().to_owned(),
    }
}
