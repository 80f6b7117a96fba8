//! What both protocol eras share on `POST /mcp`: every error answer echoes the request's id
//! whenever it could be read (2025-11-25 refusals included, which used to answer `id: null`),
//! and a loopback `Host` with a port is accepted while a foreign one is refused.

mod common;
mod modern;

use common::{ALICE, Harness, closed_port_url, token};
use modern::*;
use serde_json::{Value, json};

#[test]
fn every_error_answer_echoes_the_request_id_in_both_eras() {
    let h = Harness::start_without_mock(&closed_port_url(), &[]);
    for id in [json!(42), json!("req-7")] {
        let ping = json!({ "jsonrpc": "2.0", "id": id, "method": "ping" });
        // 2025-11-25: an unsupported MCP-Protocol-Version header (the issue's example).
        let answer = post_with(&h, ALICE, &[("mcp-protocol-version", "1999-01-01")], &ping);
        assert_eq!(answer.status, 400);
        assert_eq!(answer.json()["error"]["code"], -32600);
        assert_eq!(answer.json()["id"], id, "{}", answer.text);
        // A narrowing header that names no toolset.
        let answer = post_with(&h, ALICE, &[("x-mcp-toolsets", "no-such-toolset")], &ping);
        assert_eq!(answer.status, 400, "{}", answer.text);
        assert_eq!(answer.json()["id"], id, "{}", answer.text);
        // A wrong `jsonrpc`, an unknown method, bad params.
        let wrong = json!({ "jsonrpc": "1.0", "id": id, "method": "ping" });
        assert_eq!(post_with(&h, ALICE, &[], &wrong).json()["id"], id);
        let unknown = json!({ "jsonrpc": "2.0", "id": id, "method": "nope" });
        assert_eq!(post_with(&h, ALICE, &[], &unknown).json()["id"], id);
        let params = json!({ "jsonrpc": "2.0", "id": id, "method": "tools/call", "params": {} });
        assert_eq!(post_with(&h, ALICE, &[], &params).json()["id"], id);

        // 2026-07-28: meta, header, version, method; and a narrowing error on a modern request.
        let discover = |params: Value| json!({ "jsonrpc": "2.0", "id": id, "method": "server/discover", "params": params });
        let headers = [
            ("mcp-protocol-version", MODERN),
            ("mcp-method", "server/discover"),
        ];
        let answer = post_with(&h, ALICE, &headers, &discover(json!({})));
        modern_refused(&answer, 400, -32602, &id);
        let answer = post_with(
            &h,
            ALICE,
            &headers[..1],
            &discover(modern_params(json!({}))),
        );
        modern_refused(&answer, 400, -32020, &id);
        let mut old = modern_params(json!({}));
        old["_meta"][PROTOCOL_VERSION] = json!("2099-01-01");
        let answer = post_with(
            &h,
            ALICE,
            &[
                ("mcp-protocol-version", "2099-01-01"),
                ("mcp-method", "server/discover"),
            ],
            &discover(old),
        );
        modern_refused(&answer, 400, -32022, &id);
        modern_refused(
            &modern(&h, ALICE, id.clone(), "ping", json!({})),
            404,
            -32601,
            &id,
        );
        let mut narrowed = headers.to_vec();
        narrowed.push(("x-mcp-toolsets", "no-such-toolset"));
        let answer = post_with(&h, ALICE, &narrowed, &discover(modern_params(json!({}))));
        assert_eq!(answer.status, 400);
        assert_eq!(answer.json()["id"], id, "{}", answer.text);
    }
    // An id that cannot be read is answered under null, as JSON-RPC asks.
    let unreadable = h.post_raw(
        &[("authorization", &format!("Bearer {}", token(ALICE)))],
        b"{not json",
    );
    assert_eq!(unreadable.json()["id"], Value::Null);
}

#[test]
fn a_loopback_host_with_a_port_is_accepted_in_both_eras() {
    let h = Harness::start_without_mock(&closed_port_url(), &[]);
    let port = h.addr.port();
    for host in [
        format!("localhost:{port}"),
        format!("127.0.0.1:{port}"),
        "localhost".to_string(),
    ] {
        let origin = format!("http://{host}");
        let loopback = [("host", host.as_str()), ("origin", origin.as_str())];
        let legacy = json!({ "jsonrpc": "2.0", "id": 1, "method": "initialize",
            "params": { "protocolVersion": "2025-11-25", "capabilities": {},
                        "clientInfo": { "name": "t", "version": "1" } } });
        let mut headers = loopback.to_vec();
        headers.push(("mcp-protocol-version", "2025-11-25"));
        let answer = post_with(&h, ALICE, &headers, &legacy);
        assert_eq!(answer.status, 200, "{host}: {}", answer.text);
        let discover = json!({ "jsonrpc": "2.0", "id": 1, "method": "prompts/list", "params": modern_params(json!({})) });
        let mut headers = loopback.to_vec();
        headers.extend([
            ("mcp-protocol-version", MODERN),
            ("mcp-method", "prompts/list"),
        ]);
        let answer = post_with(&h, ALICE, &headers, &discover);
        assert_eq!(answer.status, 200, "{host}: {}", answer.text);
    }
    // A foreign Host is still refused.
    let evil = [
        ("host", "evil.example.com"),
        ("origin", "http://evil.example.com"),
    ];
    let ping = json!({ "jsonrpc": "2.0", "id": 1, "method": "ping" });
    assert_eq!(post_with(&h, ALICE, &evil, &ping).status, 403);
}

#[test]
fn a_legacy_unsupported_version_is_named_first_as_before() {
    let h = Harness::start_without_mock(&closed_port_url(), &[]);
    let bad = [("mcp-protocol-version", "1999-01-01")];
    // Whatever else is wrong, 2025-11-25 names the version first: a body that is not JSON, a
    // notification, a narrowing header that names nothing.
    let bearer = format!("Bearer {}", token(ALICE));
    let garbage = h.post_raw(&[("authorization", &bearer), bad[0]], b"{not json");
    assert_eq!(garbage.status, 400);
    assert_eq!(garbage.json()["error"]["code"], -32600, "{}", garbage.text);
    let note = json!({ "jsonrpc": "2.0", "method": "notifications/initialized" });
    let answer = post_with(&h, ALICE, &bad, &note);
    assert_eq!(answer.status, 400, "{}", answer.text);
    let ping = json!({ "jsonrpc": "2.0", "id": 5, "method": "ping" });
    let narrowed = [bad[0], ("x-mcp-toolsets", "no-such-toolset")];
    let answer = post_with(&h, ALICE, &narrowed, &ping);
    assert_eq!(answer.status, 400);
    let message = answer.json()["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(message.contains("MCP-Protocol-Version"), "{message}");
    assert_eq!(answer.json()["id"], 5);
    // A modern header with a body that is not JSON is a parse error, not a version refusal.
    let modern = h.post_raw(
        &[("authorization", &bearer), ("mcp-protocol-version", MODERN)],
        b"{",
    );
    assert_eq!(modern.json()["error"]["code"], -32700, "{}", modern.text);
}

#[test]
fn an_id_beyond_64_bits_is_echoed_exactly() {
    let h = Harness::start();
    for id in [
        "123456789012345678901234567890",
        "18446744073709551616",
        "1.50",
        "-9223372036854775809",
    ] {
        let body = format!(r#"{{"jsonrpc":"2.0","id":{id},"method":"ping"}}"#);
        let answer = h.post_raw(
            &[
                ("content-type", "application/json"),
                ("accept", "application/json, text/event-stream"),
                ("authorization", &format!("Bearer {}", token(ALICE))),
            ],
            body.as_bytes(),
        );
        assert_eq!(answer.status, 200, "{}", answer.text);
        assert!(
            answer.text.contains(&format!(r#""id":{id},"#))
                || answer.text.contains(&format!(r#""id":{id}}}"#)),
            "{id}: {}",
            answer.text
        );
        // And on an error path.
        let body = format!(r#"{{"jsonrpc":"2.0","id":{id},"method":"no/such/method"}}"#);
        let answer = h.post_raw(
            &[
                ("content-type", "application/json"),
                ("accept", "application/json, text/event-stream"),
                ("authorization", &format!("Bearer {}", token(ALICE))),
            ],
            body.as_bytes(),
        );
        assert!(
            answer.text.contains(&format!(r#""id":{id}"#)),
            "{id}: {}",
            answer.text
        );
    }
    // The marker that carries such ids inside the server cannot be smuggled in as a string id.
    let body = "{\"jsonrpc\":\"2.0\",\"id\":\"\u{10FFFF}1\",\"method\":\"ping\"}";
    let answer = h.post_raw(
        &[
            ("content-type", "application/json"),
            ("accept", "application/json, text/event-stream"),
            ("authorization", &format!("Bearer {}", token(ALICE))),
        ],
        body.as_bytes(),
    );
    assert_eq!(answer.status, 400, "{}", answer.text);
}
