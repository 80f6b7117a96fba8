//! Quilt API keys (`qk_…`) as bearer tokens, black-box: accepted when `MCP_API_KEYS` is on and
//! the registry knows the key; refused when off, when unknown, and once the registry revokes
//! it (after the kept verdict expires); one registry call per key per TTL under concurrent
//! load; a flood of made-up keys from one address limited; rate limits per resolved user.

mod common;

use std::time::{Duration, Instant};

use common::*;
use serde_json::{Value, json};

const PING: &[u8] = br#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#;

/// The dataset user's API key, as the embedded catalog knows it.
fn key_of(h: &Harness, id: i64) -> String {
    h.mock()
        .with_model(|m| {
            m.users
                .iter()
                .find(|u| u.id == id)
                .map(|u| u.api_key.clone())
        })
        .flatten()
        .expect("the dataset user has a key")
}

fn ping(h: &Harness, token: &str) -> Answer {
    let bearer = format!("Bearer {token}");
    h.post_raw(
        &[
            ("authorization", &bearer),
            ("content-type", "application/json"),
            ("accept", "application/json, text/event-stream"),
        ],
        PING,
    )
}

/// How many registry calls carried `token`.
fn calls_with(h: &Harness, token: &str) -> usize {
    let requests = h.mock().requests();
    requests
        .iter()
        .filter(|r| r.token.as_deref() == Some(token))
        .count()
}

fn keys_on(extra: &[(&str, &str)]) -> Harness {
    let mut vars = vec![("MCP_API_KEYS", "true")];
    vars.extend_from_slice(extra);
    Harness::start_with(&vars)
}

fn assert_refused(answer: &Answer) {
    assert_eq!(answer.status, 401, "{}", answer.text);
    let challenge = answer.header("www-authenticate").unwrap_or_default();
    assert!(
        challenge.starts_with("Bearer") && challenge.contains("invalid_token"),
        "{challenge}"
    );
    assert_eq!(answer.json()["error"], "invalid_token");
}

#[test]
fn a_known_key_is_accepted_and_acts_as_its_user() {
    let h = keys_on(&[]);
    let key = key_of(&h, ALICE);
    let status = h.rpc(&key, "resources/read", json!({"uri": "auth://status"}));
    let text = status["result"]["contents"][0]["text"].as_str().unwrap();
    let status: Value = serde_json::from_str(text).unwrap();
    let alice = h
        .mock()
        .with_model(|m| m.users.iter().find(|u| u.id == ALICE).unwrap().name.clone())
        .unwrap();
    assert_eq!(status["status"], "authenticated", "{status}");
    assert_eq!(status["user"]["name"], alice);
    // A tool that needs the caller's AWS credentials: the registry issues them to the key.
    let buckets = call_ok(
        &h,
        ALICE,
        "bucket_objects_list",
        json!({"bucket": "example-data"}),
    );
    let listed = ok(&h.call_tool(
        &key,
        "bucket_objects_list",
        json!({"bucket": "example-data"}),
    ));
    assert_eq!(listed, buckets, "the key sees what its user's JWT sees");
}

#[test]
fn a_key_is_refused_when_keys_are_off() {
    let h = Harness::start();
    let key = key_of(&h, ALICE);
    let answer = ping(&h, &key);
    assert_refused(&answer);
    assert!(answer.text.contains("MCP_API_KEYS"), "{}", answer.text);
    assert_eq!(calls_with(&h, &key), 0, "nothing asked of the registry");
}

#[test]
fn an_unknown_key_is_refused_and_the_refusal_is_kept() {
    let h = keys_on(&[]);
    let made_up = format!("qk_{}", "x".repeat(40));
    assert_refused(&ping(&h, &made_up));
    assert_refused(&ping(&h, &made_up));
    assert_eq!(calls_with(&h, &made_up), 1, "the refusal is kept");
    // A JWT still works beside keys.
    assert_eq!(ping(&h, &token(BOB)).status, 200);
}

#[test]
fn an_inactive_users_key_is_refused() {
    let h = keys_on(&[]);
    let key = key_of(&h, DAVE);
    assert_refused(&ping(&h, &key));
}

#[test]
fn a_revoked_key_is_refused_once_its_verdict_expires() {
    let h = keys_on(&[("MCP_API_KEY_CACHE_SECONDS", "1")]);
    let key = key_of(&h, CAROL);
    assert_eq!(ping(&h, &key).status, 200);
    // The registry revokes the key (a new one replaces it).
    h.mock()
        .with_model(|m| {
            let carol = m.users.iter_mut().find(|u| u.id == CAROL).unwrap();
            carol.api_key = format!("qk_rotated_{}", carol.name);
        })
        .unwrap();
    assert_eq!(
        ping(&h, &key).status,
        200,
        "the verdict is kept for its TTL"
    );
    std::thread::sleep(Duration::from_millis(1100));
    assert_refused(&ping(&h, &key));
    assert_eq!(calls_with(&h, &key), 2, "one call per TTL");
}

#[test]
fn one_registry_call_per_key_under_200_concurrent_requests() {
    let h = keys_on(&[]);
    let key = key_of(&h, BOB);
    let statuses: Vec<u16> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..200)
            .map(|_| scope.spawn(|| ping(&h, &key).status))
            .collect();
        handles.into_iter().map(|t| t.join().unwrap()).collect()
    });
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    assert_eq!(calls_with(&h, &key), 1);
}

#[test]
fn a_flood_of_made_up_keys_from_one_address_is_limited() {
    let h = keys_on(&[]);
    let started = Instant::now();
    let mut statuses = Vec::new();
    let mut keys = Vec::new();
    for _ in 0..60 {
        let key = format!("qk_{}", uuid::Uuid::new_v4().simple());
        statuses.push(ping(&h, &key).status);
        keys.push(key);
    }
    let elapsed = started.elapsed().as_secs() as usize;
    let limited = statuses.iter().filter(|s| **s == 429).count();
    let refused = statuses.iter().filter(|s| **s == 401).count();
    assert_eq!(limited + refused, 60, "{statuses:?}");
    let calls: usize = keys.iter().map(|k| calls_with(&h, k)).sum();
    assert_eq!(calls, refused, "a limited key costs no registry call");
    // The burst, then one a second.
    let most = quilt_mcp::layers::api_key::UNKNOWN_KEYS_BURST as usize + elapsed + 1;
    assert!(calls <= most, "{calls} registry calls in {elapsed} s");
    assert!(limited > 0, "{statuses:?}");
}

#[test]
fn rate_limits_apply_per_resolved_user() {
    let h = keys_on(&[
        ("MCP_RATE_LIMIT_PER_SECOND", "1"),
        ("MCP_RATE_LIMIT_BURST", "2"),
    ]);
    let (alice, bob) = (key_of(&h, ALICE), key_of(&h, BOB));
    let statuses: Vec<u16> = (0..3).map(|_| ping(&h, &alice).status).collect();
    assert_eq!(statuses, [200, 200, 429]);
    assert_eq!(
        ping(&h, &bob).status,
        200,
        "another user has their own bucket"
    );
}

#[test]
fn logs_name_a_key_by_its_fingerprint_only() {
    use quilt_mcp::catalog::CallerKey;
    use quilt_mcp::identity::CallerToken;
    use std::io::Read;
    use std::process::{Command, Stdio};

    let rt = tokio::runtime::Runtime::new().unwrap();
    let mock = rt.block_on(quilt_mcp::mock::MockCatalog::start()).unwrap();
    let key = mock
        .with_model(|m| {
            m.users
                .iter()
                .find(|u| u.id == ALICE)
                .unwrap()
                .api_key
                .clone()
        })
        .unwrap();
    let made_up = format!("qk_{}", uuid::Uuid::new_v4().simple());
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let vars = with_overrides(
        base_env(&mock.url()),
        &[
            ("MCP_API_KEYS", "true"),
            ("MCP_LOG_LEVEL", "trace"),
            ("MCP_LOG_FORMAT", "json"),
            ("FASTMCP_PORT", &port.to_string()),
        ],
    );
    let mut server = Command::new(env!("CARGO_BIN_EXE_quilt-mcp"))
        .arg("serve")
        .env_clear()
        .envs(vars)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let url = format!("http://127.0.0.1:{port}/mcp");
    let ping = |token: &str| {
        client()
            .post(&url)
            .header("authorization", &format!("Bearer {token}"))
            .header("content-type", "application/json")
            .send(PING)
            .map(|r| r.status().as_u16())
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    while ping(&key).is_err() {
        assert!(Instant::now() < deadline, "the server never listened");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(ping(&key).unwrap(), 200);
    assert_eq!(ping(&made_up).unwrap(), 401);
    let _ = server.kill();
    let mut logs = String::new();
    server
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut logs)
        .unwrap();
    let _ = server.wait();
    rt.block_on(mock.shutdown());
    for token in [&key, &made_up] {
        assert!(!logs.contains(token.as_str()), "a key in the logs");
        let fingerprint = CallerKey::of(&CallerToken::new(token)).fingerprint();
        assert!(
            logs.contains(&fingerprint),
            "no fingerprint {fingerprint} in the logs"
        );
    }
}

#[test]
fn a_key_accepted_before_is_judged_again_even_when_its_address_is_limited() {
    let h = keys_on(&[("MCP_API_KEY_CACHE_SECONDS", "1")]);
    let key = key_of(&h, BOB);
    assert_eq!(ping(&h, &key).status, 200);
    std::thread::sleep(Duration::from_millis(1100));
    // Made-up keys from the same address use up its lookups...
    let flood = |n: usize| -> Vec<u16> {
        (0..n)
            .map(|_| ping(&h, &format!("qk_{}", uuid::Uuid::new_v4().simple())).status)
            .collect()
    };
    let statuses = flood(quilt_mcp::layers::api_key::UNKNOWN_KEYS_BURST as usize + 5);
    assert_eq!(statuses.last(), Some(&429), "{statuses:?}");
    // ...but a key the registry accepted before is still asked about, its verdict expired.
    assert_eq!(ping(&h, &key).status, 200);
    assert_eq!(calls_with(&h, &key), 2);
}
