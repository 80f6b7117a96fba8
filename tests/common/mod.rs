//! Shared setup for the black-box tests: a real server on 127.0.0.1:0, wired to the embedded
//! catalog (the model, on its pristine dataset) on another loopback port, spoken to over real
//! HTTP with a blocking client.
#![allow(dead_code)] // each test file uses part of this

use std::net::SocketAddr;
use std::time::Duration;

use quilt_mcp::config::{Config, Secret};
use quilt_mcp::mock::MockCatalog;
use quilt_mcp::server::RunningServer;
use quilt_mcp::state::AppState;
use serde_json::{Value, json};

/// The HS256 secret every test server uses.
pub const SECRET: &str = "test-secret-for-quilt-mcp";

/// The dataset's users (tests/dataset/catalog.json): alice is the admin (read-write on every
/// bucket); bob a data scientist (read-write example-data, read example-public); carol a
/// read-only collaborator (read example-public and example-packages); dave's account is
/// inactive, so the catalog answers him 403; pipeline-bot a service account.
pub const ALICE: i64 = 1;
pub const BOB: i64 = 2;
pub const CAROL: i64 = 3;
pub const DAVE: i64 = 4;
pub const PIPELINE_BOT: i64 = 5;
/// A token id the catalog does not know: it answers 401.
pub const STRANGER: i64 = 99;

pub fn now() -> i64 {
    quilt_mcp::time::unix_now()
}

/// Signs any claims with the test secret.
pub fn sign(claims: &Value) -> String {
    quilt_mcp::auth::sign_token(&Secret::new(SECRET), claims).expect("signing a test token")
}

/// A valid token for a dataset user, good for an hour from the first one made. The same user
/// gets the same token throughout a test run, as a real client keeps its token: per-caller
/// caches (keyed by the token's hash) then see one caller, not one per second.
pub fn token(id: i64) -> String {
    static EXPIRY: std::sync::OnceLock<i64> = std::sync::OnceLock::new();
    let exp = *EXPIRY.get_or_init(|| now() + 3600);
    sign(&json!({ "id": id, "uuid": format!("uuid-{id}"), "exp": exp }))
}

/// A blocking HTTP client that reports every status instead of failing on 4xx/5xx. A fresh
/// connection per request: a pooled one the server has just closed (after a refusal, or an
/// idle timeout on a loaded machine) would fail the next POST with "peer disconnected", which
/// ureq does not retry; tests check answers, not connection reuse.
pub fn client() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .max_idle_connections(0)
        .build()
        .into()
}

/// An answer: status, headers and the body (parsed as JSON when it is JSON).
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: http::HeaderMap,
    pub text: String,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", self.text))
    }
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

fn answer(result: Result<http::Response<ureq::Body>, ureq::Error>) -> Answer {
    let mut response =
        result.unwrap_or_else(|e| panic!("the request did not reach the server: {e}"));
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.body_mut().read_to_string().unwrap_or_default();
    Answer {
        status,
        headers,
        text,
    }
}

/// A running server (and, usually, the recorded catalog), torn down on drop.
pub struct Harness {
    pub rt: tokio::runtime::Runtime,
    pub server: Option<RunningServer>,
    pub mock: Option<MockCatalog>,
    pub addr: SocketAddr,
    pub agent: ureq::Agent,
}

/// The variables every test server gets, pointing at `catalog`.
pub fn base_env(catalog: &str) -> Vec<(String, String)> {
    [
        ("QUILT_MULTIUSER_MODE", "true"),
        ("QUILT_CATALOG_URL", catalog),
        ("QUILT_REGISTRY_URL", catalog),
        // The recorded catalog answers S3 too (signed requests), so S3 never leaves loopback.
        ("AWS_ENDPOINT_URL_S3", catalog),
        // And Athena (the model's Athena face).
        ("AWS_ENDPOINT_URL_ATHENA", catalog),
        ("MCP_JWT_SECRET", SECRET),
        ("FASTMCP_HOST", "127.0.0.1"),
        ("FASTMCP_PORT", "0"),
        ("MCP_RATE_LIMIT_PER_SECOND", "0"),
        ("QUILT_SERVICE_TIMEOUT", "5"),
        // Longer than the test client keeps idle connections (15 s), so the server never closes
        // a kept-alive connection just as a test reuses it on a starved machine.
        ("MCP_HEADER_READ_TIMEOUT", "60"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    // The embedded catalog's docs site, so no test reaches for the public one.
    .chain([(
        "QUILT_DOCS_URL".to_string(),
        format!("{catalog}{}", quilt_mcp::mock::docs_site::PATH_PREFIX),
    )])
    .collect()
}

/// `vars` with `extra` added, replacing variables of the same name.
pub fn with_overrides(
    vars: Vec<(String, String)>,
    extra: &[(&str, &str)],
) -> Vec<(String, String)> {
    let mut out: Vec<_> = vars
        .into_iter()
        .filter(|(k, _)| !extra.iter().any(|(e, _)| e == k))
        .collect();
    out.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    out
}

impl Harness {
    /// A server against the embedded catalog.
    pub fn start() -> Harness {
        Harness::start_with(&[])
    }

    /// A server against the embedded catalog (strict: a request it does not support fails
    /// the test), with extra or overriding variables.
    pub fn start_with(extra: &[(&str, &str)]) -> Harness {
        let rt = runtime();
        let mock = rt
            .block_on(MockCatalog::start())
            .expect("mock catalog starts");
        mock.set_strict(true);
        let mut harness = Harness::with_catalog(rt, &mock.url(), extra);
        harness.mock = Some(mock);
        harness
    }

    /// A server whose catalog is `catalog_url` (e.g. a closed port), without a mock.
    pub fn start_without_mock(catalog_url: &str, extra: &[(&str, &str)]) -> Harness {
        Harness::with_catalog(runtime(), catalog_url, extra)
    }

    fn with_catalog(
        rt: tokio::runtime::Runtime,
        catalog_url: &str,
        extra: &[(&str, &str)],
    ) -> Harness {
        let vars = with_overrides(base_env(catalog_url), extra);
        let config = Config::from_vars(vars).expect("test configuration is valid");
        let bind = config.bind;
        let state = AppState::new(config, &Secret::new(SECRET));
        let server = rt
            .block_on(RunningServer::start(bind, state))
            .expect("server starts");
        let addr = server.addr;
        Harness {
            rt,
            server: Some(server),
            mock: None,
            addr,
            agent: client(),
        }
    }

    pub fn mock(&self) -> &MockCatalog {
        self.mock.as_ref().expect("this harness has a mock catalog")
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn get(&self, path: &str) -> Answer {
        answer(self.agent.get(&self.url(path)).call())
    }

    /// POSTs raw bytes to /mcp with the given headers.
    pub fn post_raw(&self, headers: &[(&str, &str)], body: &[u8]) -> Answer {
        let mut request = self.agent.post(&self.url("/mcp"));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        answer(request.send(body))
    }

    /// POSTs one JSON-RPC message to /mcp as `token`'s caller.
    pub fn post(&self, token: Option<&str>, message: &Value) -> Answer {
        let bearer = token.map(|t| format!("Bearer {t}"));
        let mut headers = vec![
            ("content-type", "application/json"),
            ("accept", "application/json, text/event-stream"),
        ];
        if let Some(bearer) = &bearer {
            headers.push(("authorization", bearer));
        }
        self.post_raw(&headers, &serde_json::to_vec(message).expect("encodable"))
    }

    /// A JSON-RPC request that must succeed at the HTTP level; returns the whole JSON-RPC answer.
    pub fn rpc(&self, token: &str, method: &str, params: Value) -> Value {
        let answer = self.post(
            Some(token),
            &json!({ "jsonrpc": "2.0", "id": 1, "method": method, "params": params }),
        );
        assert_eq!(answer.status, 200, "{method}: {}", answer.text);
        answer.json()
    }

    /// Calls a tool; returns the `CallToolResult`.
    pub fn call_tool(&self, token: &str, name: &str, arguments: Value) -> Value {
        let answer = self.rpc(
            token,
            "tools/call",
            json!({ "name": name, "arguments": arguments }),
        );
        let result = answer
            .get("result")
            .cloned()
            .unwrap_or_else(|| panic!("tools/call {name} gave no result: {answer}"));
        check_output_schema(name, &result);
        result
    }
}

impl Drop for Harness {
    fn drop(&mut self) {
        if let Some(server) = self.server.take() {
            self.rt.block_on(server.shutdown());
        }
        if let Some(mock) = self.mock.take() {
            if !std::thread::panicking() {
                mock.assert_all_matched();
            }
            self.rt.block_on(mock.shutdown());
        }
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

/// The text of a tool result's first content block.
pub fn result_text(result: &Value) -> String {
    result["content"][0]["text"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// An address on which nothing listens (bound, then released).
pub fn closed_port_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    drop(listener);
    format!("http://{addr}")
}

/// Settings that keep every snapshot in the top-level `snapshots/` folder.
pub fn snapshot_settings() -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(concat!(env!("CARGO_MANIFEST_DIR"), "/snapshots"));
    settings.set_prepend_module_to_snapshot(false);
    settings
}

/// The structured content of a tool result that must have succeeded.
pub fn ok(result: &Value) -> Value {
    assert_eq!(result["isError"], false, "{result}");
    result["structuredContent"].clone()
}

/// The text of a tool result that must have failed.
pub fn err(result: &Value) -> String {
    assert_eq!(result["isError"], true, "{result}");
    result_text(result)
}

/// Calls `tool` as user `who`; it must succeed. Returns its structured content.
pub fn call_ok(h: &Harness, who: i64, tool: &str, args: Value) -> Value {
    let result = h.call_tool(&token(who), tool, args.clone());
    assert_eq!(result["isError"], false, "{tool} {args}: {result}");
    result["structuredContent"].clone()
}

/// Calls `tool` as user `who`; it must fail, with text and no structured content.
/// A successful result's `structuredContent` must match the tool's declared `outputSchema`
/// (as `tools/list` shows it): every tool call of every test checks it.
pub fn check_output_schema(name: &str, result: &Value) {
    if result["isError"] != false {
        return;
    }
    let Some(tool) = quilt_mcp::tools::find(name) else {
        return;
    };
    let described = quilt_mcp::tools::describe(tool);
    let Some(schema) = described.get("outputSchema") else {
        return;
    };
    let validator = jsonschema::validator_for(schema)
        .unwrap_or_else(|e| panic!("{name}: its outputSchema is not a valid schema: {e}"));
    let structured = &result["structuredContent"];
    let problems: Vec<String> = validator
        .iter_errors(structured)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .take(5)
        .collect();
    assert!(
        problems.is_empty(),
        "{name}: structuredContent does not match its outputSchema: {problems:?}\n{structured}"
    );
}

/// Calls a tool the caller must not see: the answer is JSON-RPC's "unknown tool", exactly as
/// for a tool that does not exist, and the tool is not in the caller's `tools/list`.
pub fn call_hidden(h: &Harness, who: i64, tool: &str, args: Value) {
    let answer = h.rpc(
        &token(who),
        "tools/call",
        json!({ "name": tool, "arguments": args }),
    );
    assert_eq!(answer["error"]["code"], -32602, "{tool}: {answer}");
    assert_eq!(
        answer["error"]["message"],
        format!("unknown tool: {tool}"),
        "{answer}"
    );
    assert!(
        !listed_tools(h, who).iter().any(|name| name == tool),
        "{tool} is listed"
    );
}

/// The names in the caller's `tools/list`.
pub fn listed_tools(h: &Harness, who: i64) -> Vec<String> {
    let list = h.rpc(&token(who), "tools/list", json!({}));
    list["result"]["tools"]
        .as_array()
        .unwrap_or_else(|| panic!("tools/list: {list}"))
        .iter()
        .map(|tool| tool["name"].as_str().unwrap_or_default().to_string())
        .collect()
}

pub fn call_fails(h: &Harness, who: i64, tool: &str, args: Value) -> String {
    let result = h.call_tool(&token(who), tool, args.clone());
    assert_eq!(result["isError"], true, "{tool} {args}: {result}");
    assert!(result.get("structuredContent").is_none(), "{result}");
    result_text(&result)
}

/// An object's bytes as alice reads them with `bucket_object_fetch`, without content blocks.
pub fn object_bytes(h: &Harness, s3_uri: &str) -> Vec<u8> {
    use base64::Engine;
    let raw = call_ok(
        h,
        ALICE,
        "bucket_object_fetch",
        json!({"s3_uri": s3_uri, "as_content": false, "max_bytes": 10_485_760}),
    );
    assert_eq!(raw["truncated"], false, "{raw}");
    base64::engine::general_purpose::STANDARD
        .decode(raw["data"].as_str().unwrap())
        .unwrap()
}

/// The content blocks of a tool result of one type (`image`, `resource`, `resource_link`).
pub fn content_blocks(result: &Value, kind: &str) -> Vec<Value> {
    result["content"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|block| block["type"] == kind)
        .cloned()
        .collect()
}
