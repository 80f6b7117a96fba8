//! Every way a catalog call can fail, each with a message that tells the agent what to do next.

use std::fmt;

use serde_json::Value;

/// What went wrong with one catalog call.
#[derive(Clone, Debug, PartialEq)]
pub enum CatalogErrorKind {
    /// HTTP 401: the catalog refused the token.
    Unauthorized,
    /// HTTP 403: the caller lacks permission.
    Forbidden,
    /// HTTP 404.
    NotFound,
    /// No answer within the configured timeout (seconds).
    Timeout(u64),
    /// Could not connect, or the connection broke.
    Unreachable(String),
    /// Another HTTP status, with the start of the body.
    Status(u16, String),
    /// HTTP 2xx with a body that is not the JSON we expect.
    NotJson(String),
    /// A GraphQL `errors[]` array: the messages.
    GraphQl(Vec<String>),
    /// No `data`, and every GraphQL error on the same root field (`path == [field]`): the catalog
    /// refused that whole field. This is how the registry answers an `@admin` field asked for by a
    /// non-admin (HTTP 200, `data: null`; catalog-api §4.3). The field, then the messages.
    FieldRefused {
        field: String,
        messages: Vec<String>,
    },
    /// The typed `InvalidInput` arm: one `path: message` per error.
    InvalidInput(Vec<String>),
    /// The typed `OperationError` arm: the catalog's own message.
    OperationError(String),
    /// HTTP 3xx where no redirect is expected: never followed (it would carry the caller's
    /// token elsewhere) and never kept. The status, then the start of its `Location`.
    Redirected(u16, Option<String>),
    /// The answer was longer than we read (the cap, in bytes): nothing of it was used.
    TooLarge(u64),
    /// The answer held more JSON values than we parse (the cap): nothing of it was used.
    TooComplex(usize),
    /// Every catalog-call slot stayed taken for the whole bounded wait: this server is at its
    /// configured limit (`MCP_CATALOG_MAX_IN_FLIGHT`). Nothing was sent. The limit, then the
    /// seconds to wait before retrying.
    Busy { limit: usize, retry_after_secs: u64 },
}

/// A failed catalog call: which call, and why.
#[derive(Clone, Debug, PartialEq)]
pub struct CatalogError {
    /// The GraphQL operation name or REST endpoint, e.g. `ListBuckets` or `GET /config.json`.
    pub operation: String,
    pub kind: CatalogErrorKind,
}

impl CatalogError {
    /// An error for `operation`.
    pub fn new(operation: impl Into<String>, kind: CatalogErrorKind) -> Self {
        CatalogError {
            operation: operation.into(),
            kind,
        }
    }

    /// Reads the typed error arms of a union result (`__typename` of `InvalidInput` or
    /// `OperationError`); any other value passes through.
    pub fn check_union<'a>(operation: &str, value: &'a Value) -> Result<&'a Value, CatalogError> {
        match value.get("__typename").and_then(Value::as_str) {
            Some("InvalidInput") => {
                let errors = value
                    .get("errors")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default();
                let messages = errors
                    .iter()
                    .map(|e| {
                        let path = e.get("path").and_then(Value::as_str).unwrap_or("input");
                        let message = e
                            .get("message")
                            .and_then(Value::as_str)
                            .unwrap_or("invalid");
                        format!("{path}: {message}")
                    })
                    .collect();
                Err(CatalogError::new(
                    operation,
                    CatalogErrorKind::InvalidInput(messages),
                ))
            }
            Some("OperationError") => {
                let message = value
                    .get("message")
                    .and_then(Value::as_str)
                    .unwrap_or("operation failed");
                let text = match value.get("name").and_then(Value::as_str) {
                    Some(name) => format!("{name}: {message}"),
                    None => message.to_string(),
                };
                Err(CatalogError::new(
                    operation,
                    CatalogErrorKind::OperationError(text),
                ))
            }
            _ => Ok(value),
        }
    }
}

impl fmt::Display for CatalogError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let op = &self.operation;
        match &self.kind {
            CatalogErrorKind::Unauthorized => write!(
                f,
                "the catalog rejected the token (401) for {op}: it is invalid or expired; log in to the catalog again and use a fresh token"
            ),
            CatalogErrorKind::Forbidden => write!(
                f,
                "no permission for {op} (403): the catalog user behind this token is not allowed to do this"
            ),
            CatalogErrorKind::NotFound => write!(f, "not found (404) for {op}"),
            CatalogErrorKind::Busy {
                limit,
                retry_after_secs,
            } => write!(
                f,
                "server busy: all {limit} catalog-call slots are in use, so {op} was not sent; retry in {retry_after_secs} s"
            ),
            CatalogErrorKind::Timeout(secs) => write!(
                f,
                "the catalog did not answer {op} within {secs} s; try again later or narrow the request"
            ),
            CatalogErrorKind::Unreachable(why) => {
                write!(f, "could not reach the catalog for {op}: {why}")
            }
            CatalogErrorKind::Redirected(status, location) => write!(
                f,
                "the catalog answered {op} with a redirect (HTTP {status}{}); redirects are not followed: check QUILT_CATALOG_URL and QUILT_REGISTRY_URL (scheme, host, no trailing path)",
                location
                    .as_deref()
                    .map(|l| format!(" to {l}"))
                    .unwrap_or_default()
            ),
            CatalogErrorKind::TooLarge(limit) => write!(
                f,
                "the catalog's answer to {op} is larger than {} MiB, more than this server reads; narrow the request (a smaller limit, a deeper prefix)",
                limit / (1024 * 1024)
            ),
            CatalogErrorKind::TooComplex(limit) => write!(
                f,
                "the catalog's answer to {op} holds more than {limit} JSON values, more than this server parses; narrow the request"
            ),
            CatalogErrorKind::Status(status, body) => {
                write!(f, "the catalog answered {op} with HTTP {status}: {body}")
            }
            CatalogErrorKind::NotJson(why) => {
                write!(f, "the catalog's answer to {op} was not valid JSON: {why}")
            }
            CatalogErrorKind::GraphQl(messages) => write!(
                f,
                "the catalog reported errors for {op}: {}",
                messages.join("; ")
            ),
            CatalogErrorKind::FieldRefused { field, messages } => write!(
                f,
                "the catalog refused `{field}` in {op}: {}",
                messages.join("; ")
            ),
            CatalogErrorKind::InvalidInput(messages) => {
                write!(
                    f,
                    "the catalog refused the input of {op}: {}",
                    messages.join("; ")
                )
            }
            CatalogErrorKind::OperationError(message) => {
                write!(f, "{op} failed in the catalog: {message}")
            }
        }
    }
}

impl std::error::Error for CatalogError {}

/// The root field the catalog refused as a whole: `data` is null and every error's `path` is
/// exactly `[field]`, the same field. Any other mix stays a plain GraphQL error.
pub(crate) fn refused_field(value: &Value, errors: &[Value]) -> Option<String> {
    if !value.get("data").is_none_or(Value::is_null) {
        return None;
    }
    let mut fields = errors
        .iter()
        .map(|e| match e.get("path")?.as_array()?.as_slice() {
            [Value::String(field)] => Some(field.as_str()),
            _ => None,
        });
    let first = fields.next()??;
    fields
        .all(|field| field == Some(first))
        .then(|| first.to_string())
}

/// The first bytes of a body, for error messages: never a whole HTML page.
pub fn snippet(body: &str) -> String {
    cut(body, 200)
}

/// GraphQL error messages kept per answer, and characters kept per message: a catalog that
/// answers megabytes of error text must not make a megabyte tool result or log line.
const MAX_MESSAGES: usize = 5;
const MAX_MESSAGE_CHARS: usize = 500;

/// The messages of a GraphQL `errors[]`, each cut to a readable length, at most a few, with a
/// last line saying how many more there were.
pub(crate) fn bounded_messages(errors: &[Value]) -> Vec<String> {
    let mut messages: Vec<String> = errors
        .iter()
        .take(MAX_MESSAGES)
        .map(|e| {
            let message = e
                .get("message")
                .and_then(Value::as_str)
                .unwrap_or("unknown error");
            cut(message, MAX_MESSAGE_CHARS)
        })
        .collect();
    if errors.len() > MAX_MESSAGES {
        messages.push(format!("and {} more errors", errors.len() - MAX_MESSAGES));
    }
    messages
}

/// `text` trimmed, on one line, at most `max` bytes (on a character boundary) and `…` if cut.
fn cut(text: &str, max: usize) -> String {
    let trimmed = text.trim();
    let end = trimmed.floor_char_boundary(max);
    let mut out = trimmed[..end].replace(['\n', '\r'], " ");
    if end < trimmed.len() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn refused(answer: Value) -> Option<String> {
        let errors = answer["errors"].as_array().cloned().unwrap_or_default();
        refused_field(&answer, &errors)
    }

    #[test]
    fn a_whole_root_field_refused_is_recognised() {
        let admin = json!({"data": null, "errors": [{"message": "Forbidden", "path": ["admin"]}]});
        assert_eq!(refused(admin), Some("admin".to_string()));
        let no_data = json!({"errors": [{"message": "x", "path": ["roles"]}, {"message": "y", "path": ["roles"]}]});
        assert_eq!(refused(no_data), Some("roles".to_string()));
    }

    #[test]
    fn huge_error_answers_become_a_few_short_messages() {
        let long = "x".repeat(5 * 1024 * 1024);
        let errors: Vec<Value> = (0..1000).map(|_| json!({ "message": long })).collect();
        let messages = bounded_messages(&errors);
        assert_eq!(messages.len(), MAX_MESSAGES + 1);
        assert!(messages.iter().all(|m| m.len() <= MAX_MESSAGE_CHARS + 3));
        assert_eq!(messages[MAX_MESSAGES], "and 995 more errors");
        assert_eq!(bounded_messages(&[json!({})]), vec!["unknown error"]);
    }

    #[test]
    fn other_error_mixes_stay_plain_graphql_errors() {
        for answer in [
            json!({"data": {"me": null}, "errors": [{"message": "x", "path": ["admin"]}]}),
            json!({"data": null, "errors": [{"message": "x", "path": ["admin", "user"]}]}),
            json!({"data": null, "errors": [{"message": "x", "path": ["admin"]}, {"message": "y"}]}),
            json!({"data": null, "errors": [{"message": "x", "path": ["a"]}, {"message": "y", "path": ["b"]}]}),
            json!({"data": null, "errors": [{"message": "x"}]}),
        ] {
            assert_eq!(refused(answer.clone()), None, "{answer}");
        }
    }
}
