//! Issue 19's trust findings, black-box: tokens with `crit` or a future `iat` and the
//! configurable leeway, the metadata endpoint's URL, registry redirects, `..` in package paths,
//! `region` from `config.json`, revocation, resource URI spellings, huge catalog answers, and
//! credentials kept out of the log at any level.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::*;
use quilt_mcp::config::{Config, MAX_JWT_LEEWAY};
use quilt_mcp::mock::{Fault, FaultBody, MockCatalog};
use serde_json::{Value, json};

const PING: &[u8] = br#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#;

/// The status and `error` of a ping with `token`.
fn ping(h: &Harness, token: &str) -> (u16, Option<String>) {
    let bearer = format!("Bearer {token}");
    let answer = h.post_raw(
        &[
            ("authorization", &bearer),
            ("content-type", "application/json"),
            ("accept", "application/json, text/event-stream"),
        ],
        PING,
    );
    let error = (answer.status != 200).then(|| answer.json()["error"].as_str().unwrap().into());
    (answer.status, error)
}

/// A token with these extra claims and header fields, signed with the test secret.
fn token_with(claims: Value, header: jsonwebtoken::Header) -> String {
    let mut all = json!({"id": ALICE, "uuid": "uuid-1", "exp": now() + 600});
    for (k, v) in claims.as_object().unwrap() {
        all[k] = v.clone();
    }
    let key = jsonwebtoken::EncodingKey::from_secret(SECRET.as_bytes());
    jsonwebtoken::encode(&header, &all, &key).unwrap()
}

fn hs256() -> jsonwebtoken::Header {
    jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256)
}

#[test]
fn tokens_with_crit_or_a_future_iat_are_refused() {
    let h = Harness::start_without_mock(&closed_port_url(), &[]);
    let mut crit = hs256();
    crit.crit = Some(vec!["exp".into()]);
    let refused = ping(&h, &token_with(json!({}), crit));
    assert_eq!(refused, (401, Some("invalid_token".into())));
    let future = token_with(json!({"iat": now() + 3600}), hs256());
    assert_eq!(ping(&h, &future), (401, Some("invalid_claims".into())));
    let not_a_number = token_with(json!({"iat": "yesterday"}), hs256());
    assert_eq!(
        ping(&h, &not_a_number),
        (401, Some("invalid_claims".into()))
    );
    // Within the default leeway (30 s): clocks a little apart still work.
    let skewed = token_with(json!({"iat": now() + 10}), hs256());
    assert_eq!(ping(&h, &skewed), (200, None));
    assert_eq!(
        ping(&h, &token_with(json!({"iat": now()}), hs256())),
        (200, None)
    );
}

#[test]
fn the_leeway_is_configurable_and_bounded() {
    let expired_5s = token_with(json!({"exp": now() - 5}), hs256());
    let issued_in_10s = token_with(json!({"iat": now() + 10}), hs256());
    let default = Harness::start_without_mock(&closed_port_url(), &[]);
    assert_eq!(ping(&default, &expired_5s).0, 200, "30 s by default");
    drop(default);
    let strict =
        Harness::start_without_mock(&closed_port_url(), &[("MCP_JWT_LEEWAY_SECONDS", "0")]);
    assert_eq!(
        ping(&strict, &expired_5s),
        (401, Some("token_expired".into()))
    );
    assert_eq!(
        ping(&strict, &issued_in_10s),
        (401, Some("invalid_claims".into()))
    );
    let too_long = (MAX_JWT_LEEWAY.as_secs() + 1).to_string();
    let vars = with_overrides(
        base_env("http://127.0.0.1:9"),
        &[("MCP_JWT_LEEWAY_SECONDS", &too_long)],
    );
    let error = Config::from_vars(vars).unwrap_err().to_string();
    assert!(error.contains("MCP_JWT_LEEWAY_SECONDS=\"301\""), "{error}");
}

/// A raw GET with a chosen `Host`, since HTTP clients set it themselves: status and body.
fn get_with_host(h: &Harness, path: &str, host: &str, extra: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(h.addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let request =
        format!("GET {path} HTTP/1.1\r\nHost: {host}\r\n{extra}Connection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let status = answer[9..12].parse().unwrap();
    (status, answer)
}

#[test]
fn the_metadata_names_the_configured_public_url_never_the_requests_host() {
    let public = Harness::start_without_mock(
        &closed_port_url(),
        &[("MCP_PUBLIC_URL", "https://mcp.example.com/")],
    );
    for path in [
        "/.well-known/oauth-protected-resource",
        "/.well-known/oauth-protected-resource/mcp",
    ] {
        let (status, answer) = get_with_host(&public, path, "evil.example.net", "");
        assert_eq!(status, 200, "{answer}");
        let body: Value = serde_json::from_str(answer.split("\r\n\r\n").nth(1).unwrap()).unwrap();
        assert_eq!(body["resource"], "https://mcp.example.com/mcp");
    }
    let challenge = public.post(None, &json!({"jsonrpc": "2.0", "id": 1, "method": "ping"}));
    assert_eq!(
        challenge.header("www-authenticate"),
        Some(
            "Bearer resource_metadata=\"https://mcp.example.com/.well-known/oauth-protected-resource/mcp\""
        )
    );
    drop(public);

    // Unconfigured: a loopback Host is a local run and is named; any other is not reflected.
    let local = Harness::start_without_mock(&closed_port_url(), &[]);
    let (status, answer) = get_with_host(
        &local,
        "/.well-known/oauth-protected-resource",
        "evil.example.net",
        "",
    );
    assert_eq!(status, 404, "{answer}");
    assert!(
        !answer.contains("evil") && answer.contains("MCP_PUBLIC_URL"),
        "{answer}"
    );
    let (_, challenge) = get_with_host(
        &local,
        "/mcp",
        "evil.example.net",
        "Authorization: Bearer x\r\n",
    );
    assert!(!challenge.contains("evil"), "{challenge}");
    let host = local.addr.to_string();
    let (status, answer) =
        get_with_host(&local, "/.well-known/oauth-protected-resource", &host, "");
    assert_eq!(status, 200);
    assert!(
        answer.contains(&format!("\"resource\":\"http://{host}/mcp\"")),
        "{answer}"
    );
}

#[test]
fn registry_redirects_are_errors_that_say_so_and_are_never_cached() {
    let h = Harness::start_with(&[("MCP_OPTIMIZATION_ENABLED", "false")]);
    // The recorded body goes out with the 3xx, as a proxy's redirect page would: it is not used.
    for status in [301, 302, 307, 308] {
        h.mock().set_fault(Fault {
            status: Some(status),
            location: Some("https://login.example.net/sso".into()),
            path_prefix: Some("/graphql".into()),
            ..Fault::default()
        });
        let text = err(&h.call_tool(&token(ALICE), "bucket_list", json!({})));
        assert!(
            text.contains(&format!(
                "redirect (HTTP {status} to https://login.example.net/sso)"
            )),
            "{text}"
        );
    }
    // A redirected config.json fails the call and is not kept for anyone.
    h.mock().set_fault(Fault {
        status: Some(302),
        location: Some("https://elsewhere.example.net/config.json".into()),
        path_prefix: Some("/config.json".into()),
        ..Fault::default()
    });
    let listing = json!({"bucket": "example-data"});
    let text = err(&h.call_tool(&token(ALICE), "bucket_objects_list", listing.clone()));
    assert!(
        text.contains("redirect") && text.contains("config.json"),
        "{text}"
    );
    h.mock().clear_fault();
    ok(&h.call_tool(&token(ALICE), "bucket_objects_list", listing));
    let configs = h
        .mock()
        .requests()
        .iter()
        .filter(|r| r.path == "/config.json")
        .count();
    assert_eq!(configs, 2, "fetched again once the redirect ended");
}

#[test]
fn dot_segments_in_package_paths_never_reach_the_registry() {
    let h = Harness::start();
    let t = token(BOB);
    let readme = json!({"package_name": "team/rnaseq-2024", "registry": "example-data", "path": "README.md"});
    ok(&h.call_tool(&t, "package_file_text", readme));
    for path in [
        "../../api/auth/get_credentials",
        "results/../../../api/auth/get_credentials",
        "./README.md",
        "%2e%2e/%2E%2E/api/auth/get_credentials",
    ] {
        let args =
            json!({"package_name": "team/rnaseq-2024", "registry": "example-data", "path": path});
        let text = err(&h.call_tool(&t, "package_file_text", args));
        assert!(
            text.contains("`..` segments are not allowed"),
            "{path}: {text}"
        );
    }
    for request in h.mock().requests() {
        let path = request.path.to_ascii_lowercase();
        assert!(!path.contains("..") && !path.contains("%2e"), "{path}");
    }
}

#[test]
fn a_region_that_is_not_an_aws_region_name_sends_nothing_to_s3() {
    let h = Harness::start();
    ok(&h.call_tool(
        &token(ALICE),
        "bucket_objects_list",
        json!({"bucket": "example-data"}),
    ));
    let h = Harness::start();
    let port = h.mock().addr().port();
    h.mock()
        .with_model(|m| m.stack.region = format!("x@127.0.0.1:{port}/"))
        .unwrap();
    for (tool, args) in [
        ("bucket_objects_list", json!({"bucket": "example-data"})),
        (
            "bucket_object_link",
            json!({"s3_uri": "s3://example-data/README.md"}),
        ),
    ] {
        let text = err(&h.call_tool(&token(ALICE), tool, args));
        assert!(text.contains("not an AWS region name"), "{tool}: {text}");
    }
    let signed = h
        .mock()
        .requests()
        .into_iter()
        .filter(|r| r.access_key.is_some());
    assert_eq!(signed.count(), 0, "no S3 request was made");
    let fetched_credentials = h
        .mock()
        .requests()
        .iter()
        .any(|r| r.path.contains("get_credentials"));
    assert!(!fetched_credentials, "no credentials were asked for");

    let ssm = with_overrides(
        base_env("http://127.0.0.1:9"),
        &[
            ("MCP_JWT_SECRET", ""),
            ("MCP_JWT_SECRET_SSM_PARAMETER", "/quilt-mcp/jwt"),
            ("AWS_REGION", "us-east-1.evil.example.net"),
        ],
    );
    let ssm: Vec<_> = ssm.into_iter().filter(|(_, v)| !v.is_empty()).collect();
    let error = Config::from_vars(ssm).unwrap_err().to_string();
    assert!(
        error.contains("AWS_REGION=") && error.contains("AWS region name"),
        "{error}"
    );
}

#[test]
fn a_revoked_token_gets_nothing_kept_for_it() {
    let h = Harness::start_with(&[("QUILT_MCP_RESOURCE_CACHE_TTL", "300")]);
    let (alice, bob) = (token(ALICE), token(BOB));
    let status = |t: &str| h.rpc(t, "resources/read", json!({"uri": "auth://status"}));
    let roles = |t: &str| h.call_tool(t, "get_resource", json!({"uri": "admin://roles"}));
    let objects =
        |t: &str| h.call_tool(t, "bucket_objects_list", json!({"bucket": "example-data"}));
    // Everything works and is kept: the resource read, the admin status, the S3 credentials.
    assert!(status(&alice).to_string().contains("\\\"authenticated\\\""));
    ok(&roles(&alice));
    ok(&objects(&alice));
    ok(&objects(&bob));

    h.mock().with_model(|m| m.revoked.insert(ALICE)).unwrap();
    let refused = status(&alice);
    assert!(
        refused.to_string().contains("rejected the token"),
        "{refused}"
    );
    assert!(err(&roles(&alice)).contains("rejected the token"));
    assert!(err(&objects(&alice)).contains("rejected the token"));
    // Nobody else is touched.
    ok(&objects(&bob));
    // The refusal dropped alice's kept resource even before anything asked for it again.
    h.mock().with_model(|m| m.revoked.clear()).unwrap();
    let before = h.mock().requests().len();
    ok(&roles(&alice));
    assert!(
        h.mock().requests().len() > before,
        "read again, not from the cache"
    );
}

#[test]
fn one_resource_spelled_many_ways_is_one_cache_entry() {
    let h = Harness::start_with(&[
        ("MCP_OPTIMIZATION_ENABLED", "false"),
        ("QUILT_MCP_RESOURCE_CACHE_TTL", "300"),
    ]);
    let users = h.call_tool(&token(ALICE), "admin_users_list", json!({}));
    let name = ok(&users)["users"][0]["name"].as_str().unwrap().to_string();
    let spellings: Vec<String> = vec![
        format!("admin://users/{name}"),
        format!("admin://users/%{:02X}{}", name.as_bytes()[0], &name[1..]),
        format!(
            "admin://users/{}",
            name.bytes()
                .map(|b| format!("%{b:02x}"))
                .collect::<String>()
        ),
    ];
    let mut answers = Vec::new();
    for uri in &spellings {
        let answer = h.rpc(&token(ALICE), "resources/read", json!({"uri": uri}));
        answers.push(answer["result"]["contents"][0]["text"].clone());
    }
    assert!(
        answers.iter().all(|a| *a == answers[0] && a.is_string()),
        "{answers:?}"
    );
    let reads = h.mock().requests().into_iter();
    let reads = reads
        .filter(|r| r.operation.as_deref() == Some("GetUser"))
        .count();
    assert_eq!(reads, 1, "one catalog read for every spelling");
}

#[test]
fn huge_catalog_answers_become_short_clear_errors() {
    let h = Harness::start_with(&[("MCP_OPTIMIZATION_ENABLED", "false")]);
    let graphql = |body: String| Fault {
        body: FaultBody::Json(body),
        path_prefix: Some("/graphql".into()),
        ..Fault::default()
    };
    // Bigger than the byte cap.
    let padding = "x".repeat(17 * 1024 * 1024);
    h.mock().set_fault(graphql(format!(
        r#"{{"data":{{"bucketConfigs":[]}},"pad":"{padding}"}}"#
    )));
    let text = err(&h.call_tool(&token(ALICE), "bucket_list", json!({})));
    assert!(text.contains("larger than 16 MiB"), "{text}");
    // Small in bytes, huge in values.
    let tiny = "[],".repeat(1_500_000);
    h.mock().set_fault(graphql(format!(
        r#"{{"data":{{"bucketConfigs":[]}},"pad":[{tiny}[]]}}"#
    )));
    let text = err(&h.call_tool(&token(ALICE), "bucket_list", json!({})));
    assert!(text.contains("more than 1000000 JSON values"), "{text}");
    // A 5 MiB error message, a thousand times.
    let message = "e".repeat(5 * 1024 * 1024);
    let errors = vec![json!({"message": message}); 3];
    h.mock()
        .set_fault(graphql(json!({"errors": errors}).to_string()));
    let result = h.call_tool(&token(ALICE), "bucket_list", json!({}));
    assert_eq!(result["isError"], true);
    assert!(
        result.to_string().len() < 8 * 1024,
        "{} bytes",
        result.to_string().len()
    );
    h.mock().clear_fault();
    ok(&h.call_tool(&token(ALICE), "bucket_list", json!({})));
}

/// The binary, its stdout lines collected in the background.
fn spawn(vars: Vec<(String, String)>) -> (std::process::Child, mpsc::Receiver<String>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_quilt-mcp"))
        .env_clear()
        .envs(vars)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    (child, rx)
}

#[test]
fn credentials_never_reach_the_log_even_at_trace() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let mock = rt.block_on(MockCatalog::start()).unwrap();
    let vars = with_overrides(
        base_env(&mock.url()),
        &[("MCP_LOG_LEVEL", "trace"), ("MCP_LOG_FORMAT", "text")],
    );
    let (mut child, lines) = spawn(vars);
    let mut seen = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    let addr = loop {
        let line = lines
            .recv_timeout(Duration::from_secs(1))
            .unwrap_or_default();
        seen.push(line.clone());
        if let Some((_, addr)) = line.split_once("Listening on http://") {
            break addr.split_whitespace().next().unwrap().to_string();
        }
        assert!(Instant::now() < deadline, "never listened: {seen:?}");
    };
    // A signed S3 call, and a hostile argument with a newline and an escape sequence.
    let call = |arguments: Value| {
        let body = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
            "params": {"name": "bucket_objects_list", "arguments": arguments}});
        client()
            .post(&format!("http://{addr}/mcp"))
            .header("authorization", &format!("Bearer {}", token(ALICE)))
            .send(serde_json::to_vec(&body).unwrap())
            .unwrap()
            .body_mut()
            .read_to_string()
            .unwrap()
    };
    assert!(call(json!({"bucket": "example-data"})).contains("\"isError\":false"));
    call(json!({"bucket": "no\nFORGED line \u{1b}[2J"}));
    std::thread::sleep(Duration::from_millis(500));
    let _ = child.kill();
    let _ = child.wait();
    seen.extend(lines.try_iter());
    let access_key = mock
        .with_model(|m| {
            m.users
                .iter()
                .find(|u| u.id == ALICE)
                .unwrap()
                .access_key
                .clone()
        })
        .unwrap();
    let all = seen.join("\n");
    assert!(
        !all.contains(&access_key),
        "the access key id reached the log"
    );
    assert!(
        !all.contains("mock-session-token-for"),
        "a session token reached the log"
    );
    assert!(
        !all.contains("mock-secret-for"),
        "a secret key reached the log"
    );
    assert!(
        !all.contains('\u{1b}'),
        "an escape sequence reached the log"
    );
    assert!(
        seen.iter().all(|l| !l.starts_with("FORGED")),
        "a forged line"
    );
    assert!(
        seen.iter()
            .all(|l| l.len() <= quilt_mcp::logging::MAX_LINE_BYTES)
    );
    mock.acknowledge_unmatched();
    rt.block_on(mock.shutdown());
}
