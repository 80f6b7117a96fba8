//! Helpers for the 2026-07-28 black-box tests: the `_meta` and mirrored headers a conformant
//! modern client sends, and checks of what every modern answer carries.
#![allow(dead_code)] // each test file uses part of this

use crate::common::{self, Harness, token};
use serde_json::{Value, json};

pub const MODERN: &str = "2026-07-28";
pub const PROTOCOL_VERSION: &str = "io.modelcontextprotocol/protocolVersion";
pub const CAPABILITIES: &str = "io.modelcontextprotocol/clientCapabilities";
pub const CLIENT_INFO: &str = "io.modelcontextprotocol/clientInfo";
pub const SERVER_INFO: &str = "io.modelcontextprotocol/serverInfo";

/// The `_meta` a modern client sends.
pub fn meta() -> Value {
    json!({
        PROTOCOL_VERSION: MODERN,
        CAPABILITIES: {},
        CLIENT_INFO: { "name": "protocol-2026-test", "version": "1.0.0" },
    })
}

/// `params` with the modern `_meta` added.
pub fn modern_params(mut params: Value) -> Value {
    params["_meta"] = meta();
    params
}

/// The `Mcp-Name` a conformant client mirrors from the body, if the method has one.
pub fn mcp_name(method: &str, params: &Value) -> Option<String> {
    let field = match method {
        "tools/call" | "prompts/get" => "name",
        "resources/read" => "uri",
        _ => return None,
    };
    params
        .get(field)
        .and_then(Value::as_str)
        .map(str::to_string)
}

/// POSTs a request with exactly the given MCP headers (plus auth and content type).
pub fn post_with(h: &Harness, who: i64, headers: &[(&str, &str)], body: &Value) -> common::Answer {
    let bearer = format!("Bearer {}", token(who));
    let mut all = vec![
        ("authorization", bearer.as_str()),
        ("content-type", "application/json"),
        ("accept", "application/json, text/event-stream"),
    ];
    all.extend_from_slice(headers);
    h.post_raw(&all, &serde_json::to_vec(body).unwrap())
}

/// A conformant modern request: `_meta` in the params, the mirrored headers set.
pub fn modern(h: &Harness, who: i64, id: Value, method: &str, params: Value) -> common::Answer {
    let params = modern_params(params);
    let name = mcp_name(method, &params);
    let mut headers = vec![("mcp-protocol-version", MODERN), ("mcp-method", method)];
    if let Some(name) = &name {
        headers.push(("mcp-name", name));
    }
    let body = json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params });
    post_with(h, who, &headers, &body)
}

/// A modern request that must succeed; returns its result, checked for the fields every
/// modern result carries.
pub fn modern_ok(h: &Harness, who: i64, method: &str, params: Value) -> Value {
    let answer = modern(h, who, json!(7), method, params);
    assert_eq!(answer.status, 200, "{method}: {}", answer.text);
    let body = answer.json();
    assert_eq!(body["id"], 7, "{body}");
    let result = body["result"].clone();
    assert_eq!(result["resultType"], "complete", "{method}: {result}");
    let server = &result["_meta"][SERVER_INFO];
    assert_eq!(server["name"], "quilt-mcp-server", "{method}: {result}");
    assert!(server["version"].is_string(), "{method}: {result}");
    result
}

/// A modern request that must be refused: checks status, code and the echoed id.
pub fn modern_refused(answer: &common::Answer, status: u16, code: i64, id: &Value) -> Value {
    assert_eq!(answer.status, status, "{}", answer.text);
    let body = answer.json();
    assert_eq!(body["error"]["code"], code, "{body}");
    assert_eq!(&body["id"], id, "{body}");
    assert!(body.get("result").is_none(), "{body}");
    body["error"].clone()
}

pub fn assert_cache_hint(method: &str, result: &Value, scope: &str) {
    let ttl = result["ttlMs"]
        .as_u64()
        .unwrap_or_else(|| panic!("{method}: ttlMs is not a non-negative integer: {result}"));
    assert!(ttl > 0, "{method}: {ttl}");
    assert_eq!(result["cacheScope"], scope, "{method}: {result}");
}
