//! The registry as Prometheus text (exposition format 0.0.4), for `GET /metrics`.

use std::fmt::Write;

use super::{HistogramReading, LATENCY_BUCKETS_MS, STATUS_CLASSES, Snapshot, TOOL_OUTCOMES};

/// The content type of [`render`]'s text.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Every series, cumulative since start.
pub fn render(s: &Snapshot) -> String {
    let mut out = String::with_capacity(8 * 1024);
    header(
        &mut out,
        "quilt_mcp_requests_total",
        "counter",
        "HTTP requests answered, by route and status class.",
    );
    for (route, classes) in &s.requests {
        for (class, n) in STATUS_CLASSES.iter().zip(classes) {
            let _ = writeln!(
                out,
                "quilt_mcp_requests_total{{route=\"{}\",status_class=\"{class}\"}} {n}",
                route.name()
            );
        }
    }
    header(
        &mut out,
        "quilt_mcp_tool_calls_total",
        "counter",
        "Tool calls, by tool and outcome (error: a result with isError).",
    );
    for (tool, counts) in &s.tool_calls {
        for (outcome, n) in TOOL_OUTCOMES.iter().zip(counts) {
            let _ = writeln!(
                out,
                "quilt_mcp_tool_calls_total{{tool=\"{tool}\",outcome=\"{outcome}\"}} {n}"
            );
        }
    }
    header(
        &mut out,
        "quilt_mcp_errors_total",
        "counter",
        "Errors, by kind.",
    );
    for (kind, n) in &s.errors {
        let _ = writeln!(
            out,
            "quilt_mcp_errors_total{{kind=\"{}\"}} {n}",
            kind.name()
        );
    }
    header(
        &mut out,
        "quilt_mcp_auth_failures_total",
        "counter",
        "Requests refused 401, by reason.",
    );
    for (reason, n) in &s.auth_failures {
        let _ = writeln!(
            out,
            "quilt_mcp_auth_failures_total{{reason=\"{reason}\"}} {n}"
        );
    }
    header(
        &mut out,
        "quilt_mcp_rate_limited_total",
        "counter",
        "Requests refused 429 by the per-user rate limit.",
    );
    let _ = writeln!(out, "quilt_mcp_rate_limited_total {}", s.rate_limited);
    header(
        &mut out,
        "quilt_mcp_catalog_call_duration_seconds",
        "histogram",
        "Catalog and registry calls, from the request sent to the answer read.",
    );
    histogram(
        &mut out,
        "quilt_mcp_catalog_call_duration_seconds",
        "",
        &s.catalog_latency,
    );
    header(
        &mut out,
        "quilt_mcp_aws_call_duration_seconds",
        "histogram",
        "AWS calls made as the caller (retries included), by service.",
    );
    for (service, reading) in &s.aws_latency {
        let label = format!("service=\"{}\"", service.name());
        histogram(
            &mut out,
            "quilt_mcp_aws_call_duration_seconds",
            &label,
            reading,
        );
    }
    header(
        &mut out,
        "quilt_mcp_requests_in_flight",
        "gauge",
        "HTTP requests being answered now.",
    );
    let _ = writeln!(out, "quilt_mcp_requests_in_flight {}", s.requests_in_flight);
    header(
        &mut out,
        "quilt_mcp_catalog_calls_in_flight",
        "gauge",
        "Catalog calls waiting on the catalog now.",
    );
    let _ = writeln!(
        out,
        "quilt_mcp_catalog_calls_in_flight {}",
        s.catalog_in_flight
    );
    header(
        &mut out,
        "quilt_mcp_cache_lookups_total",
        "counter",
        "Cache lookups, by cache and result (hit or miss).",
    );
    for (cache, [hits, misses]) in &s.cache {
        let _ = writeln!(
            out,
            "quilt_mcp_cache_lookups_total{{cache=\"{}\",result=\"hit\"}} {hits}",
            cache.name()
        );
        let _ = writeln!(
            out,
            "quilt_mcp_cache_lookups_total{{cache=\"{}\",result=\"miss\"}} {misses}",
            cache.name()
        );
    }
    out
}

fn header(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
}

/// Cumulative `_bucket` lines, `_sum` and `_count`; `labels` go before `le`.
fn histogram(out: &mut String, name: &str, labels: &str, (counts, sum_micros): &HistogramReading) {
    let sep = if labels.is_empty() { "" } else { "," };
    let mut cumulative = 0;
    for (i, n) in counts.iter().enumerate() {
        cumulative += n;
        let le = match LATENCY_BUCKETS_MS.get(i) {
            Some(ms) => format!("{}", *ms as f64 / 1000.0),
            None => "+Inf".to_string(),
        };
        let _ = writeln!(
            out,
            "{name}_bucket{{{labels}{sep}le=\"{le}\"}} {cumulative}"
        );
    }
    let braces = if labels.is_empty() {
        String::new()
    } else {
        format!("{{{labels}}}")
    };
    let _ = writeln!(
        out,
        "{name}_sum{braces} {}",
        *sum_micros as f64 / 1_000_000.0
    );
    let _ = writeln!(out, "{name}_count{braces} {cumulative}");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::{Metrics, Route};
    use std::time::Duration;

    #[test]
    fn histograms_are_cumulative_and_end_in_inf() {
        let m = Metrics::default();
        m.catalog_call(Duration::from_millis(3));
        m.catalog_call(Duration::from_secs(100));
        m.request(Route::Mcp, 200);
        let text = render(&m.snapshot());
        assert!(
            text.contains("quilt_mcp_catalog_call_duration_seconds_bucket{le=\"0.005\"} 1\n"),
            "{text}"
        );
        assert!(
            text.contains("quilt_mcp_catalog_call_duration_seconds_bucket{le=\"+Inf\"} 2\n"),
            "{text}"
        );
        assert!(
            text.contains("quilt_mcp_catalog_call_duration_seconds_count 2\n"),
            "{text}"
        );
        assert!(
            text.contains("quilt_mcp_requests_total{route=\"mcp\",status_class=\"2xx\"} 1\n"),
            "{text}"
        );
        assert!(
            text.contains("quilt_mcp_aws_call_duration_seconds_count{service=\"s3\"} 0\n"),
            "{text}"
        );
    }
}
