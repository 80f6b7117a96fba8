//! The mock's S3 face: the S3 REST calls the bucket tools make (path-style ListObjectsV2,
//! HeadObject, GetObject with `Range`, PutObject), answered from ordinary recordings.
//!
//! A request is an S3 request when it is signed with SigV4: an `Authorization:
//! AWS4-HMAC-SHA256 Credential=<key>/…` header, or a presigned URL's `X-Amz-Credential`. That,
//! not the path, tells it apart from the catalog's routes, so any bucket name works (even one
//! spelled like `graphql`) and the endpoint needs no path prefix. The signature itself is not
//! checked; the access key is, since that is what proves whose credentials signed it:
//!
//! - the key is kept on the [`SeenRequest`](super::SeenRequest) (`access_key`);
//! - a key that no recorded `get_credentials` answer issued is refused (403
//!   `InvalidAccessKeyId`) and counted as unmatched;
//! - a recording may name the key it expects (`"access_key"`); a request that matches one only
//!   under another caller's key is refused (403 `AccessDenied`) and counted as unmatched, so a
//!   test fails if one caller's request is signed with another caller's credentials;
//! - anything else unrecorded gets 501 `NotImplemented` naming the request (not a 500, which
//!   the SDK would retry).
//!
//! A recorded `200` answer to a GET honours the request's `Range` (206 with `Content-Range`,
//! or 416 `InvalidRange`); a HEAD is answered by the recorded GET with the body left off.

use std::collections::{HashMap, HashSet};

use bytes::Bytes;
use http::header::{CONTENT_LENGTH, CONTENT_RANGE, CONTENT_TYPE, RANGE};
use http::request::Parts;
use http::{HeaderMap, HeaderValue, StatusCode};
use serde_json::Value;

use super::fault::Prepared;
use super::matcher::{self, Incoming};
use super::recording::{RecordedBody, Recordings};
use super::seen::SeenRequest;

/// The scheme word of a SigV4 `Authorization` header.
const SIGV4: &str = "AWS4-HMAC-SHA256";

/// What the S3 face knows from the recordings: the access keys that were issued to callers.
#[derive(Debug, Default)]
pub(crate) struct S3Face {
    issued: HashSet<String>,
}

impl S3Face {
    /// Collects every `AccessKeyId` a recorded JSON answer hands out.
    pub(crate) fn new(recordings: &Recordings) -> S3Face {
        let issued = recordings
            .interactions
            .iter()
            .filter_map(|i| match &i.response.body {
                RecordedBody::Json(body) => body.get("AccessKeyId").and_then(Value::as_str),
                _ => None,
            })
            .map(str::to_string)
            .collect();
        S3Face { issued }
    }

    /// Whether `seen` may be matched at all: unsigned requests always, signed ones only with a
    /// key some caller was issued.
    pub(crate) fn admits(&self, seen: &SeenRequest) -> bool {
        seen.access_key
            .as_ref()
            .is_none_or(|key| self.issued.contains(key))
    }

    /// The answer to a signed request no recording took: why, in S3's XML error form.
    pub(crate) fn refusal(
        &self,
        recordings: &Recordings,
        seen: &SeenRequest,
        query: &[(String, String)],
    ) -> Prepared {
        let key = seen.access_key.as_deref().unwrap_or_default();
        if !self.issued.contains(key) {
            let message = format!(
                "mock catalog: access key {key} was never issued to a caller (request: {})",
                seen.describe()
            );
            return error(StatusCode::FORBIDDEN, "InvalidAccessKeyId", &message);
        }
        let states = HashMap::new();
        let owner = recordings.interactions.iter().find_map(|i| {
            let expected = i.access_key.as_deref()?;
            let pretend = Incoming {
                method: &seen.method,
                path: &seen.path,
                query,
                graphql: None,
                user_id: None,
                access_key: Some(expected),
            };
            (expected != key && matcher::matches(i, &pretend, &states)).then_some(expected)
        });
        match owner {
            Some(expected) => {
                let message = format!(
                    "mock catalog: signed with {key}, but this request is recorded for {expected} (request: {})",
                    seen.describe()
                );
                error(StatusCode::FORBIDDEN, "AccessDenied", &message)
            }
            None => {
                let message = format!("mock catalog: unrecorded request: {}", seen.describe());
                error(StatusCode::NOT_IMPLEMENTED, "NotImplemented", &message)
            }
        }
    }

    /// A recorded answer shaped for a signed request: a GET gets the `Range` asked for, a HEAD
    /// the whole object's `Content-Length` (hyper leaves an empty body's out).
    pub(crate) fn shape(
        &self,
        mut recorded: Prepared,
        parts: &Parts,
        seen: &SeenRequest,
    ) -> Prepared {
        if seen.access_key.is_none() || recorded.status != StatusCode::OK {
            return recorded;
        }
        let range = parts.headers.get(RANGE).and_then(|v| v.to_str().ok());
        match (seen.method.as_str(), range) {
            ("GET", Some(range)) => ranged(recorded, range),
            ("HEAD", _) => {
                recorded
                    .headers
                    .insert(CONTENT_LENGTH, HeaderValue::from(recorded.body.len()));
                recorded
            }
            _ => recorded,
        }
    }
}

/// The access key of a SigV4-signed request: `Credential=<key>/…` of the `Authorization`
/// header, or the presigned `X-Amz-Credential` query parameter.
pub(crate) fn signing_key(
    authorization: Option<&str>,
    query: &[(String, String)],
) -> Option<String> {
    let from_header = authorization
        .filter(|value| is_sigv4(value))
        .and_then(|value| value.split_once("Credential="))
        .map(|(_, rest)| rest);
    let from_query = query
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("X-Amz-Credential"))
        .map(|(_, v)| v.as_str());
    let scope = from_header.or(from_query)?;
    let key = scope.split(['/', ',', ' ']).next().unwrap_or_default();
    (!key.is_empty()).then(|| key.to_string())
}

/// Whether an `Authorization` value is a SigV4 signature (not a bearer token).
pub(crate) fn is_sigv4(authorization: &str) -> bool {
    authorization.trim_start().starts_with(SIGV4)
}

/// The content type S3 would have stored for a key written without one, by extension.
pub(crate) fn content_type_of(key: &str) -> &'static str {
    let ext = key
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "csv" => "text/csv",
        "tsv" => "text/tab-separated-values",
        "json" => "application/json",
        "md" => "text/markdown",
        "txt" | "log" => "text/plain",
        "html" => "text/html",
        "yml" | "yaml" => "application/yaml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gz" => "application/gzip",
        "parquet" => "application/vnd.apache.parquet",
        _ => "application/octet-stream",
    }
}

/// `bytes=a-b`, `bytes=a-` or `bytes=-n` applied to a whole recorded body.
pub(crate) fn ranged(mut recorded: Prepared, range: &str) -> Prepared {
    let len = recorded.body.len() as u64;
    let Some((start, end)) = parse_range(range, len) else {
        let message = format!("mock catalog: range {range:?} is outside the object's {len} bytes");
        let mut refused = error(StatusCode::RANGE_NOT_SATISFIABLE, "InvalidRange", &message);
        if let Ok(value) = HeaderValue::from_str(&format!("bytes */{len}")) {
            refused.headers.insert(CONTENT_RANGE, value);
        }
        return refused;
    };
    // Both ends are within the body, checked by parse_range.
    let body = recorded.body.slice(start as usize..=end as usize);
    recorded.headers.remove(CONTENT_LENGTH);
    if let Ok(value) = HeaderValue::from_str(&format!("bytes {start}-{end}/{len}")) {
        recorded.headers.insert(CONTENT_RANGE, value);
    }
    recorded.status = StatusCode::PARTIAL_CONTENT;
    recorded.body = body;
    recorded
}

/// The inclusive byte range a `Range` value asks of `len` bytes; `None` if unsatisfiable.
fn parse_range(range: &str, len: u64) -> Option<(u64, u64)> {
    let spec = range.trim().strip_prefix("bytes=")?;
    let (first, last) = spec.split_once('-')?;
    let (start, end) = match (first.trim(), last.trim()) {
        ("", suffix) => {
            let n: u64 = suffix.parse().ok()?;
            (len.checked_sub(n.min(len))?, len.checked_sub(1)?)
        }
        (start, "") => (start.parse().ok()?, len.checked_sub(1)?),
        (start, end) => {
            let end: u64 = end.parse().ok()?;
            (start.parse().ok()?, end.min(len.checked_sub(1)?))
        }
    };
    (start < len && start <= end).then_some((start, end))
}

/// An S3 error document.
pub(crate) fn error(status: StatusCode, code: &str, message: &str) -> Prepared {
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{}</Message><RequestId>MOCKREQUEST0000</RequestId></Error>",
        escape_xml(message)
    );
    let mut headers = HeaderMap::new();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/xml"));
    Prepared {
        status,
        headers,
        body: Bytes::from(body),
    }
}

pub(crate) fn escape_xml(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_follow_rfc_9110() {
        assert_eq!(parse_range("bytes=0-99", 1000), Some((0, 99)));
        assert_eq!(parse_range("bytes=0-5000", 1000), Some((0, 999)));
        assert_eq!(parse_range("bytes=990-", 1000), Some((990, 999)));
        assert_eq!(parse_range("bytes=-10", 1000), Some((990, 999)));
        assert_eq!(parse_range("bytes=1000-", 1000), None);
        assert_eq!(parse_range("bytes=0-10", 0), None);
        assert_eq!(parse_range("lines=0-10", 100), None);
    }

    #[test]
    fn the_signing_key_comes_from_the_header_or_a_presigned_url() {
        let header = "AWS4-HMAC-SHA256 Credential=ASIAALICE/20261124/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=abc";
        assert_eq!(signing_key(Some(header), &[]).as_deref(), Some("ASIAALICE"));
        let query = vec![(
            "X-Amz-Credential".to_string(),
            "ASIABOB/20261124/us-east-1/s3/aws4_request".to_string(),
        )];
        assert_eq!(signing_key(None, &query).as_deref(), Some("ASIABOB"));
        assert_eq!(signing_key(Some("Bearer eyJ.x.y"), &[]), None);
        assert!(is_sigv4(header) && !is_sigv4("Bearer AWS4-HMAC-SHA256"));
    }

    #[test]
    fn error_documents_escape_the_message() {
        let refused = error(StatusCode::FORBIDDEN, "AccessDenied", "a&b <c>");
        let text = String::from_utf8(refused.body.to_vec()).unwrap();
        assert!(text.contains("<Code>AccessDenied</Code>"));
        assert!(text.contains("a&amp;b &lt;c&gt;"));
    }
}
