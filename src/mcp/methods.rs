//! The MCP methods we serve, each from static tables. Every method works without a prior
//! `initialize`: the server keeps no session. The era a request speaks changes only a few
//! answers here (capabilities, the resource-not-found code); its envelope is `mcp::dispatch`'s.

use serde_json::{Value, json};

use crate::mcp::era::{self, Era};
use crate::mcp::jsonrpc::{INTERNAL_ERROR, INVALID_PARAMS, RESOURCE_NOT_FOUND, RpcError};
use crate::mcp::transport::RequestContext;
use crate::tools::resources::{self, ReadError};
use crate::tools::view::{AdminStatus, admin_status};
use crate::tools::{self, ToolError, Toolset};

/// Handshake-era revisions we speak; the first is offered when a client asks for another.
pub const SUPPORTED_PROTOCOL_VERSIONS: &[&str] = era::LEGACY_VERSIONS;

/// The name clients see in `serverInfo` and `/health`.
pub const SERVER_NAME: &str = "quilt-mcp-server";

const INSTRUCTIONS: &str =
    "Tools for one Quilt data catalog, acting with the caller's own catalog permissions.";

/// What each toolset offers, for the instructions: only the toolsets the caller has are named.
fn toolset_hint(toolset: Toolset) -> &'static str {
    match toolset {
        Toolset::Navigation => {
            "navigation: catalog_url and catalog_uri build links; get_resource reads resources"
        }
        Toolset::Buckets => "buckets: start with bucket_list, then list, read and write objects",
        Toolset::Packages => {
            "packages: packages_list, package_browse, package_file_text and package_file_fetch read packages; others create and change them"
        }
        Toolset::Search => "search: search_catalog finds packages and files by text",
        Toolset::Athena => {
            "athena: SQL over the data lake; athena_databases_list, then athena_query_execute"
        }
        Toolset::Tabulator => "tabulator: a bucket's SQL tables over package files",
        Toolset::Visualization => {
            "visualization: charts, README and quilt_summarize.json as files to add to a package"
        }
        Toolset::Admin => "admin: users, roles and stack settings (you are a catalog admin)",
    }
}

/// The instructions for this caller: the toolsets they have, each with a hint.
pub(crate) async fn instructions(ctx: &RequestContext) -> String {
    let admin = ctx.view.may_show_admin() && admin_status(ctx).await == AdminStatus::Admin;
    let mut text = INSTRUCTIONS.to_string();
    let shown = ctx.view.toolsets(admin);
    if shown == tools::Toolsets::NONE {
        text.push_str(" No tools are available to this request.");
    }
    for toolset in shown.iter() {
        text.push_str("\n- ");
        text.push_str(toolset_hint(toolset));
    }
    text
}

/// The server's identity: `serverInfo` in `initialize`, and in every modern result's `_meta`.
pub fn server_info() -> Value {
    json!({ "name": SERVER_NAME, "title": "Quilt MCP server", "version": env!("CARGO_PKG_VERSION") })
}

/// What we offer. 2026-07-28 has no `resources/subscribe` (subscriptions moved to
/// `subscriptions/listen`, which we do not offer), and declares `prompts` because we answer
/// `prompts/list` (with none).
pub fn capabilities(ctx: &RequestContext, era: Era) -> Value {
    let mut capabilities = json!({ "tools": { "listChanged": false } });
    if ctx.state.config.resources_enabled {
        capabilities["resources"] = match era {
            Era::Legacy => json!({ "subscribe": false, "listChanged": false }),
            Era::Modern => json!({ "listChanged": false }),
        };
    }
    if era == Era::Modern {
        capabilities["prompts"] = json!({ "listChanged": false });
    }
    capabilities
}

/// Answers one request of `era` (modern requests have passed `mcp::era::check_modern`).
pub async fn handle(
    ctx: &RequestContext,
    era: Era,
    method: &str,
    params: Value,
) -> Result<Answer, RpcError> {
    match method {
        // Encoded once per set of visible tools: tens of kilobytes, and clients ask often.
        "tools/list" => {
            let admin = ctx.view.may_show_admin() && admin_status(ctx).await == AdminStatus::Admin;
            Ok(Answer::Encoded(tools::list_json(&ctx.view, admin)))
        }
        _ => value_of(ctx, era, method, params).await.map(Answer::Value),
    }
}

/// A method's result: a value to encode, or JSON that was encoded once and is sent as is.
#[derive(Debug)]
pub enum Answer {
    Value(Value),
    Encoded(std::sync::Arc<str>),
}

async fn value_of(
    ctx: &RequestContext,
    era: Era,
    method: &str,
    params: Value,
) -> Result<Value, RpcError> {
    match method {
        "initialize" => Ok(initialize(ctx, &params).await),
        "ping" => Ok(json!({})),
        "tools/call" => tools_call(ctx, &params).await,
        "resources/list" => Ok(resources_list(ctx)),
        "resources/templates/list" => Ok(resource_templates_list(ctx)),
        "resources/read" => resources_read(ctx, era, &params).await,
        "prompts/list" => Ok(json!({ "prompts": [] })),
        // Modern servers declare `prompts`, so a prompt name is a parameter that names nothing.
        "prompts/get" if era == Era::Modern => {
            let name = params.get("name").and_then(Value::as_str).unwrap_or("");
            Err(RpcError::invalid_params(format!("unknown prompt: {name}")))
        }
        _ => Err(RpcError::method_not_found(method)),
    }
}

async fn initialize(ctx: &RequestContext, params: &Value) -> Value {
    let requested = params.get("protocolVersion").and_then(Value::as_str);
    let version = requested
        .filter(|v| SUPPORTED_PROTOCOL_VERSIONS.contains(v))
        .unwrap_or(SUPPORTED_PROTOCOL_VERSIONS[0]);
    json!({
        "protocolVersion": version,
        "capabilities": capabilities(ctx, Era::Legacy),
        "serverInfo": server_info(),
        "instructions": instructions(ctx).await,
    })
}

async fn tools_call(ctx: &RequestContext, params: &Value) -> Result<Value, RpcError> {
    let Some(name) = params.get("name").and_then(Value::as_str) else {
        return Err(RpcError::invalid_params("tools/call needs a `name`"));
    };
    // A tool this request does not see is unknown to it, exactly like one that does not exist.
    let visible = match (tools::find(name), tools::toolset_of(name)) {
        (Some(tool), Some(toolset)) => {
            let admin =
                toolset == Toolset::Admin && admin_status(ctx).await != AdminStatus::NotAdmin;
            ctx.view.shows(toolset, tool, admin).then_some(tool)
        }
        _ => None,
    };
    let Some(tool) = visible else {
        return Err(RpcError::invalid_params(format!("unknown tool: {name}")));
    };
    let args = params.get("arguments").cloned().unwrap_or(Value::Null);
    if !matches!(args, Value::Object(_) | Value::Null) {
        let error = tools::ToolError::invalid("arguments", "must be an object");
        return Ok(tools::call_result(Err(error)));
    }
    let started = std::time::Instant::now();
    let result = (tool.call)(ctx, args).await;
    if !tool.annotations.read_only && result.is_ok() {
        // The caller just changed the catalog: their kept reads may show the old state.
        let caller = crate::catalog::CallerKey::of(&ctx.caller.token);
        ctx.state.resource_cache.forget(caller);
        ctx.state.catalog.forget_reads(ctx.on_behalf());
        ctx.state.admin_status.forget(caller);
    }
    let elapsed_ms = started.elapsed().as_millis() as u64;
    ctx.state
        .metrics
        .tool_call(tool.name, result.as_ref().err().map(error_kind));
    match &result {
        Ok(_) => tracing::info!(tool = name, elapsed_ms, "tool call"),
        Err(error) => tracing::info!(tool = name, elapsed_ms, error = %error, "tool call failed"),
    }
    Ok(tools::call_result(result))
}

/// The metrics' name for a tool's failure.
fn error_kind(error: &ToolError) -> crate::metrics::ErrorKind {
    use crate::metrics::ErrorKind;
    match error {
        ToolError::InvalidArgument { .. } => ErrorKind::ToolInvalidArgument,
        ToolError::NotFound(_) => ErrorKind::ToolNotFound,
        ToolError::Catalog(_) => ErrorKind::ToolCatalog,
        ToolError::Failed(_) => ErrorKind::ToolFailed,
    }
}

fn resources_list(ctx: &RequestContext) -> Value {
    let listed: Vec<Value> = if ctx.state.config.resources_enabled {
        resources::RESOURCES
            .iter()
            .map(resources::describe)
            .collect()
    } else {
        Vec::new()
    };
    json!({ "resources": listed })
}

fn resource_templates_list(ctx: &RequestContext) -> Value {
    let listed: Vec<Value> = if ctx.state.config.resources_enabled {
        resources::TEMPLATES
            .iter()
            .map(resources::describe_template)
            .collect()
    } else {
        Vec::new()
    };
    json!({ "resourceTemplates": listed })
}

async fn resources_read(ctx: &RequestContext, era: Era, params: &Value) -> Result<Value, RpcError> {
    let Some(uri) = params.get("uri").and_then(Value::as_str) else {
        return Err(RpcError::invalid_params("resources/read needs a `uri`"));
    };
    // 2026-07-28 MUST NOT emit -32002: an unknown URI is an invalid parameter there.
    let code = match era {
        Era::Legacy => RESOURCE_NOT_FOUND,
        Era::Modern => INVALID_PARAMS,
    };
    let not_found = |message: String| {
        let (known, templates) = resources::known_uris();
        RpcError::new(code, message)
            .with_data(json!({ "uri": uri, "available": known, "templates": templates }))
    };
    match resources::read(ctx, uri).await {
        Ok(value) => {
            let mime_type = resources::mime_type_of(uri);
            let text = resources::as_text(mime_type, &value);
            Ok(json!({ "contents": [{ "uri": uri, "mimeType": mime_type, "text": text }] }))
        }
        Err(ReadError::Unknown) => Err(not_found(format!("resource not found: {uri}"))),
        // A template whose parameter names nothing (an unknown user or bucket).
        Err(ReadError::Failed(ToolError::NotFound(why))) => {
            Err(not_found(format!("resource not found: {uri}: {why}")))
        }
        Err(ReadError::Failed(error)) => Err(RpcError::new(
            INTERNAL_ERROR,
            format!("could not read {uri}: {error}"),
        )),
    }
}
