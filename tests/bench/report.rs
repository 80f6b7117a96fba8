//! The one markdown table the bench prints, and the machine line above it.

use std::time::Duration;

use crate::client::Summary;

/// The table: a label, throughput and latency columns, and a free-text result.
#[derive(Default)]
pub struct Table {
    rows: Vec<[String; 6]>,
}

const HEADER: [&str; 6] = ["measurement", "req/s", "p50", "p99", "max", "result"];

impl Table {
    /// A load row: requests per second and latencies from `summary`, then `note`.
    pub fn load(&mut self, label: &str, summary: &Summary, note: String) {
        let mut note = note;
        if summary.bad > 0 {
            note.push_str(&format!(
                "; **{} bad answers** (first: {})",
                summary.bad,
                summary.first_problem.as_deref().unwrap_or("?")
            ));
        }
        self.rows.push([
            label.to_string(),
            thousands(summary.per_second().round() as u64),
            millis(summary.quantile(0.50)),
            millis(summary.quantile(0.99)),
            millis(summary.max()),
            note,
        ]);
    }

    /// A row with a single result and no load columns.
    pub fn value(&mut self, label: &str, result: String) {
        let dash = || "–".to_string();
        self.rows
            .push([label.to_string(), dash(), dash(), dash(), dash(), result]);
    }

    /// An aim: what was measured against what we want, marked met or not met.
    pub fn aim(&mut self, label: &str, measured: String, aim: String, met: bool) {
        let verdict = if met { "**met**" } else { "**not met**" };
        self.value(
            &format!("aim: {label}"),
            format!("{measured} vs {aim}: {verdict}"),
        );
    }

    /// The table as markdown.
    pub fn render(&self) -> String {
        let mut out = format!("| {} |\n", HEADER.join(" | "));
        out.push_str("|---|---:|---:|---:|---:|---|\n");
        for row in &self.rows {
            out.push_str(&format!("| {} |\n", row.join(" | ")));
        }
        out
    }
}

/// A latency in milliseconds, two decimals below 10 ms.
pub fn millis(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1000.0;
    if ms < 10.0 {
        format!("{ms:.2} ms")
    } else {
        format!("{ms:.1} ms")
    }
}

/// Bytes as decimal megabytes, one decimal.
pub fn megabytes(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1_000_000.0)
}

/// 1234567 as `1,234,567`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `CPU model, N cores, Linux <kernel>, <date>`, from `/proc`.
pub fn machine_line() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .and_then(|rest| rest.split_once(':'))
        .map(|(_, name)| name.trim().to_string())
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    format!(
        "Machine: {model}, {cores} cores, Linux {}; date {}",
        kernel.trim(),
        quilt_mcp::time::now_rfc3339()
    )
}
