//! MCP 2026-07-28 beside 2025-11-25 on the same `POST /mcp`, over real HTTP: the era chosen per
//! request by its `_meta`; `server/discover`; the envelope rules (`_meta`, the mirrored headers,
//! the version) with their codes and statuses; removed methods; the modern result fields; the
//! same calls answered in each era. (The id echo and the loopback `Host` are in
//! protocol_both_eras.rs.)

mod common;
mod modern;

use common::{ALICE, BOB, Harness, check_output_schema, closed_port_url, snapshot_settings, token};
use modern::*;
use serde_json::json;
#[test]
fn server_discover_names_versions_capabilities_and_instructions() {
    let h = Harness::start();
    let discover = modern_ok(&h, ALICE, "server/discover", json!({}));
    let versions = discover["supportedVersions"].as_array().unwrap();
    assert_eq!(versions[0], MODERN);
    assert!(versions.contains(&json!("2025-11-25")), "{discover}");
    assert_cache_hint("server/discover", &discover, "private");
    // The capabilities are honoured: each declared list answers.
    for (capability, method) in [
        ("tools", "tools/list"),
        ("resources", "resources/list"),
        ("prompts", "prompts/list"),
    ] {
        assert!(
            discover["capabilities"][capability].is_object(),
            "{discover}"
        );
        modern_ok(&h, ALICE, method, json!({}));
    }
    // Instructions follow the caller: bob is no admin, so his omit the admin toolset.
    let bob = modern_ok(&h, BOB, "server/discover", json!({}));
    assert!(
        discover["instructions"]
            .as_str()
            .unwrap()
            .contains("admin:")
    );
    assert!(!bob["instructions"].as_str().unwrap().contains("admin:"));
    snapshot_settings().bind(|| {
        insta::assert_json_snapshot!("server_discover__2026_07_28", discover, {
            "._meta.*.version" => "[version]"
        });
    });
}

#[test]
fn tools_list_in_2026_is_the_legacy_list_with_modern_fields() {
    let h = Harness::start();
    let legacy = h.rpc(&token(ALICE), "tools/list", json!({}))["result"].clone();
    assert!(
        legacy.get("resultType").is_none(),
        "legacy answers stay as they were"
    );
    assert!(legacy.get("ttlMs").is_none());
    let listed = modern_ok(&h, ALICE, "tools/list", json!({}));
    assert_eq!(listed["tools"], legacy["tools"]);
    assert_cache_hint("tools/list", &listed, "private");
    // Private because it depends on the caller.
    let bob = modern_ok(&h, BOB, "tools/list", json!({}));
    assert_ne!(bob["tools"], listed["tools"]);
    snapshot_settings().bind(|| {
        insta::assert_json_snapshot!("tools_list__2026_07_28", listed, {
            ".tools" => "[the tools of the legacy tools/list, snapshotted as tools_list]",
            "._meta.*.version" => "[version]"
        });
    });
}

#[test]
fn the_same_tool_call_is_answered_in_each_era() {
    let h = Harness::start();
    let legacy = h.call_tool(&token(ALICE), "bucket_list", json!({}));
    let answered = modern_ok(
        &h,
        ALICE,
        "tools/call",
        json!({ "name": "bucket_list", "arguments": {} }),
    );
    check_output_schema("bucket_list", &answered);
    assert_eq!(answered["structuredContent"], legacy["structuredContent"]);
    assert_eq!(answered["content"], legacy["content"]);
    assert_eq!(answered["isError"], false);
    assert!(legacy.get("resultType").is_none() && legacy.get("_meta").is_none());
    // A call is not cacheable: no hint.
    assert!(answered.get("ttlMs").is_none() && answered.get("cacheScope").is_none());

    // The tool named in the base64 form of Mcp-Name is the same call.
    let params = modern_params(json!({ "name": "bucket_list", "arguments": {} }));
    let body = json!({ "jsonrpc": "2.0", "id": "b64", "method": "tools/call", "params": params });
    let answer = post_with(
        &h,
        ALICE,
        &[
            ("mcp-protocol-version", MODERN),
            ("mcp-method", "tools/call"),
            ("mcp-name", "=?base64?YnVja2V0X2xpc3Q=?="),
        ],
        &body,
    );
    assert_eq!(answer.status, 200, "{}", answer.text);
    assert_eq!(
        answer.json()["result"]["structuredContent"],
        legacy["structuredContent"]
    );

    // An unknown tool is the same invalid-params error in both eras.
    let unknown = modern(
        &h,
        ALICE,
        json!(9),
        "tools/call",
        json!({ "name": "no_such_tool" }),
    );
    modern_refused(&unknown, 200, -32602, &json!(9));
}

#[test]
fn lists_and_reads_carry_caching_hints_and_unknown_resources_are_32602() {
    let h = Harness::start();
    let listed = modern_ok(&h, ALICE, "resources/list", json!({}));
    assert_cache_hint("resources/list", &listed, "public");
    let templates = modern_ok(&h, ALICE, "resources/templates/list", json!({}));
    assert_cache_hint("resources/templates/list", &templates, "public");
    let prompts = modern_ok(&h, ALICE, "prompts/list", json!({}));
    assert_cache_hint("prompts/list", &prompts, "public");

    // Read the first listed resource, in both eras: the same contents.
    let uri = listed["resources"][0]["uri"].as_str().unwrap().to_string();
    let read = modern_ok(&h, ALICE, "resources/read", json!({ "uri": uri }));
    assert_cache_hint("resources/read", &read, "private");
    let legacy = h.rpc(&token(ALICE), "resources/read", json!({ "uri": uri }));
    assert_eq!(read["contents"], legacy["result"]["contents"]);

    // Not found: -32602 in 2026-07-28 (which forbids -32002), -32002 in 2025-11-25.
    let missing = format!("{uri}-no-such-thing");
    let modern_missing = modern(
        &h,
        ALICE,
        json!("r"),
        "resources/read",
        json!({ "uri": missing }),
    );
    let error = modern_refused(&modern_missing, 200, -32602, &json!("r"));
    assert_eq!(error["data"]["uri"], missing.as_str());
    let legacy_missing = h.rpc(&token(ALICE), "resources/read", json!({ "uri": missing }));
    assert_eq!(legacy_missing["error"]["code"], -32002);

    // A prompt name names nothing: we declare prompts and have none.
    let prompt = modern(&h, ALICE, json!(3), "prompts/get", json!({ "name": "p" }));
    modern_refused(&prompt, 200, -32602, &json!(3));
}

#[test]
fn meta_is_required_and_client_info_is_optional() {
    let h = Harness::start_without_mock(&closed_port_url(), &[]);
    let headers = [
        ("mcp-protocol-version", MODERN),
        ("mcp-method", "server/discover"),
    ];
    let cases = [
        (101, json!({})),
        (102, json!({ "_meta": { CAPABILITIES: {} } })),
        (104, json!({ "_meta": { PROTOCOL_VERSION: MODERN } })),
        (
            105,
            json!({ "_meta": { PROTOCOL_VERSION: MODERN, CAPABILITIES: [] } }),
        ),
    ];
    for (id, params) in cases {
        let body =
            json!({ "jsonrpc": "2.0", "id": id, "method": "server/discover", "params": params });
        let answer = post_with(&h, ALICE, &headers, &body);
        modern_refused(&answer, 400, -32602, &json!(id));
    }
    // Without `params` at all, also a modern request (server/discover is modern only).
    let bare = json!({ "jsonrpc": "2.0", "id": "bare", "method": "server/discover" });
    modern_refused(
        &post_with(&h, ALICE, &headers, &bare),
        400,
        -32602,
        &json!("bare"),
    );
    // clientInfo is a SHOULD: served without it. prompts/list needs no catalog.
    let params = json!({ "_meta": { PROTOCOL_VERSION: MODERN, CAPABILITIES: {} } });
    let body = json!({ "jsonrpc": "2.0", "id": 1, "method": "prompts/list", "params": params });
    let answer = post_with(
        &h,
        ALICE,
        &[
            ("mcp-protocol-version", MODERN),
            ("mcp-method", "prompts/list"),
        ],
        &body,
    );
    assert_eq!(answer.status, 200, "{}", answer.text);
    assert_eq!(answer.json()["result"]["resultType"], "complete");
}

#[test]
fn mirrored_headers_must_match_the_body() {
    let h = Harness::start_without_mock(&closed_port_url(), &[]);
    let list = json!({ "jsonrpc": "2.0", "id": 11, "method": "prompts/list", "params": modern_params(json!({})) });
    let refusals: &[&[(&str, &str)]] = &[
        // Mcp-Method: missing, another method, another case (values are case-sensitive).
        &[("mcp-protocol-version", MODERN)],
        &[
            ("mcp-protocol-version", MODERN),
            ("mcp-method", "tools/list"),
        ],
        &[
            ("mcp-protocol-version", MODERN),
            ("mcp-method", "PROMPTS/LIST"),
        ],
        // MCP-Protocol-Version: missing, or another than the body's.
        &[("mcp-method", "prompts/list")],
        &[
            ("mcp-protocol-version", "2025-11-25"),
            ("mcp-method", "prompts/list"),
        ],
    ];
    for headers in refusals {
        let error = modern_refused(
            &post_with(&h, ALICE, headers, &list),
            400,
            -32020,
            &json!(11),
        );
        assert!(
            error["message"]
                .as_str()
                .unwrap()
                .starts_with("Header mismatch"),
            "{error}"
        );
    }
    // Header names are case-insensitive, values trimmed of surrounding whitespace.
    for headers in [
        [
            ("MCP-PROTOCOL-VERSION", MODERN),
            ("MCP-METHOD", "prompts/list"),
        ],
        [
            ("mcp-protocol-version", MODERN),
            ("mcp-method", " prompts/list\t"),
        ],
    ] {
        let answer = post_with(&h, ALICE, &headers, &list);
        assert_eq!(answer.status, 200, "{headers:?}: {}", answer.text);
    }

    // Mcp-Name on a call: missing, another name, malformed base64, another name in base64.
    let call = json!({ "jsonrpc": "2.0", "id": "n", "method": "tools/call",
        "params": modern_params(json!({ "name": "catalog_url", "arguments": {} })) });
    let base = [
        ("mcp-protocol-version", MODERN),
        ("mcp-method", "tools/call"),
    ];
    for name in [
        None,
        Some("wrong_tool_name"),
        Some("=?base64?Y2F0YWxvZ191cmw?="),
        Some("=?base64?b3RoZXI=?="),
    ] {
        let mut headers = base.to_vec();
        if let Some(name) = name {
            headers.push(("mcp-name", name));
        }
        modern_refused(
            &post_with(&h, ALICE, &headers, &call),
            400,
            -32020,
            &json!("n"),
        );
    }
    // A resource URI is mirrored too.
    let read = json!({ "jsonrpc": "2.0", "id": 12, "method": "resources/read",
        "params": modern_params(json!({ "uri": "auth://catalog/info" })) });
    let headers = [
        ("mcp-protocol-version", MODERN),
        ("mcp-method", "resources/read"),
        ("mcp-name", "auth://catalog/other"),
    ];
    modern_refused(
        &post_with(&h, ALICE, &headers, &read),
        400,
        -32020,
        &json!(12),
    );
}

#[test]
fn an_unsupported_version_is_400_32022_naming_supported_and_requested() {
    let h = Harness::start();
    let discover = modern_ok(&h, ALICE, "server/discover", json!({}));
    let mut params = modern_params(json!({}));
    params["_meta"][PROTOCOL_VERSION] = json!("v999.0.0");
    let body =
        json!({ "jsonrpc": "2.0", "id": 301, "method": "server/discover", "params": params });
    let answer = post_with(
        &h,
        ALICE,
        &[
            ("mcp-protocol-version", "v999.0.0"),
            ("mcp-method", "server/discover"),
        ],
        &body,
    );
    let error = modern_refused(&answer, 400, -32022, &json!(301));
    assert_eq!(error["data"]["requested"], "v999.0.0");
    assert_eq!(error["data"]["supported"], discover["supportedVersions"]);
    // The header disagreeing with the body's version is a mismatch first.
    let answer = post_with(
        &h,
        ALICE,
        &[
            ("mcp-protocol-version", MODERN),
            ("mcp-method", "server/discover"),
        ],
        &body,
    );
    modern_refused(&answer, 400, -32020, &json!(301));
}

#[test]
fn removed_and_unknown_methods_are_404_with_32601() {
    let h = Harness::start_without_mock(&closed_port_url(), &[]);
    for method in [
        "initialize",
        "ping",
        "logging/setLevel",
        "resources/subscribe",
        "resources/unsubscribe",
        "subscriptions/listen",
        "unknown/method",
    ] {
        let answer = modern(&h, ALICE, json!(500), method, json!({}));
        modern_refused(&answer, 404, -32601, &json!(500));
    }
    // In 2025-11-25 the same methods keep their answers: ping works, unknown is 200/-32601.
    let ping = h.rpc(&token(ALICE), "ping", json!({}));
    assert_eq!(ping["result"], json!({}));
    let unknown = h.rpc(&token(ALICE), "unknown/method", json!({}));
    assert_eq!(unknown["error"]["code"], -32601);
    // Notifications are accepted in both eras.
    let note = json!({ "jsonrpc": "2.0", "method": "notifications/initialized", "params": modern_params(json!({})) });
    let answer = post_with(&h, ALICE, &[("mcp-protocol-version", MODERN)], &note);
    assert_eq!((answer.status, answer.text.as_str()), (202, ""));
}
