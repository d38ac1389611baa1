//! The faults DynamoDB makes in AWS and DynamoDB Local never does, for the proxy to inject:
//! throttling, a 500, a transaction cancelled by a conflicting one, batches that leave part
//! of their work unprocessed, and a connection cut after the write was applied (so that
//! the caller cannot know whether it was, and its SDK sends it again).

use std::collections::BTreeMap;

use serde_json::{Value, json};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Fault {
    /// 400 `ProvisionedThroughputExceededException`.
    ProvisionedThroughputExceeded,
    /// 400 `ThrottlingException`.
    Throttling,
    /// 500 `InternalServerError`.
    InternalServerError,
    /// 400 `TransactionCanceledException` with a `TransactionConflict` reason.
    TransactionConflict,
    /// A batch answered with half its keys or items left unprocessed.
    Unprocessed,
    /// The write is applied, then the connection is closed with no answer.
    CutAfterWrite,
}

impl Fault {
    pub const ALL: [Fault; 6] = [
        Fault::ProvisionedThroughputExceeded,
        Fault::Throttling,
        Fault::InternalServerError,
        Fault::TransactionConflict,
        Fault::Unprocessed,
        Fault::CutAfterWrite,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Fault::ProvisionedThroughputExceeded => "ProvisionedThroughputExceededException",
            Fault::Throttling => "ThrottlingException",
            Fault::InternalServerError => "InternalServerError (HTTP 500)",
            Fault::TransactionConflict => "TransactionCanceledException (TransactionConflict)",
            Fault::Unprocessed => "unprocessed batch keys and items",
            Fault::CutAfterWrite => "connection cut after the write applied",
        }
    }

    /// Whether this fault can happen to a call of `operation`.
    pub fn applies_to(self, operation: &str) -> bool {
        match self {
            Fault::ProvisionedThroughputExceeded
            | Fault::Throttling
            | Fault::InternalServerError => true,
            Fault::TransactionConflict => operation == "TransactWriteItems",
            Fault::Unprocessed => matches!(operation, "BatchGetItem" | "BatchWriteItem"),
            Fault::CutAfterWrite => is_write(operation),
        }
    }

    /// The answer DynamoDB gives, for the faults that answer instead of the table.
    pub fn answer(self, body: &Value) -> Option<(u16, Value)> {
        let error = |kind: &str, message: &str| json!({"__type": format!("com.amazonaws.dynamodb.v20120810#{kind}"), "message": message});
        Some(match self {
            Fault::ProvisionedThroughputExceeded => (
                400,
                error(
                    "ProvisionedThroughputExceededException",
                    "The level of configured provisioned throughput for the table was exceeded.",
                ),
            ),
            Fault::Throttling => (
                400,
                json!({"__type": "com.amazon.coral.availability#ThrottlingException",
                       "message": "Rate of requests exceeds the allowed throughput."}),
            ),
            Fault::InternalServerError => {
                (500, error("InternalServerError", "Internal server error"))
            }
            Fault::TransactionConflict => {
                let items = body["TransactItems"].as_array().map_or(1, Vec::len);
                let mut reasons = vec![json!({"Code": "None"}); items];
                reasons[0] = json!({"Code": "TransactionConflict",
                    "Message": "Transaction is ongoing for the item"});
                let mut answer = error(
                    "TransactionCanceledException",
                    "Transaction cancelled, please refer cancellation reasons for specific reasons [TransactionConflict]",
                );
                answer["CancellationReasons"] = Value::Array(reasons);
                (400, answer)
            }
            Fault::Unprocessed | Fault::CutAfterWrite => return None,
        })
    }
}

/// The calls that change the table.
pub fn is_write(operation: &str) -> bool {
    matches!(
        operation,
        "PutItem" | "UpdateItem" | "DeleteItem" | "TransactWriteItems" | "BatchWriteItem"
    )
}

/// Splits a batch request in two: the part sent on, and the part answered as unprocessed.
/// Returns `None` when there is nothing to leave out (one key or item in all).
pub fn split_batch(operation: &str, body: &Value) -> Option<(Value, Value)> {
    let requests = body["RequestItems"].as_object()?;
    let mut sent = serde_json::Map::new();
    let mut left = serde_json::Map::new();
    let list_of = |request: &Value| -> Option<Vec<Value>> {
        match operation {
            "BatchGetItem" => request["Keys"].as_array().cloned(),
            _ => request.as_array().cloned(),
        }
    };
    let total: usize = requests.values().filter_map(list_of).map(|l| l.len()).sum();
    if total < 2 {
        return None;
    }
    let mut keep = total.div_ceil(2);
    for (table, request) in requests {
        let list = list_of(request)?;
        let cut = keep.min(list.len());
        keep -= cut;
        let (now, later) = list.split_at(cut);
        let rebuild = |part: &[Value]| match operation {
            "BatchGetItem" => {
                let mut request = request.clone();
                request["Keys"] = Value::Array(part.to_vec());
                request
            }
            _ => Value::Array(part.to_vec()),
        };
        if !now.is_empty() {
            sent.insert(table.clone(), rebuild(now));
        }
        if !later.is_empty() {
            left.insert(table.clone(), rebuild(later));
        }
    }
    let mut sent_body = body.clone();
    sent_body["RequestItems"] = Value::Object(sent);
    Some((sent_body, Value::Object(left)))
}

/// Adds the left-out part to a batch's answer as `UnprocessedKeys` or `UnprocessedItems`.
pub fn add_unprocessed(operation: &str, answer: &mut Value, left: Value) {
    let field = match operation {
        "BatchGetItem" => "UnprocessedKeys",
        _ => "UnprocessedItems",
    };
    answer[field] = left;
}

/// When to fault: one eligible call in `every`, in bursts of `burst` calls in a row, of
/// the kinds given, taken in turn. The counter is the proxy's, so a plan is the same
/// sequence every run.
#[derive(Debug, Clone)]
pub struct FaultPlan {
    pub kinds: Vec<Fault>,
    pub every: u32,
    pub burst: u32,
    /// The operations it faults (`TransactWriteItems`, …); empty: every one a kind applies to.
    pub operations: Vec<&'static str>,
    /// Eligible calls let through before the plan starts: the first commit of an operation
    /// applied, the ones after it faulted, as when a process dies between them.
    pub spared: u64,
}

impl FaultPlan {
    pub fn none() -> Self {
        Self {
            kinds: Vec::new(),
            every: 1,
            burst: 0,
            operations: Vec::new(),
            spared: 0,
        }
    }

    /// Every call of `operation` after the first `spared` answered with `fault`.
    pub fn outage_of(operation: &'static str, fault: Fault, spared: u64) -> Self {
        Self {
            kinds: vec![fault],
            every: 1,
            burst: 1,
            operations: vec![operation],
            spared,
        }
    }
}

/// What the proxy counts of its faults.
#[derive(Debug, Default, Clone)]
pub struct FaultCounts {
    pub injected: BTreeMap<Fault, u64>,
    /// Calls of each DynamoDB operation that reached the table.
    pub calls: u64,
}
