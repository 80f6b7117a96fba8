//! `cargo bench --bench load` (`just bench`): throughput, latency, cold start and memory of the
//! release binary, printed as one markdown table. Numbers, not pass/fail tests.
//!
//! The server runs as a child process, configured by environment variables as in production.
//! The server's catalog is the embedded one (`quilt_mcp::mock::MockCatalog`, on its own Tokio
//! runtime in this process) behind a memo (`catalog.rs`): the model computes each distinct
//! answer once and the memo replays it, after the latency a row asks for, so no row measures
//! the model. The model's own cost per request is then measured apart, as a process of its own,
//! and printed in the table's last rows.
//!
//! Settings (environment variables, defaults in brackets): `BENCH_SECONDS` [5] per row,
//! `BENCH_WARMUP_SECONDS` [1] before each row, `BENCH_CONNECTIONS` [64], `BENCH_LATENCY_MS`
//! [20] for the realistic-latency row, `BENCH_CALLS` [100000] tool calls before the
//! "after" memory reading, `BENCH_STARTS` [20] cold starts, `BENCH_SLOW_CALLS` [200] calls held
//! by a `BENCH_SLOW_CATALOG_MS` [2000] catalog while `BENCH_HEALTH_CONNECTIONS` [2] connections
//! poll `/health`, `BENCH_BURST_CALLS` [1000] tool calls sent at once to the same slow catalog
//! (the bounded catalog concurrency), `BENCH_TELEMETRY` [true] adds the telemetry-on row,
//! `BENCH_QUERIES` [40] Athena queries `BENCH_QUERY_CONCURRENCY` [4] at a time, each
//! `BENCH_QUERY_MS` [500] long at the embedded catalog's Athena face, `BENCH_OUTPUT` [the
//! target directory's `bench-load.md`] is where the table is written too.

mod catalog;
mod client;
mod report;
mod run;
mod server;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use report::{Table, megabytes, millis, thousands};
use run::{Bench, Measured, Results};

/// What the aims ask for.
const HEALTH_P99_AIM: Duration = Duration::from_millis(10);
const THROUGHPUT_RATIO_AIM: f64 = 0.25;
const COLD_START_AIM: Duration = Duration::from_millis(30);
const IDLE_RSS_AIM: u64 = 15_000_000;

/// The bench's settings, from `BENCH_*` variables.
#[derive(Clone, Debug)]
pub struct Settings {
    pub seconds: Duration,
    pub warmup: Duration,
    pub connections: usize,
    pub latency: Duration,
    pub calls: u64,
    pub starts: usize,
    pub slow_calls: usize,
    pub burst_calls: usize,
    pub slow_latency: Duration,
    pub health_connections: usize,
    pub telemetry: bool,
    pub queries: usize,
    pub query_concurrency: usize,
    pub query_time: Duration,
    pub output: PathBuf,
}

fn setting<T: std::str::FromStr>(name: &str, default: T) -> Result<T, String> {
    match std::env::var(name) {
        Ok(text) => text
            .trim()
            .parse()
            .map_err(|_| format!("{name}={text:?} is not a valid value")),
        Err(_) => Ok(default),
    }
}

impl Settings {
    fn from_env() -> Result<Settings, String> {
        let seconds = |name, default| setting(name, default).map(Duration::from_secs_f64);
        let millis = |name, default| setting(name, default).map(Duration::from_millis);
        // The binary is <target>/release/quilt-mcp; the table goes next to `release/`.
        let default_output = std::path::Path::new(server::BINARY)
            .parent()
            .and_then(std::path::Path::parent)
            .map(|target| target.join("bench-load.md"))
            .unwrap_or_else(|| PathBuf::from("bench-load.md"));
        Ok(Settings {
            seconds: seconds("BENCH_SECONDS", 5.0)?,
            warmup: seconds("BENCH_WARMUP_SECONDS", 1.0)?,
            connections: setting("BENCH_CONNECTIONS", 64)?.max(1),
            latency: millis("BENCH_LATENCY_MS", 20)?,
            calls: setting("BENCH_CALLS", 100_000)?,
            starts: setting("BENCH_STARTS", 20)?.max(1),
            slow_calls: setting("BENCH_SLOW_CALLS", 200)?.max(1),
            burst_calls: setting("BENCH_BURST_CALLS", 1000)?.max(1),
            slow_latency: millis("BENCH_SLOW_CATALOG_MS", 2000)?,
            health_connections: setting("BENCH_HEALTH_CONNECTIONS", 2)?.max(1),
            telemetry: setting("BENCH_TELEMETRY", true)?,
            queries: setting("BENCH_QUERIES", 40)?.max(1),
            query_concurrency: setting("BENCH_QUERY_CONCURRENCY", 4)?.max(1),
            query_time: millis("BENCH_QUERY_MS", 500)?,
            output: setting("BENCH_OUTPUT", default_output)?,
        })
    }
}

fn main() -> ExitCode {
    match bench() {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("bench: {message}");
            ExitCode::FAILURE
        }
    }
}

fn bench() -> Result<(), String> {
    let settings = Settings::from_env()?;
    if !server::BINARY.contains("/release/") {
        eprintln!("bench: warning: {} is not a release build", server::BINARY);
    }
    let machine = report::machine_line();
    eprintln!("bench: {machine}\nbench: server binary {}", server::BINARY);
    let results = Bench::new(settings.clone())?.run()?;
    let text = format!(
        "{machine}\n\nServer: {} (release), {} connections, {} s per row after a {} s warm-up; \
         rate limit off, optimization off, log level warn, telemetry off unless stated.\n\n{}",
        server::BINARY,
        settings.connections,
        settings.seconds.as_secs_f64(),
        settings.warmup.as_secs_f64(),
        table(&settings, &results).render()
    );
    println!("\n{text}");
    std::fs::write(&settings.output, &text)
        .map_err(|e| format!("cannot write {}: {e}", settings.output.display()))?;
    eprintln!("bench: table written to {}", settings.output.display());
    Ok(())
}

/// The server's CPU time per answered request, in microseconds.
fn cpu_per_request(measured: &Measured) -> f64 {
    let count = measured.summary.latencies.len().max(1) as f64;
    measured.cpu.as_secs_f64() * 1e6 / count
}

/// `N requests, server CPU X µs/request`.
fn cpu_note(measured: &Measured) -> String {
    let count = measured.summary.latencies.len() as u64;
    format!(
        "{} requests, server CPU {:.0} µs/request",
        thousands(count),
        cpu_per_request(measured)
    )
}

fn table(s: &Settings, r: &Results) -> Table {
    let mut t = Table::default();
    let health_rate = (r.health.summary.per_second() + r.health_again.summary.per_second()) / 2.0;
    let ratio = r.call0.summary.per_second() / health_rate.max(1.0);
    let note = format!(
        "{}; {} req/s when run again after the tool-call row below",
        cpu_note(&r.health),
        thousands(r.health_again.summary.per_second().round() as u64)
    );
    t.load("GET /health", &r.health.summary, note);
    t.load("POST /mcp tools/list", &r.list.summary, cpu_note(&r.list));
    let call = "POST /mcp tools/call bucket_list (user 1)";
    let note = format!(
        "{}; {ratio:.2} × /health (the mean of its two runs)",
        cpu_note(&r.call0)
    );
    t.load(&format!("{call}, catalog 0 ms"), &r.call0.summary, note);
    let label = format!("{call}, catalog {} ms", s.latency.as_millis());
    t.load(&label, &r.call_latency.summary, cpu_note(&r.call_latency));
    if let Some((measured, lines)) = &r.telemetry {
        let note = format!("{}; {} log lines", cpu_note(measured), thousands(*lines));
        let label = format!("{call}, catalog 0 ms, telemetry on (log level info)");
        t.load(&label, &measured.summary, note);
    }
    let label = format!("{} × tools/call, catalog 0 ms", thousands(s.calls));
    t.load(&label, &r.bulk.summary, cpu_note(&r.bulk));
    let slow = &r.slow_calls;
    let label = format!(
        "GET /health on {} connections while {} tools/call wait on a {} ms catalog",
        s.health_connections,
        s.slow_calls,
        s.slow_latency.as_millis()
    );
    let note = format!(
        "{}; slow calls answered: {} (p50 {}, {} bad); server threads peak {}",
        cpu_note(&r.health_slow),
        slow.good,
        millis(slow.quantile(0.5)),
        slow.bad,
        r.slow_peak.threads
    );
    t.load(&label, &r.health_slow.summary, note);
    burst_row(&mut t, s, r);
    athena_row(&mut t, &r.athena);
    resources_rows(&mut t, s, r);
    model_rows(&mut t, r);
    aims(&mut t, r, ratio);
    t
}

fn resources_rows(t: &mut Table, s: &Settings, r: &Results) {
    let mut cold = r.cold.clone();
    cold.sort();
    let median = cold.get(cold.len() / 2).copied().unwrap_or_default();
    let (first, last) = (cold.first().copied(), cold.last().copied());
    t.value(
        "cold start to first healthy /health",
        format!(
            "median {} of {} starts (min {}, max {})",
            millis(median),
            cold.len(),
            millis(first.unwrap_or_default()),
            millis(last.unwrap_or_default())
        ),
    );
    t.value(
        "resident memory (VmRSS)",
        format!(
            "idle {} ({} threads); peak under tool-call load {}; after {} tool calls {} \
             ({} threads), {} s later {} ({} threads); peak with {} slow calls in flight {}",
            megabytes(r.idle.rss),
            r.idle.threads,
            megabytes(r.load_peak.rss),
            thousands(s.calls),
            megabytes(r.after.rss),
            r.after.threads,
            run::SETTLE.as_secs() + 1,
            megabytes(r.settled.rss),
            r.settled.threads,
            s.slow_calls,
            megabytes(r.slow_peak.rss)
        ),
    );
    for (who, bytes, tools) in &r.list_sizes {
        t.value(
            &format!("tools/list size, {who} caller"),
            format!(
                "{} bytes for {tools} tools: {} bytes per tool (output schemas included)",
                thousands(*bytes as u64),
                thousands((*bytes / (*tools).max(1)) as u64)
            ),
        );
    }
}

/// Many tool calls at once on a slow catalog: served up to the catalog-call limit, the rest
/// answered "server busy" after the bounded wait; threads and memory stay bounded.
fn burst_row(t: &mut Table, s: &Settings, r: &Results) {
    let burst = &r.burst;
    let label = format!(
        "{} tools/call at once, catalog {} ms (MCP_CATALOG_MAX_IN_FLIGHT default)",
        thousands(s.burst_calls as u64),
        s.slow_latency.as_millis()
    );
    t.value(
        &label,
        format!(
            "served {} (p50 {}), busy {} (p50 {}), p99 of all {}; failed exchanges {}; server threads peak {}, RSS peak {}",
            burst.served.len(),
            millis(quantile(&burst.served, 0.5)),
            burst.busy.len(),
            millis(quantile(&burst.busy, 0.5)),
            millis(burst.all.quantile(0.99)),
            burst.failed,
            r.burst_peak.threads,
            megabytes(r.burst_peak.rss)
        ),
    );
}

/// Athena queries through the whole stack: the server's CPU per query and how soon after a
/// query ends its answer arrives.
fn athena_row(t: &mut Table, a: &run::AthenaRow) {
    let at = |q: f64| {
        let rank = (q * a.lags.len() as f64).ceil() as usize;
        a.lags
            .get(rank.clamp(1, a.lags.len().max(1)) - 1)
            .copied()
            .unwrap_or_default()
    };
    let answered = a.lags.len().max(1) as f64;
    t.value(
        &format!(
            "{} × athena_query_execute, {} at a time, each query {} at the Athena face",
            a.queries,
            a.concurrent,
            millis(a.query_time)
        ),
        format!(
            "{:.0} µs server CPU per query; answer {} (p50), {} (p99), {} (max) after the query ended; {} failed; {:.1} s in all",
            a.cpu.as_secs_f64() * 1e6 / answered,
            millis(at(0.5)),
            millis(at(0.99)),
            millis(a.lags.last().copied().unwrap_or_default()),
            a.failed,
            a.wall.as_secs_f64()
        ),
    );
}

/// The latency at quantile `q` of sorted nanoseconds.
fn quantile(sorted: &[u64], q: f64) -> std::time::Duration {
    if sorted.is_empty() {
        return std::time::Duration::ZERO;
    }
    let rank = (q * sorted.len() as f64).ceil() as usize;
    std::time::Duration::from_nanos(sorted[rank.clamp(1, sorted.len()) - 1])
}

/// What the catalog did during the rows, and the model's own cost measured apart.
fn model_rows(t: &mut Table, r: &Results) {
    let (memory, model) = r.catalog_counts;
    t.value(
        "catalog answers during the rows",
        format!(
            "{} replayed from memory, {} computed by the embedded catalog (kept off the measured path)",
            thousands(memory),
            thousands(model)
        ),
    );
    for cost in &r.model_costs {
        t.value(
            &format!("embedded catalog alone: {}", cost.what),
            format!(
                "{:.0} µs CPU per request; {} req/s, p50 {} ({} requests, {} bad)",
                cost.cpu_per_request().as_secs_f64() * 1e6,
                thousands(cost.summary.per_second().round() as u64),
                millis(cost.summary.quantile(0.5)),
                thousands(cost.summary.latencies.len() as u64),
                cost.summary.bad
            ),
        );
    }
}

fn aims(t: &mut Table, r: &Results, ratio: f64) {
    let p99 = r.health_slow.summary.quantile(0.99);
    t.aim(
        "/health p99 while slow tool calls wait",
        millis(p99),
        format!("≤ {}", millis(HEALTH_P99_AIM)),
        p99 <= HEALTH_P99_AIM && r.health_slow.summary.bad == 0,
    );
    // Throughput decides, as the aim says; the CPU ratio is printed beside it because it holds
    // steady when other work on a shared machine slows one row more than the other.
    let cpu_ratio = cpu_per_request(&r.health) / cpu_per_request(&r.call0).max(f64::MIN_POSITIVE);
    t.aim(
        "tool-call throughput vs 1/4 of /health's",
        format!("{ratio:.2} × /health (by server CPU per request: {cpu_ratio:.2} ×)"),
        format!("≥ {THROUGHPUT_RATIO_AIM:.2}"),
        ratio >= THROUGHPUT_RATIO_AIM,
    );
    let mut cold = r.cold.clone();
    cold.sort();
    let median = cold.get(cold.len() / 2).copied().unwrap_or_default();
    t.aim(
        "cold start (median)",
        millis(median),
        format!("≤ {}", millis(COLD_START_AIM)),
        median <= COLD_START_AIM,
    );
    t.aim(
        "idle memory",
        megabytes(r.idle.rss),
        format!("≤ {}", megabytes(IDLE_RSS_AIM)),
        r.idle.rss <= IDLE_RSS_AIM,
    );
}
