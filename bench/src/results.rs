//! What each measuring binary hands to `report` (`scripts/bench`): rows of the performance
//! table, each with its target where the design sets one, and the series the plots draw.
//! One JSON file per binary, in the directory `scripts/bench` gives them.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Row {
    /// What was measured, in the table's words.
    pub measure: String,
    /// The figure, with its unit.
    pub value: String,
    /// The design's target, if it sets one.
    pub target: Option<String>,
    /// Whether the figure meets `target`.
    pub met: Option<bool>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Results {
    /// Which part of the bench these are (the table's section).
    pub part: String,
    pub rows: Vec<Row>,
    /// Named series of (x, y) points: latency distributions as (percentile, ms), the
    /// reminder job's time as (licences, s).
    pub series: BTreeMap<String, Vec<(f64, f64)>>,
    /// Where a figure misses its target: what the profile says, in a sentence or two.
    pub notes: Vec<String>,
}

impl Results {
    pub fn new(part: &str) -> Self {
        Self {
            part: part.to_owned(),
            ..Self::default()
        }
    }

    /// A figure with no target: context for the ones that have one.
    pub fn figure(&mut self, measure: impl Into<String>, value: impl Into<String>) {
        self.rows.push(Row {
            measure: measure.into(),
            value: value.into(),
            target: None,
            met: None,
        });
    }

    /// A figure measured against its target.
    pub fn against(
        &mut self,
        measure: impl Into<String>,
        value: impl Into<String>,
        target: impl Into<String>,
        met: bool,
    ) {
        self.rows.push(Row {
            measure: measure.into(),
            value: value.into(),
            target: Some(target.into()),
            met: Some(met),
        });
    }

    /// Prints the rows as a table and, with `to`, keeps them for `report`.
    pub fn finish(&self, to: Option<&Path>) {
        println!("| {} | value | target |", self.part);
        println!("| --- | --- | --- |");
        for row in &self.rows {
            let target = match (&row.target, row.met) {
                (Some(target), Some(true)) => format!("{target} ✔"),
                (Some(target), _) => format!("{target} ✘"),
                (None, _) => String::new(),
            };
            println!("| {} | {} | {target} |", row.measure, row.value);
        }
        for note in &self.notes {
            println!("- {note}");
        }
        if let Some(path) = to {
            let json = serde_json::to_vec_pretty(self).expect("results serialise");
            std::fs::write(path, json)
                .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
        }
    }
}

/// The latency at each of these percentiles makes a distribution's plot.
pub const PERCENTILES: [f64; 24] = [
    1.0, 5.0, 10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0, 75.0, 80.0, 85.0, 90.0, 92.5, 95.0, 96.0,
    97.0, 98.0, 99.0, 99.5, 99.8, 99.9, 99.95, 99.99,
];

/// (percentile, ms) of sorted latencies.
pub fn distribution(sorted: &[std::time::Duration]) -> Vec<(f64, f64)> {
    PERCENTILES
        .iter()
        .map(|&p| (p, at(sorted, p).as_secs_f64() * 1000.0))
        .collect()
}

/// The latency at percentile `p` of sorted latencies.
pub fn at(sorted: &[std::time::Duration], p: f64) -> std::time::Duration {
    let n = sorted.len();
    sorted[((n as f64 * p / 100.0) as usize).min(n - 1)]
}

/// A ratio as whole percent, rounded down: a share just under a target never prints as
/// the target (0.5996 is `59%`, not `60%`).
pub fn percent(share: f64) -> String {
    format!("{}%", (share * 100.0).floor())
}

/// `12,345`: thousands separated, as the README writes figures.
pub fn grouped(n: f64) -> String {
    let digits = format!("{:.0}", n.round());
    let (sign, digits) = digits
        .strip_prefix('-')
        .map_or(("", digits.as_str()), |d| ("-", d));
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    format!("{sign}{out}")
}
