//! The request log: what the mock saw of each request.

use http::header::AUTHORIZATION;
use http::request::Parts;
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::matcher;
use super::token::caller_id_from_bearer;

/// One request as the mock saw it.
#[derive(Clone, Debug, PartialEq)]
pub struct SeenRequest {
    /// The HTTP method, e.g. `POST`.
    pub method: String,
    /// The path, without the query string.
    pub path: String,
    /// The raw query string, without `?` (empty when there is none).
    pub query: String,
    /// The GraphQL operation name (`None` for REST calls and anonymous operations).
    pub operation: Option<String>,
    /// The GraphQL variables as sent (`null` for REST calls or when none were sent).
    pub variables: Value,
    /// The raw bearer token (the `Authorization` value without `Bearer `), so tests can prove
    /// that the caller's own token was forwarded.
    pub token: Option<String>,
    /// The `id` claim of the token's payload (signature not checked).
    pub user_id: Option<i64>,
    /// The id of the interaction that answered, or `None` if the request was unrecorded.
    pub matched: Option<String>,
    /// The access key a SigV4-signed (S3) request was signed with (see "The S3 face" in
    /// [`crate::mock`]).
    pub access_key: Option<String>,
    /// The body's length and SHA-256 (hex; `None` when empty), so tests can check uploads.
    pub body_len: usize,
    pub body_sha256: Option<String>,
    /// The `X-Request-Id` and W3C `traceparent` headers as sent, so tests can check that calls
    /// can be joined with the server's logs.
    pub request_id: Option<String>,
    pub traceparent: Option<String>,
}

impl SeenRequest {
    /// A one-line description for error messages; never includes the token.
    pub fn describe(&self) -> String {
        let mut text = format!("{} {}", self.method, self.path);
        if !self.query.is_empty() {
            text.push('?');
            text.push_str(&self.query);
        }
        if self.method == "POST" && self.path == "/graphql" {
            let operation = self
                .operation
                .as_deref()
                .unwrap_or("(anonymous or unreadable)");
            text.push_str(&format!(
                " operation={operation} variables={}",
                self.variables
            ));
        }
        if let Some(key) = &self.access_key {
            text.push_str(&format!(" access_key={key}"));
            return text;
        }
        match self.user_id {
            Some(id) => text.push_str(&format!(" user_id={id}")),
            None if self.token.is_some() => text.push_str(" user_id=(token without an integer id)"),
            None => text.push_str(" user_id=(no token)"),
        }
        text
    }
}

/// Reads a request into its log entry (not yet matched), its decoded query pairs, and whether
/// it is a readable GraphQL call (`POST /graphql` with a JSON body holding a `query` string).
pub(crate) fn read_request(
    parts: &Parts,
    body: &[u8],
) -> (SeenRequest, Vec<(String, String)>, bool) {
    let raw_query = parts.uri.query().unwrap_or_default();
    let query = matcher::parse_query(raw_query);
    let authorization = parts
        .headers
        .get(AUTHORIZATION)
        .and_then(|value| value.to_str().ok());
    let token = authorization
        .filter(|value| !super::s3::is_sigv4(value))
        .map(bearer_token)
        .filter(|token| !token.is_empty())
        .map(str::to_string);
    let mut seen = SeenRequest {
        method: parts.method.as_str().to_string(),
        path: parts.uri.path().to_string(),
        query: raw_query.to_string(),
        operation: None,
        variables: Value::Null,
        user_id: token.as_deref().and_then(caller_id_from_bearer),
        token,
        matched: None,
        access_key: super::s3::signing_key(authorization, &query),
        body_len: body.len(),
        body_sha256: (!body.is_empty()).then(|| format!("{:x}", Sha256::digest(body))),
        request_id: header_text(parts, "x-request-id"),
        traceparent: header_text(parts, "traceparent"),
    };
    let mut graphql = false;
    if seen.method == "POST"
        && seen.path == "/graphql"
        && let Ok(Value::Object(mut call)) = serde_json::from_slice::<Value>(body)
        && let Some(Value::String(document)) = call.get("query")
    {
        let named = call.get("operationName").and_then(Value::as_str);
        seen.operation = matcher::operation_name(named, document);
        seen.variables = call.remove("variables").unwrap_or(Value::Null);
        graphql = true;
    }
    (seen, query, graphql)
}

fn header_text(parts: &Parts, name: &str) -> Option<String> {
    let value = parts.headers.get(name)?.to_str().ok()?;
    Some(value.to_string())
}

/// The token in an `Authorization` value; like the registry, a missing `Bearer ` is tolerated.
fn bearer_token(value: &str) -> &str {
    let value = value.trim();
    match value.split_once(' ') {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("bearer") => rest.trim(),
        _ => value,
    }
}
