//! The binary as an operator runs it: configuration failures, start-up log lines, the JWT
//! failure log line, and SIGTERM with requests in flight.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::*;
use quilt_mcp::mock::{Fault, MockCatalog};
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_quilt-mcp");

fn run_with(vars: &[(&str, &str)]) -> std::process::Output {
    Command::new(BIN)
        .env_clear()
        .envs(vars.iter().copied())
        .output()
        .expect("the binary runs")
}

#[test]
fn configuration_errors_are_one_line_and_a_non_zero_exit() {
    let cases: &[(&[(&str, &str)], &str)] = &[
        (
            &[("QUILT_MULTIUSER_MODE", "true")],
            "Invalid configuration: Multiuser mode requires MCP_JWT_SECRET environment variable",
        ),
        (
            &[("QUILT_MULTIUSER_MODE", "true"), ("MCP_JWT_SECRET", "s")],
            "Invalid configuration: Multiuser mode requires QUILT_CATALOG_URL environment variable",
        ),
        (
            &[
                ("QUILT_MULTIUSER_MODE", "true"),
                ("MCP_JWT_SECRET", "s"),
                ("QUILT_CATALOG_URL", "https://c.example.com"),
            ],
            "Invalid configuration: Multiuser mode requires QUILT_REGISTRY_URL environment variable",
        ),
    ];
    for (vars, line) in cases {
        let out = run_with(vars);
        assert!(!out.status.success());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(stderr.trim_end(), *line);
    }
    let good = [
        ("QUILT_MULTIUSER_MODE", "true"),
        ("MCP_JWT_SECRET", "s"),
        ("QUILT_CATALOG_URL", "https://c.example.com"),
        ("QUILT_REGISTRY_URL", "https://r.example.com"),
    ];
    for (var, value, accepted) in [
        ("FASTMCP_PORT", "abc", "port number"),
        ("FASTMCP_TRANSPORT", "tcp", "http or streamable-http"),
        ("QUILT_SERVICE_TIMEOUT", "-3", "whole number"),
        (
            "QUILT_CATALOG_URL",
            "catalog.example.com",
            "http:// or https://",
        ),
        (
            "QUILT_REGISTRY_URL",
            "ftp://r.example.com",
            "http:// or https://",
        ),
    ] {
        let mut vars: Vec<(&str, &str)> = good.iter().copied().filter(|(k, _)| *k != var).collect();
        vars.push((var, value));
        let out = run_with(&vars);
        assert!(!out.status.success(), "{var}={value}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
        assert!(
            stderr.contains(var) && stderr.contains(value) && stderr.contains(accepted),
            "{stderr}"
        );
        assert!(
            !stderr.contains("panicked") && !stderr.contains("backtrace"),
            "{stderr}"
        );
    }
}

/// A running binary whose stdout lines (JSON logs) are collected.
struct Proc {
    child: Child,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Proc {
    fn start(catalog: &str, extra: &[(&str, &str)]) -> (Proc, String) {
        let vars = with_overrides(base_env(catalog), extra);
        let mut child = Command::new(BIN)
            .env_clear()
            .envs(vars)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn");
        let rx = stdout_lines(&mut child);
        let mut proc = Proc {
            child,
            lines: rx,
            seen: Vec::new(),
        };
        let listening = proc.wait_for(|l| l.contains("Listening on http://"));
        let addr = serde_json::from_str::<Value>(&listening).unwrap()["address"]
            .as_str()
            .unwrap()
            .to_string();
        (proc, addr)
    }

    fn wait_for(&mut self, pred: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Ok(line) = self.lines.recv_timeout(Duration::from_millis(100)) {
                self.seen.push(line.clone());
                if pred(&line) {
                    return line;
                }
            }
        }
        panic!("no such log line; saw:\n{}", self.seen.join("\n"));
    }

    fn messages(&self) -> Vec<String> {
        self.seen
            .iter()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .filter_map(|v| v["message"].as_str().map(str::to_string))
            .collect()
    }

    fn terminate(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn start_up_lines_are_the_seeds_and_logs_are_json_lines_without_tokens() {
    let (mut proc, addr) = Proc::start(&closed_port_url(), &[]);
    let messages = proc.messages();
    let expected = [
        "Quilt MCP Server starting in multiuser mode",
        "Backend type: graphql",
        "JWT required: True",
    ];
    let positions: Vec<usize> = expected
        .iter()
        .map(|m| {
            messages
                .iter()
                .position(|x| x == m)
                .unwrap_or_else(|| panic!("{m} in {messages:?}"))
        })
        .collect();
    assert!(
        positions.windows(2).all(|w| w[0] < w[1]),
        "in order: {messages:?}"
    );

    // A refused token: the seed's line, with the request id, and never the token.
    let expired = sign(&json!({"id": 1, "uuid": "u", "exp": now() - 100}));
    let response = client()
        .post(&format!("http://{addr}/mcp"))
        .header("authorization", &format!("Bearer {expired}"))
        .header("x-request-id", "abc123")
        .send(r#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#)
        .unwrap();
    assert_eq!(response.status(), 401);
    proc.wait_for(|l| l.contains("JWT validation failed (token_expired) request_id=abc123"));

    // A good request logs one telemetry event carrying its request id and user id.
    let good = token(ALICE);
    client()
        .post(&format!("http://{addr}/mcp"))
        .header("authorization", &format!("Bearer {good}"))
        .header("x-request-id", "req-777")
        .send(r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#)
        .unwrap();
    let event = proc.wait_for(|l| l.contains("req-777") && l.contains("\"route\""));
    let event: Value = serde_json::from_str(&event).unwrap();
    assert_eq!(event["mcp_method"], "tools/list");
    assert_eq!(event["user_id"], 1);
    assert_eq!(event["status"], 200);
    assert_eq!(event["span"]["request_id"], "req-777");

    let all = proc.seen.join("\n");
    for line in &proc.seen {
        assert!(
            serde_json::from_str::<Value>(line).is_ok(),
            "not a JSON line: {line}"
        );
    }
    assert!(
        !all.contains(&expired) && !all.contains(&good),
        "a token reached the log"
    );
    assert!(!all.contains(SECRET), "the secret reached the log");
}

#[test]
fn sigterm_lets_requests_in_flight_finish_then_exits_zero() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let mock = rt.block_on(MockCatalog::start()).unwrap();
    mock.set_fault(Fault {
        latency: Duration::from_millis(1500),
        ..Fault::default()
    });
    let (mut proc, addr) = Proc::start(&mock.url(), &[("QUILT_MCP_RESOURCE_CACHE_TTL", "0")]);

    let calls: Vec<_> = (0..10)
        .map(|i| {
            let url = format!("http://{addr}/mcp");
            std::thread::spawn(move || {
                let body = json!({"jsonrpc": "2.0", "id": i, "method": "tools/call",
                    "params": {"name": "bucket_list", "arguments": {}}});
                let mut response = client()
                    .post(&url)
                    .header("authorization", &format!("Bearer {}", token(ALICE)))
                    .send(serde_json::to_vec(&body).unwrap())
                    .expect("an answer despite the shutdown");
                let status = response.status().as_u16();
                let body: Value =
                    serde_json::from_str(&response.body_mut().read_to_string().unwrap()).unwrap();
                (status, body)
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(500));
    proc.terminate();
    for call in calls {
        let (status, body) = call.join().unwrap();
        assert_eq!(status, 200);
        assert_eq!(body["result"]["isError"], false, "{body}");
        assert!(
            body["result"]["structuredContent"]["count"]
                .as_u64()
                .unwrap()
                > 0
        );
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = proc.child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "did not exit");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status:?}");
    proc.wait_for(|l| l.contains("received SIGTERM"));
    assert!(
        std::net::TcpStream::connect(&addr).is_err(),
        "no longer accepting"
    );
    mock.assert_all_matched();
}

#[test]
fn sigterm_exits_by_the_grace_period_while_a_catalog_call_hangs() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let mock = rt.block_on(MockCatalog::start()).unwrap();
    mock.set_fault(Fault {
        latency: Duration::from_secs(30),
        path_prefix: Some("/graphql".into()),
        ..Fault::default()
    });
    let (mut proc, addr) = Proc::start(
        &mock.url(),
        &[("MCP_SHUTDOWN_GRACE", "1"), ("QUILT_SERVICE_TIMEOUT", "60")],
    );
    let url = format!("http://{addr}/mcp");
    let call = std::thread::spawn(move || {
        let body = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
            "params": {"name": "bucket_list", "arguments": {}}});
        let mut response = client()
            .post(&url)
            .header("authorization", &format!("Bearer {}", token(ALICE)))
            .send(serde_json::to_vec(&body).unwrap())
            .expect("an answer despite the shutdown");
        let status = response.status().as_u16();
        (status, response.body_mut().read_to_string().unwrap())
    });
    std::thread::sleep(Duration::from_millis(500));
    let started = Instant::now();
    proc.terminate();
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = proc.child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "did not exit");
        std::thread::sleep(Duration::from_millis(20));
    };
    let took = started.elapsed();
    // The catalog call's thread is still blocked on the catalog: the process does not wait.
    assert!(took < Duration::from_millis(1800), "exit took {took:?}");
    assert!(status.success(), "{status:?}");
    let (status, body) = call.join().unwrap();
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("shutting down"), "{body}");
}

#[test]
fn four_bodies_of_tiny_nested_values_keep_memory_bounded() {
    let (proc, addr) = Proc::start(&closed_port_url(), &[]);
    let pid = proc.child.id();
    // 8 MiB less a little of `[[],[],…]`: before the value budget, four of these at once
    // peaked at 1,382 MiB.
    let inner = "[],".repeat((8 * 1024 * 1024 - 200) / 3);
    let body = format!(
        r#"{{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{{"name":"bucket_list","arguments":{{"x":[{inner}[]]}}}}}}"#
    );
    let body = std::sync::Arc::new(body);
    let peak = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let sampling = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let sampler = {
        let (peak, sampling) = (peak.clone(), sampling.clone());
        std::thread::spawn(move || {
            while sampling.load(std::sync::atomic::Ordering::Relaxed) {
                peak.fetch_max(rss_kib_of(pid), std::sync::atomic::Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(5));
            }
        })
    };
    let attacks: Vec<_> = (0..4)
        .map(|_| {
            let (body, url) = (body.clone(), format!("http://{addr}/mcp"));
            std::thread::spawn(move || {
                let mut response = client()
                    .post(&url)
                    .header("authorization", &format!("Bearer {}", token(ALICE)))
                    .send(body.as_bytes())
                    .expect("an answer");
                let status = response.status().as_u16();
                (status, response.body_mut().read_to_string().unwrap())
            })
        })
        .collect();
    for attack in attacks {
        let (status, text) = attack.join().unwrap();
        assert_eq!(status, 400, "{text}");
        assert!(text.contains("JSON values"), "{text}");
    }
    std::thread::sleep(Duration::from_millis(1000));
    sampling.store(false, std::sync::atomic::Ordering::Relaxed);
    sampler.join().unwrap();
    let peak_mib = peak.load(std::sync::atomic::Ordering::Relaxed) / 1024;
    let after_mib = rss_kib_of(pid) / 1024;
    eprintln!("four hostile bodies: RSS peak {peak_mib} MiB, {after_mib} MiB a second after");
    assert!(peak_mib < 256, "peak {peak_mib} MiB");
    assert!(after_mib < 64, "after {after_mib} MiB");
}

fn rss_kib_of(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

#[test]
fn ten_thousand_idle_connections_keep_memory_bounded_and_new_clients_served() {
    let (proc, addr) = Proc::start(
        &closed_port_url(),
        &[
            ("MCP_HEADER_READ_TIMEOUT", "30"),
            ("MCP_MAX_CONNECTIONS", "20000"),
        ],
    );
    let pid = proc.child.id();
    let before = rss_kib_of(pid);
    let mut idle = Vec::new();
    for _ in 0..10_000 {
        match std::net::TcpStream::connect(&addr) {
            Ok(stream) => idle.push(stream),
            Err(e) => panic!("connection {} refused: {e}", idle.len()),
        }
    }
    std::thread::sleep(Duration::from_millis(500));
    let during = rss_kib_of(pid);
    let started = Instant::now();
    let health = client()
        .get(&format!("http://{addr}/health"))
        .call()
        .unwrap();
    assert_eq!(health.status(), 200);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "a new client waited {:?}",
        started.elapsed()
    );
    let grown_mib = during.saturating_sub(before) / 1024;
    eprintln!(
        "RSS {before} KiB idle, {during} KiB with 10 000 idle connections (+{grown_mib} MiB)"
    );
    assert!(
        grown_mib < 150,
        "10 000 idle connections cost {grown_mib} MiB"
    );
    drop(idle);
}

/// The child's stdout, line by line, read on a thread of its own so the child never blocks.
fn stdout_lines(child: &mut Child) -> mpsc::Receiver<String> {
    let stdout = child.stdout.take().expect("stdout is piped");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// Starts a subcommand; its stdout lines arrive on the receiver.
fn spawn_lines(args: &[&str]) -> (Child, mpsc::Receiver<String>) {
    let mut child = Command::new(BIN)
        .args(args)
        .env_clear()
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let rx = stdout_lines(&mut child);
    (child, rx)
}

fn wait_line(lines: &mpsc::Receiver<String>, marker: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if let Ok(line) = lines.recv_timeout(Duration::from_millis(100))
            && line.contains(marker)
        {
            return line;
        }
    }
    panic!("no line containing {marker:?}");
}

#[test]
fn demo_prints_a_working_token_and_serves_the_model_catalog() {
    let (mut child, lines) = spawn_lines(&["demo", "--port", "0"]);
    let banner = wait_line(&lines, "the MCP server on http://");
    let url = banner
        .split_whitespace()
        .find(|w| w.starts_with("http://") && w.ends_with("/mcp,"))
        .map(|w| w.trim_end_matches(',').to_string())
        .expect("the MCP URL");
    let demo_token = wait_line(&lines, "QUILT_MCP_TOKEN=")
        .trim()
        .trim_start_matches("QUILT_MCP_TOKEN=")
        .to_string();
    let call = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "bucket_list", "arguments": {}}});
    let mut answer = client()
        .post(&url)
        .header("authorization", &format!("Bearer {demo_token}"))
        .send(serde_json::to_vec(&call).unwrap())
        .unwrap();
    let body: Value = serde_json::from_str(&answer.body_mut().read_to_string().unwrap()).unwrap();
    assert_eq!(
        body["result"]["structuredContent"]["count"], 3,
        "the dataset admin's buckets: {body}"
    );
    // The demo's secret is random: a token signed with anything else is refused.
    let forged = client()
        .post(&url)
        .header("authorization", &format!("Bearer {}", token(ALICE)))
        .send(r#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#)
        .unwrap();
    assert_eq!(forged.status(), 401);
    // Something the model does not support, asked of its catalog directly: a GraphQL error
    // naming it, and (the issue's rule) Ctrl-C still ends the demo with exit 0.
    let catalog = banner
        .split_whitespace()
        .last()
        .expect("the catalog URL ends the first line")
        .to_string();
    assert!(catalog.starts_with("http://127.0.0.1:"), "{banner}");
    let (status, body) = graphql(
        &catalog,
        ALICE,
        "query { searchObjects(searchString: \"x\") { ... on OperationError { name message } } }",
    );
    assert_eq!(status, 200, "{body}");
    let answer = &body["data"]["searchObjects"];
    assert_eq!(answer["name"], "Unsupported", "{body}");
    assert!(
        answer["message"]
            .as_str()
            .unwrap()
            .contains("searchObjects"),
        "{body}"
    );
    let interrupted = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(interrupted.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    let exit = loop {
        if let Some(exit) = child.try_wait().unwrap() {
            break exit;
        }
        assert!(Instant::now() < deadline, "the demo did not stop on SIGINT");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(exit.code(), Some(0), "Ctrl-C after an unsupported request");
}

/// The URL printed by `mock-catalog` once it listens.
fn mock_catalog_url(lines: &mpsc::Receiver<String>) -> String {
    let line = wait_line(lines, "embedded catalog listening on http://");
    line.split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap()
        .to_string()
}

/// POSTs a GraphQL document as `id`'s caller; returns status and JSON body.
fn graphql(url: &str, id: i64, query: &str) -> (u16, Value) {
    let mut answer = client()
        .post(&format!("{url}/graphql"))
        .header("authorization", &format!("Bearer {}", token(id)))
        .header("content-type", "application/json")
        .send(json!({ "query": query }).to_string())
        .unwrap();
    let status = answer.status().as_u16();
    let body = serde_json::from_str(&answer.body_mut().read_to_string().unwrap()).unwrap();
    (status, body)
}

fn bucket_names(body: &Value) -> Vec<&str> {
    body["data"]["bucketConfigs"]
        .as_array()
        .unwrap_or_else(|| panic!("bucketConfigs: {body}"))
        .iter()
        .map(|b| b["name"].as_str().unwrap())
        .collect()
}

#[test]
fn mock_catalog_serves_the_model_alone() {
    let (mut child, lines) = spawn_lines(&["mock-catalog", "--port", "0"]);
    let url = mock_catalog_url(&lines);
    let mut config = client().get(&format!("{url}/config.json")).call().unwrap();
    let config: Value = serde_json::from_str(&config.body_mut().read_to_string().unwrap()).unwrap();
    assert_eq!(config["registryUrl"], url);
    assert_eq!(config["stackVersion"], "1.68.0", "the dataset's stack");
    // Any GraphQL document, answered from the dataset for the token's user.
    let list = "query ListBuckets { bucketConfigs { name title } }";
    let (status, alice) = graphql(&url, ALICE, list);
    assert_eq!(status, 200, "{alice}");
    assert_eq!(
        bucket_names(&alice),
        ["example-data", "example-packages", "example-public"],
        "the admin sees every bucket"
    );
    let (_, bob) = graphql(&url, BOB, list);
    assert_eq!(bucket_names(&bob), ["example-data", "example-public"]);
    let (status, _) = graphql(&url, STRANGER, list);
    assert_eq!(status, 401, "an unknown user");
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn mock_catalog_replays_recordings_from_a_directory() {
    let dir = std::env::temp_dir().join(format!("quilt-mcp-replay-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let recording = json!({
        "scenario": "tiny",
        "interactions": [
            { "id": "config", "request": { "method": "GET", "path": "/config.json" },
              "response": { "status": 200, "body": { "registryUrl": "{{mock_url}}", "recorded": true } } },
            { "id": "buckets", "request": { "graphql": { "operation": "ListBuckets" }, "user_id": 1 },
              "response": { "status": 200, "body": { "data": { "bucketConfigs": [{ "name": "recorded-bucket", "title": "R" }] } } } }
        ]
    });
    std::fs::write(dir.join("tiny.json"), recording.to_string()).unwrap();
    let (mut child, lines) = spawn_lines(&[
        "mock-catalog",
        "--port",
        "0",
        "--recordings",
        dir.to_str().unwrap(),
    ]);
    let url = mock_catalog_url(&lines);
    let mut config = client().get(&format!("{url}/config.json")).call().unwrap();
    let config: Value = serde_json::from_str(&config.body_mut().read_to_string().unwrap()).unwrap();
    assert_eq!(config, json!({ "registryUrl": url, "recorded": true }));
    let (status, recorded) = graphql(
        &url,
        ALICE,
        "query ListBuckets { bucketConfigs { name title } }",
    );
    assert_eq!(status, 200, "{recorded}");
    assert_eq!(
        bucket_names(&recorded),
        ["recorded-bucket"],
        "the recording, not the model"
    );
    // Only what was recorded: bob's question was not.
    let (status, unrecorded) = graphql(&url, BOB, "query ListBuckets { bucketConfigs { name } }");
    assert_eq!(status, 500, "{unrecorded}");
    assert!(
        unrecorded["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("unrecorded request"),
        "{unrecorded}"
    );
    let _ = child.kill();
    let _ = child.wait();
    std::fs::remove_dir_all(&dir).unwrap();
}
