//! The external load generator of the read path: wrk, in its own process, with a Lua
//! script that prints the whole latency distribution (wrk's own `--latency` has four
//! percentiles). wrk comes from Debian; `scripts/bench` installs it.

use std::process::Command;

use crate::results::PERCENTILES;

pub struct Run {
    pub per_second: f64,
    /// (percentile, ms).
    pub distribution: Vec<(f64, f64)>,
}

impl Run {
    pub fn ms_at(&self, percentile: f64) -> f64 {
        self.distribution
            .iter()
            .find(|(p, _)| *p == percentile)
            .map_or(f64::NAN, |(_, ms)| *ms)
    }
}

/// Who the requests are from.
#[derive(Debug, Clone)]
pub enum Caller {
    Anonymous,
    /// One `Authorization` header on every request.
    Header(String),
    /// Each request picks one bearer token at random from this file (one a line), as many
    /// members' sessions load a server.
    Rotating(std::path::PathBuf),
}

const SCRIPT: &str = r#"
local percentiles = { PERCENTILES }
local header = HEADER
if header ~= "" then wrk.headers["Authorization"] = header end
local tokens_file = TOKENS
if tokens_file ~= "" then
  local requests = {}
  for token in io.lines(tokens_file) do
    requests[#requests + 1] = wrk.format(nil, nil, { ["Authorization"] = "Bearer " .. token })
  end
  math.randomseed(os.time() + math.floor(os.clock() * 1000000))
  request = function()
    return requests[math.random(#requests)]
  end
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %d %d %d %d\n", summary.requests, summary.duration,
    e.connect + e.read + e.write + e.timeout, e.status))
  for _, p in ipairs(percentiles) do
    io.write(string.format("PCT %s %d\n", p, latency:percentile(p)))
  end
end
"#;

/// wrk against `url` for `seconds` with `connections` connections on two threads (one for
/// a single connection). Panics
/// on a socket error or any answer other than 2xx: such a run measured something else.
pub fn run(url: &str, authorization: Option<&str>, seconds: u64, connections: usize) -> Run {
    let caller = authorization.map_or(Caller::Anonymous, |h| Caller::Header(h.to_owned()));
    run_as(url, &caller, seconds, connections)
}

/// The same, with the requests' caller chosen.
pub fn run_as(url: &str, caller: &Caller, seconds: u64, connections: usize) -> Run {
    let list: Vec<String> = PERCENTILES.iter().map(f64::to_string).collect();
    let (header, tokens) = match caller {
        Caller::Anonymous => (String::new(), String::new()),
        Caller::Header(header) => (header.clone(), String::new()),
        Caller::Rotating(file) => (String::new(), file.display().to_string()),
    };
    // Lua's long strings take the values as they are (`{:?}` would escape a path as
    // Rust does, not as Lua reads it).
    let script = SCRIPT
        .replace("PERCENTILES", &list.join(", "))
        .replace("HEADER", &format!("[==[{header}]==]"))
        .replace("TOKENS", &format!("[==[{tokens}]==]"));
    let file = tempfile::Builder::new()
        .suffix(".lua")
        .tempfile()
        .expect("a temp file");
    std::fs::write(file.path(), script).expect("the wrk script");
    let output = Command::new("wrk")
        // wrk needs a connection per thread at least.
        .args([
            &format!("-t{}", connections.min(2)),
            &format!("-c{connections}"),
            &format!("-d{seconds}s"),
        ])
        .arg("-s")
        .arg(file.path())
        .arg(url)
        .output()
        .expect("wrk runs (scripts/bench installs it)");
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "wrk failed on {url}: {text}");
    let mut per_second = None;
    let mut distribution = Vec::new();
    for line in text.lines() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        match fields.as_slice() {
            ["RESULT", requests, duration_us, errors, non_2xx] => {
                let (errors, non_2xx): (u64, u64) = (parse(errors), parse(non_2xx));
                assert!(
                    errors == 0 && non_2xx == 0,
                    "wrk on {url}: {errors} socket errors, {non_2xx} answers not 2xx"
                );
                let requests: f64 = parse(requests);
                let seconds = parse::<f64>(duration_us) / 1e6;
                per_second = Some(requests / seconds);
            }
            ["PCT", percentile, micros] => {
                distribution.push((parse(percentile), parse::<f64>(micros) / 1000.0));
            }
            _ => {}
        }
    }
    Run {
        per_second: per_second.unwrap_or_else(|| panic!("no result from wrk on {url}: {text}")),
        distribution,
    }
}

fn parse<T: std::str::FromStr>(text: &str) -> T {
    text.parse()
        .unwrap_or_else(|_| panic!("wrk printed {text:?} where a number was expected"))
}
