//! The last step of `scripts/bench`: reads what each measuring binary kept (`--results`
//! files in one directory), prints one table with each target beside its figure, draws the
//! latency distributions and the reminder job's time against table size into `docs/`, and
//! puts the table into docs/performance.md between its `bench:begin` and `bench:end`
//! marks.
//!
//! `cargo run --release -p madoguchi-bench --bin report -- --from target/bench`

use std::path::{Path, PathBuf};

use clap::Parser;
use madoguchi_bench::results::{self, Results};
use plotters::prelude::*;

#[derive(Debug, Parser)]
struct Args {
    /// The directory of results files.
    #[arg(long)]
    from: PathBuf,
    /// Where the plots go.
    #[arg(long, default_value = "docs")]
    docs: PathBuf,
    /// The page whose measured section is replaced (docs/performance.md); none to print
    /// only.
    #[arg(long)]
    page: Option<PathBuf>,
    /// The command that produced the results, named on the page beside them.
    #[arg(long, default_value = "scripts/bench")]
    command: String,
}

/// The parts in the order the table shows them.
const PARTS: [&str; 8] = [
    "paths",
    "reminders-redb",
    "reminders-dynamodb",
    "capacity",
    "layers",
    "metrics-cost",
    "lambda",
    "profiles",
];

fn main() {
    let args = Args::parse();
    let parts: Vec<Results> = PARTS
        .iter()
        .filter_map(|name| {
            let path = args.from.join(format!("{name}.json"));
            let bytes = std::fs::read(&path).ok()?;
            Some(
                serde_json::from_slice(&bytes)
                    .unwrap_or_else(|e| panic!("{} is not a results file: {e}", path.display())),
            )
        })
        .collect();
    assert!(
        !parts.is_empty(),
        "no results in {} (scripts/bench writes them)",
        args.from.display()
    );
    let table = table(&parts);
    println!("{table}");

    std::fs::create_dir_all(&args.docs).expect("the docs directory");
    let mut plots = Vec::new();
    let latency: Vec<(&String, &Vec<(f64, f64)>)> = parts
        .iter()
        .flat_map(|part| part.series.iter())
        .filter(|(name, _)| name.starts_with("read:") || name.starts_with("write:"))
        .collect();
    if !latency.is_empty() {
        let path = args.docs.join("bench-latency.svg");
        latency_plot(&path, &latency);
        plots.push(("Latency distributions of the read and write paths", path));
    }
    let concurrency: Vec<(&String, &Vec<(f64, f64)>)> = parts
        .iter()
        .flat_map(|part| part.series.iter())
        .filter(|(name, _)| name.starts_with("concurrency:"))
        .collect();
    if !concurrency.is_empty() {
        let path = args.docs.join("bench-concurrency.svg");
        concurrency_plot(&path, &concurrency);
        plots.push(("Latency of `GET /v1/usage` by concurrent connections", path));
    }
    let reminders: Vec<(&String, &Vec<(f64, f64)>)> = parts
        .iter()
        .flat_map(|part| part.series.iter())
        .filter(|(name, _)| name.starts_with("reminders:"))
        .collect();
    if !reminders.is_empty() {
        let path = args.docs.join("bench-reminders.svg");
        reminders_plot(&path, &reminders);
        plots.push((
            "The reminder job's time against the number of licences",
            path,
        ));
    }
    for (_, path) in &plots {
        println!("drew {}", path.display());
    }

    if let Some(page) = &args.page {
        let mut section = format!(
            "Measured by `{}` on {}, {}.\n\n{table}\n",
            args.command,
            jiff::Zoned::now().date(),
            machine()
        );
        // The plots are linked from the page's own directory.
        let base = page.parent().unwrap_or(Path::new(""));
        for (title, path) in &plots {
            let relative = path.strip_prefix(base).unwrap_or(path);
            section.push_str(&format!("\n![{title}]({})\n", relative.display()));
        }
        replace_section(page, &section);
        println!("updated {}", page.display());
    }
}

fn table(parts: &[Results]) -> String {
    let mut out = String::from("| measure | figure | target |\n| --- | --- | --- |\n");
    let mut notes = Vec::new();
    for part in parts {
        out.push_str(&format!("| **{}** | | |\n", part.part));
        for row in &part.rows {
            let target = match (&row.target, row.met) {
                (Some(target), Some(true)) => format!("{target}: met"),
                (Some(target), _) => format!("{target}: **missed**"),
                (None, _) => String::new(),
            };
            out.push_str(&format!("| {} | {} | {target} |\n", row.measure, row.value));
        }
        notes.extend(part.notes.iter().map(|note| format!("- {note}\n")));
    }
    if !notes.is_empty() {
        out.push('\n');
        out.extend(notes);
    }
    out
}

/// The CPU and cores of this machine, as the figures depend on them.
fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|line| line.strip_prefix("model name"))
        .and_then(|rest| rest.split(':').nth(1))
        .map_or("an unknown CPU", str::trim)
        .to_owned();
    let cores = std::thread::available_parallelism().map_or(0, std::num::NonZero::get);
    format!("{cores} cores of {model}")
}

const BEGIN: &str = "<!-- bench:begin (scripts/bench writes this section) -->";
const END: &str = "<!-- bench:end -->";

/// Replaces what is between the marks (the marks stay); a page without them gets the
/// section at its end, marks and all.
fn replace_section(page: &Path, section: &str) {
    let text = std::fs::read_to_string(page).expect("the page");
    let marked = text
        .find(BEGIN)
        .and_then(|begin| Some((begin, begin + text[begin..].find(END)?)));
    let updated = match marked {
        Some((begin, end)) => format!("{}{BEGIN}\n{section}{}", &text[..begin], &text[end..]),
        None => format!("{}\n{BEGIN}\n{section}{END}\n", text.trim_end()),
    };
    std::fs::write(page, updated).expect("the page");
}

/// Percentiles on a scale of nines, so that the tail gets room: 90% is 1, 99% 2, 99.9% 3.
fn nines(percentile: f64) -> f64 {
    -(1.0 - percentile / 100.0).log10()
}

const COLOURS: [RGBColor; 4] = [
    RGBColor(0x1f, 0x5f, 0xa8),
    RGBColor(0xc0, 0x39, 0x2b),
    RGBColor(0x27, 0x8e, 0x4f),
    RGBColor(0x8e, 0x44, 0xad),
];

fn latency_plot(path: &Path, series: &[(&String, &Vec<(f64, f64)>)]) {
    let root = SVGBackend::new(path, (900, 500)).into_drawing_area();
    root.fill(&WHITE).expect("draw");
    let top = series
        .iter()
        .flat_map(|(_, points)| points.iter().map(|(_, ms)| *ms))
        .fold(0.1_f64, f64::max);
    let mut chart = ChartBuilder::on(&root)
        .caption("Latency by percentile (32 connections)", ("sans-serif", 22))
        .margin(16)
        .x_label_area_size(44)
        .y_label_area_size(64)
        .build_cartesian_2d(0.0..4.0_f64, (0.01..top * 1.5).log_scale())
        .expect("a chart");
    chart
        .configure_mesh()
        .x_desc("percentile")
        .y_desc("latency (ms)")
        .x_labels(5)
        .x_label_formatter(&|x| {
            let percentile = 100.0 * (1.0 - 10f64.powf(-x));
            format!("{percentile}%")
        })
        .draw()
        .expect("the mesh");
    for (n, (name, points)) in series.iter().enumerate() {
        let colour = COLOURS[n % COLOURS.len()];
        chart
            .draw_series(LineSeries::new(
                points.iter().map(|(p, ms)| (nines(*p), ms.max(0.01))),
                colour.stroke_width(2),
            ))
            .expect("a series")
            .label(name.as_str())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], colour));
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK)
        .position(SeriesLabelPosition::LowerRight)
        .draw()
        .expect("the legend");
    root.present().expect("the plot");
}

/// p50 and p99 against connections, both axes logarithmic: 1 to 128 connections, and
/// latencies from the lowest measured to the highest.
fn concurrency_plot(path: &Path, series: &[(&String, &Vec<(f64, f64)>)]) {
    let root = SVGBackend::new(path, (900, 500)).into_drawing_area();
    root.fill(&WHITE).expect("draw");
    let most = series
        .iter()
        .flat_map(|(_, points)| points.iter().map(|(c, _)| *c))
        .fold(1.0_f64, f64::max);
    let top = series
        .iter()
        .flat_map(|(_, points)| points.iter().map(|(_, ms)| *ms))
        .fold(0.1_f64, f64::max);
    let bottom = series
        .iter()
        .flat_map(|(_, points)| points.iter().map(|(_, ms)| *ms))
        .fold(top, f64::min)
        .max(0.001);
    let mut chart = ChartBuilder::on(&root)
        .caption(
            "GET /v1/usage, members' sessions in rotation, by connections",
            ("sans-serif", 22),
        )
        .margin(16)
        .x_label_area_size(44)
        .y_label_area_size(64)
        .build_cartesian_2d(
            (0.8..most * 1.25).log_scale(),
            (bottom / 1.5..top * 1.5).log_scale(),
        )
        .expect("a chart");
    chart
        .configure_mesh()
        .x_desc("concurrent connections")
        .y_desc("latency (ms)")
        .draw()
        .expect("the mesh");
    for (n, (name, points)) in series.iter().enumerate() {
        let colour = COLOURS[n % COLOURS.len()];
        chart
            .draw_series(LineSeries::new(
                points.iter().copied(),
                colour.stroke_width(2),
            ))
            .expect("a series")
            .label(name.trim_start_matches("concurrency: "))
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], colour));
        chart
            .draw_series(
                points
                    .iter()
                    .map(|point| Circle::new(*point, 4, colour.filled())),
            )
            .expect("the points");
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK)
        .position(SeriesLabelPosition::UpperLeft)
        .draw()
        .expect("the legend");
    root.present().expect("the plot");
}

/// One panel per engine, each from zero: DynamoDB Local's times are far above redb's.
fn reminders_plot(path: &Path, series: &[(&String, &Vec<(f64, f64)>)]) {
    let root = SVGBackend::new(path, (900, 420)).into_drawing_area();
    root.fill(&WHITE).expect("draw");
    let root = root
        .titled(
            "The reminder job with the same 1,000 licences due, by licences in the store",
            ("sans-serif", 20),
        )
        .expect("a title");
    let panels = root.split_evenly((1, series.len()));
    for (n, ((name, points), panel)) in series.iter().zip(&panels).enumerate() {
        let most = points.iter().map(|(x, _)| *x).fold(10.0_f64, f64::max);
        let least = points.iter().map(|(x, _)| *x).fold(most, f64::min);
        let top = points.iter().map(|(_, s)| *s).fold(0.01_f64, f64::max);
        let mut chart = ChartBuilder::on(panel)
            .caption(name.trim_start_matches("reminders: "), ("sans-serif", 18))
            .margin(16)
            .x_label_area_size(44)
            .y_label_area_size(56)
            .build_cartesian_2d((least / 3.0..most * 3.0).log_scale(), 0.0..top * 1.3)
            .expect("a chart");
        chart
            .configure_mesh()
            .x_desc("licences in the store")
            .y_desc("job time (s)")
            .light_line_style(WHITE)
            // A log axis has a tick at every 1–9 × 10ⁿ: only the powers of ten are named.
            .x_label_formatter(&|n| {
                let power = n.log10();
                if (power - power.round()).abs() < 1e-9 {
                    results::grouped(*n)
                } else {
                    String::new()
                }
            })
            .draw()
            .expect("the mesh");
        let colour = COLOURS[n % COLOURS.len()];
        chart
            .draw_series(LineSeries::new(
                points.iter().copied(),
                colour.stroke_width(2),
            ))
            .expect("a series");
        chart
            .draw_series(
                points
                    .iter()
                    .map(|point| Circle::new(*point, 4, colour.filled())),
            )
            .expect("the points");
    }
    root.present().expect("the plot");
}
