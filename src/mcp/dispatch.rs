//! The one transport-agnostic entry: a decoded message in, a [`Reply`] out. HTTP
//! (`mcp::transport`) calls [`answer`] with the request's headers; a stdio transport calls it
//! with [`HeaderView::NONE`]. Both eras are served here: the era is decided per request
//! (`mcp::era`), legacy requests keep the handshake-era behaviour, modern ones pass the
//! 2026-07-28 envelope checks and get the modern result fields (`mcp::discover`).
//!
//! Every error answer carries the request's id: the decoder reads it before anything can fail.

use serde_json::Value;

use crate::mcp::discover;
use crate::mcp::era::{self, Era, HeaderView, ModernRequest, Refusal};
use crate::mcp::jsonrpc::{INVALID_REQUEST, Message, RpcError};
use crate::mcp::methods::{self, Answer, SUPPORTED_PROTOCOL_VERSIONS};
use crate::mcp::transport::RequestContext;

/// How a transport should frame a reply; HTTP maps each to a status code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// A result, or an error inside a served method (HTTP 200).
    Answered,
    /// A notification or a client's response: nothing to send (HTTP 202).
    Accepted,
    /// The request's envelope was refused (HTTP 400).
    BadRequest,
    /// A modern request for a method we do not serve (HTTP 404).
    NotFound,
}

/// What to send back for one message.
#[derive(Debug)]
pub struct Reply {
    pub outcome: Outcome,
    /// The JSON-RPC answer; `None` when nothing is sent.
    pub body: Option<Body>,
    /// The method, for telemetry (none for a client's response).
    pub method: Option<String>,
    /// The tool of a `tools/call`, for telemetry.
    pub tool: Option<String>,
}

/// A JSON-RPC answer: a value, or text encoded once and shared.
#[derive(Debug)]
pub enum Body {
    /// A JSON-RPC message to encode.
    Value(Value),
    /// A JSON-RPC message already encoded (a shared `tools/list`).
    Encoded(String),
}

impl Reply {
    fn accepted(method: Option<String>) -> Reply {
        Reply {
            outcome: Outcome::Accepted,
            body: None,
            method,
            tool: None,
        }
    }

    /// An error answer under `id`.
    pub fn error(outcome: Outcome, id: &Value, error: &RpcError) -> Reply {
        Reply {
            outcome,
            body: Some(Body::Value(crate::mcp::jsonrpc::failure(id, error))),
            method: None,
            tool: None,
        }
    }

    fn result(id: &Value, answer: Answer) -> Reply {
        let body = match answer {
            Answer::Value(result) => Body::Value(crate::mcp::jsonrpc::success(id, result)),
            Answer::Encoded(result) => {
                Body::Encoded(crate::mcp::jsonrpc::success_encoded(id, &result))
            }
        };
        Reply {
            outcome: Outcome::Answered,
            body: Some(body),
            method: None,
            tool: None,
        }
    }
}

/// Answers one decoded message for the caller in `ctx`.
pub async fn answer(ctx: &RequestContext, headers: &HeaderView<'_>, message: Message) -> Reply {
    let (id, method, params) = match message {
        Message::Request { id, method, params } => (id, method, params),
        Message::Notification { method } => return Reply::accepted(Some(method)),
        Message::Response => return Reply::accepted(None),
    };
    let tool = (method == "tools/call")
        .then(|| params.get("name").and_then(Value::as_str))
        .flatten()
        .map(str::to_string);
    let mut reply = match era::era_of(headers, &method, &params) {
        Era::Legacy => legacy(ctx, headers, &id, &method, params).await,
        Era::Modern => modern(ctx, headers, &id, &method, params).await,
    };
    reply.method = Some(method);
    reply.tool = tool;
    reply
}

/// The 2025-11-25 refusal of an `MCP-Protocol-Version` header naming a revision we do not
/// negotiate (400, -32600), if the header does.
pub fn legacy_version_refusal(headers: &HeaderView<'_>) -> Option<RpcError> {
    let version = headers.protocol_version?.unwrap_or("<not text>");
    if SUPPORTED_PROTOCOL_VERSIONS.contains(&version) {
        return None;
    }
    let message = format!(
        "unsupported MCP-Protocol-Version {version:?}; supported: {}",
        SUPPORTED_PROTOCOL_VERSIONS.join(", ")
    );
    Some(RpcError::new(INVALID_REQUEST, message))
}

/// 2025-11-25 and earlier, exactly as before the modern era: an unsupported
/// `MCP-Protocol-Version` is a 400, method errors are answered with 200.
async fn legacy(
    ctx: &RequestContext,
    headers: &HeaderView<'_>,
    id: &Value,
    method: &str,
    params: Value,
) -> Reply {
    if let Some(error) = legacy_version_refusal(headers) {
        return Reply::error(Outcome::BadRequest, id, &error);
    }
    match methods::handle(ctx, Era::Legacy, method, params).await {
        Ok(answer) => Reply::result(id, answer),
        Err(error) => Reply::error(Outcome::Answered, id, &error),
    }
}

/// The methods a modern request may call. `initialize`, `ping`, `logging/setLevel` and the
/// resource subscriptions were removed in 2026-07-28; `subscriptions/listen` needs a
/// long-lived stream we do not keep.
fn served_modern(method: &str) -> bool {
    matches!(
        method,
        "server/discover"
            | "tools/list"
            | "tools/call"
            | "resources/list"
            | "resources/templates/list"
            | "resources/read"
            | "prompts/list"
            | "prompts/get"
    )
}

/// The client capabilities a method needs. None of ours do: we never sample, elicit or ask for
/// roots. A method or tool that starts to must name them here.
fn required_capabilities(_method: &str, _params: &Value) -> &'static [&'static str] {
    &[]
}

fn refused(id: &Value, refusal: &Refusal) -> Reply {
    let outcome = match refusal.status {
        404 => Outcome::NotFound,
        _ => Outcome::BadRequest,
    };
    Reply::error(outcome, id, &refusal.error)
}

/// 2026-07-28: the envelope first (`_meta`, mirrored headers, version), then the method, with
/// the modern fields on its result.
async fn modern(
    ctx: &RequestContext,
    headers: &HeaderView<'_>,
    id: &Value,
    method: &str,
    params: Value,
) -> Reply {
    let request: ModernRequest = match era::check_modern(headers, method, &params) {
        Ok(request) => request,
        Err(refusal) => return refused(id, &refusal),
    };
    if !served_modern(method) {
        let error = RpcError::method_not_found(method);
        return Reply::error(Outcome::NotFound, id, &error);
    }
    if let Err(refusal) =
        era::require_capabilities(&request, required_capabilities(method, &params))
    {
        return refused(id, &refusal);
    }
    let answer = if method == "server/discover" {
        Ok(Answer::Value(discover::discover(ctx).await))
    } else {
        methods::handle(ctx, Era::Modern, method, params).await
    };
    match answer {
        Ok(answer) => {
            let hint = discover::cache_hint(ctx, method);
            Reply::result(id, discover::decorate(answer, hint))
        }
        Err(error) => Reply::error(Outcome::Answered, id, &error),
    }
}
