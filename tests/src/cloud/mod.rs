//! The cloud as AWS enforces it, around DynamoDB Local (which enforces no IAM, has no
//! capacity to exceed and never fails): a proxy per function that holds each call against
//! that function's policy in `infra/template.yaml` and injects DynamoDB's faults, with
//! stand-ins for Secrets Manager, SES and EventBridge held to the same check (`stand_ins.rs`).

pub mod calls;
pub mod faults;
pub mod policy;
mod proxy;
mod stand_ins;
mod wire;

pub use faults::{Fault, FaultCounts, FaultPlan};
pub use policy::{Need, Policy, Stack, Template};
pub use proxy::{Cloud, Denial, PutEvent, SentEmail};

/// Appends what a fault test injected and saw to the file of `MADOGUCHI_IAM_LOG`, for the
/// reliability table `cloud-report` prints.
pub fn report_faults(fault: Fault, burst: u32, injected: u64, answers: u32, busy: u32) {
    let Some(dir) = std::env::var_os("MADOGUCHI_IAM_LOG") else {
        return;
    };
    let line = serde_json::json!({
        "kind": "fault", "fault": fault.name(), "burst": burst,
        "injected": injected, "answers": answers, "busy": busy,
    });
    append_record(std::path::Path::new(&dir), "faults", &line);
}

/// Appends `record` as one line to `{dir}/{prefix}-{pid}.jsonl`.
///
/// The tests of one binary run on many threads, and `writeln!` of a JSON value writes it
/// token by token, one system call each: two threads' lines then interleave into lines
/// nobody can parse, and `cloud-report` would miss what they recorded. So the line is
/// formatted whole first and written under one lock, in one call.
pub(crate) fn append_record(dir: &std::path::Path, prefix: &str, record: &serde_json::Value) {
    use std::io::Write as _;
    static WRITING: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _ = std::fs::create_dir_all(dir);
    let line = format!("{record}\n");
    let path = dir.join(format!("{prefix}-{}.jsonl", std::process::id()));
    let _writing = WRITING
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Ok(mut file) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
    {
        let _ = file.write_all(line.as_bytes());
    }
}
