//! Stateless Streamable HTTP: one JSON-RPC message per `POST /mcp`, answered with one JSON
//! document. No session ids, no server-sent streams (GET and DELETE get 405), every method
//! served without a prior `initialize`.

use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::{HeaderValue, Method, Request, StatusCode, header};
use http_body_util::{BodyExt, Limited};
use serde_json::Value;
use tower::Service;

use crate::http::{
    BoxFuture, HttpResponse, empty_response, encoded_json_response, error_response, json_response,
};
use crate::identity::Caller;
use crate::identity::RequestId;
use crate::layers::limits::payload_too_large;
use crate::layers::telemetry::McpCallInfo;
use crate::mcp::json_budget;
use crate::mcp::jsonrpc::{self, INVALID_REQUEST, Message, RpcError};
use crate::mcp::methods::{self, Answer, SUPPORTED_PROTOCOL_VERSIONS};
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
    json_response(status, &jsonrpc::failure(id, error))
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
    if let Some(version) = req.headers().get("mcp-protocol-version") {
        let version = version.to_str().unwrap_or("<not text>");
        if !SUPPORTED_PROTOCOL_VERSIONS.contains(&version) {
            let message = format!(
                "unsupported MCP-Protocol-Version {version:?}; supported: {}",
                SUPPORTED_PROTOCOL_VERSIONS.join(", ")
            );
            return rpc_error_response(
                StatusCode::BAD_REQUEST,
                &Value::Null,
                &RpcError::new(INVALID_REQUEST, message),
            );
        }
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

    let narrowing = match Narrowing::from_headers(req.headers()) {
        Ok(narrowing) => narrowing,
        Err(message) => {
            return rpc_error_response(
                StatusCode::BAD_REQUEST,
                &Value::Null,
                &RpcError::new(INVALID_REQUEST, message),
            );
        }
    };
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
        return rpc_error_response(
            StatusCode::BAD_REQUEST,
            &Value::Null,
            &RpcError::new(INVALID_REQUEST, message),
        );
    }
    let message = match jsonrpc::decode(&bytes) {
        Ok(message) => message,
        Err(e) => return rpc_error_response(StatusCode::BAD_REQUEST, &e.id, &e.error),
    };
    let (id, method, params) = match message {
        Message::Request { id, method, params } => (id, method, params),
        Message::Notification { method } => {
            let mut response = empty_response(StatusCode::ACCEPTED);
            response
                .extensions_mut()
                .insert(McpCallInfo { method, tool: None });
            return response;
        }
        Message::Response => return empty_response(StatusCode::ACCEPTED),
    };

    // The auth layer always runs before us; a missing caller is a wiring bug, answered, not panicked on.
    let (Some(caller), Some(request_id)) = (
        parts.extensions.get::<Caller>(),
        parts.extensions.get::<RequestId>(),
    ) else {
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
    let tool = (method == "tools/call")
        .then(|| {
            params
                .get("name")
                .and_then(Value::as_str)
                .map(str::to_string)
        })
        .flatten();
    let mut response = match methods::handle(&ctx, &method, params).await {
        Ok(Answer::Value(result)) => json_response(StatusCode::OK, &jsonrpc::success(&id, result)),
        Ok(Answer::Encoded(result)) => {
            encoded_json_response(StatusCode::OK, jsonrpc::success_encoded(&id, &result))
        }
        Err(error) => json_response(StatusCode::OK, &jsonrpc::failure(&id, &error)),
    };
    response
        .extensions_mut()
        .insert(McpCallInfo { method, tool });
    response
}
