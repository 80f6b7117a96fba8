//! The first tools and resources against the model catalog: success snapshots per caller,
//! the catalog's refusals, and proof that each caller's own token is what reaches the catalog.

mod common;

use common::*;
use serde_json::{Value, json};

#[test]
fn bucket_list_shows_each_caller_their_own_buckets() {
    let h = Harness::start();
    let alice = h.call_tool(&token(ALICE), "bucket_list", json!({}));
    assert_eq!(alice["isError"], false, "{alice}");
    assert_eq!(alice["structuredContent"]["count"], 3);
    let text: serde_json::Value = serde_json::from_str(&result_text(&alice)).unwrap();
    assert_eq!(
        text, alice["structuredContent"],
        "text and structured content agree"
    );
    let bob = h.call_tool(&token(BOB), "bucket_list", json!({}));
    assert_eq!(bob["structuredContent"]["count"], 2);
    snapshot_settings().bind(|| {
        insta::assert_json_snapshot!("bucket_list__alice", alice["structuredContent"]);
        insta::assert_json_snapshot!("bucket_list__bob", bob["structuredContent"]);
    });
    let calls = h.mock().requests();
    assert_eq!(
        calls
            .iter()
            .filter(|r| r.operation.as_deref() == Some("ListBuckets"))
            .count(),
        2
    );
}

#[test]
fn the_callers_own_token_is_forwarded_and_nothing_else() {
    let h = Harness::start();
    let (alice, bob) = (token(ALICE), token(BOB));
    h.call_tool(&alice, "bucket_list", json!({}));
    h.call_tool(&bob, "bucket_list", json!({}));
    let seen = h.mock().requests();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0].token.as_deref(), Some(alice.as_str()));
    assert_eq!(seen[0].user_id, Some(ALICE));
    assert_eq!(seen[1].token.as_deref(), Some(bob.as_str()));
    assert_eq!(seen[1].user_id, Some(BOB));
}

#[test]
fn catalog_refusals_are_clear_tool_errors() {
    let h = Harness::start();
    let stranger = h.call_tool(&token(STRANGER), "bucket_list", json!({}));
    assert_eq!(stranger["isError"], true);
    let text = result_text(&stranger);
    assert!(text.contains("401") && text.contains("log in"), "{text}");
    let dave = h.call_tool(&token(DAVE), "bucket_list", json!({}));
    let text = result_text(&dave);
    assert!(
        dave["isError"] == true && text.contains("no permission") && text.contains("403"),
        "{text}"
    );
    // A registry whose resolvers fail answers 200 with `errors[]` only.
    h.mock().set_fault(quilt_mcp::mock::Fault {
        body: quilt_mcp::mock::FaultBody::Json(
            r#"{"errors":[{"message":"search cluster did not respond"},{"message":"Request aborted"}]}"#
                .into(),
        ),
        path_prefix: Some("/graphql".into()),
        ..Default::default()
    });
    let failing = h.call_tool(&token(ALICE), "bucket_list", json!({}));
    h.mock().clear_fault();
    let text = result_text(&failing);
    assert!(
        failing["isError"] == true && text.contains("search cluster did not respond"),
        "{text}"
    );
    assert!(
        text.contains("Request aborted"),
        "every GraphQL error message is kept: {text}"
    );
    let recovered = h.call_tool(&token(ALICE), "bucket_list", json!({}));
    assert_eq!(recovered["isError"], false, "{recovered}");
    assert_eq!(h.get("/health").status, 200);
}

#[test]
fn link_tools_build_real_urls_from_the_configured_catalog() {
    let h = Harness::start();
    let t = token(ALICE);
    let catalog = h.mock().url();
    let url = h.call_tool(&t, "catalog_url", json!({"registry": "s3://example-data", "package_name": "team/rnaseq-2024", "path": "data/counts 1.csv"}));
    assert_eq!(
        url["structuredContent"]["catalog_url"],
        format!(
            "{catalog}/b/example-data/packages/team/rnaseq-2024/tree/latest/data/counts%201.csv"
        )
    );
    let fixed_host = json!({"registry": "example-data", "catalog_host": "quilt.example.com"});
    let bucket_view = h.call_tool(&t, "catalog_url", fixed_host.clone());
    let uri = h.call_tool(
        &t,
        "catalog_uri",
        json!({"registry": "s3://example-data", "package_name": "team/rnaseq-2024", "top_hash": "5feebbc18159",
               "tag": "latest", "path": "README.md", "catalog_host": "quilt.example.com"}),
    );
    let tagged = h.call_tool(
        &t,
        "catalog_uri",
        json!({"registry": "example-data", "package_name": "team/rnaseq-2024", "tag": "v1", "catalog_host": "quilt.example.com"}),
    );
    let configured = h.call_tool(&t, "catalog_configure", json!({"catalog_url": catalog}));
    assert_eq!(configured["isError"], false, "{configured}");
    let elsewhere = h.call_tool(&t, "catalog_configure", json!({"catalog_url": "demo"}));
    assert_eq!(elsewhere["isError"], true);
    assert!(result_text(&elsewhere).contains("demo.quiltdata.com"));
    snapshot_settings().bind(|| {
        insta::assert_json_snapshot!("catalog_url__bucket_view", bucket_view["structuredContent"]);
        insta::assert_json_snapshot!("catalog_uri__hash_wins_over_tag", uri["structuredContent"]);
        insta::assert_json_snapshot!("catalog_uri__tag", tagged["structuredContent"]);
    });
    assert!(
        h.mock().requests().is_empty(),
        "link tools make no catalog call"
    );
}

#[test]
fn auth_status_and_catalog_info_come_from_the_catalog() {
    let h = Harness::start();
    let read = |t: &str, uri: &str| {
        let answer = h.rpc(t, "resources/read", json!({"uri": uri}));
        let content = &answer["result"]["contents"][0];
        assert_eq!(content["uri"], uri);
        assert_eq!(content["mimeType"], "application/json");
        serde_json::from_str::<serde_json::Value>(content["text"].as_str().unwrap()).unwrap()
    };
    let alice = read(&token(ALICE), "auth://status");
    let bob = read(&token(BOB), "auth://status");
    let info = read(&token(ALICE), "auth://catalog/info");
    assert_eq!(alice["user"]["name"], "alice");
    assert_eq!(alice["user"]["is_admin"], true);
    assert_eq!(bob["user"]["name"], "bob");
    assert_eq!(bob["user"]["is_admin"], false);
    let stack = h
        .mock()
        .with_model(|m| m.stack.stack_prefix.clone())
        .unwrap();
    assert_eq!(
        info["tabulator_data_catalog"],
        format!("quilt-{stack}-tabulator"),
        "named after the stack"
    );
    let listed = h.rpc(&token(ALICE), "resources/list", json!({}));
    snapshot_settings().bind(|| {
        let url = "[catalog url]";
        insta::assert_json_snapshot!("resources_list", listed["result"]);
        insta::assert_json_snapshot!("auth_status__alice", alice, { ".catalog_url" => url });
        insta::assert_json_snapshot!("auth_catalog_info__alice", info, {
            ".catalog_url" => url, ".registry_url" => url, ".catalog_name" => "[host]" });
    });
    let refused = h.rpc(
        &token(STRANGER),
        "resources/read",
        json!({"uri": "auth://status"}),
    );
    let message = refused["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("401") && message.contains("auth://status"),
        "{message}"
    );
}

#[test]
fn resources_report_the_catalogs_refusals_and_timeouts() {
    let h = Harness::start_with(&[
        ("QUILT_SERVICE_TIMEOUT", "1"),
        ("MCP_OPTIMIZATION_ENABLED", "false"),
        ("QUILT_MCP_RESOURCE_CACHE_TTL", "0"),
    ]);
    for uri in ["auth://status", "auth://catalog/info"] {
        let denied = h.rpc(&token(DAVE), "resources/read", json!({"uri": uri}));
        assert!(
            denied["error"]["message"].as_str().unwrap().contains("403"),
            "{uri}: {denied}"
        );
        let refused = h.rpc(&token(STRANGER), "resources/read", json!({"uri": uri}));
        assert!(
            refused["error"]["message"]
                .as_str()
                .unwrap()
                .contains("401"),
            "{uri}: {refused}"
        );
    }
    h.mock().set_fault(quilt_mcp::mock::Fault {
        latency: std::time::Duration::from_secs(3),
        ..Default::default()
    });
    let slow = h.rpc(
        &token(ALICE),
        "resources/read",
        json!({"uri": "auth://status"}),
    );
    assert!(
        slow["error"]["message"]
            .as_str()
            .unwrap()
            .contains("within 1 s"),
        "{slow}"
    );
    assert_eq!(h.get("/health").status, 200);
}

#[test]
fn get_resource_and_links_stay_within_the_text_budget() {
    let h = Harness::start();
    let t = token(ALICE);
    let within = |tool: &str, args: Value| {
        let result = h.call_tool(&t, tool, args.clone());
        ok(&result);
        let text = result_text(&result);
        assert!(text.len() <= 16384, "{tool} {args}: {} bytes", text.len());
    };
    // Every resource, and every instance of each template the dataset has.
    let listing = call_ok(&h, ALICE, "get_resource", json!({}));
    within("get_resource", json!({}));
    for resource in listing["resources"].as_array().unwrap() {
        within("get_resource", json!({"uri": resource["uri"]}));
    }
    let users = call_ok(&h, ALICE, "admin_users_list", json!({}));
    for user in users["users"].as_array().unwrap() {
        let uri = format!("admin://users/{}", user["name"].as_str().unwrap());
        within("get_resource", json!({ "uri": uri }));
    }
    let buckets = call_ok(&h, ALICE, "bucket_list", json!({}));
    for bucket in buckets["buckets"].as_array().unwrap() {
        let uri = format!("tabulator://{}/tables", bucket["name"].as_str().unwrap());
        within("get_resource", json!({ "uri": uri }));
    }
    within("catalog_url", json!({"registry": "example-data"}));
    within("catalog_uri", json!({"registry": "example-data"}));
}
