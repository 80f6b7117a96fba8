//! The tool layer. Toolsets and read-only mode: the operator's ceiling (`MCP_TOOLSETS`, `MCP_READ_ONLY`), the
//! per-request narrowing headers (`X-MCP-Toolsets`, `X-MCP-Tools`, `X-MCP-Readonly`) that can
//! never widen it, and the admin toolset shown only to admins. A hidden tool is absent from
//! `tools/list` and unknown to `tools/call`.

mod common;

use common::*;
use serde_json::{Value, json};

/// `method` as `who`, with extra headers; the whole HTTP answer.
fn rpc_with(
    h: &Harness,
    who: i64,
    headers: &[(&str, &str)],
    method: &str,
    params: Value,
) -> Answer {
    let bearer = format!("Bearer {}", token(who));
    let mut all = vec![
        ("content-type", "application/json"),
        ("accept", "application/json, text/event-stream"),
        ("authorization", bearer.as_str()),
    ];
    all.extend_from_slice(headers);
    let message = json!({ "jsonrpc": "2.0", "id": 1, "method": method, "params": params });
    h.post_raw(&all, message.to_string().as_bytes())
}

/// The tool names `tools/list` gives `who` with these headers.
fn names_with(h: &Harness, who: i64, headers: &[(&str, &str)]) -> Vec<String> {
    let answer = rpc_with(h, who, headers, "tools/list", json!({}));
    assert_eq!(answer.status, 200, "{}", answer.text);
    answer.json()["result"]["tools"]
        .as_array()
        .unwrap_or_else(|| panic!("{}", answer.text))
        .iter()
        .map(|tool| tool["name"].as_str().unwrap().to_string())
        .collect()
}

/// Every tool's name and whether it is read-only, from an admin's full list.
fn every_tool(h: &Harness) -> Vec<(String, bool)> {
    let list = h.rpc(&token(ALICE), "tools/list", json!({}));
    list["result"]["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|tool| {
            let name = tool["name"].as_str().unwrap().to_string();
            (name, tool["annotations"]["readOnlyHint"] == true)
        })
        .collect()
}

#[test]
fn initialize_and_tools_list_snapshots_for_an_admin_a_non_admin_and_read_only() {
    let h = Harness::start();
    let init = h.rpc(
        &token(ALICE),
        "initialize",
        json!({"protocolVersion": "2025-11-25", "capabilities": {}}),
    );
    let tools = h.rpc(&token(ALICE), "tools/list", json!({}));
    let bob = listed_tools(&h, BOB);
    let read_only = names_with(&h, ALICE, &[("x-mcp-readonly", "true")]);
    snapshot_settings().bind(|| {
        insta::assert_json_snapshot!("initialize", init["result"], { ".serverInfo.version" => "[version]" });
        insta::assert_json_snapshot!("tools_list", tools["result"]);
        insta::assert_json_snapshot!("tools_list__non_admin", bob);
        insta::assert_json_snapshot!("tools_list__read_only", read_only);
    });
    // The same read-only list when the operator sets it.
    let ceiling = Harness::start_with(&[("MCP_READ_ONLY", "true")]);
    assert_eq!(listed_tools(&ceiling, ALICE), read_only);
}

#[test]
fn the_admin_toolset_is_shown_to_admins_only_and_instructions_follow() {
    let h = Harness::start();
    let all = every_tool(&h);
    let alice = listed_tools(&h, ALICE);
    assert_eq!(alice.len(), all.len());
    let bob = listed_tools(&h, BOB);
    let admin_tools: Vec<&String> = alice.iter().filter(|n| !bob.contains(n)).collect();
    assert!(!admin_tools.is_empty());
    assert!(
        admin_tools.iter().all(|n| n.starts_with("admin_")),
        "{admin_tools:?}"
    );
    for who in [BOB, CAROL] {
        call_hidden(&h, who, "admin_users_list", json!({}));
    }
    let instructions = |who| {
        let init = h.rpc(
            &token(who),
            "initialize",
            json!({"protocolVersion": "2025-11-25"}),
        );
        init["result"]["instructions"].as_str().unwrap().to_string()
    };
    assert!(instructions(ALICE).contains("\n- admin:"));
    let bobs = instructions(BOB);
    assert!(
        bobs.contains("\n- buckets:") && !bobs.contains("admin:"),
        "{bobs}"
    );
    // The admin status is asked of the catalog once per caller, not once per request.
    let asked = h
        .mock()
        .requests()
        .iter()
        .filter(|r| r.operation.as_deref() == Some("AuthStatus"))
        .count();
    assert_eq!(asked, 3, "alice, bob and carol, once each");
}

#[test]
fn read_only_hides_every_tool_that_may_change_something() {
    let h = Harness::start();
    let all = every_tool(&h);
    let shown = names_with(&h, ALICE, &[("x-mcp-readonly", "true")]);
    let expected: Vec<&String> = all.iter().filter(|(_, ro)| *ro).map(|(n, _)| n).collect();
    assert_eq!(shown.iter().collect::<Vec<_>>(), expected);
    assert!(
        all.iter().any(|(_, ro)| !ro),
        "the table has writes to hide"
    );
    let call = json!({ "name": "package_create", "arguments": {
        "registry": "s3://example-data", "package_name": "team/ro",
        "s3_uris": ["s3://example-data/README.md"] } });
    let answer = rpc_with(&h, ALICE, &[("x-mcp-readonly", "true")], "tools/call", call);
    assert_eq!(answer.json()["error"]["code"], -32602, "{}", answer.text);
    // `false` from a client cannot lift the operator's read-only mode.
    let ceiling = Harness::start_with(&[("MCP_READ_ONLY", "true")]);
    let lifted = names_with(&ceiling, ALICE, &[("x-mcp-readonly", "false")]);
    assert_eq!(lifted, shown);
}

#[test]
fn narrowing_headers_never_widen_the_operators_toolsets() {
    let h = Harness::start_with(&[("MCP_TOOLSETS", "buckets,search")]);
    let ceiling = listed_tools(&h, ALICE);
    assert!(ceiling.contains(&"bucket_list".to_string()));
    assert!(ceiling.contains(&"search_catalog".to_string()));
    assert!(
        !ceiling
            .iter()
            .any(|n| n.starts_with("package") || n.starts_with("admin_"))
    );
    // Asking for more toolsets, or a tool outside the ceiling, adds nothing.
    let asked = names_with(&h, ALICE, &[("x-mcp-toolsets", "packages,buckets,admin")]);
    assert!(asked.iter().all(|n| ceiling.contains(n)) && asked.contains(&"bucket_list".into()));
    assert!(
        !asked.contains(&"search_catalog".to_string()),
        "narrowed to buckets"
    );
    let named = names_with(
        &h,
        ALICE,
        &[("x-mcp-tools", "package_browse,search_suggest")],
    );
    assert_eq!(named, ["search_suggest"]);
    let call = json!({ "name": "package_browse", "arguments": {
        "registry": "s3://example-data", "package_name": "team/rnaseq-2024" } });
    let hidden = rpc_with(&h, ALICE, &[], "tools/call", call);
    assert_eq!(
        hidden.json()["error"]["message"],
        "unknown tool: package_browse"
    );
}

#[test]
fn tools_and_toolsets_headers_combine_and_calls_follow_the_list() {
    let h = Harness::start();
    let headers = [("x-mcp-toolsets", "search"), ("x-mcp-tools", "bucket_list")];
    let shown = names_with(&h, BOB, &headers);
    assert_eq!(
        shown,
        [
            "bucket_list",
            "search_catalog",
            "search_explain",
            "search_suggest",
            "search_docs_quilt_bio"
        ]
    );
    let listed = rpc_with(
        &h,
        BOB,
        &headers,
        "tools/call",
        json!({"name": "bucket_list"}),
    );
    assert_eq!(listed.json()["result"]["isError"], false, "{}", listed.text);
    let call = json!({"name": "packages_list", "arguments": {"registry": "s3://example-data"}});
    let hidden = rpc_with(&h, BOB, &headers, "tools/call", call);
    assert_eq!(hidden.json()["error"]["code"], -32602, "{}", hidden.text);
    // An admin tool named by a non-admin stays hidden.
    let admin = names_with(&h, BOB, &[("x-mcp-tools", "admin_users_list,bucket_list")]);
    assert_eq!(admin, ["bucket_list"]);
}

#[test]
fn a_misspelt_header_is_a_clear_400_not_a_silently_empty_list() {
    let h = Harness::start();
    for (header, value, says) in [
        ("x-mcp-toolsets", "bukets", "unknown toolset `bukets`"),
        ("x-mcp-tools", "bucket_lits", "unknown tool `bucket_lits`"),
        ("x-mcp-readonly", "maybe", "`maybe` is not true or false"),
    ] {
        let answer = rpc_with(&h, ALICE, &[(header, value)], "tools/list", json!({}));
        assert_eq!(answer.status, 400, "{header}: {}", answer.text);
        let message = answer.json()["error"]["message"]
            .as_str()
            .unwrap()
            .to_string();
        assert!(message.contains(says), "{header}: {message}");
    }
}

#[test]
fn the_output_schema_check_catches_a_result_of_the_wrong_shape() {
    // Every successful tools/call in the tests goes through this check (common::call_tool);
    // here it must reject a result that breaks bucket_list's declared shape.
    let wrong =
        json!({ "isError": false, "structuredContent": { "buckets": "none", "count": 1.5 } });
    let caught = std::panic::catch_unwind(|| check_output_schema("bucket_list", &wrong));
    assert!(caught.is_err(), "a wrong shape must not pass");
    let h = Harness::start();
    let right = h.call_tool(&token(BOB), "bucket_list", json!({}));
    check_output_schema("bucket_list", &right);
    assert!(right["structuredContent"]["buckets"].is_array());
}

#[test]
fn a_missing_or_unknown_argument_is_named() {
    let h = Harness::start();
    let missing = call_fails(
        &h,
        ALICE,
        "package_browse",
        json!({"registry": "s3://example-data"}),
    );
    assert!(missing.contains("package_name is required"), "{missing}");
    let unknown = call_fails(&h, ALICE, "bucket_list", json!({"bukcet": "x"}));
    assert!(
        unknown.starts_with("invalid argument `bukcet`"),
        "{unknown}"
    );
}

#[test]
fn every_optional_parameter_declares_its_default() {
    // An agent reads `default` to know what leaving a parameter out means; an optional
    // parameter without one (required: none; item types inside `$defs` aside) hides that.
    let listed = quilt_mcp::tools::list();
    let mut missing = Vec::new();
    for tool in listed["tools"].as_array().unwrap() {
        let schema = &tool["inputSchema"];
        let required: Vec<&str> = schema["required"]
            .as_array()
            .map(|names| names.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let Some(properties) = schema["properties"].as_object() else {
            continue;
        };
        for (name, property) in properties {
            if !required.contains(&name.as_str()) && property.get("default").is_none() {
                missing.push(format!("{}.{name}", tool["name"].as_str().unwrap()));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "optional parameters without a default: {missing:?}"
    );
}
