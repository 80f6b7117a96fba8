//! The measurements, in the order they run: cold starts, then one server for the load rows and
//! the memory readings, then a second server with telemetry on.

use std::sync::atomic::Ordering;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderName, HeaderValue, Method, header};
use quilt_mcp::config::Secret;
use quilt_mcp::mock::MockCatalog;
use serde_json::json;
use tokio::runtime::Runtime;

mod athena;

pub use athena::AthenaRow;

use crate::Settings;
use crate::catalog::{Cost, MemoCatalog};
use crate::client::{self, Plan, Summary, Template};
use crate::server::{self, ProcSample, Sampler, ServerProcess};

/// The dataset user the tool calls speak for (alice, the admin).
const USER_ID: i64 = 1;
/// A dataset user who is not an admin (bob), for the size of his `tools/list`.
const NON_ADMIN_ID: i64 = 2;
/// Connections driving the embedded catalog when its own cost is measured.
const MODEL_CONNECTIONS: usize = 4;
/// How often memory is sampled under load.
const SAMPLE_EVERY: Duration = Duration::from_millis(20);
/// The longest the bulk tool-call run may take.
const BULK_LIMIT: Duration = Duration::from_secs(600);
/// Longer than Tokio's blocking-pool keep-alive (10 s): idle catalog-call threads have exited.
pub const SETTLE: Duration = Duration::from_secs(11);

/// A load row and the server CPU it took.
#[derive(Debug, Default)]
pub struct Measured {
    pub summary: Summary,
    pub cpu: Duration,
}

/// A burst's answers: served and "server busy" latencies (nanoseconds, ascending), failed
/// exchanges, and all latencies.
#[derive(Default)]
pub struct Burst {
    pub served: Vec<u64>,
    pub busy: Vec<u64>,
    pub failed: u64,
    pub all: Summary,
}

/// Everything the table shows.
#[derive(Default)]
pub struct Results {
    pub health: Measured,
    pub health_again: Measured,
    pub list: Measured,
    pub call0: Measured,
    pub call_latency: Measured,
    pub telemetry: Option<(Measured, u64)>,
    pub bulk: Measured,
    pub health_slow: Measured,
    pub slow_calls: Summary,
    pub slow_peak: ProcSample,
    pub cold: Vec<Duration>,
    pub idle: ProcSample,
    pub load_peak: ProcSample,
    pub after: ProcSample,
    pub settled: ProcSample,
    /// `tools/list` as an admin, a non-admin and a read-only caller: (bytes, tools).
    pub list_sizes: Vec<(&'static str, usize, usize)>,
    /// Catalog answers replayed from memory and computed by the model, over all rows.
    pub catalog_counts: (u64, u64),
    /// Many calls at once on the slow catalog.
    pub burst: Burst,
    pub burst_peak: ProcSample,
    /// The embedded catalog's own cost per request, measured apart.
    pub model_costs: Vec<Cost>,
    /// Queries through the whole stack to the embedded catalog's Athena face.
    pub athena: AthenaRow,
}

/// The bench's fixtures: the load generator's runtime, the embedded catalog and the memo in
/// front of it on a runtime of their own, the JWT secret and a token.
pub struct Bench {
    settings: Settings,
    driver: Runtime,
    mock_runtime: Runtime,
    mock: Option<MockCatalog>,
    memo: MemoCatalog,
    mock_url: String,
    /// The embedded catalog itself, for Athena: its queries are stateful, so the memo (which
    /// replays answers) stays out of their way.
    athena_url: String,
    secret: String,
    token: String,
    /// A data scientist's token (bob): no admin tools.
    non_admin_token: String,
}

fn runtime(threads: usize) -> Result<Runtime, String> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start a Tokio runtime: {e}"))
}

impl Bench {
    /// Starts the embedded catalog, the memo in front of it, and mints a token for its admin.
    pub fn new(settings: Settings) -> Result<Bench, String> {
        let mock_runtime = runtime(2)?;
        let mock = mock_runtime
            .block_on(MockCatalog::start())
            .map_err(|e| format!("cannot start the embedded catalog: {e}"))?;
        // Strict: a request the model does not support fails the bench instead of a row.
        mock.set_strict(true);
        let memo = mock_runtime.block_on(MemoCatalog::start(mock.addr()))?;
        let secret = format!("bench-{}", uuid::Uuid::new_v4().simple());
        let exp = quilt_mcp::time::unix_now() + 24 * 3600;
        let claims = json!({ "id": USER_ID, "uuid": "bench-alice", "exp": exp });
        let token = quilt_mcp::auth::sign_token(&Secret::new(secret.as_str()), &claims)
            .map_err(|e| format!("cannot sign the bench token: {e}"))?;
        let claims = json!({ "id": NON_ADMIN_ID, "uuid": "bench-bob", "exp": exp });
        let non_admin_token = quilt_mcp::auth::sign_token(&Secret::new(secret.as_str()), &claims)
            .map_err(|e| format!("cannot sign the bench token: {e}"))?;
        Ok(Bench {
            settings,
            driver: runtime(2)?,
            mock_runtime,
            mock_url: memo.url(),
            athena_url: mock.url(),
            mock: Some(mock),
            memo,
            secret,
            token,
            non_admin_token,
        })
    }

    fn vars(&self, telemetry: bool) -> Vec<(String, String)> {
        let level = if telemetry { "info" } else { "warn" };
        [
            ("QUILT_MULTIUSER_MODE", "true"),
            ("QUILT_CATALOG_URL", self.mock_url.as_str()),
            ("QUILT_REGISTRY_URL", self.mock_url.as_str()),
            ("MCP_JWT_SECRET", self.secret.as_str()),
            ("FASTMCP_HOST", "127.0.0.1"),
            ("FASTMCP_PORT", "0"),
            ("MCP_RATE_LIMIT_PER_SECOND", "0"),
            (
                "MCP_TELEMETRY_ENABLED",
                if telemetry { "true" } else { "false" },
            ),
            ("MCP_LOG_LEVEL", level),
            ("MCP_LOG_FORMAT", "json"),
            ("MCP_OPTIMIZATION_ENABLED", "false"),
            ("AWS_ENDPOINT_URL_ATHENA", self.athena_url.as_str()),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
    }

    fn mcp(&self, body: serde_json::Value, expect: &'static str) -> Template {
        let bearer = HeaderValue::from_str(&format!("Bearer {}", self.token));
        let mut headers: Vec<(HeaderName, HeaderValue)> = vec![
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            ),
            (
                header::ACCEPT,
                HeaderValue::from_static("application/json, text/event-stream"),
            ),
        ];
        headers.extend(bearer.ok().map(|v| (header::AUTHORIZATION, v)));
        Template {
            method: Method::POST,
            uri: http::Uri::from_static("/mcp"),
            headers,
            body: Bytes::from(body.to_string()),
            expect: Some(expect),
        }
    }

    fn health(&self) -> Template {
        Template {
            method: Method::GET,
            uri: http::Uri::from_static("/health"),
            headers: Vec::new(),
            body: Bytes::new(),
            expect: Some("\"status\":\"ok\""),
        }
    }

    fn tools_list(&self) -> Template {
        self.mcp(
            json!({ "jsonrpc": "2.0", "id": 1, "method": "tools/list" }),
            "\"bucket_list\"",
        )
    }

    fn bucket_list(&self) -> Template {
        let call = json!({ "name": "bucket_list", "arguments": {} });
        self.mcp(
            json!({ "jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": call }),
            "\"isError\":false",
        )
    }

    fn plan(&self, server: &ServerProcess, connections: usize, duration: Duration) -> Plan {
        Plan {
            addr: server.addr,
            connections,
            duration,
            budget: None,
        }
    }

    fn set_latency(&self, latency: Duration) {
        self.memo.set_latency(latency);
    }

    /// A warm-up, then the measured run with the server's CPU time around it.
    fn measure(
        &self,
        server: &ServerProcess,
        plan: &Plan,
        template: &Template,
        what: &str,
    ) -> Result<Measured, String> {
        eprintln!("bench: {what}");
        if plan.budget.is_none() {
            self.warm_up(plan, template)?;
        }
        self.timed(server, plan, template)
    }

    fn warm_up(&self, plan: &Plan, template: &Template) -> Result<(), String> {
        if !self.settings.warmup.is_zero() {
            let warm = Plan {
                duration: self.settings.warmup,
                ..plan.clone()
            };
            self.driver.block_on(client::run(&warm, template))?;
        }
        Ok(())
    }

    fn timed(
        &self,
        server: &ServerProcess,
        plan: &Plan,
        template: &Template,
    ) -> Result<Measured, String> {
        let before = server.sample().cpu;
        let summary = self.driver.block_on(client::run(plan, template))?;
        let cpu = server.sample().cpu.saturating_sub(before);
        Ok(Measured { summary, cpu })
    }

    /// Runs every measurement.
    pub fn run(mut self) -> Result<Results, String> {
        let cold = self.cold_starts()?;
        let results = self.main_server(cold)?;
        let mut results = self.telemetry_server(results)?;
        results.catalog_counts = self.memo.counts();
        let s = &self.settings;
        results.model_costs =
            crate::catalog::model_cost(&self.driver, &self.token, MODEL_CONNECTIONS, s.seconds)?;
        if let Some(mock) = self.mock.take() {
            let unmatched = mock.acknowledge_unmatched();
            self.mock_runtime.block_on(mock.shutdown());
            if let Some(first) = unmatched.first() {
                return Err(format!(
                    "the embedded catalog saw {} unsupported request(s), e.g. {}",
                    unmatched.len(),
                    first.describe()
                ));
            }
        }
        Ok(results)
    }

    fn cold_starts(&self) -> Result<Vec<Duration>, String> {
        eprintln!("bench: {} cold starts", self.settings.starts);
        let vars = self.vars(false);
        (0..self.settings.starts)
            .map(|_| server::cold_start(&vars))
            .collect()
    }
}

impl Bench {
    /// The main server: memory at rest, the load rows, the bulk run, the slow-catalog aim.
    fn main_server(&self, cold: Vec<Duration>) -> Result<Results, String> {
        let server = ServerProcess::start(&self.vars(false))?;
        let (status, _) = self
            .driver
            .block_on(client::once(server.addr, &self.tools_list()))?;
        if status != 200 {
            return Err(format!("tools/list answered {status}"));
        }
        let list_sizes = self.list_sizes(&server)?;
        std::thread::sleep(Duration::from_millis(300));
        let mut r = Results {
            cold,
            idle: server.sample(),
            list_sizes,
            ..Results::default()
        };
        let sampler = self.load_rows(&server, &mut r)?;
        self.bulk(&server, sampler, &mut r)?;
        (r.health_slow, r.slow_calls, r.slow_peak) = self.slow_catalog(&server)?;
        (r.burst, r.burst_peak) = self.burst(&server)?;
        let s = &self.settings;
        r.athena = self.athena(&server, s.queries, s.query_concurrency, s.query_time)?;
        Ok(r)
    }

    /// The bytes and tool count of `tools/list` for an admin, a non-admin and a read-only caller.
    fn list_sizes(
        &self,
        server: &ServerProcess,
    ) -> Result<Vec<(&'static str, usize, usize)>, String> {
        let admin = self.tools_list();
        let mut non_admin = self.tools_list();
        let bearer = HeaderValue::from_str(&format!("Bearer {}", self.non_admin_token))
            .map_err(|e| e.to_string())?;
        non_admin
            .headers
            .retain(|(name, _)| name != header::AUTHORIZATION);
        non_admin.headers.push((header::AUTHORIZATION, bearer));
        let mut read_only = self.tools_list();
        read_only.headers.push((
            HeaderName::from_static("x-mcp-readonly"),
            HeaderValue::from_static("true"),
        ));
        let mut sizes = Vec::new();
        for (who, template) in [
            ("admin", admin),
            ("non-admin", non_admin),
            ("read-only", read_only),
        ] {
            let (status, body) = self.driver.block_on(client::once(server.addr, &template))?;
            let answer: serde_json::Value = serde_json::from_slice(&body)
                .map_err(|e| format!("tools/list for {who} is not JSON: {e}"))?;
            let tools = answer["result"]["tools"].as_array().map_or(0, Vec::len);
            if status != 200 || tools == 0 {
                return Err(format!(
                    "tools/list for {who} answered {status} with {tools} tools"
                ));
            }
            sizes.push((who, body.len(), tools));
        }
        Ok(sizes)
    }

    /// The rows at full concurrency; returns the memory sampler started for the tool calls.
    fn load_rows(&self, server: &ServerProcess, r: &mut Results) -> Result<Sampler, String> {
        let s = &self.settings;
        let full = self.plan(server, s.connections, s.seconds);
        r.health = self.measure(server, &full, &self.health(), "GET /health")?;
        r.list = self.measure(server, &full, &self.tools_list(), "tools/list")?;
        let sampler = Sampler::start(server.pid(), SAMPLE_EVERY);
        let what = "tools/call, catalog 0 ms";
        r.call0 = self.measure(server, &full, &self.bucket_list(), what)?;
        // /health again right after: the ratio uses both runs, so a change in the machine's
        // other load between the two rows moves it less.
        r.health_again = self.measure(server, &full, &self.health(), "GET /health again")?;
        self.set_latency(s.latency);
        let what = format!("tools/call, catalog {} ms", s.latency.as_millis());
        let call_latency = self.measure(server, &full, &self.bucket_list(), &what);
        self.set_latency(Duration::ZERO);
        r.call_latency = call_latency?;
        Ok(sampler)
    }

    /// The bulk tool calls, then memory right after and once idle threads have exited.
    fn bulk(
        &self,
        server: &ServerProcess,
        sampler: Sampler,
        r: &mut Results,
    ) -> Result<(), String> {
        let s = &self.settings;
        let plan = Plan {
            duration: BULK_LIMIT,
            budget: Some(s.calls),
            ..self.plan(server, s.connections, s.seconds)
        };
        let what = format!("{} tool calls, catalog 0 ms", s.calls);
        r.bulk = self.measure(server, &plan, &self.bucket_list(), &what)?;
        r.load_peak = sampler.finish();
        std::thread::sleep(Duration::from_secs(1));
        r.after = server.sample();
        eprintln!(
            "bench: waiting {} s for idle threads to exit",
            SETTLE.as_secs()
        );
        std::thread::sleep(SETTLE);
        r.settled = server.sample();
        Ok(())
    }

    /// `/health` on a few connections while many tool calls wait on a slow catalog.
    fn slow_catalog(
        &self,
        server: &ServerProcess,
    ) -> Result<(Measured, Summary, ProcSample), String> {
        let s = &self.settings;
        eprintln!(
            "bench: GET /health while {} tool calls wait on a {} ms catalog",
            s.slow_calls,
            s.slow_latency.as_millis()
        );
        // Long enough that the calls are in flight from before the first /health to after the last.
        let settle = Duration::from_secs(1);
        let slow_plan = self.plan(server, s.slow_calls, settle + s.seconds);
        let health_plan = self.plan(server, s.health_connections, s.seconds);
        self.set_latency(s.slow_latency);
        let sampler = Sampler::start(server.pid(), SAMPLE_EVERY);
        let template = self.bucket_list();
        let slow = self
            .driver
            .spawn(async move { client::run(&slow_plan, &template).await });
        std::thread::sleep(settle);
        let before = server.sample().cpu;
        let health = self
            .driver
            .block_on(client::run(&health_plan, &self.health()));
        let cpu = server.sample().cpu.saturating_sub(before);
        let slow = self.driver.block_on(slow);
        let peak = sampler.finish();
        self.set_latency(Duration::ZERO);
        let slow = slow.map_err(|e| format!("the slow-call task failed: {e}"))??;
        Ok((
            Measured {
                summary: health?,
                cpu,
            },
            slow,
            peak,
        ))
    }

    /// `burst_calls` connections each send one bucket_list at the same moment, to a catalog
    /// answering in `slow_latency`: each answer is served or "server busy".
    fn burst(&self, server: &ServerProcess) -> Result<(Burst, ProcSample), String> {
        let s = &self.settings;
        eprintln!(
            "bench: {} tool calls at once on a {} ms catalog",
            s.burst_calls,
            s.slow_latency.as_millis()
        );
        // Let the slow calls of the row before finish and their threads go idle.
        std::thread::sleep(s.slow_latency + Duration::from_secs(1));
        self.set_latency(s.slow_latency);
        let sampler = Sampler::start(server.pid(), SAMPLE_EVERY);
        let plan = Plan {
            budget: Some(s.burst_calls as u64),
            ..self.plan(server, s.burst_calls, s.slow_latency * 10)
        };
        let mut served_template = self.bucket_list();
        served_template.expect = Some("\"isError\":false");
        let answers = self.driver.block_on(client::run_recording(
            &plan,
            &served_template,
            "server busy",
        ));
        let peak = sampler.finish();
        self.set_latency(Duration::ZERO);
        let (all, served, busy) = answers?;
        let failed = all.bad - busy.len() as u64;
        Ok((
            Burst {
                served,
                busy,
                failed,
                all,
            },
            peak,
        ))
    }

    /// A second server with telemetry on at log level info (the production defaults).
    fn telemetry_server(&self, mut results: Results) -> Result<Results, String> {
        if !self.settings.telemetry {
            return Ok(results);
        }
        let server = ServerProcess::start(&self.vars(true))?;
        let s = &self.settings;
        let full = self.plan(&server, s.connections, s.seconds);
        eprintln!("bench: tools/call, catalog 0 ms, telemetry on (log level info)");
        let template = self.bucket_list();
        self.warm_up(&full, &template)?;
        // The reader thread may lag the server a little; let it catch up around the run.
        let settle = Duration::from_millis(300);
        std::thread::sleep(settle);
        let lines_before = server.stdout_lines.load(Ordering::Relaxed);
        let measured = self.timed(&server, &full, &template)?;
        std::thread::sleep(settle);
        let lines = server.stdout_lines.load(Ordering::Relaxed) - lines_before;
        results.telemetry = Some((measured, lines));
        Ok(results)
    }
}
