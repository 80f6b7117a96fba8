//! `cargo bench --bench viz` (`just bench-viz`): time and peak heap of the visualization
//! tools' work on 10,000 rows, in-process and release-built, printed as a markdown table.
//! Rows: reading 10,000 CSV rows into a table, the ECharts option of each plot type (built and
//! encoded as the file the tool returns), and the three PNG structure charts of a package with
//! 10,000 files. Peak heap is measured by a counting allocator, from the start of each step.
//!
//! Settings: `BENCH_VIZ_ROWS` [10000], `BENCH_VIZ_RUNS` [5] (the median run is reported).

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use quilt_mcp::tools::viz::echarts::{self, ChartSpec, PlotType};
use quilt_mcp::tools::viz::render::{Bars, bar_chart_png};
use quilt_mcp::tools::viz::structure::{Structure, human_bytes};
use quilt_mcp::tools::viz::table::Table;
use quilt_mcp::tools::viz::{ColorScheme, PackageFile};

/// The system allocator, counting live bytes and their peak.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's layout is passed on unchanged.
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            let live = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(live, Ordering::Relaxed);
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `alloc` above with this layout.
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn setting(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(default)
}

/// Runs `step` `runs` times; the median time and the largest heap growth over the step's start.
fn measure<T>(runs: usize, mut step: impl FnMut() -> T) -> (Duration, usize) {
    let mut times = Vec::with_capacity(runs);
    let mut peak = 0;
    for _ in 0..runs {
        let before = LIVE.load(Ordering::Relaxed);
        PEAK.store(before, Ordering::Relaxed);
        let start = Instant::now();
        let kept = step();
        times.push(start.elapsed());
        peak = peak.max(PEAK.load(Ordering::Relaxed) - before);
        drop(kept);
    }
    times.sort();
    (times[times.len() / 2], peak)
}

/// A deterministic table: a category, two numbers and a group per row.
fn csv_rows(rows: usize) -> String {
    let mut text = String::from("gene,expression,dose,condition\n");
    for i in 0..rows {
        let x = (i * 7919 % 1000) as f64 / 10.0;
        text.push_str(&format!(
            "G{:03},{:.3},{x},{}\n",
            i % 40,
            (x * 0.7 + (i % 13) as f64).sqrt() * 10.0,
            ["control", "treated", "vehicle"][i % 3]
        ));
    }
    text
}

fn main() {
    let rows = setting("BENCH_VIZ_ROWS", 10_000);
    let runs = setting("BENCH_VIZ_RUNS", 5).max(1);
    let text = csv_rows(rows);
    let mut lines = vec![
        format!(
            "Visualization work on {rows} rows (median of {runs} runs; peak heap above the step's start)\n"
        ),
        "| Step | Time | Peak heap | Output |".into(),
        "|---|---|---|---|".into(),
    ];
    let mut row = |step: &str, (time, peak): (Duration, usize), output: String| {
        lines.push(format!(
            "| {step} | {:.1} ms | {} | {output} |",
            time.as_secs_f64() * 1000.0,
            human_bytes(peak as u64)
        ));
    };

    let read = measure(runs, || {
        Table::from_delimited("data", &text).map(|t| t.rows())
    });
    row(
        "read CSV into a table",
        read,
        human_bytes(text.len() as u64),
    );
    let table = Table::from_delimited("data", &text).expect("the bench's CSV reads");

    for (plot, x, group) in [
        (PlotType::Scatter, "dose", Some("condition")),
        (PlotType::Line, "dose", Some("condition")),
        (PlotType::Bar, "gene", Some("condition")),
        (PlotType::Boxplot, "gene", None),
    ] {
        let spec = ChartSpec {
            plot,
            x: x.into(),
            y: "expression".into(),
            group: group.map(str::to_string),
            title: "bench".into(),
            xlabel: x.into(),
            ylabel: "expression".into(),
            colors: ColorScheme::Genomics.colors(),
        };
        let mut size = 0;
        let measured = measure(runs, || {
            let chart = echarts::build(&table, &spec).expect("the bench's chart builds");
            let file = PackageFile::text(
                "chart.json".into(),
                "application/json",
                serde_json::to_string_pretty(&chart.option).unwrap_or_default(),
            );
            size = file.text.as_ref().map_or(0, String::len) + chart.data_csv.len();
            file
        });
        row(
            &format!("ECharts {} option + data CSV", plot.name()),
            measured,
            human_bytes(size as u64),
        );
    }

    let structure = Structure {
        files: (0..rows)
            .map(|i| {
                (
                    format!(
                        "folder{}/sub/file{i}.{}",
                        i % 17,
                        ["csv", "png", "json", "md", "parquet"][i % 5]
                    ),
                    (i * 31 % 5000) as u64,
                )
            })
            .collect(),
        ..Structure::default()
    };
    let mut png_bytes = 0;
    let measured = measure(runs, || {
        let totals = structure.totals();
        let groups = [&totals.file_types, &totals.folders, &totals.folders];
        png_bytes = 0;
        for (i, groups) in groups.iter().enumerate() {
            let items: Vec<(String, f64)> = groups
                .iter()
                .map(|g| {
                    (
                        g.name.clone(),
                        if i == 1 { g.bytes } else { g.files } as f64,
                    )
                })
                .collect();
            let png = bar_chart_png(&Bars {
                title: "bench",
                measure: "files",
                items: &items,
                color: "#1b9e77",
                format: |v| format!("{v:.0}"),
                width: 800,
                height: (110 + 34 * items.len() as u32).clamp(300, 900),
            })
            .expect("the bench's chart renders");
            png_bytes += png.len();
        }
    });
    row(
        "3 PNG structure charts (800 px wide)",
        measured,
        human_bytes(png_bytes as u64),
    );

    let table = lines.join("\n");
    println!("{table}");
}
