//! Metrics an operator can alarm on (issue 19): Prometheus text on the opt-in metrics port,
//! CloudWatch EMF lines on stdout, and a W3C `traceparent` on every catalog call.

mod common;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::*;
use serde_json::{Value, json};

/// Every series of a Prometheus text page, by its full name with labels.
fn scrape(h: &Harness) -> BTreeMap<String, f64> {
    let addr = h
        .server
        .as_ref()
        .unwrap()
        .metrics
        .as_ref()
        .expect("metrics listener")
        .addr;
    let mut response = h
        .agent
        .get(&format!("http://{addr}/metrics"))
        .call()
        .expect("the metrics port answers");
    assert_eq!(response.status().as_u16(), 200);
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        content_type.starts_with("text/plain; version=0.0.4"),
        "{content_type}"
    );
    let text = response.body_mut().read_to_string().unwrap();
    text.lines()
        .filter(|line| !line.starts_with('#') && !line.is_empty())
        .map(|line| {
            let (series, value) = line.rsplit_once(' ').unwrap_or_else(|| panic!("{line}"));
            (
                series.to_string(),
                value.parse().unwrap_or_else(|_| panic!("{line}")),
            )
        })
        .collect()
}

fn moved(before: &BTreeMap<String, f64>, after: &BTreeMap<String, f64>, series: &str) -> f64 {
    after.get(series).copied().unwrap_or(0.0) - before.get(series).copied().unwrap_or(0.0)
}

/// Requests the catalog client made (S3 requests are signed; the catalog's are not).
fn catalog_requests(h: &Harness) -> Vec<quilt_mcp::mock::SeenRequest> {
    h.mock()
        .requests()
        .into_iter()
        .filter(|r| r.access_key.is_none())
        .collect()
}

#[test]
fn counters_move_by_what_was_done() {
    let h = Harness::start_with(&[
        ("MCP_METRICS_PORT", "0"),
        ("MCP_RATE_LIMIT_PER_SECOND", "1"),
        ("MCP_RATE_LIMIT_BURST", "2"),
    ]);
    let before = scrape(&h);
    let catalog_before = catalog_requests(&h).len();

    // One tool call that reaches the catalog.
    let listed = call_ok(&h, ALICE, "bucket_list", json!({}));
    assert!(listed.is_object(), "{listed}");
    let catalog_calls = catalog_requests(&h).len() - catalog_before;
    assert!(catalog_calls >= 1);

    // Two auth failures of different kinds.
    let ping = json!({"jsonrpc": "2.0", "id": 1, "method": "ping"});
    assert_eq!(h.post(None, &ping).status, 401);
    assert_eq!(h.post(Some("not-a-jwt"), &ping).status, 401);

    // Bob past his burst: count the refusals actually seen.
    let bob = token(BOB);
    let statuses: Vec<u16> = (0..6).map(|_| h.post(Some(&bob), &ping).status).collect();
    let refused = statuses.iter().filter(|s| **s == 429).count() as f64;
    let passed = statuses.iter().filter(|s| **s == 200).count() as f64;
    assert!(refused >= 1.0, "{statuses:?}");
    assert_eq!(refused + passed, 6.0, "{statuses:?}");
    assert_eq!(h.get("/health").status, 200);

    let after = scrape(&h);
    let m = |series: &str| moved(&before, &after, series);
    assert_eq!(
        m(r#"quilt_mcp_tool_calls_total{tool="bucket_list",outcome="ok"}"#),
        1.0
    );
    assert_eq!(
        m(r#"quilt_mcp_tool_calls_total{tool="bucket_list",outcome="error"}"#),
        0.0
    );
    assert_eq!(
        m(r#"quilt_mcp_auth_failures_total{reason="missing_token"}"#),
        1.0
    );
    let auth_total: f64 = after
        .keys()
        .filter(|k| k.starts_with("quilt_mcp_auth_failures_total"))
        .map(|k| m(k))
        .sum();
    assert_eq!(auth_total, 2.0, "{after:?}");
    assert_eq!(m("quilt_mcp_rate_limited_total"), refused);
    assert_eq!(
        m(r#"quilt_mcp_requests_total{route="mcp",status_class="4xx"}"#),
        2.0 + refused
    );
    assert_eq!(
        m(r#"quilt_mcp_requests_total{route="mcp",status_class="2xx"}"#),
        1.0 + passed
    );
    assert_eq!(
        m(r#"quilt_mcp_requests_total{route="health",status_class="2xx"}"#),
        1.0
    );
    assert_eq!(
        m("quilt_mcp_catalog_call_duration_seconds_count"),
        catalog_calls as f64,
        "one latency per catalog request the catalog saw"
    );
    assert_eq!(after["quilt_mcp_requests_in_flight"], 0.0);
    assert_eq!(after["quilt_mcp_catalog_calls_in_flight"], 0.0);
    let errors: f64 = after
        .keys()
        .filter(|k| k.starts_with("quilt_mcp_errors_total"))
        .map(|k| m(k))
        .sum();
    assert_eq!(errors, 0.0, "nothing failed: {after:?}");
}

#[test]
fn a_failing_tool_counts_its_error_kind_and_caches_count_hits() {
    let h = Harness::start_with(&[("MCP_METRICS_PORT", "0")]);
    let before = scrape(&h);
    let bucket = call_ok(&h, ALICE, "bucket_list", json!({}))["buckets"][0]["name"]
        .as_str()
        .expect("the dataset has a bucket")
        .to_string();
    let missing = format!("s3://{bucket}/no/such/key-{}", now());
    let text = call_fails(
        &h,
        ALICE,
        "bucket_object_info",
        json!({ "s3_uri": missing }),
    );
    assert!(!text.is_empty());
    // S3 and Athena calls are timed (the tool above read S3).
    call_ok(&h, ALICE, "athena_databases_list", json!({}));
    // The same resource twice: the second read is kept.
    let uri = "auth://catalog/info";
    for _ in 0..2 {
        h.rpc(&token(ALICE), "resources/read", json!({ "uri": uri }));
    }
    let after = scrape(&h);
    let m = |series: &str| moved(&before, &after, series);
    assert_eq!(
        m(r#"quilt_mcp_tool_calls_total{tool="bucket_object_info",outcome="error"}"#),
        1.0
    );
    let tool_errors: f64 = [
        "tool_invalid_argument",
        "tool_not_found",
        "tool_catalog",
        "tool_failed",
    ]
    .iter()
    .map(|kind| m(&format!("quilt_mcp_errors_total{{kind=\"{kind}\"}}")))
    .sum();
    assert_eq!(tool_errors, 1.0, "{after:?}");
    assert_eq!(
        m(r#"quilt_mcp_cache_lookups_total{cache="resource",result="miss"}"#),
        1.0
    );
    assert_eq!(
        m(r#"quilt_mcp_cache_lookups_total{cache="resource",result="hit"}"#),
        1.0
    );
    assert!(
        m(r#"quilt_mcp_aws_call_duration_seconds_count{service="s3"}"#) >= 1.0
            && m(r#"quilt_mcp_aws_call_duration_seconds_count{service="athena"}"#) >= 1.0,
        "{after:?}"
    );
}

#[test]
fn metrics_are_only_on_their_own_port() {
    let h = Harness::start_with(&[("MCP_METRICS_PORT", "0")]);
    assert_eq!(h.get("/metrics").status, 404, "never on the MCP port");
    let addr = h.server.as_ref().unwrap().metrics.as_ref().unwrap().addr;
    assert_ne!(addr, h.addr);
    assert_eq!(addr.ip(), h.addr.ip(), "bound to FASTMCP_HOST");
    let other = h.agent.get(&format!("http://{addr}/mcp")).call().unwrap();
    assert_eq!(other.status().as_u16(), 404);
    let post = h
        .agent
        .post(&format!("http://{addr}/metrics"))
        .send("x")
        .unwrap();
    assert_eq!(post.status().as_u16(), 405);
    let off = Harness::start();
    assert!(
        off.server.as_ref().unwrap().metrics.is_none(),
        "unset: no listener"
    );
    let same = with_overrides(
        base_env("http://127.0.0.1:1"),
        &[("FASTMCP_PORT", "8123"), ("MCP_METRICS_PORT", "8123")],
    );
    let err = quilt_mcp::config::Config::from_vars(same).unwrap_err();
    assert!(err.to_string().contains("MCP_METRICS_PORT"), "{err}");
}

/// `00-<32 hex>-<16 hex>-01`, neither id all zeros; returns (trace id, span id).
fn parse_traceparent(value: &str) -> (String, String) {
    let parts: Vec<&str> = value.split('-').collect();
    assert_eq!(parts.len(), 4, "{value}");
    assert_eq!(parts[0], "00", "{value}");
    assert_eq!(parts[3], "01", "{value}");
    for (part, len) in [(parts[1], 32), (parts[2], 16)] {
        assert_eq!(part.len(), len, "{value}");
        assert!(
            part.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)),
            "{value}"
        );
        assert!(part.bytes().any(|b| b != b'0'), "{value}");
    }
    (parts[1].to_string(), parts[2].to_string())
}

#[test]
fn catalog_calls_carry_a_traceparent_from_the_request_id() {
    // Every call reaches the catalog: no kept reads.
    let h = Harness::start_with(&[("MCP_OPTIMIZATION_ENABLED", "false")]);
    let bearer = format!("Bearer {}", token(ALICE));
    let call = |request_id: &str| {
        let body = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
            "params": {"name": "bucket_list", "arguments": {}}});
        let answer = h.post_raw(
            &[
                ("content-type", "application/json"),
                ("accept", "application/json, text/event-stream"),
                ("authorization", &bearer),
                ("x-request-id", request_id),
            ],
            body.to_string().as_bytes(),
        );
        assert_eq!(answer.status, 200, "{}", answer.text);
        let seen: Vec<_> = catalog_requests(&h)
            .into_iter()
            .filter(|r| r.request_id.as_deref() == Some(request_id))
            .collect();
        assert!(!seen.is_empty(), "the catalog saw the request id");
        seen.iter()
            .map(|r| parse_traceparent(r.traceparent.as_deref().expect("a traceparent")))
            .collect::<Vec<_>>()
    };
    // Our own ids are 32 hex digits: the trace id is the request id.
    let hex_id = "0af7651916cd43dd8448eb211c80319c";
    for (trace, _) in call(hex_id) {
        assert_eq!(trace, hex_id);
    }
    // Anything else: one trace id for all the request's calls, derived, not random.
    let first = call("client.request-7");
    // The catalog's log holds both requests' calls now.
    let both = call("client.request-7");
    assert!(both.len() > first.len(), "{first:?} {both:?}");
    assert!(both.iter().all(|(t, _)| *t == first[0].0), "{both:?}");
    assert_ne!(first[0].0, hex_id);
    let spans: std::collections::BTreeSet<_> = both.iter().map(|(_, s)| s).collect();
    assert_eq!(spans.len(), both.len(), "each call has its own span");
}

/// The binary against a closed catalog port; returns it, its stdout lines and its address.
fn spawn_binary(extra: &[(&str, &str)]) -> (std::process::Child, mpsc::Receiver<String>, String) {
    let vars = with_overrides(base_env(&closed_port_url()), extra);
    let mut child = Command::new(env!("CARGO_BIN_EXE_quilt-mcp"))
        .env_clear()
        .envs(vars)
        .env("MCP_LOG_FORMAT", "json")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let stdout = child.stdout.take().unwrap();
    let (tx, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let deadline = Instant::now() + Duration::from_secs(20);
    let addr = loop {
        let line = next_line(&lines, deadline);
        if line.contains("Listening on http://") {
            let v: Value = serde_json::from_str(&line).unwrap();
            break v["address"].as_str().unwrap().to_string();
        }
    };
    (child, lines, addr)
}

fn next_line(lines: &mpsc::Receiver<String>, deadline: Instant) -> String {
    loop {
        assert!(Instant::now() < deadline, "no line in time");
        if let Ok(line) = lines.recv_timeout(Duration::from_millis(100)) {
            return line;
        }
    }
}

/// Two health checks and one refused MCP request.
fn three_requests(addr: &str) {
    let agent = client();
    for _ in 0..2 {
        let health = agent.get(&format!("http://{addr}/health")).call().unwrap();
        assert_eq!(health.status(), 200);
    }
    let refused = agent
        .post(&format!("http://{addr}/mcp"))
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .send(r#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#)
        .unwrap();
    assert_eq!(refused.status(), 401);
}

/// Checks one stdout line is a valid EMF document if it is one; returns it then.
fn emf_document(line: &str) -> Option<Value> {
    let doc: Value = serde_json::from_str(line)
        .unwrap_or_else(|e| panic!("stdout lines are JSON ({e}): {line}"));
    let aws = doc.get("_aws")?;
    assert!(line.len() < 256 * 1024);
    let stamp = aws["Timestamp"].as_i64().expect("a millisecond timestamp");
    assert!((stamp / 1000 - now()).abs() < 60, "{stamp}");
    let directives = aws["CloudWatchMetrics"].as_array().expect("directives");
    assert!(!directives.is_empty());
    for directive in directives {
        assert_eq!(directive["Namespace"], "QuiltMCP");
        for set in directive["Dimensions"].as_array().unwrap() {
            for key in set.as_array().unwrap() {
                let key = key.as_str().unwrap();
                assert!(doc[key].is_string(), "dimension {key} has a value");
            }
        }
        for metric in directive["Metrics"].as_array().unwrap() {
            let name = metric["Name"].as_str().unwrap();
            assert!(metric["Unit"].is_string(), "{metric}");
            let value = &doc[name];
            let numbers = value
                .as_array()
                .is_some_and(|a| a.iter().all(Value::is_number));
            assert!(value.is_number() || numbers, "{name} = {value}");
        }
    }
    Some(doc)
}

#[test]
fn the_binary_writes_valid_emf_lines_on_stdout() {
    let (mut child, lines, addr) = spawn_binary(&[("MCP_METRICS_INTERVAL", "1")]);
    three_requests(&addr);
    // Counts are per interval: add lines up until all three requests are in.
    let deadline = Instant::now() + Duration::from_secs(20);
    let (mut requests, mut ok, mut auth, mut emf_lines) = (0, 0, 0, 0);
    while requests < 3 {
        let Some(doc) = emf_document(&next_line(&lines, deadline)) else {
            continue;
        };
        emf_lines += 1;
        requests += doc["Requests"].as_u64().unwrap();
        ok += doc["Requests2xx"].as_u64().unwrap();
        auth += doc["AuthFailures"].as_u64().unwrap();
    }
    assert_eq!((requests, ok, auth), (3, 2, 1), "over {emf_lines} lines");
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn a_stopping_server_writes_its_last_counts() {
    let (mut child, lines, addr) = spawn_binary(&[("MCP_METRICS_INTERVAL", "3600")]);
    three_requests(&addr);
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(20);
    let doc = loop {
        if let Some(doc) = emf_document(&next_line(&lines, deadline)) {
            break doc;
        }
    };
    assert_eq!(doc["Requests"], 3, "{doc}");
    assert_eq!(doc["AuthFailures.missing_token"], 1, "{doc}");
    assert!(child.wait().unwrap().success());
}

#[test]
fn in_flight_gauges_and_catalog_failures_are_counted() {
    use quilt_mcp::mock::Fault;
    let h = Harness::start_with(&[
        ("MCP_METRICS_PORT", "0"),
        ("MCP_OPTIMIZATION_ENABLED", "false"),
    ]);
    // Warm the caller's admin status, so each call below is one catalog call.
    call_ok(&h, ALICE, "bucket_list", json!({}));
    h.mock().set_fault(Fault {
        latency: Duration::from_millis(1500),
        ..Fault::default()
    });
    std::thread::scope(|scope| {
        let waiting = scope.spawn(|| call_ok(&h, ALICE, "bucket_list", json!({})));
        let deadline = Instant::now() + Duration::from_millis(1400);
        let seen = loop {
            let now = scrape(&h);
            if now["quilt_mcp_catalog_calls_in_flight"] == 1.0 || Instant::now() > deadline {
                break now;
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        assert_eq!(seen["quilt_mcp_catalog_calls_in_flight"], 1.0, "{seen:?}");
        assert_eq!(seen["quilt_mcp_requests_in_flight"], 1.0, "{seen:?}");
        waiting.join().unwrap();
    });
    let idle = scrape(&h);
    assert_eq!(idle["quilt_mcp_catalog_calls_in_flight"], 0.0);
    assert_eq!(idle["quilt_mcp_requests_in_flight"], 0.0);

    // The catalog failing: each 5xx answer is counted, and the tool's failure once.
    h.mock().set_fault(Fault {
        status: Some(502),
        ..Fault::default()
    });
    let before = scrape(&h);
    let catalog_before = catalog_requests(&h).len();
    call_fails(&h, ALICE, "bucket_list", json!({}));
    let answered_502 = (catalog_requests(&h).len() - catalog_before) as f64;
    h.mock().clear_fault();
    let after = scrape(&h);
    let m = |series: &str| moved(&before, &after, series);
    assert!(answered_502 >= 1.0);
    assert_eq!(
        m(r#"quilt_mcp_errors_total{kind="catalog_5xx"}"#),
        answered_502
    );
    assert_eq!(m(r#"quilt_mcp_errors_total{kind="tool_catalog"}"#), 1.0);
    assert_eq!(
        m(r#"quilt_mcp_tool_calls_total{tool="bucket_list",outcome="error"}"#),
        1.0
    );
    // A catalog nobody answers at: unreachable.
    let down = Harness::start_without_mock(&closed_port_url(), &[("MCP_METRICS_PORT", "0")]);
    call_fails(&down, ALICE, "bucket_list", json!({}));
    let counted = scrape(&down);
    assert!(
        counted[r#"quilt_mcp_errors_total{kind="catalog_unreachable"}"#] >= 1.0,
        "{counted:?}"
    );
}

#[test]
fn telemetry_off_writes_no_metrics_lines() {
    let (mut child, lines, addr) = spawn_binary(&[
        ("MCP_METRICS_INTERVAL", "1"),
        ("MCP_TELEMETRY_ENABLED", "false"),
    ]);
    three_requests(&addr);
    let until = Instant::now() + Duration::from_millis(2500);
    while Instant::now() < until {
        if let Ok(line) = lines.recv_timeout(Duration::from_millis(100)) {
            assert!(emf_document(&line).is_none(), "{line}");
        }
    }
    let _ = child.kill();
    let _ = child.wait();
}
