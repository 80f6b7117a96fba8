//! Stateless Streamable HTTP: one JSON-RPC message per `POST /mcp`, answered with one JSON
//! document. No session ids, no server-sent streams (GET and DELETE get 405), every method
//! served without a prior `initialize`. This file is only the HTTP framing: the body is
//! decoded here and answered by `mcp::dispatch`, which serves both protocol eras.

use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::{HeaderValue, Method, Request, StatusCode, header};
use http_body_util::{BodyExt, Limited};
use serde_json::Value;
use tower::Service;

use crate::http::{BoxFuture, HttpResponse, empty_response, encoded_json_response, error_response};
use crate::identity::Caller;
use crate::identity::RequestId;
use crate::json_budget;
use crate::layers::limits::payload_too_large;
use crate::layers::telemetry::McpCallInfo;
use crate::mcp::dispatch::{self, Body, Outcome, Reply};
use crate::mcp::era::{Era, HeaderView, era_of};
use crate::mcp::jsonrpc::{self, INVALID_REQUEST, Message, RpcError};
use crate::state::AppState;
use crate::tools::{Narrowing, ToolView};

/// The `/mcp` endpoint behind the auth and rate-limit layers.
#[derive(Clone, Debug)]
pub struct McpService {
    state: Arc<AppState>,
}

impl McpService {
    /// Serves MCP with the shared state.
    pub fn new(state: Arc<AppState>) -> Self {
        McpService { state }
    }
}

/// What a method handler knows about its request (defined with the tools, which run in it).
pub use crate::tools::RequestContext;

fn rpc_error_response(status: StatusCode, id: &Value, error: &RpcError) -> HttpResponse {
    encoded_json_response(status, jsonrpc::encode(&jsonrpc::failure(id, error)))
}

impl<B> Service<Request<B>> for McpService
where
    B: hyper::body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    type Response = HttpResponse;
    type Error = std::convert::Infallible;
    type Future = BoxFuture<'static, Result<HttpResponse, Self::Error>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        let state = self.state.clone();
        Box::pin(async move { Ok(serve(state, req).await) })
    }
}

async fn serve<B>(state: Arc<AppState>, req: Request<B>) -> HttpResponse
where
    B: hyper::body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    if req.method() != Method::POST {
        // Stateless: there is no server-to-client stream to GET and no session to DELETE.
        let mut response = error_response(
            StatusCode::METHOD_NOT_ALLOWED,
            "only POST is supported on /mcp",
        );
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("POST"));
        return response;
    }
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    if content_type.is_some_and(|ct| !ct.to_ascii_lowercase().starts_with("application/json")) {
        return error_response(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Content-Type must be application/json",
        );
    }

    let (parts, body) = req.into_parts();
    let max = state.config.max_body_bytes;
    // A body that stalls would hold its bytes (and a share of the body memory budget) until
    // the request timeout: it gets its own, shorter deadline.
    let read = tokio::time::timeout(
        state.config.body_read_timeout,
        Limited::new(body, max).collect(),
    );
    let bytes = match read.await {
        Ok(Ok(collected)) => collected.to_bytes(),
        Ok(Err(e)) if e.is::<http_body_util::LengthLimitError>() => return payload_too_large(max),
        Ok(Err(_)) => {
            return error_response(StatusCode::BAD_REQUEST, "could not read the request body");
        }
        Err(_) => {
            let message = format!(
                "the request body did not arrive within {} s (MCP_BODY_READ_TIMEOUT)",
                state.config.body_read_timeout.as_secs()
            );
            return error_response(StatusCode::REQUEST_TIMEOUT, &message);
        }
    };
    if !json_budget::within(&bytes, json_budget::MAX_VALUES) {
        let message = format!(
            "the request holds more than {} JSON values; no MCP request needs that many",
            json_budget::MAX_VALUES
        );
        // Declined before parsing, so a parse error.
        return rpc_error_response(
            StatusCode::BAD_REQUEST,
            &Value::Null,
            &RpcError::new(jsonrpc::PARSE_ERROR, message),
        );
    }
    let headers = HeaderView::from_http(&parts.headers);
    let message = match jsonrpc::decode(&bytes) {
        Ok(message) => message,
        Err(e) => {
            // As before the modern era, a legacy client's unsupported version is named first.
            let legacy = (!headers.names_modern_version())
                .then(|| dispatch::legacy_version_refusal(&headers))
                .flatten();
            return rpc_error_response(
                StatusCode::BAD_REQUEST,
                &e.id,
                legacy.as_ref().unwrap_or(&e.error),
            );
        }
    };
    // The id to answer any refusal under, read before anything else can fail.
    let (id, era) = match &message {
        Message::Request { id, method, params } => (id.clone(), era_of(&headers, method, params)),
        _ if headers.names_modern_version() => (Value::Null, Era::Modern),
        _ => (Value::Null, Era::Legacy),
    };
    // A legacy message with an unsupported MCP-Protocol-Version is refused before the narrowing
    // headers are read, notifications included, as before the modern era.
    if era == Era::Legacy
        && let Some(error) = dispatch::legacy_version_refusal(&headers)
    {
        return rpc_error_response(StatusCode::BAD_REQUEST, &id, &error);
    }
    let narrowing = match Narrowing::from_headers(&parts.headers) {
        Ok(narrowing) => narrowing,
        Err(message) => {
            let error = RpcError::new(INVALID_REQUEST, message);
            return rpc_error_response(StatusCode::BAD_REQUEST, &id, &error);
        }
    };

    // The auth layer always runs before us; a missing caller is a wiring bug, answered, not
    // panicked on (a notification or response still needs no caller).
    let (Some(caller), Some(request_id)) = (
        parts.extensions.get::<Caller>(),
        parts.extensions.get::<RequestId>(),
    ) else {
        if !matches!(message, Message::Request { .. }) {
            return empty_response(StatusCode::ACCEPTED);
        }
        let error = RpcError::new(
            jsonrpc::INTERNAL_ERROR,
            "request reached MCP without authentication",
        );
        return rpc_error_response(StatusCode::INTERNAL_SERVER_ERROR, &id, &error);
    };
    let ctx = RequestContext {
        caller: caller.clone(),
        request_id: request_id.clone(),
        view: ToolView::new(&state.config, &narrowing),
        state,
    };
    let reply = dispatch::answer(&ctx, &headers, message).await;
    http_reply(reply)
}

/// Frames a [`Reply`] as HTTP: its outcome is the status, its body one JSON document.
fn http_reply(reply: Reply) -> HttpResponse {
    let status = match reply.outcome {
        Outcome::Answered => StatusCode::OK,
        Outcome::Accepted => StatusCode::ACCEPTED,
        Outcome::BadRequest => StatusCode::BAD_REQUEST,
        Outcome::NotFound => StatusCode::NOT_FOUND,
    };
    let mut response = match reply.body {
        None => empty_response(status),
        Some(Body::Value(value)) => encoded_json_response(status, jsonrpc::encode(&value)),
        Some(Body::Encoded(text)) => encoded_json_response(status, text),
    };
    // A client's response carries no method and is not an MCP call to count.
    if let Some(method) = reply.method {
        response.extensions_mut().insert(McpCallInfo {
            method,
            tool: reply.tool,
        });
    }
    response
}
