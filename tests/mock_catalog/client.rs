//! Helpers: a runtime and mock per test, catalog-style tokens, and blocking ureq calls.

use std::time::Duration;

use quilt_mcp::mock::{MockCatalog, Recordings};
use serde_json::{Value, json};
use tokio::runtime::Runtime;

pub const ALICE: i64 = 1;
pub const BOB: i64 = 2;
pub const CAROL: i64 = 3;
pub const DAVE: i64 = 4;

pub const LIST_BUCKETS: &str = "query ListBuckets { bucketConfigs { name title description iconUrl relevanceScore browsable tags lastIndexed } }";
pub const AUTH_STATUS: &str =
    "query AuthStatus { me { name email isAdmin role { name } roles { name } } }";

pub fn runtime() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// Starts a mock on `rt`; the test thread stays free for blocking ureq calls.
pub fn start(rt: &Runtime, recordings: Recordings) -> MockCatalog {
    rt.block_on(MockCatalog::replay(recordings)).unwrap()
}

pub fn builtin(rt: &Runtime) -> MockCatalog {
    start(rt, Recordings::builtin().unwrap())
}

/// A real HS256 catalog-style JWT with claims `{id, uuid, exp}`.
pub fn token(id: i64) -> String {
    let claims = json!({ "id": id, "uuid": format!("token-uuid-{id}"), "exp": 4_102_444_800_i64 });
    let key = jsonwebtoken::EncodingKey::from_secret(b"mock-test-secret");
    jsonwebtoken::encode(&jsonwebtoken::Header::default(), &claims, &key).unwrap()
}

pub fn agent() -> ureq::Agent {
    let config = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .timeout_global(Some(Duration::from_secs(10)))
        .build();
    ureq::Agent::new_with_config(config)
}

/// POSTs a GraphQL call as the given user; returns status and parsed body.
pub fn graphql(
    mock: &MockCatalog,
    user: Option<i64>,
    document: &str,
    variables: Option<Value>,
) -> (u16, Value) {
    let mut body = json!({ "query": document });
    if let Some(variables) = variables {
        body["variables"] = variables;
    }
    let mut request = agent().post(format!("{}/graphql", mock.url()));
    if let Some(user) = user {
        request = request.header("Authorization", format!("Bearer {}", token(user)));
    }
    let mut response = request.send_json(&body).unwrap();
    (
        response.status().as_u16(),
        response.body_mut().read_json().unwrap(),
    )
}

/// GETs `path_and_query` as the given user; returns status, `Location` header and body text.
pub fn get(
    mock: &MockCatalog,
    user: Option<i64>,
    path_and_query: &str,
) -> (u16, Option<String>, String) {
    get_url(&format!("{}{path_and_query}", mock.url()), user).unwrap()
}

pub fn get_url(url: &str, user: Option<i64>) -> Result<(u16, Option<String>, String), ureq::Error> {
    let mut request = agent().get(url);
    if let Some(user) = user {
        request = request.header("Authorization", format!("Bearer {}", token(user)));
    }
    let mut response = request.call()?;
    let location = response
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_string());
    let text = response.body_mut().read_to_string()?;
    Ok((response.status().as_u16(), location, text))
}

pub fn bucket_names(body: &Value) -> Vec<&str> {
    body["data"]["bucketConfigs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["name"].as_str().unwrap())
        .collect()
}

/// Escapes everything but letters and digits, more than a client must: the catalog decodes any escape.
pub fn encode(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC).to_string()
}
