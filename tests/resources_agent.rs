//! The resources an agent reads once per conversation: `search://syntax` (markdown whose
//! examples each find something), `auth://buckets` and `auth://status`, read by users of the
//! dataset with different permissions, each getting their own.

mod common;

use std::collections::BTreeMap;

use common::*;
use serde_json::{Value, json};

/// `resources/read` as `who`: the content's MIME type and text.
fn read_text(h: &Harness, who: i64, uri: &str) -> (String, String) {
    let answer = h.rpc(&token(who), "resources/read", json!({ "uri": uri }));
    let content = &answer["result"]["contents"][0];
    assert_eq!(content["uri"], uri, "{answer}");
    (
        content["mimeType"].as_str().unwrap_or_default().to_string(),
        content["text"].as_str().unwrap_or_default().to_string(),
    )
}

fn read_json(h: &Harness, who: i64, uri: &str) -> Value {
    let (mime, text) = read_text(h, who, uri);
    assert_eq!(mime, "application/json");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{uri}: {e}: {text}"))
}

#[test]
fn the_new_resources_are_listed_with_their_types() {
    let h = Harness::start();
    let listed = h.rpc(&token(CAROL), "resources/list", json!({}));
    let types: BTreeMap<String, String> = listed["result"]["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["uri"].as_str().unwrap().into(),
                r["mimeType"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(types["search://syntax"], "text/markdown");
    assert_eq!(types["auth://buckets"], "application/json");
    assert_eq!(types["auth://status"], "application/json");
}

#[test]
fn the_search_syntax_is_markdown_whose_examples_find_something() {
    let h = Harness::start();
    let (mime, text) = read_text(&h, CAROL, "search://syntax");
    assert_eq!(mime, "text/markdown");
    assert!(text.starts_with("# "), "{text}");
    // get_resource answers the same text.
    let tool = call_ok(
        &h,
        CAROL,
        "get_resource",
        json!({ "uri": "search://syntax" }),
    );
    assert_eq!(tool["mime_type"], "text/markdown");
    assert_eq!(tool["data"], text);
    // Each example is one line of search_catalog arguments in the ```json block.
    let examples: Vec<Value> = text
        .lines()
        .filter(|line| line.starts_with("{\"query\""))
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{line}: {e}")))
        .collect();
    assert!(examples.len() >= 5, "{examples:?}");
    for example in examples {
        // alice may read every bucket, so an example that finds nothing for her is wrong.
        let found = call_ok(&h, ALICE, "search_catalog", example.clone());
        assert!(
            found["total"].as_u64().unwrap_or(0) > 0,
            "{example} found nothing: {found}"
        );
    }
}

#[test]
fn each_user_reads_their_own_buckets_and_access() {
    let h = Harness::start();
    for who in [BOB, CAROL] {
        let resource = read_json(&h, who, "auth://buckets");
        let listed = call_ok(&h, who, "bucket_list", json!({}));
        let names = |v: &Value, key: &str| -> Vec<String> {
            v[key]
                .as_array()
                .unwrap()
                .iter()
                .map(|b| b["name"].as_str().unwrap().to_string())
                .collect()
        };
        assert_eq!(
            names(&resource, "buckets"),
            names(&listed, "buckets"),
            "user {who}"
        );
        assert_eq!(resource["count"], listed["count"]);
        // Titles and descriptions are the catalog's; access is what the probes of
        // discover_permissions prove for the same user.
        let probed = call_ok(&h, who, "discover_permissions", json!({}));
        for (bucket, from_list) in resource["buckets"]
            .as_array()
            .unwrap()
            .iter()
            .zip(listed["buckets"].as_array().unwrap())
        {
            assert_eq!(bucket["title"], from_list["title"]);
            assert_eq!(bucket["description"], from_list["description"]);
            let level = probed["buckets"]
                .as_array()
                .unwrap()
                .iter()
                .find(|p| p["name"] == bucket["name"])
                .map(|p| p["permission_level"].clone())
                .unwrap();
            assert_eq!(bucket["access"], level, "user {who}: {bucket}");
        }
        assert_eq!(resource["user"], probed["user"]);
    }
    // The two users see different sets: the resource is per caller, not shared.
    let bob = read_json(&h, BOB, "auth://buckets");
    let carol = read_json(&h, CAROL, "auth://buckets");
    assert_ne!(bob["buckets"], carol["buckets"]);
    assert_ne!(bob["user"]["name"], carol["user"]["name"]);
}

#[test]
fn each_user_reads_their_own_identity_and_roles() {
    let h = Harness::start();
    for (who, name) in [(ALICE, "alice"), (BOB, "bob"), (CAROL, "carol")] {
        let status = read_json(&h, who, "auth://status");
        let user = h
            .mock()
            .with_model(|m| m.user(name).cloned())
            .flatten()
            .unwrap();
        assert_eq!(status["status"], "authenticated");
        assert_eq!(status["user"]["name"], user.name);
        assert_eq!(status["user"]["email"], user.email);
        assert_eq!(status["user"]["is_admin"], user.admin);
        assert_eq!(status["user"]["role"], json!(user.role));
        let available: Vec<String> = status["user"]["available_roles"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r.as_str().unwrap().to_string())
            .collect();
        let mut expected: Vec<String> =
            user.role.iter().chain(&user.extra_roles).cloned().collect();
        let mut got = available.clone();
        expected.sort();
        expected.dedup();
        got.sort();
        assert_eq!(got, expected, "{name}");
        if let Some(role) = &user.role {
            assert!(available.contains(role));
        }
    }
}
