//! Black-box tests of `quilt-mcp record`, over real HTTP on 127.0.0.1: the model catalog plays
//! the "real" upstream, requests go through the recorder, and the file it writes must be free
//! of secrets and replay the same answers from a second mock ([`MockCatalog::replay`]).

mod common;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use quilt_mcp::mock::{MockCatalog, Recorder, Recordings};
use serde_json::{Value, json};

const BUCKET: &str = "example-data";
const PACKAGE: &str = "team/rnaseq-2024";

/// One request as the tests send it.
struct Call {
    method: &'static str,
    path: String,
    token: Option<String>,
    body: Option<Value>,
}

/// What came back.
#[derive(Debug)]
struct Answer {
    status: u16,
    headers: http::HeaderMap,
    text: String,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

/// A client that reports every status and follows no redirect, so 3xx answers can be compared.
fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .into()
}

fn send(agent: &ureq::Agent, base: &str, call: &Call) -> Answer {
    let url = format!("{base}{}", call.path);
    let bearer = call.token.as_ref().map(|t| format!("Bearer {t}"));
    let result = match (call.method, &call.body) {
        ("POST", Some(body)) => {
            let mut request = agent.post(&url).header("content-type", "application/json");
            if let Some(bearer) = &bearer {
                request = request.header("authorization", bearer);
            }
            request.send(body.to_string())
        }
        _ => {
            let mut request = agent.get(&url);
            if let Some(bearer) = &bearer {
                request = request.header("authorization", bearer);
            }
            request.call()
        }
    };
    let mut response = result.expect("the request got an answer");
    Answer {
        status: response.status().as_u16(),
        headers: response.headers().clone(),
        text: response.body_mut().read_to_string().unwrap_or_default(),
    }
}

fn temp_dir() -> PathBuf {
    std::env::temp_dir().join(format!("quilt-mcp-record-{}", uuid::Uuid::new_v4()))
}

fn loopback() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

fn graphql(token: &str, body: Value) -> Call {
    Call {
        method: "POST",
        path: "/graphql".into(),
        token: Some(token.to_string()),
        body: Some(body),
    }
}

fn get(path: &str, token: Option<&str>) -> Call {
    Call {
        method: "GET",
        path: path.into(),
        token: token.map(str::to_string),
        body: None,
    }
}

/// The first calls of a short session: who am I, my buckets, the catalog's config, my
/// credentials, and the latest revision of a package (the rest depend on the answers).
fn session(token: &str) -> Vec<Call> {
    vec![
        graphql(
            token,
            json!({ "query": "query AuthStatus { me { name email isAdmin } }", "operationName": "AuthStatus" }),
        ),
        // No operationName: the recorder must read the name from the document.
        graphql(
            token,
            json!({ "query": "query ListBuckets { bucketConfigs { name title } }" }),
        ),
        get("/config.json", None),
        get("/api/auth/get_credentials", Some(token)),
        graphql(
            token,
            json!({ "query": include_str!("../schema/queries/GetRevisionHash.graphql"),
                    "variables": { "bucket": BUCKET, "name": PACKAGE, "hashOrTag": "latest" } }),
        ),
    ]
}

/// A browsing session on revision `hash` of the package.
fn create_session(token: &str, hash: &str) -> Call {
    graphql(
        token,
        json!({ "query": quilt_mcp::catalog::queries::BROWSING_SESSION_CREATE.text,
                "variables": { "scope": format!("quilt+s3://{BUCKET}#package={PACKAGE}@{hash}"), "ttl": 600 } }),
    )
}

fn json_of(answer: &Answer) -> Value {
    serde_json::from_str(&answer.text).unwrap_or_else(|e| panic!("{e}: {}", answer.text))
}

/// `text` with a base URL put back to the placeholder, so answers from different ports compare.
fn unplace(text: &str, urls: &[&str]) -> String {
    urls.iter()
        .fold(text.to_string(), |t, url| t.replace(url, "{{mock_url}}"))
}

/// What redaction does to the upstream's JSON: these fields' non-empty strings are replaced.
fn redacted(value: &mut Value) {
    const FIELDS: &[&str] = &[
        "AccessKeyId",
        "SecretAccessKey",
        "SessionToken",
        "passwordAuth",
    ];
    match value {
        Value::Object(fields) => {
            for (key, field) in fields.iter_mut() {
                match field {
                    Value::String(text) if FIELDS.contains(&key.as_str()) && !text.is_empty() => {
                        *text = format!("REDACTED-{key}")
                    }
                    other => redacted(other),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(redacted),
        _ => {}
    }
}

#[test]
fn records_a_session_without_secrets_and_replays_it() {
    let rt = runtime();
    let upstream = rt.block_on(MockCatalog::start()).unwrap();
    upstream.set_strict(true);
    let dir = temp_dir();
    let recorder = rt
        .block_on(Recorder::start(
            loopback(),
            &upstream.url(),
            &upstream.url(),
            &dir,
            "session",
        ))
        .unwrap();
    let agent = agent();
    let token = common::token(common::ALICE);
    let mut calls = session(&token);

    // Through the recorder, the upstream's answers, one by one; the file grows as they come.
    let mut live = Vec::new();
    let through = |call: &Call, live: &mut Vec<Answer>| {
        live.push(send(&agent, &recorder.url(), call));
        assert_eq!(recorder.recorded(), live.len());
        let written = Recordings::from_dir(&dir).expect("the file is valid after every exchange");
        assert_eq!(written.len(), live.len());
    };
    for call in &calls {
        through(call, &mut live);
    }
    // The latest revision, a browsing session on it, and a file through the session.
    let hash = json_of(&live[4])["data"]["package"]["revision"]["hash"]
        .as_str()
        .unwrap_or_else(|| panic!("a top hash: {}", live[4].text))
        .to_string();
    calls.push(create_session(&token, &hash));
    through(&calls[5], &mut live);
    let created = json_of(&live[5]);
    let session_id = created["data"]["browsingSessionCreate"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("a session: {created}"))
        .to_string();
    calls.push(get(
        &format!("/browse/{session_id}/README.md"),
        Some(&token),
    ));
    through(&calls[6], &mut live);
    // The same question again is recorded once.
    let again = send(&agent, &recorder.url(), &calls[0]);
    assert_eq!(again.status, 200);
    assert_eq!(recorder.recorded(), calls.len());
    assert!(live.iter().take(6).all(|a| a.status == 200), "{live:?}");

    // The redirect points back at the recorder, so following it is recorded too.
    let redirect = &live[6];
    assert_eq!(redirect.status, 302, "{}", redirect.text);
    let location = redirect.header("location").unwrap().to_string();
    let target = location
        .strip_prefix(&recorder.url())
        .expect("the live Location points at the recorder")
        .to_string();
    let signature = target
        .split(['?', '&'])
        .find_map(|p| p.strip_prefix("X-Amz-Signature="))
        .expect("a presigned link")
        .to_string();
    let follow = get(&target, None);
    let presigned = send(&agent, &recorder.url(), &follow);
    assert_eq!(presigned.status, 200);
    assert!(presigned.text.starts_with("# team/rnaseq-2024"));
    assert_eq!(recorder.recorded(), 8);

    // The file: valid, and free of every secret the session carried.
    let credentials = json_of(&live[3]);
    let secret = |name: &str| {
        credentials[name]
            .as_str()
            .unwrap_or_else(|| panic!("{name} in {credentials}"))
            .to_string()
    };
    let file = recorder.file();
    assert_eq!(file, dir.join("session.json"));
    let text = std::fs::read_to_string(&file).unwrap();
    for secret in [
        token.clone(),
        "Bearer".into(),
        secret("AccessKeyId"),
        secret("SecretAccessKey"),
        secret("SessionToken"),
        format!("X-Amz-Signature={signature}"), // the presigned link's signature
        "127.0.0.1".into(),
    ] {
        assert!(
            !text.contains(&secret),
            "the file holds {secret:?}:\n{text}"
        );
    }
    for kept in [
        "{{mock_url}}".to_string(),
        "REDACTED-SecretAccessKey".into(),
        secret("Expiration"),
        "\"user_id\": 1".into(),
        "\"operation\": \"ListBuckets\"".into(),
        "X-Amz-Signature=REDACTED".into(),
    ] {
        assert!(text.contains(&kept), "the file lacks {kept:?}:\n{text}");
    }
    let recorded: Value = serde_json::from_str(&text).unwrap();
    let ids: Vec<&str> = recorded["interactions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    let browse_id = format!(
        "get-browse-{}-readme-md-user1",
        session_id.replace('_', "-").to_lowercase()
    );
    assert_eq!(
        ids,
        [
            "auth-status-user1",
            "list-buckets-user1",
            "get-config-json",
            "get-api-auth-get-credentials-user1",
            "get-revision-hash-user1",
            "browsing-session-create-user1",
            browse_id.as_str(),
            "get-presigned-example-data-team-rnaseq-2024-readme-md",
        ]
    );
    let recorder_url = recorder.url();
    rt.block_on(recorder.shutdown());

    // Replay: a second mock from the written directory gives the same answers.
    let replay = rt
        .block_on(MockCatalog::replay(Recordings::from_dir(&dir).unwrap()))
        .unwrap();
    let upstream_urls = [upstream.url(), recorder_url];
    let upstream_urls: Vec<&str> = upstream_urls.iter().map(String::as_str).collect();
    let redacted_signature = format!("X-Amz-Signature={signature}");
    for (call, before) in calls
        .iter()
        .chain([&follow])
        .zip(live.iter().chain([&presigned]))
    {
        let after = send(&agent, &replay.url(), call);
        assert_eq!(after.status, before.status, "{}", call.path);
        let was = unplace(&before.text, &upstream_urls);
        let now = unplace(&after.text, &[&replay.url()]);
        match serde_json::from_str::<Value>(&was) {
            Ok(mut expected) => {
                redacted(&mut expected);
                assert_eq!(
                    serde_json::from_str::<Value>(&now).unwrap(),
                    expected,
                    "{}",
                    call.path
                );
            }
            Err(_) => assert_eq!(now, was, "{}", call.path),
        }
        let location = |a: &Answer, urls: &[&str]| {
            a.header("location")
                .map(|l| unplace(l, urls).replace(&redacted_signature, "X-Amz-Signature=REDACTED"))
        };
        assert_eq!(
            location(&after, &[&replay.url()]),
            location(before, &upstream_urls)
        );
    }
    replay.assert_all_matched();
    upstream.assert_all_matched();
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn an_unreachable_upstream_is_a_502_and_nothing_is_written() {
    let rt = runtime();
    // A port that was free a moment ago: nothing listens there.
    let closed = std::net::TcpListener::bind(loopback()).unwrap();
    let dead = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let dir = temp_dir();
    let recorder = rt
        .block_on(Recorder::start(loopback(), &dead, &dead, &dir, "down"))
        .unwrap();
    let agent = agent();
    let token = common::token(common::ALICE);
    for (call, side) in [
        (get("/config.json", None), "catalog"),
        (session(&token).remove(0), "registry"),
    ] {
        let answer = send(&agent, &recorder.url(), &call);
        assert_eq!(answer.status, 502, "{}", answer.text);
        let body: Value = serde_json::from_str(&answer.text).unwrap();
        let message = body["errors"][0]["message"].as_str().unwrap();
        assert!(
            message.contains(&format!("cannot reach the {side} at {dead}")),
            "{message}"
        );
    }
    assert_eq!(recorder.recorded(), 0);
    assert!(!recorder.file().exists());
    rt.block_on(recorder.shutdown());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn cookies_credentials_and_huge_answers_stay_out_of_the_file() {
    let rt = runtime();
    let jwt = common::token(common::BOB);
    let huge = "a".repeat(33 * 1024 * 1024);
    let recordings = json!({
        "scenario": "upstream",
        "interactions": [
            { "id": "login", "request": { "method": "POST", "path": "/api/login" },
              "response": { "status": 200,
                "headers": { "set-cookie": "session=cookie-secret-value; HttpOnly" },
                "body": { "token": jwt, "user": { "name": "bob", "password": "hunter2" },
                          "link": "{{mock_url}}/x?X-Amz-Security-Token=stoken123&a=1",
                          "note": format!("your token is {jwt}.") } } },
            { "id": "huge", "request": { "method": "GET", "path": "/huge" },
              "response": { "status": 200, "body_text": huge } }
        ]
    });
    let recordings = Recordings::from_json("upstream.json", &recordings.to_string()).unwrap();
    let upstream = rt.block_on(MockCatalog::replay(recordings)).unwrap();
    let dir = temp_dir();
    let recorder = rt
        .block_on(Recorder::start(
            loopback(),
            &upstream.url(),
            &upstream.url(),
            &dir,
            "cookies",
        ))
        .unwrap();
    let agent = agent();

    let login = Call {
        method: "POST",
        path: "/api/login".into(),
        token: None,
        body: Some(json!({ "username": "bob", "password": "hunter2" })),
    };
    let answer = send(&agent, &recorder.url(), &login);
    assert_eq!(answer.status, 200);
    // The live client still gets its cookie; only the file goes without.
    assert!(
        answer
            .header("set-cookie")
            .unwrap()
            .contains("cookie-secret-value")
    );

    let too_big = send(&agent, &recorder.url(), &get("/huge", None));
    assert_eq!(too_big.status, 502);
    assert!(too_big.text.contains("32 MiB"), "{}", too_big.text);
    assert_eq!(recorder.recorded(), 1);

    let text = std::fs::read_to_string(recorder.file()).unwrap();
    for secret in [
        "cookie-secret-value",
        "set-cookie",
        "hunter2",
        "stoken123",
        jwt.as_str(),
        "127.0.0.1",
    ] {
        assert!(!text.contains(secret), "the file holds {secret:?}:\n{text}");
    }
    let recorded: Value = serde_json::from_str(&text).unwrap();
    let body = &recorded["interactions"][0]["response"]["body"];
    assert_eq!(body["token"], "REDACTED-token");
    assert_eq!(
        body["user"],
        json!({ "name": "bob", "password": "REDACTED-password" })
    );
    assert_eq!(
        body["link"],
        "{{mock_url}}/x?X-Amz-Security-Token=REDACTED&a=1"
    );
    assert_eq!(body["note"], "your token is REDACTED-token.");
    rt.block_on(recorder.shutdown());
    upstream.assert_all_matched();
    std::fs::remove_dir_all(&dir).unwrap();
}
