//! Whose credentials sign what: the permission tools (which never write), 50 concurrent calls of
//! two callers with no key or token crossing, one credential exchange per caller, the S3
//! operation timeout, and the binary ignoring the task's own AWS credentials.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use quilt_mcp::mock::{Fault, MockCatalog};
use serde_json::{Value, json};

const ALICE_KEY: &str = "ASIAALICEEXAMPLE0001";
const BOB_KEY: &str = "ASIABOBEXAMPLE000002";

fn exchanges(h: &Harness, user: i64) -> usize {
    h.mock()
        .requests()
        .iter()
        .filter(|r| r.path == "/api/auth/get_credentials" && r.user_id == Some(user))
        .count()
}

#[test]
fn access_checks_probe_without_writing() {
    let h = Harness::start();
    // One token each: the credential cache is per token.
    let (a, b) = (token(ALICE), token(BOB));
    let alice = ok(&h.call_tool(&a, "check_bucket_access", json!({"bucket": "example-data"})));
    assert_eq!(alice["permission_level"], "read");
    assert_eq!(
        alice["access_summary"],
        json!({"can_list": true, "can_read": true, "can_write": null})
    );
    snapshot_settings()
        .bind(|| insta::assert_json_snapshot!("check_bucket_access__alice_example_data", alice));
    let bob = ok(&h.call_tool(
        &b,
        "check_bucket_access",
        json!({"bucket": "s3://example-packages"}),
    ));
    assert_eq!(bob["permission_level"], "no_access");
    assert_eq!(bob["catalog"]["listed"], false);
    snapshot_settings()
        .bind(|| insta::assert_json_snapshot!("check_bucket_access__bob_example_packages", bob));
    let only_read = ok(&h.call_tool(
        &a,
        "check_bucket_access",
        json!({"bucket": "example-packages", "operations": ["read"]}),
    ));
    assert_eq!(
        only_read["checks"]
            .as_object()
            .unwrap()
            .keys()
            .collect::<Vec<_>>(),
        ["read"]
    );

    let everyone = ok(&h.call_tool(&a, "discover_permissions", json!({})));
    assert_eq!(everyone["total_buckets_checked"], 3);
    assert_eq!(
        everyone["categorized"]["read"],
        json!(["example-data", "example-packages", "example-public"])
    );
    let bob_all = ok(&h.call_tool(&b, "discover_permissions", json!({"force_refresh": true})));
    snapshot_settings().bind(|| insta::assert_json_snapshot!("discover_permissions__bob", bob_all));
    let named = ok(&h.call_tool(
        &b,
        "discover_permissions",
        json!({"check_buckets": ["example-packages", "s3://example-data"]}),
    ));
    assert_eq!(named["skipped"], json!(["example-packages"]));
    assert_eq!(named["total_buckets_checked"], 1);
    let cross = ok(&h.call_tool(
        &b,
        "discover_permissions",
        json!({"check_buckets": ["example-packages"], "include_cross_account": true}),
    ));
    assert_eq!(
        cross["categorized"]["no_access"],
        json!(["example-packages"])
    );

    // Only reads went to S3: listings of one key and HEADs, never a PUT.
    let seen = h.mock().requests();
    let signed: Vec<_> = seen.iter().filter(|r| r.access_key.is_some()).collect();
    assert!(!signed.is_empty());
    for request in &signed {
        match request.method.as_str() {
            "GET" => assert!(
                request.query.contains("max-keys=1"),
                "{}",
                request.describe()
            ),
            "HEAD" => {}
            other => panic!("a {other} went to S3: {}", request.describe()),
        }
    }
    assert_eq!((exchanges(&h, ALICE), exchanges(&h, BOB)), (1, 1));
}

/// The first listed key under `prefix` of `bucket` that ends with `suffix`, as `who` sees it,
/// with its listing entry.
fn listed(h: &Harness, who: &str, bucket: &str, prefix: &str, suffix: &str) -> Value {
    let listing = ok(&h.call_tool(
        who,
        "bucket_objects_list",
        json!({"bucket": bucket, "prefix": prefix}),
    ));
    listing["objects"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["key"].as_str().unwrap().ends_with(suffix))
        .unwrap_or_else(|| panic!("no *{suffix} under s3://{bucket}/{prefix}: {listing}"))
        .clone()
}

#[test]
fn fifty_concurrent_calls_of_two_callers_never_cross_keys_or_tokens() {
    let h = Harness::start();
    let (alice, bob) = (token(ALICE), token(BOB));
    // Alice reads from example-packages, which bob's credentials cannot read, so a crossed key
    // would be refused by the catalog's S3 as well as caught below; each finds her or his
    // object by listing first.
    let counts = listed(
        &h,
        &alice,
        "example-packages",
        "team/curated-rnaseq/data/",
        "counts.csv",
    );
    let penguins = listed(&h, &bob, "example-public", "demo/", "penguins.csv");
    let counts_uri = counts["s3_uri"].as_str().unwrap().to_string();
    let penguins_uri = penguins["s3_uri"].as_str().unwrap().to_string();
    let before = h.mock().requests().len();
    let results: Vec<(i64, Value)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..50)
            .map(|i| {
                let (h, alice, bob) = (&h, &alice, &bob);
                let (counts_uri, penguins_uri) = (&counts_uri, &penguins_uri);
                scope.spawn(move || {
                    if i % 2 == 0 {
                        let args = json!({"s3_uri": counts_uri, "max_bytes": 64});
                        (ALICE, h.call_tool(alice, "bucket_object_text", args))
                    } else {
                        let args = json!({"s3_uri": penguins_uri});
                        (BOB, h.call_tool(bob, "bucket_object_info", args))
                    }
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for (who, result) in &results {
        let answer = ok(result);
        match *who {
            ALICE => assert!(answer["text"].as_str().unwrap().starts_with("gene_id,")),
            _ => assert_eq!(
                (answer["size"].clone(), answer["etag"].clone()),
                (penguins["size"].clone(), penguins["etag"].clone()),
                "{answer}"
            ),
        }
    }
    // Every S3 request was signed with the key of the caller whose object it asked for.
    let seen = h.mock().requests();
    let signed: Vec<_> = seen[before..]
        .iter()
        .filter(|r| r.access_key.is_some())
        .collect();
    assert_eq!(signed.len(), 50);
    for request in signed {
        let expected = if request.path.starts_with("/example-packages/") {
            ALICE_KEY
        } else {
            assert!(
                request.path.starts_with("/example-public/"),
                "{}",
                request.describe()
            );
            BOB_KEY
        };
        assert_eq!(
            request.access_key.as_deref(),
            Some(expected),
            "{}",
            request.describe()
        );
    }
    // One exchange per caller, each with that caller's own token.
    assert_eq!((exchanges(&h, ALICE), exchanges(&h, BOB)), (1, 1));
    for request in seen
        .iter()
        .filter(|r| r.path == "/api/auth/get_credentials")
    {
        let own = if request.user_id == Some(ALICE) {
            &alice
        } else {
            &bob
        };
        assert_eq!(request.token.as_deref(), Some(own.as_str()));
    }
    // Bob's own credentials really cannot read alice's object.
    let refused = err(&h.call_tool(&bob, "bucket_object_text", json!({"s3_uri": counts_uri})));
    assert!(
        refused.contains("AccessDenied") && refused.contains("s3:GetObject"),
        "{refused}"
    );
}

#[test]
fn many_calls_exchange_credentials_once_per_caller() {
    let h = Harness::start();
    let (a, b) = (token(ALICE), token(BOB));
    for _ in 0..10 {
        ok(&h.call_tool(
            &a,
            "bucket_object_info",
            json!({"s3_uri": "s3://example-data/README.md"}),
        ));
        ok(&h.call_tool(
            &b,
            "bucket_objects_list",
            json!({"bucket": "example-data", "delimiter": "/"}),
        ));
    }
    assert_eq!((exchanges(&h, ALICE), exchanges(&h, BOB)), (1, 1));
}

#[test]
fn a_silent_s3_times_out_within_the_service_timeout() {
    let h = Harness::start_with(&[("QUILT_SERVICE_TIMEOUT", "1")]);
    h.mock().set_fault(Fault {
        latency: Duration::from_secs(4),
        path_prefix: Some("/example-data/".into()),
        ..Fault::default()
    });
    let started = Instant::now();
    let result = h.call_tool(
        &token(ALICE),
        "bucket_object_info",
        json!({"s3_uri": "s3://example-data/README.md"}),
    );
    let elapsed = started.elapsed();
    let text = result_text(&result);
    assert_eq!(result["isError"], true, "{result}");
    assert!(
        text.contains("within 1 s") && text.contains("s3://example-data/README.md"),
        "{text}"
    );
    assert!(elapsed < Duration::from_secs(3), "took {elapsed:?}");
    h.mock().clear_fault();
}

#[test]
fn the_binary_never_signs_with_the_tasks_own_aws_credentials() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let mock = rt.block_on(MockCatalog::start()).unwrap();
    let url = mock.url();
    // Everything the default AWS credential chain would look at, pointing at the mock so a
    // lookup would show up as a request.
    let task = [
        ("AWS_ACCESS_KEY_ID", "AKIATASKROLEEXAMPLE1"),
        ("AWS_SECRET_ACCESS_KEY", "task/role/secret/EXAMPLE"),
        ("AWS_SESSION_TOKEN", "TASK-ROLE-SESSION-TOKEN"),
        (
            "AWS_CONTAINER_CREDENTIALS_FULL_URI",
            &format!("{url}/task-role-credentials"),
        ),
        ("AWS_EC2_METADATA_SERVICE_ENDPOINT", &url),
        ("AWS_PROFILE", "task-profile"),
        ("MCP_LOG_FORMAT", "json"),
    ];
    let vars = with_overrides(base_env(&url), &task);
    let mut child = Command::new(env!("CARGO_BIN_EXE_quilt-mcp"))
        .env_clear()
        .envs(vars)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let address = BufReader::new(stdout)
        .lines()
        .map_while(Result::ok)
        .find_map(|line| {
            let value: Value = serde_json::from_str(&line).ok()?;
            let message = value["message"].as_str()?;
            message
                .contains("Listening on http://")
                .then(|| value["address"].as_str().map(str::to_string))?
        })
        .expect("the server says where it listens");
    let call = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
        "params": {"name": "bucket_objects_list", "arguments": {"bucket": "example-data", "delimiter": "/"}}});
    let mut response = client()
        .post(&format!("http://{address}/mcp"))
        .header("authorization", &format!("Bearer {}", token(ALICE)))
        .header("accept", "application/json, text/event-stream")
        .send_json(&call)
        .unwrap();
    let answer: Value = response.body_mut().read_json().unwrap();
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(answer["result"]["isError"], false, "{answer}");
    let seen = mock.requests();
    let signed: Vec<_> = seen
        .iter()
        .filter_map(|r| r.access_key.as_deref())
        .collect();
    assert_eq!(signed, [ALICE_KEY]);
    assert!(
        seen.iter()
            .all(|r| !r.path.starts_with("/task-role") && !r.path.starts_with("/latest/")),
        "a credential provider of the task was consulted: {seen:?}"
    );
    mock.assert_all_matched();
    rt.block_on(mock.shutdown());
}
