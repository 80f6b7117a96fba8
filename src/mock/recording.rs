//! The recording file format: reading, checking and holding recorded interactions.
//!
//! The on-disk shape is described in the module docs of [`crate::mock`]. Files are decoded into
//! `Raw*` types that mirror the JSON (unknown fields are refused, so a typo like `"user-id"` is an
//! error, not a matcher that silently matches everyone), then checked and turned into the
//! [`Interaction`]s the server matches against.

use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;

/// A set of recorded interactions, in matching order (file order, then order within the file).
#[derive(Clone, Debug, Default)]
pub struct Recordings {
    pub(crate) interactions: Vec<Interaction>,
    scenarios: Vec<String>,
}

/// Why a recording file could not be used.
#[derive(Debug)]
pub enum RecordingError {
    /// The file or directory could not be read.
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The file is not JSON of the recording shape.
    Parse {
        file: String,
        source: serde_json::Error,
    },
    /// The file is well-formed JSON but breaks a rule of the format.
    Invalid {
        file: String,
        interaction: String,
        reason: String,
    },
}

impl fmt::Display for RecordingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Io { path, source } => write!(f, "cannot read {}: {source}", path.display()),
            Self::Parse { file, source } => write!(f, "{file}: not a recording file: {source}"),
            Self::Invalid {
                file,
                interaction,
                reason,
            } => {
                write!(f, "{file}: interaction `{interaction}`: {reason}")
            }
        }
    }
}

impl std::error::Error for RecordingError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Io { source, .. } => Some(source),
            Self::Parse { source, .. } => Some(source),
            Self::Invalid { .. } => None,
        }
    }
}

/// One checked interaction: what it matches and what it answers.
#[derive(Clone, Debug)]
pub(crate) struct Interaction {
    pub(crate) scenario: String,
    pub(crate) id: String,
    pub(crate) target: Target,
    pub(crate) user_id: Option<i64>,
    /// S3 only: the access key the request must be signed with.
    pub(crate) access_key: Option<String>,
    pub(crate) when_state: Option<String>,
    pub(crate) set_state: Option<String>,
    pub(crate) response: RecordedResponse,
}

/// Which requests an interaction answers, apart from the caller and the scenario state.
#[derive(Clone, Debug)]
pub(crate) enum Target {
    /// `POST /graphql`; `operation` is `None` for the `"*"` wildcard; `variables: None` means any.
    Graphql {
        operation: Option<String>,
        variables: Option<Value>,
    },
    /// Any other request; `method: None` means any method.
    Rest {
        method: Option<String>,
        path: PathRule,
        query: Vec<(String, Value)>,
    },
}

/// How a REST matcher compares the request path.
#[derive(Clone, Debug)]
pub(crate) enum PathRule {
    Exact(String),
    Prefix(String),
}

/// A recorded answer, before `{{mock_url}}` is filled in.
#[derive(Clone, Debug)]
pub(crate) struct RecordedResponse {
    pub(crate) status: u16,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: RecordedBody,
}

/// The recorded body: JSON (`body`), raw text (`body_text`) or bytes (`body_base64`, for
/// binary files such as a gzip that is not UTF-8).
#[derive(Clone, Debug)]
pub(crate) enum RecordedBody {
    Json(Value),
    Text(String),
    Bytes(Vec<u8>),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    scenario: String,
    #[serde(default)]
    #[allow(dead_code)] // for readers of the file only
    description: String,
    interactions: Vec<RawInteraction>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawInteraction {
    id: String,
    request: RawRequest,
    response: RawResponse,
    when_state: Option<String>,
    set_state: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRequest {
    graphql: Option<RawGraphql>,
    method: Option<String>,
    path: Option<String>,
    path_prefix: Option<String>,
    query: Option<BTreeMap<String, Value>>,
    user_id: Option<i64>,
    access_key: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGraphql {
    operation: String,
    variables: Option<Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawResponse {
    status: u16,
    #[serde(default)]
    headers: BTreeMap<String, String>,
    body: Option<Value>,
    body_text: Option<String>,
    body_base64: Option<String>,
}

impl Recordings {
    /// The recordings embedded in the binary (`tests/recordings/*.json`).
    pub fn builtin() -> Result<Recordings, RecordingError> {
        let mut all = Recordings::default();
        for (file_name, text) in super::builtin::FILES {
            all = all.merge(Recordings::from_json(file_name, text)?);
        }
        Ok(all)
    }

    /// Every `*.json` file in `dir`, in file-name order.
    pub fn from_dir(dir: &Path) -> Result<Recordings, RecordingError> {
        let io_error = |path: &Path, source| RecordingError::Io {
            path: path.to_path_buf(),
            source,
        };
        let mut paths = Vec::new();
        for entry in std::fs::read_dir(dir).map_err(|e| io_error(dir, e))? {
            let path = entry.map_err(|e| io_error(dir, e))?.path();
            if path.extension().is_some_and(|ext| ext == "json") {
                paths.push(path);
            }
        }
        paths.sort();
        let mut all = Recordings::default();
        for path in paths {
            let text = std::fs::read_to_string(&path).map_err(|e| io_error(&path, e))?;
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
            all = all.merge(Recordings::from_json(&name.unwrap_or_default(), &text)?);
        }
        Ok(all)
    }

    /// One recording file's text; `file_name` is only used in error messages.
    pub fn from_json(file_name: &str, text: &str) -> Result<Recordings, RecordingError> {
        let raw: RawFile = serde_json::from_str(text).map_err(|source| RecordingError::Parse {
            file: file_name.to_string(),
            source,
        })?;
        let invalid = |interaction: &str, reason: &str| RecordingError::Invalid {
            file: file_name.to_string(),
            interaction: interaction.to_string(),
            reason: reason.to_string(),
        };
        if raw.scenario.trim().is_empty() {
            return Err(invalid("-", "the scenario name is empty"));
        }
        let mut ids = HashSet::new();
        let mut interactions = Vec::with_capacity(raw.interactions.len());
        for item in raw.interactions {
            if item.id.trim().is_empty() || !ids.insert(item.id.clone()) {
                return Err(invalid(
                    &item.id,
                    "ids must be non-empty and unique in a file",
                ));
            }
            let checked =
                check_interaction(&raw.scenario, item).map_err(|(id, why)| invalid(&id, &why))?;
            interactions.push(checked);
        }
        Ok(Recordings {
            interactions,
            scenarios: vec![raw.scenario],
        })
    }

    /// Both sets; `self`'s interactions are tried first.
    pub fn merge(mut self, other: Recordings) -> Recordings {
        self.interactions.extend(other.interactions);
        self.scenarios.extend(other.scenarios);
        self
    }

    /// How many interactions there are.
    pub fn len(&self) -> usize {
        self.interactions.len()
    }

    /// Whether there are no interactions at all.
    pub fn is_empty(&self) -> bool {
        self.interactions.is_empty()
    }

    /// The scenario names, in matching order (one per file read).
    pub fn scenarios(&self) -> &[String] {
        &self.scenarios
    }

    /// The distinct GraphQL operation names recorded (wildcards left out), sorted.
    pub fn graphql_operations(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .interactions
            .iter()
            .filter_map(|i| match &i.target {
                Target::Graphql {
                    operation: Some(name),
                    ..
                } => Some(name.clone()),
                _ => None,
            })
            .collect();
        names.sort();
        names.dedup();
        names
    }
}

/// Checks one interaction; an error is `(id, reason)`.
fn check_interaction(scenario: &str, raw: RawInteraction) -> Result<Interaction, (String, String)> {
    let id = raw.id;
    let fail = |reason: &str| (id.clone(), reason.to_string());
    for state in [&raw.when_state, &raw.set_state].into_iter().flatten() {
        if state.trim().is_empty() {
            return Err(fail("when_state/set_state must not be empty"));
        }
    }
    let user_id = raw.request.user_id;
    let access_key = raw.request.access_key.clone();
    let target = check_target(raw.request).map_err(|why| fail(&why))?;
    let response = check_response(raw.response).map_err(|why| fail(&why))?;
    Ok(Interaction {
        scenario: scenario.to_string(),
        id,
        target,
        user_id,
        access_key,
        when_state: raw.when_state,
        set_state: raw.set_state,
        response,
    })
}

fn check_target(request: RawRequest) -> Result<Target, String> {
    let RawRequest {
        graphql,
        method,
        path,
        path_prefix,
        query,
        user_id: _,
        access_key,
    } = request;
    if let Some(gql) = graphql {
        if method.is_some()
            || path.is_some()
            || path_prefix.is_some()
            || query.is_some()
            || access_key.is_some()
        {
            return Err(
                "a `graphql` matcher takes no method, path, path_prefix, query or access_key"
                    .into(),
            );
        }
        let operation = match gql.operation.trim() {
            "" => return Err("graphql.operation is empty (use \"*\" for any operation)".into()),
            "*" => None,
            name => Some(name.to_string()),
        };
        return Ok(Target::Graphql {
            operation,
            variables: gql.variables,
        });
    }
    let path = match (path, path_prefix) {
        (Some(p), None) => PathRule::Exact(p),
        (None, Some(p)) => PathRule::Prefix(p),
        _ => return Err("a request needs exactly one of `graphql`, `path`, `path_prefix`".into()),
    };
    let (PathRule::Exact(p) | PathRule::Prefix(p)) = &path;
    if !p.starts_with('/') {
        return Err(format!("path `{p}` must start with `/`"));
    }
    let method = method.map(|m| m.trim().to_ascii_uppercase());
    if method
        .as_deref()
        .is_some_and(|m| m.is_empty() || !m.bytes().all(|b| b.is_ascii_uppercase()))
    {
        return Err("method must be a word such as GET or POST".into());
    }
    let query = query.unwrap_or_default().into_iter().collect();
    Ok(Target::Rest {
        method,
        path,
        query,
    })
}

fn check_response(raw: RawResponse) -> Result<RecordedResponse, String> {
    if http::StatusCode::from_u16(raw.status).is_err() {
        return Err(format!("status {} is not an HTTP status", raw.status));
    }
    let body = match (raw.body, raw.body_text, raw.body_base64) {
        (Some(json), None, None) => RecordedBody::Json(json),
        (None, Some(text), None) => RecordedBody::Text(text),
        (None, None, Some(encoded)) => match super::token::decode_base64url(&encoded) {
            Some(bytes) => RecordedBody::Bytes(bytes),
            None => return Err("`body_base64` is not base64url".into()),
        },
        _ => {
            return Err(
                "a response needs exactly one of `body` (JSON), `body_text` and `body_base64`"
                    .into(),
            );
        }
    };
    for (name, value) in &raw.headers {
        let sample = value.replace(super::MOCK_URL_PLACEHOLDER, "http://127.0.0.1:1");
        if http::HeaderName::from_bytes(name.as_bytes()).is_err() {
            return Err(format!("`{name}` is not a header name"));
        }
        if http::HeaderValue::from_str(&sample).is_err() {
            return Err(format!("header `{name}` has a value that cannot be sent"));
        }
    }
    Ok(RecordedResponse {
        status: raw.status,
        headers: raw.headers.into_iter().collect(),
        body,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Recordings, RecordingError> {
        Recordings::from_json("t.json", text)
    }

    #[test]
    fn reads_both_kinds_of_matcher() {
        let recs = parse(
            r#"{"scenario":"s","interactions":[
              {"id":"a","request":{"graphql":{"operation":"Q","variables":{"x":1}},"user_id":1},
               "response":{"status":200,"body":{"data":{}}}},
              {"id":"b","request":{"method":"get","path_prefix":"/api/"},
               "response":{"status":401,"body_text":"no"}}]}"#,
        )
        .unwrap();
        assert_eq!(recs.len(), 2);
        assert_eq!(recs.graphql_operations(), vec!["Q".to_string()]);
        assert!(
            matches!(&recs.interactions[1].target, Target::Rest { method: Some(m), .. } if m == "GET")
        );
    }

    #[test]
    fn refuses_broken_files() {
        let cases = [
            r#"{"scenario":"s","interactions":[{"id":"a","request":{"path":"/x","user-id":1},"response":{"status":200,"body":{}}}]}"#,
            r#"{"scenario":"s","interactions":[{"id":"a","request":{"path":"/x"},"response":{"status":200}}]}"#,
            r#"{"scenario":"s","interactions":[{"id":"a","request":{"path":"/x"},"response":{"status":200,"body":{},"body_text":""}}]}"#,
            r#"{"scenario":"s","interactions":[{"id":"a","request":{},"response":{"status":200,"body":{}}}]}"#,
            r#"{"scenario":"s","interactions":[{"id":"a","request":{"path":"x"},"response":{"status":200,"body":{}}}]}"#,
            r#"{"scenario":"s","interactions":[{"id":"a","request":{"graphql":{"operation":"Q"},"path":"/x"},"response":{"status":200,"body":{}}}]}"#,
            r#"{"scenario":"s","interactions":[{"id":"a","request":{"path":"/x"},"response":{"status":200,"body":{}}},{"id":"a","request":{"path":"/y"},"response":{"status":200,"body":{}}}]}"#,
            r#"{"scenario":"s","interactions":[{"id":"a","request":{"path":"/x"},"response":{"status":200,"headers":{"bad name":"v"},"body":{}}}]}"#,
            r#"{"scenario":"","interactions":[]}"#,
        ];
        for case in cases {
            assert!(parse(case).is_err(), "accepted: {case}");
        }
    }

    #[test]
    fn errors_name_the_file_and_interaction() {
        let err = parse(r#"{"scenario":"s","interactions":[{"id":"zz","request":{"path":"/x"},"response":{"status":200}}]}"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("t.json") && err.contains("zz"), "{err}");
    }
}
