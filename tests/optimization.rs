//! MCP_OPTIMIZATION_ENABLED and QUILT_MCP_RESOURCE_CACHE_TTL, both ways: identical concurrent
//! reads of one caller share one catalog call; nothing is ever shared between callers; with the
//! switches off every read reaches the catalog.

mod common;

use std::time::Duration;

use common::*;
use quilt_mcp::mock::Fault;
use serde_json::{Value, json};

fn concurrent_bucket_lists(h: &Harness, tokens: &[String]) -> Vec<Value> {
    let url = h.url("/mcp");
    let calls: Vec<_> = tokens
        .iter()
        .cloned()
        .map(|t| {
            let url = url.clone();
            std::thread::spawn(move || {
                let body = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
                    "params": {"name": "bucket_list", "arguments": {}}});
                let mut response = client()
                    .post(&url)
                    .header("authorization", &format!("Bearer {t}"))
                    .send(serde_json::to_vec(&body).unwrap())
                    .unwrap();
                serde_json::from_str::<Value>(&response.body_mut().read_to_string().unwrap())
                    .unwrap()
            })
        })
        .collect();
    calls
        .into_iter()
        .map(|c| c.join().unwrap()["result"].clone())
        .collect()
}

fn list_calls_by(h: &Harness, user: i64) -> Vec<Option<String>> {
    h.mock()
        .requests()
        .into_iter()
        .filter(|r| r.operation.as_deref() == Some("ListBuckets") && r.user_id == Some(user))
        .map(|r| r.token)
        .collect()
}

#[test]
fn on_identical_concurrent_reads_of_one_caller_share_one_call() {
    let h = Harness::start();
    h.mock().set_fault(Fault {
        latency: Duration::from_millis(400),
        ..Fault::default()
    });
    let (alice, bob) = (token(ALICE), token(BOB));
    let mut tokens = vec![alice.clone(); 10];
    tokens.extend(vec![bob.clone(); 10]);
    let results = concurrent_bucket_lists(&h, &tokens);
    for (i, result) in results.iter().enumerate() {
        let expected = if i < 10 { 3 } else { 2 };
        assert_eq!(
            result["structuredContent"]["count"], expected,
            "caller {i} saw someone else's buckets"
        );
    }
    assert_eq!(list_calls_by(&h, ALICE), vec![Some(alice.clone())]);
    assert_eq!(list_calls_by(&h, BOB), vec![Some(bob)]);
    // Shortly after, the same caller's read is served from the short-lived cache.
    h.call_tool(&alice, "bucket_list", json!({}));
    assert_eq!(list_calls_by(&h, ALICE).len(), 1);
}

#[test]
fn off_every_read_reaches_the_catalog() {
    let h = Harness::start_with(&[("MCP_OPTIMIZATION_ENABLED", "false")]);
    h.mock().set_fault(Fault {
        latency: Duration::from_millis(200),
        ..Fault::default()
    });
    let results = concurrent_bucket_lists(&h, &vec![token(ALICE); 8]);
    assert!(results.iter().all(|r| r["isError"] == false));
    assert_eq!(list_calls_by(&h, ALICE).len(), 8);
}

fn auth_status_calls(h: &Harness) -> Vec<Option<i64>> {
    h.mock()
        .requests()
        .into_iter()
        .filter(|r| r.operation.as_deref() == Some("AuthStatus"))
        .map(|r| r.user_id)
        .collect()
}

fn read_resource(h: &Harness, t: &str, uri: &str) -> Value {
    let answer = h.rpc(t, "resources/read", json!({ "uri": uri }));
    serde_json::from_str(answer["result"]["contents"][0]["text"].as_str().unwrap()).unwrap()
}

/// `auth://status` is always asked afresh (its point is whether the token is accepted now);
/// `auth://catalog/info` also asks who the caller is, and is cached.
fn read_status(h: &Harness, t: &str) -> Value {
    read_resource(h, t, "auth://status")
}

fn read_info(h: &Harness, t: &str) -> Value {
    read_resource(h, t, "auth://catalog/info")
}

#[test]
fn resource_reads_are_cached_per_caller_and_never_across_callers() {
    // Optimization off, so only the resource cache can explain a saved call.
    let h = Harness::start_with(&[
        ("MCP_OPTIMIZATION_ENABLED", "false"),
        ("QUILT_MCP_RESOURCE_CACHE_TTL", "300"),
    ]);
    let (alice, bob) = (token(ALICE), token(BOB));
    assert_eq!(read_info(&h, &alice)["user"], "alice");
    assert_eq!(read_info(&h, &alice)["user"], "alice");
    assert_eq!(auth_status_calls(&h), vec![Some(ALICE)]);
    assert_eq!(
        read_info(&h, &bob)["user"],
        "bob",
        "bob never sees alice's cached read"
    );
    assert_eq!(auth_status_calls(&h), vec![Some(ALICE), Some(BOB)]);
    // auth://status is never served from the cache.
    assert_eq!(read_status(&h, &alice)["user"]["name"], "alice");
    assert_eq!(
        auth_status_calls(&h),
        vec![Some(ALICE), Some(BOB), Some(ALICE)]
    );
}

#[test]
fn resource_cache_ttl_zero_disables_it() {
    let h = Harness::start_with(&[
        ("MCP_OPTIMIZATION_ENABLED", "false"),
        ("QUILT_MCP_RESOURCE_CACHE_TTL", "0"),
    ]);
    let alice = token(ALICE);
    read_info(&h, &alice);
    read_info(&h, &alice);
    assert_eq!(auth_status_calls(&h).len(), 2);
}
