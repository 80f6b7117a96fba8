//! The stdio transport, black-box: the built binary spawned against the embedded catalog,
//! spoken to line by line on its standard input and output. A session lists, calls and reads;
//! a malformed line gets a JSON-RPC error and the session goes on; EOF ends it with exit 0;
//! under the most verbose logging standard output still holds only protocol messages; a
//! missing or refused credential is one line and a non-zero exit.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::*;
use quilt_mcp::mock::MockCatalog;
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_quilt-mcp");
const WAIT: Duration = Duration::from_secs(30);

/// The embedded catalog on its own runtime, for the spawned binary to call.
struct Catalog {
    rt: tokio::runtime::Runtime,
    mock: Option<MockCatalog>,
}

impl Catalog {
    fn start() -> Catalog {
        let rt = tokio::runtime::Runtime::new().unwrap();
        let mock = rt.block_on(MockCatalog::start()).unwrap();
        Catalog {
            rt,
            mock: Some(mock),
        }
    }

    fn mock(&self) -> &MockCatalog {
        self.mock.as_ref().unwrap()
    }

    fn url(&self) -> String {
        self.mock().url()
    }

    /// A dataset user's API key, as the catalog knows it.
    fn key_of(&self, id: i64) -> String {
        self.mock()
            .with_model(|m| m.users.iter().find(|u| u.id == id).unwrap().api_key.clone())
            .unwrap()
    }

    fn name_of(&self, id: i64) -> String {
        self.mock()
            .with_model(|m| m.users.iter().find(|u| u.id == id).unwrap().name.clone())
            .unwrap()
    }

    /// The variables a local user sets: the catalog and a credential; S3 stays on loopback.
    fn vars(&self, credential: (&str, &str)) -> Vec<(String, String)> {
        let url = self.url();
        [
            ("QUILT_CATALOG_URL", url.as_str()),
            ("AWS_ENDPOINT_URL_S3", url.as_str()),
            ("AWS_ENDPOINT_URL_ATHENA", url.as_str()),
            credential,
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
    }
}

impl Drop for Catalog {
    fn drop(&mut self) {
        if let Some(mock) = self.mock.take() {
            self.rt.block_on(mock.shutdown());
        }
    }
}

/// A running `quilt-mcp stdio`: its stdin, its stdout lines, and its stderr collected.
struct Session {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: mpsc::Receiver<String>,
    stderr: std::thread::JoinHandle<String>,
}

impl Session {
    fn start(args: &[&str], vars: &[(String, String)]) -> Session {
        let mut child = Command::new(BIN)
            .args(args)
            .env_clear()
            .envs(vars.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the binary runs");
        let stdout = child.stdout.take().unwrap();
        let (send, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if send.send(line).is_err() {
                    break;
                }
            }
        });
        let mut stderr = child.stderr.take().unwrap();
        let stderr = std::thread::spawn(move || {
            let mut text = String::new();
            let _ = stderr.read_to_string(&mut text);
            text
        });
        Session {
            stdin: child.stdin.take(),
            child,
            lines,
            stderr,
        }
    }

    fn send_line(&mut self, line: &str) {
        let stdin = self.stdin.as_mut().expect("stdin is open");
        stdin.write_all(line.as_bytes()).unwrap();
        stdin.write_all(b"\n").unwrap();
        stdin.flush().unwrap();
    }

    /// Sends a request and waits for the answer with its id.
    fn request(&mut self, id: i64, method: &str, params: Value) -> Value {
        let message = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
        self.send_line(&message.to_string());
        self.answer(&json!(id))
    }

    /// The next answer whose id is `id` (answers may come in any order; none is skipped
    /// silently: each line must be a JSON-RPC message).
    fn answer(&mut self, id: &Value) -> Value {
        let deadline = Instant::now() + WAIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = self
                .lines
                .recv_timeout(left)
                .unwrap_or_else(|_| panic!("no answer with id {id}"));
            let message: Value = serde_json::from_str(&line)
                .unwrap_or_else(|e| panic!("stdout holds a non-JSON line ({e}): {line}"));
            assert_eq!(message["jsonrpc"], "2.0", "{line}");
            if &message["id"] == id {
                return message;
            }
        }
    }

    fn call_tool(&mut self, id: i64, name: &str, arguments: Value) -> Value {
        let answer = self.request(
            id,
            "tools/call",
            json!({"name": name, "arguments": arguments}),
        );
        let result = answer["result"].clone();
        assert_eq!(result["isError"], false, "{answer}");
        check_output_schema(name, &result);
        result["structuredContent"].clone()
    }

    /// Closes stdin and waits for the exit; returns the status, the remaining stdout lines
    /// and stderr.
    fn finish(mut self) -> (std::process::ExitStatus, Vec<String>, String) {
        drop(self.stdin.take());
        let deadline = Instant::now() + WAIT;
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            assert!(Instant::now() < deadline, "no exit after EOF");
            std::thread::sleep(Duration::from_millis(20));
        };
        let rest: Vec<String> = self.lines.try_iter().collect();
        let stderr = self.stderr.join().unwrap();
        (status, rest, stderr)
    }
}

fn initialize(session: &mut Session, version: &str) -> Value {
    let params = json!({
        "protocolVersion": version,
        "capabilities": {},
        "clientInfo": {"name": "stdio-test", "version": "1"},
    });
    let answer = session.request(0, "initialize", params);
    session.send_line(r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#);
    answer
}

#[test]
fn a_session_lists_calls_reads_survives_a_malformed_line_and_ends_on_eof() {
    let catalog = Catalog::start();
    let key = catalog.key_of(ALICE);
    let mut session = Session::start(&["stdio"], &catalog.vars(("QUILT_API_KEY", &key)));
    let init = initialize(&mut session, "2025-06-18");
    assert_eq!(init["result"]["protocolVersion"], "2025-06-18", "{init}");

    let list = session.request(1, "tools/list", json!({}));
    let names: Vec<&str> = list["result"]["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"bucket_objects_list"), "{names:?}");

    // Arguments from another tool's answer.
    let buckets = session.call_tool(2, "bucket_list", json!({}));
    let bucket = buckets["buckets"][0]["name"].as_str().unwrap().to_string();
    let objects = session.call_tool(3, "bucket_objects_list", json!({"bucket": bucket}));
    assert_eq!(objects["bucket"], bucket.as_str(), "{objects}");

    let read = session.request(4, "resources/read", json!({"uri": "auth://status"}));
    let text = read["result"]["contents"][0]["text"].as_str().unwrap();
    let status: Value = serde_json::from_str(text).unwrap();
    assert_eq!(status["status"], "authenticated");
    assert_eq!(status["user"]["name"], catalog.name_of(ALICE));

    session.send_line("{this is not json");
    let malformed = session.answer(&Value::Null);
    assert_eq!(malformed["error"]["code"], -32700, "{malformed}");
    session.send_line(r#"{"jsonrpc":"2.0","id":5,"method":"no/such/method"}"#);
    assert_eq!(session.answer(&json!(5))["error"]["code"], -32601);
    let ping = session.request(6, "ping", json!({}));
    assert_eq!(ping["result"], json!({}), "the session goes on");

    let (status, rest, stderr) = session.finish();
    assert!(status.success(), "{status:?}: {stderr}");
    assert!(rest.is_empty(), "nothing after the last answer: {rest:?}");
    assert!(!stderr.contains(&key), "the key is never logged");
}

#[test]
fn stdout_holds_only_protocol_messages_under_trace_logging() {
    let catalog = Catalog::start();
    let key = catalog.key_of(BOB);
    let mut vars = catalog.vars(("QUILT_API_KEY", &key));
    vars.push(("MCP_LOG_LEVEL".into(), "trace".into()));
    vars.push(("RUST_LOG".into(), "trace".into()));
    vars.push(("MCP_LOG_FORMAT".into(), "text".into()));
    // Also through the environment variable rather than the command.
    vars.push(("FASTMCP_TRANSPORT".into(), "stdio".into()));
    let mut session = Session::start(&[], &vars);
    initialize(&mut session, "2025-03-26");
    for id in 1..=5 {
        session.request(id, "tools/list", json!({}));
    }
    let buckets = session.call_tool(6, "bucket_list", json!({}));
    let bucket = buckets["buckets"][0]["name"].as_str().unwrap().to_string();
    session.call_tool(7, "bucket_objects_list", json!({"bucket": bucket}));
    session.send_line("][");
    session.answer(&Value::Null);
    let (status, rest, stderr) = session.finish();
    assert!(status.success(), "{stderr}");
    // `answer` already required every line it read to be JSON-RPC; the rest must be too.
    for line in &rest {
        let message: Value = serde_json::from_str(line).expect("JSON-RPC only");
        assert_eq!(message["jsonrpc"], "2.0");
    }
    assert!(
        stderr.lines().count() > 10 && stderr.contains("TRACE"),
        "the logs went to stderr: {stderr}"
    );
    assert!(!stderr.contains(&key), "the key is never logged");
}

#[test]
fn a_catalog_jwt_works_too_and_read_only_hides_writes() {
    let catalog = Catalog::start();
    let jwt = token(ALICE);
    let mut vars = catalog.vars(("QUILT_MCP_TOKEN", &jwt));
    vars.push(("MCP_READ_ONLY".into(), "true".into()));
    let mut session = Session::start(&["stdio"], &vars);
    let list = session.request(1, "tools/list", json!({}));
    let tools = list["result"]["tools"].as_array().unwrap();
    assert!(!tools.is_empty());
    for tool in tools {
        assert_eq!(tool["annotations"]["readOnlyHint"], true, "{tool}");
    }
    let read = session.request(2, "resources/read", json!({"uri": "auth://status"}));
    let text = read["result"]["contents"][0]["text"].as_str().unwrap();
    assert!(text.contains(&catalog.name_of(ALICE)), "{text}");
    let (status, _, stderr) = session.finish();
    assert!(status.success(), "{stderr}");
}

/// Runs `quilt-mcp stdio` with `vars` and no input; it must fail with one line on stderr
/// (besides log lines, which are JSON when stderr is not a terminal), the last one.
fn fails_with_one_line(vars: &[(String, String)]) -> String {
    let session = Session::start(&["stdio"], vars);
    let (status, rest, stderr) = session.finish();
    assert!(!status.success(), "{stderr}");
    assert!(rest.is_empty(), "nothing on stdout: {rest:?}");
    let plain: Vec<&str> = stderr
        .lines()
        .filter(|line| serde_json::from_str::<Value>(line).is_err())
        .collect();
    assert_eq!(plain.len(), 1, "one line: {stderr}");
    assert_eq!(stderr.lines().last(), Some(plain[0]), "{stderr}");
    plain[0].to_string()
}

#[test]
fn a_missing_or_refused_credential_stops_with_one_line() {
    let catalog = Catalog::start();
    let refused = catalog.vars(("QUILT_API_KEY", "qk_not_a_key_the_catalog_knows"));
    let line = fails_with_one_line(&refused);
    assert!(line.contains("refused QUILT_API_KEY"), "{line}");
    assert!(
        !line.contains("qk_not_a_key"),
        "the key is not echoed: {line}"
    );

    let inactive = catalog.key_of(DAVE);
    let line = fails_with_one_line(&catalog.vars(("QUILT_API_KEY", &inactive)));
    assert!(line.contains("refused"), "{line}");

    let none: Vec<_> = catalog.vars(("UNRELATED", "x")).into_iter().collect();
    let line = fails_with_one_line(&none);
    assert!(
        line.contains("QUILT_API_KEY") && line.contains("QUILT_MCP_TOKEN"),
        "{line}"
    );

    let key = catalog.key_of(ALICE);
    let no_catalog = vec![("QUILT_API_KEY".to_string(), key)];
    let line = fails_with_one_line(&no_catalog);
    assert!(line.contains("QUILT_CATALOG_URL"), "{line}");
}

#[test]
fn the_2026_07_28_era_is_served_over_stdio_too() {
    let catalog = Catalog::start();
    let key = catalog.key_of(ALICE);
    let mut session = Session::start(&["stdio"], &catalog.vars(("QUILT_API_KEY", &key)));
    let meta = json!({
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities": {},
    });
    // No initialize: each request says its version.
    let discover = session.request(1, "server/discover", json!({ "_meta": meta }));
    let versions = discover["result"]["supportedVersions"].to_string();
    assert!(versions.contains("2026-07-28"), "{discover}");
    let buckets = session.request(
        2,
        "tools/call",
        json!({ "name": "bucket_list", "arguments": {}, "_meta": meta }),
    );
    assert_eq!(buckets["result"]["resultType"], "complete", "{buckets}");
    assert_eq!(buckets["result"]["isError"], false, "{buckets}");
    let (status, _, stderr) = session.finish();
    assert!(status.success(), "{status:?}: {stderr}");
}
