//! Metrics an operator can alarm on: a fixed registry of counters, gauges and latency
//! histograms, recorded with atomics only (no lock, no allocation on the request path), read
//! out as CloudWatch Embedded Metric Format lines ([`emf`]) and Prometheus text
//! ([`prometheus`], served by [`listener`] on its own port). [`trace`] makes the W3C
//! `traceparent` catalog calls carry.
//!
//! One registry per server (in the state, shared with the catalog client), not a global, so
//! servers in one process (tests) count apart. Low in the house: nothing of ours below it.
//!
//! Labels come from fixed sets (enums here) or from `&'static str` names the code holds (tool
//! names, auth refusal reasons): callers can never mint a new series.

pub mod emf;
pub mod listener;
pub mod prometheus;
pub mod trace;

use std::sync::OnceLock;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering::Relaxed};
use std::time::Duration;

/// Where a request went, as a fixed set (a path is the client's word; never a label itself).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Route {
    Mcp,
    Health,
    Metadata,
    Other,
}

impl Route {
    pub const ALL: [Route; 4] = [Route::Mcp, Route::Health, Route::Metadata, Route::Other];

    /// The route of a request path.
    pub fn of(path: &str) -> Route {
        match path {
            "/mcp" => Route::Mcp,
            "/" | "/health" | "/healthz" => Route::Health,
            p if p.starts_with("/.well-known/") => Route::Metadata,
            _ => Route::Other,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Route::Mcp => "mcp",
            Route::Health => "health",
            Route::Metadata => "metadata",
            Route::Other => "other",
        }
    }
}

/// HTTP status classes 1xx to 5xx.
pub const STATUS_CLASSES: [&str; 5] = ["1xx", "2xx", "3xx", "4xx", "5xx"];

fn status_class(status: u16) -> usize {
    usize::from(status / 100).clamp(1, 5) - 1
}

/// What went wrong, in the few kinds an operator tells apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// A tool refused its arguments.
    ToolInvalidArgument,
    /// A tool found nothing (or nothing the caller may see).
    ToolNotFound,
    /// A tool failed because the catalog did.
    ToolCatalog,
    /// A tool failed otherwise.
    ToolFailed,
    /// A catalog call timed out.
    CatalogTimeout,
    /// A catalog call could not reach the catalog (connection, TLS, DNS).
    CatalogUnreachable,
    /// The catalog answered 5xx.
    CatalogServerError,
    /// A catalog call found no free slot (server busy).
    CatalogBusy,
    /// A request took longer than `MCP_REQUEST_TIMEOUT` (504).
    RequestTimeout,
    /// A request body over the limit (413).
    BodyTooLarge,
    /// Answered 503 (body memory full, shutting down).
    Unavailable,
    /// Any other 5xx answer.
    Internal,
}

impl ErrorKind {
    pub const ALL: [ErrorKind; 12] = [
        ErrorKind::ToolInvalidArgument,
        ErrorKind::ToolNotFound,
        ErrorKind::ToolCatalog,
        ErrorKind::ToolFailed,
        ErrorKind::CatalogTimeout,
        ErrorKind::CatalogUnreachable,
        ErrorKind::CatalogServerError,
        ErrorKind::CatalogBusy,
        ErrorKind::RequestTimeout,
        ErrorKind::BodyTooLarge,
        ErrorKind::Unavailable,
        ErrorKind::Internal,
    ];

    pub fn name(self) -> &'static str {
        match self {
            ErrorKind::ToolInvalidArgument => "tool_invalid_argument",
            ErrorKind::ToolNotFound => "tool_not_found",
            ErrorKind::ToolCatalog => "tool_catalog",
            ErrorKind::ToolFailed => "tool_failed",
            ErrorKind::CatalogTimeout => "catalog_timeout",
            ErrorKind::CatalogUnreachable => "catalog_unreachable",
            ErrorKind::CatalogServerError => "catalog_5xx",
            ErrorKind::CatalogBusy => "catalog_busy",
            ErrorKind::RequestTimeout => "request_timeout",
            ErrorKind::BodyTooLarge => "body_too_large",
            ErrorKind::Unavailable => "unavailable",
            ErrorKind::Internal => "internal",
        }
    }

    /// The kind an HTTP answer's status says, if it is an error we count here (401 and 429
    /// have counters of their own; other 4xx are the client's mistakes).
    fn of_status(status: u16) -> Option<ErrorKind> {
        match status {
            413 => Some(ErrorKind::BodyTooLarge),
            503 => Some(ErrorKind::Unavailable),
            504 => Some(ErrorKind::RequestTimeout),
            500..=599 => Some(ErrorKind::Internal),
            _ => None,
        }
    }
}

/// The caches whose hits and misses are counted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cache {
    /// Resource reads (`QUILT_MCP_RESOURCE_CACHE_TTL`).
    Resource,
    /// The catalog read optimizer (`MCP_OPTIMIZATION_ENABLED`).
    CatalogRead,
}

impl Cache {
    pub const ALL: [Cache; 2] = [Cache::Resource, Cache::CatalogRead];

    pub fn name(self) -> &'static str {
        match self {
            Cache::Resource => "resource",
            Cache::CatalogRead => "catalog_read",
        }
    }
}

/// The AWS services we call as the caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AwsService {
    S3,
    Athena,
}

impl AwsService {
    pub const ALL: [AwsService; 2] = [AwsService::S3, AwsService::Athena];

    pub fn name(self) -> &'static str {
        match self {
            AwsService::S3 => "s3",
            AwsService::Athena => "athena",
        }
    }
}

/// Upper bounds of the latency buckets, in milliseconds (the last bucket is unbounded).
pub const LATENCY_BUCKETS_MS: [u64; 14] = [
    1, 5, 10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 30_000, 60_000,
];

/// A latency histogram with fixed buckets.
#[derive(Debug, Default)]
pub struct Histogram {
    /// One count per bucket of [`LATENCY_BUCKETS_MS`], then the unbounded one.
    buckets: [AtomicU64; LATENCY_BUCKETS_MS.len() + 1],
    sum_micros: AtomicU64,
}

impl Histogram {
    pub fn record(&self, elapsed: Duration) {
        let ms = elapsed.as_millis();
        let bucket = LATENCY_BUCKETS_MS
            .iter()
            .position(|&bound| ms <= u128::from(bound))
            .unwrap_or(LATENCY_BUCKETS_MS.len());
        self.buckets[bucket].fetch_add(1, Relaxed);
        let micros = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
        self.sum_micros.fetch_add(micros, Relaxed);
    }

    /// Counts per bucket (not cumulative), and the sum in microseconds.
    pub fn read(&self) -> (Vec<u64>, u64) {
        let counts = self.buckets.iter().map(|b| b.load(Relaxed)).collect();
        (counts, self.sum_micros.load(Relaxed))
    }
}

/// Counters for names the code holds as `&'static str` (tool names, refusal reasons), in a
/// fixed number of slots claimed on first use: a scan of a few dozen pointers, no lock.
/// Past the slots, counts go to the last slot, named `other`.
#[derive(Debug)]
pub struct Named<const N: usize> {
    slots: [NamedSlot<N>; 96],
}

#[derive(Debug)]
struct NamedSlot<const N: usize> {
    name: OnceLock<&'static str>,
    counts: [AtomicU64; N],
}

impl<const N: usize> Default for NamedSlot<N> {
    fn default() -> Self {
        NamedSlot {
            name: OnceLock::new(),
            counts: std::array::from_fn(|_| AtomicU64::new(0)),
        }
    }
}

impl<const N: usize> Default for Named<N> {
    fn default() -> Self {
        Named {
            slots: std::array::from_fn(|_| NamedSlot::default()),
        }
    }
}

impl<const N: usize> Named<N> {
    /// Adds one to `name`'s count number `which`.
    pub fn add(&self, name: &'static str, which: usize) {
        let last = self.slots.len() - 1;
        for (i, slot) in self.slots.iter().enumerate() {
            let claimed = match i == last {
                true => *slot.name.get_or_init(|| "other"),
                false => *slot.name.get_or_init(|| name),
            };
            if claimed == name || i == last {
                slot.counts[which.min(N - 1)].fetch_add(1, Relaxed);
                return;
            }
        }
    }

    /// Each name seen, with its counts.
    pub fn read(&self) -> Vec<(&'static str, [u64; N])> {
        self.slots
            .iter()
            .filter_map(|slot| {
                let name = *slot.name.get()?;
                let counts = std::array::from_fn(|i| slot.counts[i].load(Relaxed));
                Some((name, counts))
            })
            .filter(|(_, counts)| counts.iter().any(|&c| c > 0))
            .collect()
    }
}

/// A tool call's outcome: the result, or a result with `isError`.
pub const TOOL_OUTCOMES: [&str; 2] = ["ok", "error"];

/// The registry.
#[derive(Debug, Default)]
pub struct Metrics {
    requests: [[AtomicU64; 5]; 4],
    tool_calls: Named<2>,
    errors: [AtomicU64; ErrorKind::ALL.len()],
    auth_failures: Named<1>,
    rate_limited: AtomicU64,
    catalog_latency: Histogram,
    aws_latency: [Histogram; AwsService::ALL.len()],
    requests_in_flight: AtomicI64,
    catalog_in_flight: AtomicI64,
    /// Per cache: hits, misses.
    cache: [[AtomicU64; 2]; Cache::ALL.len()],
}

impl Metrics {
    /// A request answered `status` on `route`.
    pub fn request(&self, route: Route, status: u16) {
        self.requests[route as usize][status_class(status)].fetch_add(1, Relaxed);
        if let Some(kind) = ErrorKind::of_status(status) {
            self.error(kind);
        }
    }

    /// A request began; the guard ends it when dropped (answered or cancelled).
    pub fn request_started(&self) -> InFlight<'_> {
        self.requests_in_flight.fetch_add(1, Relaxed);
        InFlight(&self.requests_in_flight)
    }

    /// A catalog call began; the guard ends it when dropped.
    pub fn catalog_call_started(&self) -> InFlight<'_> {
        self.catalog_in_flight.fetch_add(1, Relaxed);
        InFlight(&self.catalog_in_flight)
    }

    /// A tool call's outcome; a failure also counts its error kind.
    pub fn tool_call(&self, tool: &'static str, failed: Option<ErrorKind>) {
        self.tool_calls.add(tool, usize::from(failed.is_some()));
        if let Some(kind) = failed {
            self.error(kind);
        }
    }

    pub fn error(&self, kind: ErrorKind) {
        self.errors[kind as usize].fetch_add(1, Relaxed);
    }

    /// A 401 from the auth layer, for `reason` (e.g. `missing_token`).
    pub fn auth_failure(&self, reason: &'static str) {
        self.auth_failures.add(reason, 0);
    }

    pub fn rate_limited(&self) {
        self.rate_limited.fetch_add(1, Relaxed);
    }

    pub fn catalog_call(&self, elapsed: Duration) {
        self.catalog_latency.record(elapsed);
    }

    pub fn aws_call(&self, service: AwsService, elapsed: Duration) {
        self.aws_latency[service as usize].record(elapsed);
    }

    pub fn cache(&self, cache: Cache, hit: bool) {
        self.cache[cache as usize][usize::from(!hit)].fetch_add(1, Relaxed);
    }

    /// Everything, as read now.
    pub fn snapshot(&self) -> Snapshot {
        let load = |a: &AtomicU64| a.load(Relaxed);
        Snapshot {
            requests: Route::ALL
                .iter()
                .map(|&r| {
                    (
                        r,
                        std::array::from_fn(|c| load(&self.requests[r as usize][c])),
                    )
                })
                .collect(),
            tool_calls: self.tool_calls.read(),
            errors: ErrorKind::ALL
                .iter()
                .map(|&k| (k, load(&self.errors[k as usize])))
                .collect(),
            auth_failures: self
                .auth_failures
                .read()
                .into_iter()
                .map(|(reason, [n])| (reason, n))
                .collect(),
            rate_limited: load(&self.rate_limited),
            catalog_latency: self.catalog_latency.read(),
            aws_latency: AwsService::ALL
                .iter()
                .map(|&s| (s, self.aws_latency[s as usize].read()))
                .collect(),
            requests_in_flight: self.requests_in_flight.load(Relaxed).max(0),
            catalog_in_flight: self.catalog_in_flight.load(Relaxed).max(0),
            cache: Cache::ALL
                .iter()
                .map(|&c| {
                    (
                        c,
                        [
                            load(&self.cache[c as usize][0]),
                            load(&self.cache[c as usize][1]),
                        ],
                    )
                })
                .collect(),
        }
    }
}

/// One call in flight; dropping it ends the call.
#[derive(Debug)]
pub struct InFlight<'a>(&'a AtomicI64);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Relaxed);
    }
}

/// A histogram as read: counts per bucket (not cumulative), sum in microseconds.
pub type HistogramReading = (Vec<u64>, u64);

/// The registry's values at one moment (counters are totals since start).
#[derive(Clone, Debug, Default)]
pub struct Snapshot {
    /// Per route, counts per status class (1xx..5xx).
    pub requests: Vec<(Route, [u64; 5])>,
    /// Per tool: ok, error.
    pub tool_calls: Vec<(&'static str, [u64; 2])>,
    pub errors: Vec<(ErrorKind, u64)>,
    pub auth_failures: Vec<(&'static str, u64)>,
    pub rate_limited: u64,
    pub catalog_latency: HistogramReading,
    pub aws_latency: Vec<(AwsService, HistogramReading)>,
    pub requests_in_flight: i64,
    pub catalog_in_flight: i64,
    /// Per cache: hits, misses.
    pub cache: Vec<(Cache, [u64; 2])>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_land_in_their_series() {
        let m = Metrics::default();
        m.request(Route::of("/mcp"), 200);
        m.request(Route::of("/mcp"), 504);
        m.tool_call("bucket_objects_list", None);
        m.tool_call("bucket_objects_list", Some(ErrorKind::ToolNotFound));
        m.auth_failure("missing_token");
        m.catalog_call(Duration::from_millis(30));
        {
            let _a = m.request_started();
            assert_eq!(m.snapshot().requests_in_flight, 1);
        }
        let s = m.snapshot();
        assert_eq!(s.requests[0], (Route::Mcp, [0, 1, 0, 0, 1]));
        assert_eq!(s.tool_calls, vec![("bucket_objects_list", [1, 1])]);
        let errors: u64 = s.errors.iter().map(|(_, n)| n).sum();
        assert_eq!(errors, 2, "the 504 and the tool's failure");
        assert_eq!(s.auth_failures, vec![("missing_token", 1)]);
        assert_eq!(s.catalog_latency.0[4], 1, "30 ms is in the 50 ms bucket");
        assert_eq!(s.requests_in_flight, 0);
    }

    #[test]
    fn names_past_the_slots_share_one_series() {
        let named = Named::<1>::default();
        let names: Vec<&'static str> = (0..200)
            .map(|i| &*Box::leak(format!("t{i}").into_boxed_str()))
            .collect();
        for name in &names {
            named.add(name, 0);
        }
        let read = named.read();
        assert_eq!(read.len(), 96);
        assert_eq!(read.last().unwrap(), &("other", [200 - 95]));
    }
}
