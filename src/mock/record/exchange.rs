//! Turning one forwarded exchange into the `request` matcher and `response` of an interaction.

use http::HeaderMap;
use http::header::{CONTENT_TYPE, LOCATION};
use serde_json::{Map, Value};

use super::redact::{Scrubber, is_credential_param};
use crate::mock::SeenRequest;

/// The matcher for a request, as the mock reads it (see [`crate::mock`]):
///
/// - a readable GraphQL call: `{"graphql": {"operation", "variables"}}`, the operation `"*"`
///   when anonymous and the variables `{}` when none were sent (the mock treats both alike). If
///   the variables hold a credential, `variables` is left out, so the interaction answers any
///   variables: the secret is not written, and a replay still matches;
/// - anything else: `method`, `path` and `query` (the decoded pairs, first value per name;
///   credential parameters left out, which the mock's subset rule lets match any value);
///
/// plus `user_id` when the caller's token carries an integer `id`.
pub(crate) fn request_matcher(
    seen: &SeenRequest,
    query: &[(String, String)],
    graphql: bool,
    scrub: &Scrubber<'_>,
) -> Value {
    let mut matcher = Map::new();
    if graphql {
        let mut call = Map::new();
        let operation = seen.operation.clone().unwrap_or_else(|| "*".to_string());
        call.insert("operation".into(), Value::String(operation));
        let variables = match &seen.variables {
            Value::Null => Value::Object(Map::new()),
            other => other.clone(),
        };
        let mut scrubbed = variables.clone();
        scrub.json_secrets(&mut scrubbed);
        if scrubbed == variables {
            call.insert("variables".into(), variables);
        } else {
            tracing::warn!(operation = ?seen.operation,
                "record: the variables hold a credential; recorded as matching any variables");
        }
        matcher.insert("graphql".into(), Value::Object(call));
    } else {
        matcher.insert("method".into(), Value::String(seen.method.clone()));
        matcher.insert("path".into(), Value::String(seen.path.clone()));
        let mut kept = Map::new();
        for (name, value) in query {
            let secret = is_credential_param(name) || scrub.secrets(value) != *value;
            if !secret && !kept.contains_key(name) {
                kept.insert(name.clone(), Value::String(value.clone()));
            }
        }
        if !kept.is_empty() {
            matcher.insert("query".into(), Value::Object(kept));
        }
    }
    if let Some(id) = seen.user_id {
        matcher.insert("user_id".into(), Value::from(id));
    }
    Value::Object(matcher)
}

/// The recorded answer: status, the `content-type` and `location` headers only (no cookies,
/// nothing else), and the body scrubbed: JSON as `body` when the type says JSON (or says
/// nothing) and it parses, else UTF-8 text as `body_text`. `None` for a binary body, which the
/// format cannot hold.
pub(crate) fn recorded_response(
    status: u16,
    headers: &HeaderMap,
    body: &[u8],
    scrub: &Scrubber<'_>,
) -> Option<Value> {
    let header = |name| headers.get(name).and_then(|v| v.to_str().ok());
    let content_type = header(CONTENT_TYPE);
    let mut kept = Map::new();
    if let Some(value) = content_type {
        kept.insert("content-type".into(), Value::String(value.to_string()));
    }
    if let Some(value) = header(LOCATION) {
        kept.insert("location".into(), Value::String(scrub.text(value)));
    }
    let json_type = content_type.is_none_or(|t| t.to_ascii_lowercase().contains("json"));
    // A JSON `null` goes as text: the format reads `"body": null` as no body at all.
    let parsed = (json_type && !body.is_empty())
        .then(|| serde_json::from_slice::<Value>(body).ok())
        .flatten()
        .filter(|json| !json.is_null());
    let (field, value) = match parsed {
        Some(mut json) => {
            scrub.json(&mut json);
            ("body", json)
        }
        None => (
            "body_text",
            Value::String(scrub.text(std::str::from_utf8(body).ok()?)),
        ),
    };
    let mut response = Map::new();
    response.insert("status".into(), Value::from(status));
    if !kept.is_empty() {
        response.insert("headers".into(), Value::Object(kept));
    }
    response.insert(field.into(), value);
    Some(Value::Object(response))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn seen(method: &str, path: &str, operation: Option<&str>, variables: Value) -> SeenRequest {
        SeenRequest {
            method: method.into(),
            path: path.into(),
            query: String::new(),
            operation: operation.map(str::to_string),
            variables,
            token: Some("tok".into()),
            user_id: Some(1),
            matched: None,
            access_key: None,
            body_len: 0,
            body_sha256: None,
            request_id: None,
            traceparent: None,
        }
    }

    const NO_URLS: &[String] = &[];

    fn scrub() -> Scrubber<'static> {
        Scrubber {
            upstream_urls: NO_URLS,
            caller_token: None,
        }
    }

    #[test]
    fn graphql_matchers_carry_operation_variables_and_user() {
        let call = seen("POST", "/graphql", Some("AuthStatus"), Value::Null);
        assert_eq!(
            request_matcher(&call, &[], true, &scrub()),
            json!({"graphql": {"operation": "AuthStatus", "variables": {}}, "user_id": 1})
        );
        let anonymous = seen("POST", "/graphql", None, json!({"a": 1}));
        assert_eq!(
            request_matcher(&anonymous, &[], true, &scrub()),
            json!({"graphql": {"operation": "*", "variables": {"a": 1}}, "user_id": 1})
        );
        let secret = seen(
            "POST",
            "/graphql",
            Some("SetPassword"),
            json!({"password": "pw"}),
        );
        assert_eq!(
            request_matcher(&secret, &[], true, &scrub()),
            json!({"graphql": {"operation": "SetPassword"}, "user_id": 1})
        );
    }

    #[test]
    fn rest_matchers_leave_credential_parameters_out() {
        let call = seen("GET", "/api/search", None, Value::Null);
        let query = vec![
            ("index".to_string(), "a".to_string()),
            ("index".to_string(), "b".to_string()),
            ("access_token".to_string(), "x".to_string()),
        ];
        assert_eq!(
            request_matcher(&call, &query, false, &scrub()),
            json!({"method": "GET", "path": "/api/search", "query": {"index": "a"}, "user_id": 1})
        );
    }

    #[test]
    fn responses_keep_two_headers_and_pick_the_body_field() {
        let mut headers = HeaderMap::new();
        headers.insert("content-type", "text/markdown".parse().unwrap());
        headers.insert("set-cookie", "session=secret".parse().unwrap());
        headers.insert("x-other", "1".parse().unwrap());
        let text = recorded_response(200, &headers, b"# hi", &scrub()).unwrap();
        assert_eq!(
            text,
            json!({"status": 200, "headers": {"content-type": "text/markdown"}, "body_text": "# hi"})
        );
        let json = recorded_response(200, &HeaderMap::new(), br#"{"a":1}"#, &scrub()).unwrap();
        assert_eq!(json, json!({"status": 200, "body": {"a": 1}}));
        let empty = recorded_response(302, &HeaderMap::new(), b"", &scrub()).unwrap();
        assert_eq!(empty, json!({"status": 302, "body_text": ""}));
        assert!(recorded_response(200, &HeaderMap::new(), &[0xff, 0xfe], &scrub()).is_none());
        let null = recorded_response(200, &HeaderMap::new(), b"null", &scrub()).unwrap();
        assert_eq!(null, json!({"status": 200, "body_text": "null"}));
    }
}
