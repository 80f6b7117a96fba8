//! Resources, resource templates and the `get_resource` tool against the model catalog:
//! listings, a success snapshot per resource, bob's refusal, unknown URIs, the on/off switch, and
//! the per-caller cache (keyed by caller and full URI, forgotten after the caller's own write).

mod common;

use common::*;
use serde_json::{Value, json};

/// `resources/read` as `who`: the content's JSON, or the JSON-RPC error.
fn read(h: &Harness, who: i64, uri: &str) -> Result<Value, Value> {
    let answer = h.rpc(&token(who), "resources/read", json!({"uri": uri}));
    match answer.get("error") {
        Some(error) => Err(error.clone()),
        None => {
            let content = &answer["result"]["contents"][0];
            assert_eq!(content["uri"], uri);
            assert_eq!(content["mimeType"], "application/json");
            Ok(serde_json::from_str(content["text"].as_str().unwrap()).unwrap())
        }
    }
}

fn calls_of(h: &Harness, operation: &str) -> Vec<Option<i64>> {
    let requests = h.mock().requests().into_iter();
    let matching = requests.filter(|r| r.operation.as_deref() == Some(operation));
    matching.map(|r| r.user_id).collect()
}

#[test]
fn resources_and_templates_are_listed() {
    let h = Harness::start();
    let t = token(ALICE);
    // `resources_list` is snapshotted in catalog_tools.rs.
    let resources = h.rpc(&t, "resources/list", json!({}));
    assert_eq!(
        resources["result"]["resources"].as_array().unwrap().len(),
        10
    );
    let templates = h.rpc(&t, "resources/templates/list", json!({}));
    snapshot_settings().bind(|| {
        insta::assert_json_snapshot!("resources_templates_list", templates["result"]);
    });
    assert!(h.mock().requests().is_empty(), "listing calls nothing");
}

#[test]
fn every_admin_resource_reads_for_an_admin() {
    let h = Harness::start();
    let users = read(&h, ALICE, "admin://users").unwrap();
    let tool = h.call_tool(&token(ALICE), "admin_users_list", json!({}));
    assert_eq!(
        users, tool["structuredContent"],
        "the resource is the tool's answer"
    );
    // The templated and fixed admin resources are the tools' answers too.
    let roles = read(&h, ALICE, "admin://roles").unwrap();
    assert_eq!(roles, call_ok(&h, ALICE, "admin_roles_list", json!({})));
    let bot = read(&h, ALICE, "admin://users/pipeline%2Dbot").unwrap();
    let bot_tool = call_ok(&h, ALICE, "admin_user_get", json!({"name": "pipeline-bot"}));
    assert_eq!(bot, bot_tool);
    let reads = [
        ("resource_admin_roles__alice", "admin://roles"),
        ("resource_admin_config_sso__alice", "admin://config/sso"),
        (
            "resource_admin_config_tabulator__alice",
            "admin://config/tabulator",
        ),
        (
            "resource_admin_user__pipeline_bot",
            "admin://users/pipeline%2Dbot",
        ),
        (
            "resource_tabulator_tables__example_data",
            "tabulator://example-data/tables",
        ),
    ];
    for (snapshot, uri) in reads {
        let content = read(&h, ALICE, uri).unwrap_or_else(|e| panic!("{uri}: {e}"));
        snapshot_settings().bind(|| insta::assert_json_snapshot!(snapshot, content));
    }
}

#[test]
fn a_non_admin_is_refused_admin_resources_but_reads_the_rest() {
    let h = Harness::start();
    for uri in [
        "admin://users",
        "admin://roles",
        "admin://config/sso",
        "admin://config/tabulator",
        "admin://users/alice",
    ] {
        let error = read(&h, BOB, uri).unwrap_err();
        let message = error["message"].as_str().unwrap();
        assert_eq!(error["code"], -32603, "{uri}: {error}");
        assert!(
            message.contains(uri) && message.contains("this needs catalog admin rights"),
            "{message}"
        );
    }
    let tables = read(&h, BOB, "tabulator://example-data/tables").unwrap();
    let tool = call_ok(
        &h,
        BOB,
        "tabulator_tables_list",
        json!({"bucket": "example-data"}),
    );
    assert_eq!(tables, tool, "the resource is the tool's answer");
    assert_eq!(tables["count"], 2, "the dataset's two example-data tables");
    assert_eq!(
        read(&h, BOB, "auth://status").unwrap()["user"]["name"],
        "bob"
    );
}

#[test]
fn unknown_uris_and_unknown_names_are_32002_with_the_valid_uris() {
    let h = Harness::start();
    for (who, uri) in [
        (ALICE, "admin://users/"),
        (ALICE, "admin://users/nobody"),
        (ALICE, "auth://filesystem/status"),
        (BOB, "tabulator://example-packages/tables"),
    ] {
        let error = read(&h, who, uri).unwrap_err();
        assert_eq!(error["code"], -32002, "{uri}: {error}");
        assert!(
            error["data"]["available"]
                .as_array()
                .unwrap()
                .contains(&json!("admin://users"))
        );
        assert!(
            error["data"]["templates"]
                .as_array()
                .unwrap()
                .contains(&json!("admin://users/{name}"))
        );
    }
}

#[test]
fn get_resource_lists_reads_and_explains() {
    let h = Harness::start();
    let t = token(ALICE);
    let listing = h.call_tool(&t, "get_resource", json!({}));
    assert_eq!(listing["isError"], false);
    assert_eq!(h.call_tool(&t, "get_resource", json!({"uri": ""})), listing);
    let through_tool = h.call_tool(&t, "get_resource", json!({"uri": "admin://roles"}));
    let content = &through_tool["structuredContent"];
    assert_eq!(content["uri"], "admin://roles");
    assert_eq!(content["mime_type"], "application/json");
    assert_eq!(content["data"], read(&h, ALICE, "admin://roles").unwrap());
    let unknown = h.call_tool(&t, "get_resource", json!({"uri": "nope://x"}));
    let text = result_text(&unknown);
    assert_eq!(unknown["isError"], true);
    assert!(
        text.contains("`uri`")
            && text.contains("auth://status")
            && text.contains("tabulator://{bucket}/tables"),
        "{text}"
    );
    let refused = h.call_tool(&token(BOB), "get_resource", json!({"uri": "admin://users"}));
    assert_eq!(refused["isError"], true);
    assert!(result_text(&refused).contains("this needs catalog admin rights"));
    let bad = h.call_tool(&t, "get_resource", json!({"uri": 5}));
    assert!(bad["isError"] == true && result_text(&bad).contains("uri"));
    snapshot_settings().bind(|| {
        insta::assert_json_snapshot!("get_resource__listing", listing["structuredContent"]);
        insta::assert_json_snapshot!("get_resource__admin_roles", content);
    });
}

#[test]
fn templated_reads_are_cached_per_caller_and_full_uri() {
    // Optimization off, so only the resource cache can explain a saved call.
    let h = Harness::start_with(&[
        ("MCP_OPTIMIZATION_ENABLED", "false"),
        ("QUILT_MCP_RESOURCE_CACHE_TTL", "300"),
    ]);
    let alice = read(&h, ALICE, "admin://users/alice").unwrap();
    assert_eq!(read(&h, ALICE, "admin://users/alice").unwrap(), alice);
    assert_eq!(calls_of(&h, "GetUser"), vec![Some(ALICE)]);
    // get_resource shares the cache with resources/read.
    let tool = h.call_tool(
        &token(ALICE),
        "get_resource",
        json!({"uri": "admin://users/alice"}),
    );
    assert_eq!(tool["structuredContent"]["data"], alice);
    assert_eq!(calls_of(&h, "GetUser"), vec![Some(ALICE)]);
    // Bob never sees alice's cached read: his read reaches the catalog, which refuses him.
    assert!(read(&h, BOB, "admin://users/alice").is_err());
    assert_eq!(calls_of(&h, "GetUser"), vec![Some(ALICE), Some(BOB)]);
    // Another URI is another entry.
    read(&h, ALICE, "admin://users/pipeline-bot").unwrap();
    assert_eq!(calls_of(&h, "GetUser").len(), 3);
    for who in [ALICE, BOB, ALICE, BOB] {
        read(&h, who, "tabulator://example-data/tables").unwrap();
    }
    assert_eq!(
        calls_of(&h, "ListTabulatorTables"),
        vec![Some(ALICE), Some(BOB)]
    );
}

#[test]
fn a_callers_own_write_forgets_only_their_cached_reads() {
    let h = Harness::start_with(&[("QUILT_MCP_RESOURCE_CACHE_TTL", "300")]);
    read(&h, ALICE, "admin://config/tabulator").unwrap();
    read(&h, BOB, "tabulator://example-data/tables").unwrap();
    let set = h.call_tool(
        &token(ALICE),
        "admin_tabulator_open_query_set",
        json!({"enabled": true}),
    );
    assert_eq!(set["isError"], false);
    read(&h, ALICE, "admin://config/tabulator").unwrap();
    read(&h, BOB, "tabulator://example-data/tables").unwrap();
    assert_eq!(
        calls_of(&h, "GetOpenQueryStatus"),
        vec![Some(ALICE), Some(ALICE)]
    );
    assert_eq!(
        calls_of(&h, "ListTabulatorTables"),
        vec![Some(BOB)],
        "bob's read is kept"
    );
    // A refused write forgets nothing.
    let refused = h.call_tool(
        &token(BOB),
        "tabulator_table_delete",
        json!({"bucket": "example-data", "table_name": "rnaseq_samples"}),
    );
    assert_eq!(refused["isError"], true);
    read(&h, BOB, "tabulator://example-data/tables").unwrap();
    assert_eq!(calls_of(&h, "ListTabulatorTables").len(), 1);
}

#[test]
fn turned_off_resources_and_templates_disappear_together() {
    let h = Harness::start_without_mock(
        &closed_port_url(),
        &[("QUILT_MCP_RESOURCES_ENABLED", "false")],
    );
    let t = token(ALICE);
    let init = h.rpc(&t, "initialize", json!({"protocolVersion": "2025-11-25"}));
    assert!(init["result"]["capabilities"].get("resources").is_none());
    let templates = h.rpc(&t, "resources/templates/list", json!({}));
    assert_eq!(templates["result"], json!({"resourceTemplates": []}));
    for uri in ["admin://users/alice", "tabulator://example-data/tables"] {
        let answer = h.rpc(&t, "resources/read", json!({"uri": uri}));
        assert_eq!(answer["error"]["code"], -32002, "{uri}");
    }
    let tool = h.call_tool(&t, "get_resource", json!({"uri": "auth://status"}));
    assert_eq!(tool["isError"], true);
    assert!(result_text(&tool).contains("QUILT_MCP_RESOURCES_ENABLED"));
}
