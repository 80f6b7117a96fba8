//! The JWT secret from SSM, through the real binary: the recorded mock answers SSM's JSON
//! protocol (`AWS_ENDPOINT_URL_SSM` points at it), credentials come from the default chain
//! (static test keys in the environment, or the container credentials endpoint as on Fargate).
//! Start-up failures, the env secret winning, rotation with requests in flight, the limit on
//! forced reads, and an SSM outage.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use common::{client, closed_port_url, now, with_overrides};
use quilt_mcp::config::Secret;
use quilt_mcp::mock::{Fault, MockCatalog, Recordings};
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_quilt-mcp");
const PARAMETER: &str = "/quilt-mcp/jwt";
const KEY_ID: &str = "AKIDSSMTESTKEY";

/// The container credentials endpoint as ECS serves it, recorded in the mock.
const TASK_ROLE: &str = r#"{ "scenario": "task-role", "description": "ECS container credentials",
  "interactions": [ { "id": "task-role-credentials",
    "request": { "method": "GET", "path": "/v2/credentials/task-role" },
    "response": { "status": 200, "body": { "AccessKeyId": "ASIATASKROLE", "SecretAccessKey": "task-secret",
      "Token": "task-session", "Expiration": "2099-01-01T00:00:00Z",
      "RoleArn": "arn:aws:iam::123456789012:role/quilt-mcp-task-role" } } } ] }"#;

fn sign_with(secret: &str, id: i64) -> String {
    let claims = json!({ "id": id, "uuid": format!("uuid-{id}"), "exp": now() + 3600 });
    quilt_mcp::auth::sign_token(&Secret::new(secret), &claims).expect("a test token")
}

fn mock() -> (tokio::runtime::Runtime, MockCatalog) {
    let rt = tokio::runtime::Runtime::new().expect("a runtime");
    let recordings = Recordings::builtin()
        .expect("built-in recordings")
        .merge(Recordings::from_json("task-role.json", TASK_ROLE).expect("task role recording"));
    let mock = rt.block_on(MockCatalog::replay(recordings)).expect("mock");
    (rt, mock)
}

/// The server's environment: SSM at `ssm_url`, static test keys, nothing read from disk or IMDS.
fn ssm_env(catalog: &str, ssm_url: &str, extra: &[(&str, &str)]) -> Vec<(String, String)> {
    let base: Vec<(String, String)> = [
        ("QUILT_MULTIUSER_MODE", "true"),
        ("QUILT_CATALOG_URL", catalog),
        ("QUILT_REGISTRY_URL", catalog),
        ("MCP_JWT_SECRET_SSM_PARAMETER", PARAMETER),
        ("AWS_REGION", "us-east-1"),
        ("AWS_ENDPOINT_URL_SSM", ssm_url),
        ("AWS_ACCESS_KEY_ID", KEY_ID),
        ("AWS_SECRET_ACCESS_KEY", "test-secret-key"),
        ("AWS_EC2_METADATA_DISABLED", "true"),
        ("AWS_CONFIG_FILE", "/nonexistent/aws-config"),
        (
            "AWS_SHARED_CREDENTIALS_FILE",
            "/nonexistent/aws-credentials",
        ),
        ("FASTMCP_HOST", "127.0.0.1"),
        ("FASTMCP_PORT", "0"),
        ("MCP_RATE_LIMIT_PER_SECOND", "0"),
        ("QUILT_SERVICE_TIMEOUT", "5"),
        ("MCP_LOG_FORMAT", "json"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    with_overrides(base, extra)
}

/// The binary, its JSON log lines collected as they come.
struct Server {
    child: Child,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
    addr: String,
}

impl Server {
    fn start(vars: Vec<(String, String)>) -> Server {
        let mut child = Command::new(BIN)
            .env_clear()
            .envs(vars)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut server = Server {
            child,
            lines,
            seen: Vec::new(),
            addr: String::new(),
        };
        let listening = server.wait_for("Listening on http://");
        server.addr = serde_json::from_str::<Value>(&listening).expect("JSON")["address"]
            .as_str()
            .expect("address")
            .to_string();
        server
    }

    /// The first line (seen before or arriving within 20 s) containing `text`.
    fn wait_for(&mut self, text: &str) -> String {
        if let Some(line) = self.seen.iter().find(|l| l.contains(text)) {
            return line.clone();
        }
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Ok(line) = self.lines.recv_timeout(Duration::from_millis(50)) {
                self.seen.push(line.clone());
                if line.contains(text) {
                    return line;
                }
            }
        }
        panic!("no line with {text:?}; saw:\n{}", self.seen.join("\n"));
    }

    fn count(&mut self, text: &str) -> usize {
        while let Ok(line) = self.lines.try_recv() {
            self.seen.push(line);
        }
        self.seen.iter().filter(|l| l.contains(text)).count()
    }

    fn status(&self, token: &str, method: &str) -> u16 {
        call(&self.addr, token, method).0
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One JSON-RPC call to `/mcp`: the HTTP status and the body.
fn call(addr: &str, token: &str, method: &str) -> (u16, Value) {
    let params = match method {
        "tools/call" => json!({ "name": "bucket_list", "arguments": {} }),
        _ => json!({}),
    };
    let body = json!({ "jsonrpc": "2.0", "id": 1, "method": method, "params": params });
    let mut response = client()
        .post(&format!("http://{addr}/mcp"))
        .header("authorization", &format!("Bearer {token}"))
        .header("content-type", "application/json")
        .send(body.to_string())
        .expect("an answer");
    let status = response.status().as_u16();
    let text = response.body_mut().read_to_string().unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// Runs the binary to its end; returns (success, stderr, elapsed).
fn run_to_exit(vars: Vec<(String, String)>) -> (bool, String, Duration) {
    let started = Instant::now();
    let out = Command::new(BIN)
        .env_clear()
        .envs(vars)
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    (out.status.success(), stderr, started.elapsed())
}

#[test]
fn a_token_signed_with_the_ssm_secret_is_accepted() {
    let (_rt, mock) = mock();
    mock.set_ssm_parameter(PARAMETER, "ssm-secret-one");
    let mut server = Server::start(ssm_env(&mock.url(), &mock.url(), &[]));
    server.wait_for("JWT secret read from SSM parameter /quilt-mcp/jwt (version 1)");
    assert_eq!(
        server.status(&sign_with("ssm-secret-one", 1), "tools/list"),
        200
    );
    assert_eq!(server.status(&sign_with("another", 1), "tools/list"), 401);
    let first = &mock.ssm_requests()[0];
    assert_eq!(first.name.as_deref(), Some(PARAMETER));
    assert!(
        first.with_decryption,
        "GetParameter must ask for decryption"
    );
    assert_eq!(first.access_key_id.as_deref(), Some(KEY_ID));
    assert_eq!(first.region.as_deref(), Some("us-east-1"));
    assert!(
        !server.seen.join("\n").contains("ssm-secret-one"),
        "the secret reached the log"
    );
}

#[test]
fn on_fargate_the_task_role_comes_from_the_container_credentials_endpoint() {
    let (_rt, mock) = mock();
    mock.set_ssm_parameter(PARAMETER, "ssm-secret-two");
    let endpoint = format!("{}/v2/credentials/task-role", mock.url());
    let mut vars = ssm_env(&mock.url(), &mock.url(), &[]);
    vars.retain(|(k, _)| k != "AWS_ACCESS_KEY_ID" && k != "AWS_SECRET_ACCESS_KEY");
    vars.push(("AWS_CONTAINER_CREDENTIALS_FULL_URI".into(), endpoint));
    let server = Server::start(vars);
    assert_eq!(
        server.status(&sign_with("ssm-secret-two", 1), "tools/list"),
        200
    );
    assert_eq!(
        mock.ssm_requests()[0].access_key_id.as_deref(),
        Some("ASIATASKROLE")
    );
}

#[test]
fn start_up_failures_are_one_line_and_a_non_zero_exit() {
    let (_rt, mock) = mock();
    mock.set_ssm_parameter("/denied", "x");
    mock.deny_ssm_parameter("/denied", true);
    // Accepts connections (the kernel does, into the backlog) and never answers.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let silent_url = format!("http://{}", silent.local_addr().expect("addr"));
    let url = mock.url();
    let cases: Vec<(Vec<(String, String)>, &str)> = vec![
        (ssm_env(&url, &url, &[]), "the parameter does not exist"),
        (
            ssm_env(&url, &url, &[("MCP_JWT_SECRET_SSM_PARAMETER", "/denied")]),
            "access denied (User: arn:aws:sts::123456789012:assumed-role/quilt-mcp-task-role/mock is not authorized",
        ),
        (ssm_env(&url, &closed_port_url(), &[]), "cannot reach SSM"),
        (
            ssm_env(&url, &silent_url, &[("QUILT_SERVICE_TIMEOUT", "2")]),
            "SSM did not answer within 2 s (QUILT_SERVICE_TIMEOUT)",
        ),
        (
            ssm_env(&url, &url, &[("AWS_REGION", "")]),
            "MCP_JWT_SECRET_SSM_PARAMETER requires AWS_REGION or AWS_DEFAULT_REGION",
        ),
    ];
    for (vars, expected) in cases {
        let (success, stderr, elapsed) = run_to_exit(vars);
        assert!(!success, "{expected}");
        assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
        assert!(stderr.starts_with("Invalid configuration: "), "{stderr}");
        assert!(stderr.contains(expected), "{expected:?} in {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert!(elapsed < Duration::from_secs(15), "{expected}: {elapsed:?}");
    }
    // No credentials at all: the chain finds none, and the line says so.
    let mut vars = ssm_env(&url, &url, &[]);
    vars.retain(|(k, _)| k != "AWS_ACCESS_KEY_ID" && k != "AWS_SECRET_ACCESS_KEY");
    let (success, stderr, _) = run_to_exit(vars);
    assert!(!success && stderr.lines().count() == 1, "{stderr}");
    assert!(
        stderr.contains("no AWS credentials (") && stderr.contains("taskRoleArn"),
        "{stderr}"
    );
    // AWS_DEFAULT_REGION is enough.
    mock.set_ssm_parameter(PARAMETER, "s");
    let vars = ssm_env(
        &url,
        &url,
        &[("AWS_REGION", ""), ("AWS_DEFAULT_REGION", "eu-west-1")],
    );
    let mut server = Server::start(vars);
    server.wait_for("JWT secret read from SSM");
    let last = mock.ssm_requests().pop().expect("a read");
    assert_eq!(last.region.as_deref(), Some("eu-west-1"));
}

#[test]
fn the_environment_secret_wins_and_the_log_says_so() {
    let (_rt, mock) = mock();
    mock.set_ssm_parameter(PARAMETER, "from-ssm");
    let vars = ssm_env(&mock.url(), &mock.url(), &[("MCP_JWT_SECRET", "from-env")]);
    let mut server = Server::start(vars);
    server.wait_for(
        "MCP_JWT_SECRET and MCP_JWT_SECRET_SSM_PARAMETER are both set; using MCP_JWT_SECRET",
    );
    assert_eq!(server.status(&sign_with("from-env", 1), "tools/list"), 200);
    assert_eq!(server.status(&sign_with("from-ssm", 1), "tools/list"), 401);
    assert!(mock.ssm_requests().is_empty(), "SSM was not asked");
}

#[test]
fn rotation_with_requests_in_flight_keeps_old_tokens_for_one_rotation() {
    let (_rt, mock) = mock();
    mock.set_ssm_parameter(PARAMETER, "secret-a");
    let vars = ssm_env(
        &mock.url(),
        &mock.url(),
        &[("MCP_JWT_SECRET_REFRESH_SECONDS", "1")],
    );
    let mut server = Server::start(vars);
    let (a, b, c) = (
        sign_with("secret-a", 1),
        sign_with("secret-b", 1),
        sign_with("secret-c", 1),
    );
    // Catalog calls take a while: these are in flight while the secret changes.
    mock.set_fault(Fault {
        latency: Duration::from_millis(1500),
        path_prefix: Some("/graphql".into()),
        ..Fault::default()
    });
    let stop = Arc::new(AtomicBool::new(false));
    let mut workers = Vec::new();
    for i in 0..4 {
        let (addr, token, stop) = (server.addr.clone(), a.clone(), Arc::clone(&stop));
        workers.push(std::thread::spawn(move || {
            let method = if i == 0 { "tools/call" } else { "tools/list" };
            let mut answers = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                let (status, body) = call(&addr, &token, method);
                answers.push((status, body["result"]["isError"].as_bool()));
            }
            answers
        }));
    }
    std::thread::sleep(Duration::from_millis(300));
    mock.set_ssm_parameter(PARAMETER, "secret-b");
    // A token with the new secret works at once: its failure forces a read, then it verifies.
    assert_eq!(server.status(&b, "tools/list"), 200);
    server.wait_for("JWT secret rotated from SSM (version 2)");
    std::thread::sleep(Duration::from_millis(2500));
    stop.store(true, Ordering::Relaxed);
    for worker in workers {
        let answers = worker.join().expect("worker");
        assert!(!answers.is_empty());
        for (status, is_error) in answers {
            assert_eq!(
                status, 200,
                "an old-secret token failed during the rotation"
            );
            assert_ne!(is_error, Some(true));
        }
    }
    mock.clear_fault();
    // A second rotation retires the first secret; the previous one stays valid.
    mock.set_ssm_parameter(PARAMETER, "secret-c");
    server.wait_for("JWT secret rotated from SSM (version 3)");
    assert_eq!(server.status(&c, "tools/list"), 200);
    assert_eq!(server.status(&b, "tools/list"), 200);
    assert_eq!(server.status(&a, "tools/list"), 401);
}

#[test]
fn a_token_signed_with_a_newer_secret_forces_a_read_and_passes() {
    let (_rt, mock) = mock();
    mock.set_ssm_parameter(PARAMETER, "secret-a");
    // The default interval: no regular read happens during the test.
    let mut server = Server::start(ssm_env(&mock.url(), &mock.url(), &[]));
    mock.set_ssm_parameter(PARAMETER, "secret-b");
    assert_eq!(server.status(&sign_with("secret-b", 1), "tools/list"), 200);
    let rotated = server.wait_for("JWT secret rotated from SSM (version 2)");
    assert!(rotated.contains(r#""forced":true"#), "{rotated}");
    assert_eq!(mock.ssm_requests().len(), 2);
    assert_eq!(server.status(&sign_with("secret-a", 1), "tools/list"), 200);
}

#[test]
fn signature_failures_force_at_most_one_read_per_interval() {
    let (_rt, mock) = mock();
    mock.set_ssm_parameter(PARAMETER, "secret-a");
    let server = Server::start(ssm_env(&mock.url(), &mock.url(), &[]));
    assert_eq!(mock.ssm_requests().len(), 1, "the read at start");
    let forged: Vec<_> = (0..20)
        .map(|i| {
            let addr = server.addr.clone();
            std::thread::spawn(move || call(&addr, &sign_with("forged", i), "tools/list").0)
        })
        .collect();
    for request in forged {
        assert_eq!(request.join().expect("request"), 401);
    }
    assert_eq!(
        mock.ssm_requests().len(),
        2,
        "one forced read for twenty failures"
    );
    // Within the same interval a new secret is only picked up by the next regular read.
    mock.set_ssm_parameter(PARAMETER, "secret-b");
    assert_eq!(server.status(&sign_with("secret-b", 1), "tools/list"), 401);
    assert_eq!(mock.ssm_requests().len(), 2);
    assert_eq!(server.status(&sign_with("secret-a", 1), "tools/list"), 200);
}

#[test]
fn an_ssm_outage_keeps_the_last_good_secret() {
    let (_rt, mock) = mock();
    mock.set_ssm_parameter(PARAMETER, "secret-a");
    let vars = ssm_env(
        &mock.url(),
        &mock.url(),
        &[("MCP_JWT_SECRET_REFRESH_SECONDS", "1")],
    );
    let mut server = Server::start(vars);
    let a = sign_with("secret-a", 1);
    mock.set_fault(Fault {
        drop_connection: true,
        ..Fault::default()
    });
    server.wait_for("JWT secret refresh from SSM failed; keeping the last good secret");
    assert_eq!(server.status(&a, "tools/list"), 200);
    let health = client()
        .get(&format!("http://{}/health", server.addr))
        .call()
        .expect("health");
    assert_eq!(health.status(), 200);
    mock.clear_fault();
    mock.set_ssm_parameter(PARAMETER, "secret-b");
    server.wait_for("JWT secret rotated from SSM (version 2)");
    assert_eq!(server.status(&sign_with("secret-b", 1), "tools/list"), 200);
    assert!(server.count("keeping the last good secret") >= 1);
}
