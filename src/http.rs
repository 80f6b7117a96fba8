//! The HTTP types every layer and route shares: one response body type, JSON helpers.

use std::future::Future;
use std::pin::Pin;

use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode, header};
use http_body_util::Full;
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
