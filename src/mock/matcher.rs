//! Reading an incoming request into matchable parts, and choosing the interaction that answers it.

use std::collections::HashMap;

use serde_json::Value;

use super::recording::{Interaction, PathRule, Recordings, Target};

/// The parts of a request that matchers look at.
#[derive(Debug)]
pub(crate) struct Incoming<'a> {
    pub(crate) method: &'a str,
    pub(crate) path: &'a str,
    pub(crate) query: &'a [(String, String)],
    /// `Some` when the request is a readable GraphQL call: `(operation name, variables)`.
    pub(crate) graphql: Option<(Option<&'a str>, &'a Value)>,
    pub(crate) user_id: Option<i64>,
    /// The key a SigV4-signed (S3) request was signed with.
    pub(crate) access_key: Option<&'a str>,
}

/// The scenario state that interactions without `when_state` ignore and others start from.
pub(crate) const INITIAL_STATE: &str = "initial";

/// The interaction (its index in `recordings`) that answers `request`, if any.
///
/// Candidates must match the request and their scenario's current state. Among them, one recorded
/// for this very caller (`user_id`) wins over one recorded for anyone; then file order decides.
pub(crate) fn select(
    recordings: &Recordings,
    request: &Incoming<'_>,
    states: &HashMap<String, String>,
) -> Option<usize> {
    let mut fallback = None;
    for (index, interaction) in recordings.interactions.iter().enumerate() {
        if !matches(interaction, request, states) {
            continue;
        }
        if interaction.user_id.is_some() || interaction.access_key.is_some() {
            return Some(index);
        }
        fallback = fallback.or(Some(index));
    }
    fallback
}

pub(crate) fn matches(
    interaction: &Interaction,
    request: &Incoming<'_>,
    states: &HashMap<String, String>,
) -> bool {
    if interaction.user_id.is_some() && interaction.user_id != request.user_id {
        return false;
    }
    if interaction.access_key.is_some() && interaction.access_key.as_deref() != request.access_key {
        return false;
    }
    if let Some(wanted) = &interaction.when_state {
        let current = states
            .get(&interaction.scenario)
            .map_or(INITIAL_STATE, String::as_str);
        if current != wanted {
            return false;
        }
    }
    match &interaction.target {
        Target::Graphql {
            operation,
            variables,
        } => {
            let Some((request_operation, request_variables)) = request.graphql else {
                return false;
            };
            let operation_ok = operation.is_none() || operation.as_deref() == request_operation;
            let variables_ok = variables
                .as_ref()
                .is_none_or(|v| same_variables(v, request_variables));
            operation_ok && variables_ok
        }
        Target::Rest {
            method,
            path,
            query,
        } => {
            // A recorded GET answers HEAD too (the server leaves the body off).
            let method_ok = method
                .as_deref()
                .is_none_or(|m| m == request.method || (m == "GET" && request.method == "HEAD"));
            let path_ok = match path {
                PathRule::Exact(p) => p == request.path,
                PathRule::Prefix(p) => request.path.starts_with(p.as_str()),
            };
            method_ok
                && path_ok
                && query
                    .iter()
                    .all(|(k, v)| has_query_value(request.query, k, v))
        }
    }
}

/// Variables compare as JSON values; absent and `null` count as `{}` on either side.
fn same_variables(recorded: &Value, sent: &Value) -> bool {
    let empty = Value::Object(serde_json::Map::new());
    let normal = |v: &Value| {
        if v.is_null() {
            empty.clone()
        } else {
            v.clone()
        }
    };
    normal(recorded) == normal(sent)
}

/// Whether the query has `key` with a value the matcher accepts (`null`: has no `key` at all).
///
/// A string matcher equals the decoded value, or (when both hold a JSON object or array) the same
/// JSON written differently; any other JSON matcher must equal the value read as JSON. This lets
/// a recording give `/api/search`'s `body` parameter as readable JSON.
fn has_query_value(query: &[(String, String)], key: &str, wanted: &Value) -> bool {
    if wanted.is_null() {
        return query.iter().all(|(k, _)| k != key);
    }
    query
        .iter()
        .filter(|(k, _)| k == key)
        .any(|(_, sent)| match wanted {
            Value::String(text) => text == sent || same_json_document(text, sent),
            other => serde_json::from_str::<Value>(sent).is_ok_and(|v| &v == other),
        })
}

fn same_json_document(a: &str, b: &str) -> bool {
    match (
        serde_json::from_str::<Value>(a),
        serde_json::from_str::<Value>(b),
    ) {
        (Ok(x @ (Value::Object(_) | Value::Array(_))), Ok(y)) => x == y,
        _ => false,
    }
}

/// The operation name of a GraphQL request: `operationName` if given, else the name after the
/// first `query`/`mutation`/`subscription` keyword. `None` for an anonymous operation.
pub(crate) fn operation_name(operation_name: Option<&str>, document: &str) -> Option<String> {
    if let Some(name) = operation_name.filter(|n| !n.is_empty()) {
        return Some(name.to_string());
    }
    let mut words = graphql_words(document);
    while let Some(word) = words.next() {
        if matches!(word, "query" | "mutation" | "subscription") {
            return words.next().filter(|w| is_name(w)).map(str::to_string);
        }
    }
    None
}

/// The document split into names and single punctuation characters, with comments dropped.
fn graphql_words(document: &str) -> impl Iterator<Item = &str> {
    let mut rest = document;
    std::iter::from_fn(move || {
        loop {
            rest = rest.trim_start_matches(|c: char| c.is_whitespace() || c == ',');
            if rest.starts_with('#') {
                rest = rest.split_once('\n').map_or("", |(_, tail)| tail);
                continue;
            }
            let first = rest.chars().next()?;
            let len = if first == '_' || first.is_ascii_alphanumeric() {
                rest.find(|c: char| !(c == '_' || c.is_ascii_alphanumeric()))
                    .unwrap_or(rest.len())
            } else {
                first.len_utf8()
            };
            let (word, tail) = rest.split_at_checked(len)?;
            rest = tail;
            return Some(word);
        }
    })
}

fn is_name(word: &str) -> bool {
    word.starts_with(|c: char| c == '_' || c.is_ascii_alphabetic())
}

/// The query string's pairs, percent-decoded (`+` is a space), in order; a malformed escape is
/// kept as written.
pub(crate) fn parse_query(raw: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(raw.as_bytes())
        .map(|(key, value)| (key.into_owned(), value.into_owned()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn operation_name_prefers_the_field_then_the_keyword() {
        assert_eq!(
            operation_name(Some("X"), "query Y { a }").as_deref(),
            Some("X")
        );
        assert_eq!(operation_name(None, "query Y { a }").as_deref(), Some("Y"));
        assert_eq!(
            operation_name(Some(""), " # c\n mutation Z($a: Int) { b }").as_deref(),
            Some("Z")
        );
        assert_eq!(operation_name(None, "query{ a }"), None);
        assert_eq!(operation_name(None, "{ bucketConfigs { name } }"), None);
        assert_eq!(
            operation_name(None, "# query Fake\nquery Real { a }").as_deref(),
            Some("Real")
        );
        assert_eq!(
            operation_name(None, "fragment F on T { x } query Q { ...F }").as_deref(),
            Some("Q")
        );
    }

    #[test]
    fn query_strings_are_decoded() {
        let pairs = parse_query("index=a%2Cb&body=%7B%22q%22%3A+1%7D&flag&bad=%zz");
        assert_eq!(pairs[0], ("index".into(), "a,b".into()));
        assert_eq!(pairs[1], ("body".into(), "{\"q\": 1}".into()));
        assert_eq!(pairs[2], ("flag".into(), "".into()));
        assert_eq!(pairs[3], ("bad".into(), "%zz".into()));
    }

    #[test]
    fn query_values_match_as_text_or_json() {
        let q = parse_query("size=5&body=%7B%22a%22%3A%201%7D");
        assert!(has_query_value(&q, "size", &json!("5")));
        assert!(has_query_value(&q, "size", &json!(5)));
        assert!(has_query_value(&q, "body", &json!({"a": 1})));
        assert!(has_query_value(&q, "body", &json!("{\"a\":1}")));
        assert!(!has_query_value(&q, "body", &json!({"a": 2})));
        assert!(!has_query_value(&q, "missing", &json!("")));
        assert!(has_query_value(&q, "missing", &Value::Null));
        assert!(!has_query_value(&q, "size", &Value::Null));
    }

    #[test]
    fn null_and_empty_variables_are_the_same() {
        assert!(same_variables(&json!({}), &Value::Null));
        assert!(same_variables(&Value::Null, &json!({})));
        assert!(!same_variables(&json!({"a": 1}), &Value::Null));
    }
}
