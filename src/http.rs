//! The HTTP types every layer and route shares: one response body type, JSON helpers, and the
//! percent-encoding of the URL parts we build and read.

use std::future::Future;
use std::pin::Pin;

use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode, header};
use http_body_util::Full;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use serde_json::Value;

/// Every response we send has its whole body in memory: MCP answers are single JSON documents.
pub type Body = Full<Bytes>;

/// The response type of every service in the stack.
pub type HttpResponse = Response<Body>;

/// A boxed, sendable future, as tower layers return them.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A JSON response with the given status.
pub fn json_response(status: StatusCode, value: &Value) -> HttpResponse {
    encoded_json_response(status, serde_json::to_vec(value).unwrap_or_default())
}

/// A response whose body is JSON already encoded.
pub fn encoded_json_response(status: StatusCode, body: impl Into<Bytes>) -> HttpResponse {
    let mut response = Response::new(Full::new(body.into()));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// A JSON `{"error": message}` response: how layers refuse a request.
pub fn error_response(status: StatusCode, message: &str) -> HttpResponse {
    json_response(status, &serde_json::json!({ "error": message }))
}

/// An empty response with the given status (202 for notifications, 204 for preflights).
pub fn empty_response(status: StatusCode) -> HttpResponse {
    let mut response = Response::new(Full::new(Bytes::new()));
    *response.status_mut() = status;
    response
}

/// What a URL component keeps as written: RFC 3986's unreserved characters. Everything else is
/// escaped, so a query value or path segment can hold `&`, `=`, `/`, `+` or spaces.
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// An S3 key in a URL path: as a component, but `/` stays, so the key's folders stay segments.
const KEY_PATH: &AsciiSet = &COMPONENT.remove(b'/');

/// Percent-encodes a query value or one path segment (uppercase hex, as S3 and AWS sign them).
pub fn encode_component(text: &str) -> String {
    utf8_percent_encode(text, COMPONENT).to_string()
}

/// Percent-encodes an S3 key for a URL path or physical key, keeping its `/`s (and empty segments).
pub fn encode_key_path(key: &str) -> String {
    utf8_percent_encode(key, KEY_PATH).to_string()
}

/// Decodes `%XX` escapes in a URL path; a malformed escape is kept as written, bytes that are not
/// UTF-8 become U+FFFD (a lookup then misses, as it should).
pub fn decode_path_lossy(text: &str) -> String {
    percent_decode_str(text).decode_utf8_lossy().into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn components_keep_only_unreserved_characters() {
        assert_eq!(encode_component("a-b_c.d~e"), "a-b_c.d~e");
        assert_eq!(
            encode_component("run 1/a+b=c&é"),
            "run%201%2Fa%2Bb%3Dc%26%C3%A9"
        );
    }

    #[test]
    fn key_paths_keep_slashes_and_empty_segments() {
        assert_eq!(
            encode_key_path("raw/run 1//a+b.csv"),
            "raw/run%201//a%2Bb.csv"
        );
        assert_eq!(
            decode_path_lossy("raw/run%201//a%2Bb.csv"),
            "raw/run 1//a+b.csv"
        );
        assert_eq!(decode_path_lossy("100%zz+%"), "100%zz+%");
        assert_eq!(decode_path_lossy("%FF"), "\u{FFFD}");
    }
}
