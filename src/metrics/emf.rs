//! The registry as CloudWatch Embedded Metric Format: one JSON line on stdout (the task's log
//! stream) per interval, which CloudWatch Logs turns into metrics with no agent and no IAM
//! beyond writing the log group. <https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html>
//!
//! A document gives each dimension one value, so one line cannot carry `Route=mcp` and
//! `Route=health` at once; labels therefore ride in metric names (`Requests5xx`,
//! `Errors.catalog_timeout`, `ToolCalls.bucket_objects_list`) under the one dimension
//! `Service`. Counts are per interval (the change since the last line). A latency is at most
//! 100 values (EMF's limit per metric): each value a bucket's upper bound, repeated in
//! proportion to the bucket's calls, so percentiles are read to the bucket, rounded up.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Map, Value, json};

use super::{HistogramReading, LATENCY_BUCKETS_MS, Metrics, Snapshot};

/// The metrics' CloudWatch namespace.
pub const NAMESPACE: &str = "QuiltMCP";
/// The one dimension's name and value.
pub const SERVICE: (&str, &str) = ("Service", "quilt-mcp");
/// Values at most per metric (EMF's limit).
const MAX_VALUES: u64 = 100;
/// Metric definitions at most per directive (EMF's limit); more go into further directives.
const MAX_METRICS_PER_DIRECTIVE: usize = 100;
/// The value standing for the unbounded bucket, in milliseconds.
const BEYOND_LAST_BUCKET_MS: u64 = 120_000;

/// How much each line says (`MCP_TELEMETRY_LEVEL`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Detail {
    /// Request counts by status class, error and refusal totals, latencies, in-flight gauges.
    Minimal,
    /// Plus errors by kind, auth failures by reason, tool call totals, cache hits and misses.
    Standard,
    /// Plus calls and errors per tool.
    Detailed,
}

/// Writes the lines: one per interval, and a last one at shutdown so a stopping task's final
/// minute is not lost. The mutex is taken once per line, never on the request path.
#[derive(Debug)]
pub struct Emitter {
    metrics: Arc<Metrics>,
    detail: Detail,
    previous: std::sync::Mutex<Snapshot>,
}

impl Emitter {
    /// Starts writing a line every `interval` (the first one interval from now).
    pub fn spawn(metrics: Arc<Metrics>, interval: Duration, detail: Detail) -> Arc<Emitter> {
        let emitter = Arc::new(Emitter {
            previous: std::sync::Mutex::new(metrics.snapshot()),
            metrics,
            detail,
        });
        let ticking = emitter.clone();
        tokio::spawn(async move {
            let start = tokio::time::Instant::now() + interval;
            let mut ticks = tokio::time::interval_at(start, interval);
            // After a stall, one line for the whole gap rather than a burst of empty ones.
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticks.tick().await;
                ticking.flush();
            }
        });
        emitter
    }

    /// Writes the change since the last line.
    pub fn flush(&self) {
        let mut previous = self.previous.lock().unwrap_or_else(|e| e.into_inner());
        let now = self.metrics.snapshot();
        println!("{}", line(&previous, &now, unix_now_ms(), self.detail));
        *previous = now;
    }
}

fn unix_now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// One EMF document: the change from `before` to `after`, stamped `timestamp_ms`.
pub fn line(before: &Snapshot, after: &Snapshot, timestamp_ms: i64, detail: Detail) -> String {
    let mut doc = Doc::default();
    // Request counts: totals per class over every route.
    let classes = |s: &Snapshot| {
        s.requests.iter().fold([0u64; 5], |mut sum, (_, c)| {
            sum.iter_mut().zip(c).for_each(|(a, b)| *a += b);
            sum
        })
    };
    let (b, a) = (classes(before), classes(after));
    let delta: Vec<u64> = a
        .iter()
        .zip(&b)
        .map(|(a, b)| a.saturating_sub(*b))
        .collect();
    doc.count("Requests", delta.iter().sum());
    for (class, n) in ["2xx", "3xx", "4xx", "5xx"].iter().zip(&delta[1..]) {
        doc.count(&format!("Requests{class}"), *n);
    }
    let errors = pairs(&before.errors, &after.errors, |k| k.name());
    doc.count("Errors", errors.iter().map(|(_, n)| n).sum());
    let auth = pairs(&before.auth_failures, &after.auth_failures, |r| r);
    doc.count("AuthFailures", auth.iter().map(|(_, n)| n).sum());
    doc.count(
        "RateLimited",
        after.rate_limited.saturating_sub(before.rate_limited),
    );
    doc.latency(
        "CatalogLatency",
        &before.catalog_latency,
        &after.catalog_latency,
    );
    for ((service, b), (_, a)) in before.aws_latency.iter().zip(&after.aws_latency) {
        let name = match service.name() {
            "s3" => "S3Latency",
            _ => "AthenaLatency",
        };
        doc.latency(name, b, a);
    }
    doc.gauge("RequestsInFlight", after.requests_in_flight);
    doc.gauge("CatalogCallsInFlight", after.catalog_in_flight);
    if detail >= Detail::Standard {
        for (kind, n) in errors.iter().filter(|(_, n)| *n > 0) {
            doc.count(&format!("Errors.{kind}"), *n);
        }
        for (reason, n) in auth.iter().filter(|(_, n)| *n > 0) {
            doc.count(&format!("AuthFailures.{reason}"), *n);
        }
        let tools = tool_deltas(before, after);
        doc.count(
            "ToolCalls",
            tools.iter().map(|(_, [ok, err])| ok + err).sum(),
        );
        doc.count("ToolErrors", tools.iter().map(|(_, [_, err])| err).sum());
        for ((cache, [bh, bm]), (_, [ah, am])) in before.cache.iter().zip(&after.cache) {
            let name = match cache.name() {
                "resource" => "ResourceCache",
                _ => "CatalogReadCache",
            };
            doc.count(&format!("{name}Hits"), ah.saturating_sub(*bh));
            doc.count(&format!("{name}Misses"), am.saturating_sub(*bm));
        }
        if detail >= Detail::Detailed {
            for (tool, [ok, err]) in tools.iter().filter(|(_, [ok, err])| ok + err > 0) {
                doc.count(&format!("ToolCalls.{tool}"), ok + err);
                doc.count(&format!("ToolErrors.{tool}"), *err);
            }
        }
    }
    doc.finish(timestamp_ms)
}

/// Per-name change between two readings of a labelled counter.
fn pairs<K: Copy + PartialEq>(
    before: &[(K, u64)],
    after: &[(K, u64)],
    name: impl Fn(K) -> &'static str,
) -> Vec<(&'static str, u64)> {
    after
        .iter()
        .map(|(key, n)| {
            let old = before.iter().find(|(k, _)| k == key).map_or(0, |(_, n)| *n);
            (name(*key), n.saturating_sub(old))
        })
        .collect()
}

fn tool_deltas(before: &Snapshot, after: &Snapshot) -> Vec<(&'static str, [u64; 2])> {
    after
        .tool_calls
        .iter()
        .map(|(tool, [ok, err])| {
            let old = before.tool_calls.iter().find(|(t, _)| t == tool);
            let [old_ok, old_err] = old.map_or([0, 0], |(_, c)| *c);
            (
                *tool,
                [ok.saturating_sub(old_ok), err.saturating_sub(old_err)],
            )
        })
        .collect()
}

/// A document being built: metric definitions and their values.
#[derive(Default)]
struct Doc {
    definitions: Vec<Value>,
    values: Map<String, Value>,
}

impl Doc {
    fn count(&mut self, name: &str, n: u64) {
        self.definitions
            .push(json!({ "Name": name, "Unit": "Count" }));
        self.values.insert(name.to_string(), json!(n));
    }

    fn gauge(&mut self, name: &str, n: i64) {
        self.definitions
            .push(json!({ "Name": name, "Unit": "Count" }));
        self.values.insert(name.to_string(), json!(n));
    }

    /// The interval's calls as at most 100 values; nothing when there were none (a metric
    /// with no value is no data, not a zero latency).
    fn latency(&mut self, name: &str, before: &HistogramReading, after: &HistogramReading) {
        let counts: Vec<u64> = (after.0.iter().enumerate())
            .map(|(i, a)| a.saturating_sub(before.0.get(i).copied().unwrap_or(0)))
            .collect();
        let total: u64 = counts.iter().sum();
        if total == 0 {
            return;
        }
        let mut values = Vec::new();
        for (i, n) in counts.iter().enumerate().filter(|(_, n)| **n > 0) {
            let bound = LATENCY_BUCKETS_MS
                .get(i)
                .copied()
                .unwrap_or(BEYOND_LAST_BUCKET_MS);
            // Proportional, and at least one value for a bucket that had a call.
            let repeat = match total <= MAX_VALUES {
                true => *n,
                false => (n * MAX_VALUES / total).max(1),
            };
            values.extend(std::iter::repeat_n(bound, repeat as usize));
        }
        values.truncate(MAX_VALUES as usize + LATENCY_BUCKETS_MS.len());
        self.definitions
            .push(json!({ "Name": name, "Unit": "Milliseconds" }));
        self.values.insert(name.to_string(), json!(values));
    }

    fn finish(self, timestamp_ms: i64) -> String {
        let directives: Vec<Value> = self
            .definitions
            .chunks(MAX_METRICS_PER_DIRECTIVE)
            .map(|metrics| {
                json!({
                    "Namespace": NAMESPACE,
                    "Dimensions": [[SERVICE.0]],
                    "Metrics": metrics,
                })
            })
            .collect();
        let mut root = self.values;
        root.insert(SERVICE.0.to_string(), json!(SERVICE.1));
        root.insert(
            "_aws".to_string(),
            json!({ "Timestamp": timestamp_ms, "CloudWatchMetrics": directives }),
        );
        Value::Object(root).to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::{ErrorKind, Route};

    #[test]
    fn a_line_is_valid_emf_with_counts_per_interval() {
        let m = Metrics::default();
        m.request(Route::Mcp, 200);
        let before = m.snapshot();
        m.request(Route::Mcp, 200);
        m.request(Route::Mcp, 502);
        m.catalog_call(Duration::from_millis(40));
        let doc: Value =
            serde_json::from_str(&line(&before, &m.snapshot(), 7, Detail::Standard)).unwrap();
        assert_eq!(doc["_aws"]["Timestamp"], 7);
        let directive = &doc["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(directive["Dimensions"], json!([["Service"]]));
        assert_eq!(doc["Service"], "quilt-mcp");
        for metric in directive["Metrics"].as_array().unwrap() {
            let name = metric["Name"].as_str().unwrap();
            assert!(doc.get(name).is_some(), "{name} has a value");
        }
        assert_eq!(doc["Requests"], 2);
        assert_eq!(doc["Requests5xx"], 1);
        assert_eq!(doc["Errors.internal"], 1);
        assert_eq!(doc["CatalogLatency"], json!([50]));
        assert!(doc.get("S3Latency").is_none());
    }

    #[test]
    fn the_largest_line_stays_far_under_the_event_limit() {
        let m = Metrics::default();
        for i in 0..200 {
            let tool: &'static str =
                Box::leak(format!("a_rather_long_tool_name_{i:03}").into_boxed_str());
            m.tool_call(tool, Some(ErrorKind::ToolFailed));
        }
        for ms in 0..10_000 {
            m.catalog_call(Duration::from_millis(ms * 7));
        }
        let text = line(&Snapshot::default(), &m.snapshot(), 0, Detail::Detailed);
        assert!(text.len() < 64 * 1024, "{} bytes", text.len());
        let doc: Value = serde_json::from_str(&text).unwrap();
        assert!(doc["CatalogLatency"].as_array().unwrap().len() <= 114);
        for directive in doc["_aws"]["CloudWatchMetrics"].as_array().unwrap() {
            assert!(directive["Metrics"].as_array().unwrap().len() <= 100);
        }
    }
}
