//! The HTTP surface, black box: health, metadata, the MCP endpoint's status codes and headers.

mod common;

use common::*;
use serde_json::{Value, json};

fn protocol_only() -> Harness {
    Harness::start_without_mock(&closed_port_url(), &[])
}

#[test]
fn health_routes_answer_without_auth_and_are_not_cached() {
    let h = protocol_only();
    for route in ["/", "/health", "/healthz"] {
        let answer = h.get(route);
        assert_eq!(answer.status, 200, "{route}");
        assert_eq!(answer.header("cache-control"), Some("no-store"));
        assert_eq!(answer.header("content-type"), Some("application/json"));
        let body = answer.json();
        assert_eq!(body["status"], "ok");
        assert_eq!(body["route"], route);
        assert_eq!(body["server"]["name"], "quilt-mcp-server");
        assert_eq!(body["server"]["version"], env!("CARGO_PKG_VERSION"));
        assert_eq!(body["server"]["transport"], "http");
        let stamp = body["timestamp"].as_str().unwrap();
        assert!(quilt_mcp::time::parse_rfc3339(stamp).is_some(), "{stamp}");
    }
    let head = h.agent.head(&h.url("/health")).call().unwrap();
    assert_eq!(head.status(), 200);
    let post = h.agent.post(&h.url("/health")).send("x").unwrap();
    assert_eq!(post.status(), 405);
    assert_eq!(post.headers().get("allow").unwrap(), "GET, HEAD");
}

#[test]
fn every_response_carries_a_request_id_and_a_sane_one_is_echoed() {
    let h = protocol_only();
    let minted = h.get("/health");
    assert_eq!(minted.header("x-request-id").map(str::len), Some(32));
    let echoed = h
        .agent
        .get(&h.url("/health"))
        .header("x-request-id", "trace-42")
        .call()
        .unwrap();
    assert_eq!(echoed.headers().get("x-request-id").unwrap(), "trace-42");
    let unsafe_id = h
        .agent
        .get(&h.url("/health"))
        .header("x-request-id", "a b c")
        .call()
        .unwrap();
    assert_ne!(unsafe_id.headers().get("x-request-id").unwrap(), "a b c");
    let refused = h.post(None, &json!({"jsonrpc": "2.0", "id": 1, "method": "ping"}));
    assert!(
        refused.header("x-request-id").is_some(),
        "refusals carry an id too"
    );
}

#[test]
fn protected_resource_metadata_names_the_catalog() {
    let h = protocol_only();
    for path in [
        "/.well-known/oauth-protected-resource",
        "/.well-known/oauth-protected-resource/mcp",
    ] {
        let answer = h.get(path);
        assert_eq!(answer.status, 200, "{path}");
        let body = answer.json();
        assert_eq!(body["resource"], format!("http://{}/mcp", h.addr));
        let catalog = body["authorization_servers"][0].as_str().unwrap();
        assert!(catalog.starts_with("http://127.0.0.1:"), "{catalog}");
        assert_eq!(body["bearer_methods_supported"], json!(["header"]));
    }
}

#[test]
fn unknown_paths_are_404() {
    let h = protocol_only();
    assert_eq!(h.get("/nope").status, 404);
    assert_eq!(h.get("/mcp/extra").status, 404);
}

#[test]
fn get_and_delete_on_mcp_are_405_with_allow_post() {
    let h = protocol_only();
    let bearer = format!("Bearer {}", token(ALICE));
    let get = h
        .agent
        .get(&h.url("/mcp"))
        .header("authorization", &bearer)
        .call()
        .unwrap();
    assert_eq!(get.status(), 405);
    assert_eq!(get.headers().get("allow").unwrap(), "POST");
    let delete = h
        .agent
        .delete(&h.url("/mcp"))
        .header("authorization", &bearer)
        .call()
        .unwrap();
    assert_eq!(delete.status(), 405);
    assert_eq!(delete.headers().get("allow").unwrap(), "POST");
}

#[test]
fn json_rpc_errors_have_the_right_codes_and_statuses() {
    let h = protocol_only();
    let bearer = format!("Bearer {}", token(ALICE));
    let headers = [
        ("authorization", bearer.as_str()),
        ("content-type", "application/json"),
    ];
    let cases: &[(&[u8], u16, i64)] = &[
        (b"{not json", 400, -32700),
        (b"\xff\xfe\xfd", 400, -32700),
        (
            br#"[{"jsonrpc":"2.0","id":1,"method":"ping"}]"#,
            400,
            -32600,
        ),
        (br#"{"jsonrpc":"1.0","id":1,"method":"ping"}"#, 400, -32600),
        (
            br#"{"jsonrpc":"2.0","id":1,"method":"no/such/method"}"#,
            200,
            -32601,
        ),
        (
            br#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"nope"}}"#,
            200,
            -32602,
        ),
        (
            br#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{}}"#,
            200,
            -32602,
        ),
    ];
    for (body, status, code) in cases {
        let answer = h.post_raw(&headers, body);
        assert_eq!(answer.status, *status, "{}", String::from_utf8_lossy(body));
        assert_eq!(answer.json()["error"]["code"], *code, "{}", answer.text);
        assert_eq!(answer.json()["jsonrpc"], "2.0");
    }
    let deep = format!("{}{}", "[".repeat(50_000), "]".repeat(50_000));
    assert_eq!(
        h.post_raw(&headers, deep.as_bytes()).json()["error"]["code"],
        -32700
    );
}

#[test]
fn notifications_and_responses_get_202_with_no_body() {
    let h = protocol_only();
    let t = token(ALICE);
    let note = h.post(
        Some(&t),
        &json!({"jsonrpc": "2.0", "method": "notifications/initialized"}),
    );
    assert_eq!((note.status, note.text.as_str()), (202, ""));
    let reply = h.post(
        Some(&t),
        &json!({"jsonrpc": "2.0", "id": "s-1", "result": {}}),
    );
    assert_eq!((reply.status, reply.text.as_str()), (202, ""));
}

#[test]
fn unsupported_protocol_version_header_is_400() {
    let h = protocol_only();
    let bearer = format!("Bearer {}", token(ALICE));
    let body = br#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#;
    let bad = h.post_raw(
        &[
            ("authorization", &bearer),
            ("mcp-protocol-version", "1999-01-01"),
        ],
        body,
    );
    assert_eq!(bad.status, 400);
    assert!(
        bad.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("2025-11-25")
    );
    for version in ["2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"] {
        let ok = h.post_raw(
            &[
                ("authorization", &bearer),
                ("mcp-protocol-version", version),
            ],
            body,
        );
        assert_eq!(ok.status, 200, "{version}");
        assert_eq!(ok.json()["result"], json!({}));
    }
}

#[test]
fn wrong_content_type_is_415() {
    let h = protocol_only();
    let bearer = format!("Bearer {}", token(ALICE));
    let answer = h.post_raw(
        &[("authorization", &bearer), ("content-type", "text/plain")],
        b"{}",
    );
    assert_eq!(answer.status, 415);
}

#[test]
fn bodies_over_the_limit_are_413_declared_or_streamed() {
    let h = Harness::start_without_mock(&closed_port_url(), &[("MCP_MAX_BODY_BYTES", "2048")]);
    let bearer = format!("Bearer {}", token(ALICE));
    let big = vec![b' '; 4096];
    let declared = h.post_raw(&[("authorization", &bearer)], &big);
    assert_eq!(declared.status, 413);
    // Chunked: no Content-Length, so the limit is enforced while reading.
    let reader = std::io::Cursor::new(big);
    let mut response = h
        .agent
        .post(&h.url("/mcp"))
        .header("authorization", &bearer)
        .send(ureq::SendBody::from_reader(&mut reader.clone()))
        .unwrap();
    assert_eq!(
        response.status(),
        413,
        "{}",
        response.body_mut().read_to_string().unwrap_or_default()
    );
}

#[test]
fn a_foreign_origin_or_host_is_refused_before_auth() {
    let h = protocol_only();
    let body = br#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#;
    let bearer = format!("Bearer {}", token(ALICE));
    let evil_origin = h.post_raw(
        &[
            ("authorization", &bearer),
            ("origin", "https://evil.example.com"),
        ],
        body,
    );
    assert_eq!(evil_origin.status, 403);
    let no_token_evil = h.post_raw(&[("origin", "https://evil.example.com")], body);
    assert_eq!(no_token_evil.status, 403, "origin is checked before auth");
    let evil_host = h.post_raw(
        &[("authorization", &bearer), ("host", "evil.example.com")],
        body,
    );
    assert_eq!(evil_host.status, 403);
    let local = h.post_raw(
        &[
            ("authorization", &bearer),
            ("origin", "http://localhost:6274"),
        ],
        body,
    );
    assert_eq!(local.status, 200);
    assert_eq!(
        local.header("access-control-allow-origin"),
        Some("http://localhost:6274")
    );
    let preflight = h
        .agent
        .options(&h.url("/mcp"))
        .header("origin", "http://localhost:6274")
        .header("access-control-request-method", "POST")
        .call()
        .unwrap();
    assert_eq!(preflight.status(), 204, "a preflight needs no token");
    assert!(
        preflight
            .headers()
            .get("access-control-allow-headers")
            .unwrap()
            .to_str()
            .unwrap()
            .contains("authorization")
    );
}

#[test]
fn configured_origins_are_allowed() {
    let h = Harness::start_without_mock(
        &closed_port_url(),
        &[("MCP_ALLOWED_ORIGINS", "https://app.example.com")],
    );
    let bearer = format!("Bearer {}", token(ALICE));
    let body = br#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#;
    let allowed = h.post_raw(
        &[
            ("authorization", &bearer),
            ("origin", "https://app.example.com"),
        ],
        body,
    );
    assert_eq!(allowed.status, 200);
}

#[test]
fn initialize_negotiates_and_needs_no_session() {
    let h = protocol_only();
    let t = token(ALICE);
    for (asked, expected) in [
        ("2025-11-25", "2025-11-25"),
        ("2025-06-18", "2025-06-18"),
        ("2025-03-26", "2025-03-26"),
        ("2024-11-05", "2024-11-05"),
        ("1999-01-01", "2025-11-25"),
    ] {
        let answer = h.post(
            Some(&t),
            &json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
                "protocolVersion": asked, "capabilities": {}, "clientInfo": {"name": "test", "version": "1"}}}),
        );
        assert_eq!(answer.status, 200);
        assert!(
            answer.header("mcp-session-id").is_none(),
            "stateless: no session id"
        );
        assert_eq!(answer.json()["result"]["protocolVersion"], expected);
    }
    // Any method works without initialize.
    assert_eq!(h.rpc(&t, "ping", Value::Null)["result"], json!({}));
    assert_eq!(
        h.rpc(&t, "prompts/list", json!({}))["result"],
        json!({"prompts": []})
    );
    let templates = h.rpc(&t, "resources/templates/list", json!({}));
    assert!(templates["result"]["resourceTemplates"].is_array());
}

#[test]
fn resources_can_be_turned_off() {
    let h = Harness::start_without_mock(
        &closed_port_url(),
        &[("QUILT_MCP_RESOURCES_ENABLED", "false")],
    );
    let t = token(ALICE);
    let init = h.rpc(&t, "initialize", json!({"protocolVersion": "2025-11-25"}));
    assert!(init["result"]["capabilities"].get("resources").is_none());
    assert_eq!(
        h.rpc(&t, "resources/list", json!({}))["result"]["resources"],
        json!([])
    );
    let read = h.rpc(&t, "resources/read", json!({"uri": "auth://status"}));
    assert_eq!(read["error"]["code"], -32002);
}

#[test]
fn unknown_resource_is_32002_with_the_valid_uris() {
    let h = protocol_only();
    let read = h.rpc(&token(ALICE), "resources/read", json!({"uri": "nope://x"}));
    assert_eq!(read["error"]["code"], -32002);
    assert!(
        read["error"]["data"]["available"]
            .as_array()
            .unwrap()
            .contains(&json!("auth://status"))
    );
}

#[test]
fn tool_argument_errors_are_results_naming_the_field() {
    let h = protocol_only();
    let t = token(ALICE);
    let cases = [
        ("catalog_url", json!({}), "registry"),
        ("catalog_url", json!({"registry": 5}), "registry"),
        (
            "catalog_url",
            json!({"registry": "s3://ok-bucket", "package_name": "no-slash"}),
            "package_name",
        ),
        (
            "catalog_uri",
            json!({"registry": "s3://ok-bucket", "unknown": 1}),
            "unknown",
        ),
        (
            "catalog_uri",
            json!({"registry": "s3://ok-bucket", "package_name": "a/b", "top_hash": "zz"}),
            "top_hash",
        ),
        ("bucket_list", json!({"extra": true}), "extra"),
        ("catalog_url", json!("not an object"), "arguments"),
    ];
    for (tool, args, field) in cases {
        let result = h.call_tool(&t, tool, args.clone());
        assert_eq!(result["isError"], true, "{tool} {args}");
        let text = result_text(&result);
        assert!(text.contains(field), "{tool} {args}: {text}");
    }
}

#[test]
fn a_rate_limited_user_gets_429_with_retry_after_and_others_do_not() {
    let h = Harness::start_without_mock(
        &closed_port_url(),
        &[
            ("MCP_RATE_LIMIT_PER_SECOND", "1"),
            ("MCP_RATE_LIMIT_BURST", "3"),
        ],
    );
    let ping = json!({"jsonrpc": "2.0", "id": 1, "method": "ping"});
    let alice = token(ALICE);
    let statuses: Vec<u16> = (0..5).map(|_| h.post(Some(&alice), &ping).status).collect();
    assert_eq!(&statuses[..3], &[200, 200, 200]);
    let limited = h.post(Some(&alice), &ping);
    assert_eq!(limited.status, 429);
    assert!(
        limited
            .header("retry-after")
            .unwrap()
            .parse::<u64>()
            .unwrap()
            >= 1
    );
    assert_eq!(
        h.post(Some(&token(BOB)), &ping).status,
        200,
        "bob has his own bucket"
    );
    assert_eq!(h.get("/health").status, 200, "health is never rate limited");
}

#[test]
fn h2c_prior_knowledge_is_served_too() {
    use http_body_util::{BodyExt, Full};
    use hyper_util::rt::{TokioExecutor, TokioIo};
    let h = protocol_only();
    let addr = h.addr;
    let bearer = format!("Bearer {}", token(ALICE));
    h.rt.block_on(async move {
        let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        let (mut sender, connection) =
            hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(stream))
                .await
                .expect("an HTTP/2 handshake without TLS");
        tokio::spawn(connection);
        let health = http::Request::get(format!("http://{addr}/health"))
            .body(Full::new(bytes::Bytes::new()))
            .unwrap();
        let response = sender.send_request(health).await.unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.version(), http::Version::HTTP_2);
        let ping = http::Request::post(format!("http://{addr}/mcp"))
            .header("authorization", bearer)
            .header("content-type", "application/json")
            .body(Full::new(bytes::Bytes::from_static(
                br#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#,
            )))
            .unwrap();
        let response = sender.send_request(ping).await.unwrap();
        assert_eq!(response.status(), 200);
        let body = response.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(
            serde_json::from_slice::<Value>(&body).unwrap()["result"],
            json!({})
        );
    });
}
