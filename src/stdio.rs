//! MCP over standard input and output, for one local user (`quilt-mcp stdio`, or
//! `FASTMCP_TRANSPORT=stdio`): newline-delimited JSON-RPC in, one line per answer out, and
//! nothing else on standard output (logs go to standard error).
//!
//! The caller is whoever runs the process: their credential comes from `QUILT_API_KEY` (a
//! Quilt API key) or `QUILT_MCP_TOKEN` (a catalog JWT). There is no JWT secret here: the
//! registry judges the credential, once, at start, by telling us whose it is; a refusal stops
//! the process with one line. Every request then runs through the same methods, tool table,
//! toolsets and read-only settings as the HTTP endpoint, decoded by the same `mcp::jsonrpc` and
//! answered by the same `mcp::dispatch` (both protocol eras: 2025-11-25 after `initialize`,
//! 2026-07-28 per request with its `_meta`).
//! Requests run concurrently, so a slow tool does not hold up a `ping`; answers are written
//! whole, one per line, in the order they finish. EOF on standard input waits for the
//! requests in flight, then ends the process with exit 0.

use std::sync::Arc;

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tracing::Instrument;

use crate::catalog::api_keys::{Verdict, ask_registry};
use crate::catalog::{CatalogClient, OnBehalf};
use crate::config::{Config, JwtSecretSource, Secret};
use crate::identity::{Caller, CallerToken, RequestId};
use crate::json_budget;
use crate::mcp::dispatch::{self, Body};
use crate::mcp::era::HeaderView;
use crate::mcp::jsonrpc::{self, Message};
use crate::state::AppState;
use crate::tools::{Narrowing, RequestContext, ToolView};

/// The variables that carry the caller's credential, in the order they are looked for.
pub const CREDENTIAL_VARS: [&str; 2] = ["QUILT_API_KEY", "QUILT_MCP_TOKEN"];

/// Whether the environment asks for the stdio transport (`FASTMCP_TRANSPORT=stdio`), read
/// once at start to choose the command.
pub fn requested_by_env() -> bool {
    std::env::var("FASTMCP_TRANSPORT").is_ok_and(|t| t.trim().eq_ignore_ascii_case("stdio"))
}

/// What the stdio transport starts from: the configuration and the caller's credential.
pub struct Setup {
    pub config: Config,
    credential: CallerToken,
    /// Which variable the credential came from, for messages.
    credential_var: &'static str,
    /// `QUILT_REGISTRY_URL` was unset: the catalog's `config.json` names the registry.
    registry_from_catalog: bool,
    vars: Vec<(String, String)>,
}

/// Reads the variables: the credential and `QUILT_CATALOG_URL` are required; the rest is the
/// HTTP server's configuration, without a JWT secret. Errors are one line.
pub fn setup(vars: impl IntoIterator<Item = (String, String)>) -> Result<Setup, String> {
    let mut vars: Vec<(String, String)> = vars
        .into_iter()
        .filter(|(_, value)| !value.trim().is_empty())
        .collect();
    let found = |name: &str| vars.iter().find(|(n, _)| n == name).map(|(_, v)| v.trim());
    let (credential_var, credential) = CREDENTIAL_VARS
        .iter()
        .find_map(|var| found(var).map(|value| (*var, CallerToken::new(value))))
        .ok_or(
            "stdio needs the caller's credential: QUILT_API_KEY (a Quilt API key, qk_…) or \
             QUILT_MCP_TOKEN (a catalog JWT)",
        )?;
    let Some(catalog) = found("QUILT_CATALOG_URL").map(str::to_string) else {
        return Err(
            "stdio needs QUILT_CATALOG_URL, the catalog's URL (e.g. https://quilt.example.com)"
                .into(),
        );
    };
    let registry_from_catalog = found("QUILT_REGISTRY_URL").is_none();
    set(&mut vars, "FASTMCP_TRANSPORT", "stdio");
    // The registry judges the credential here; no JWT is ever verified in this mode. The
    // shared state still builds a verifier, so it gets a random secret nothing is signed with.
    let unused = format!("{}{}", uuid::Uuid::new_v4(), uuid::Uuid::new_v4());
    set(&mut vars, "MCP_JWT_SECRET", &unused);
    vars.retain(|(name, _)| name != "MCP_JWT_SECRET_SSM_PARAMETER");
    if registry_from_catalog {
        // Until config.json is read (see `run`): the registry's URL is not known yet.
        set(&mut vars, "QUILT_REGISTRY_URL", &catalog);
    }
    let config = Config::from_vars(vars.clone()).map_err(|e| e.to_string())?;
    Ok(Setup {
        config,
        credential,
        credential_var,
        registry_from_catalog,
        vars,
    })
}

fn set(vars: &mut Vec<(String, String)>, name: &str, value: &str) {
    vars.retain(|(n, _)| n != name);
    vars.push((name.to_string(), value.to_string()));
}

/// Serves MCP on `input` and `output` until EOF. Errors (the credential refused, the catalog
/// unreachable at start) are one line, for the caller to print before exiting non-zero.
pub async fn run(
    setup: Setup,
    input: impl AsyncRead + Unpin,
    output: impl AsyncWrite + Unpin + Send + 'static,
) -> Result<(), String> {
    let config = resolve_registry(&setup).await?;
    // The placeholder `setup` gave the configuration: no JWT is verified in this mode.
    let unused = match &config.jwt_secret {
        JwtSecretSource::Env(secret) => secret.clone(),
        JwtSecretSource::Ssm { .. } => Secret::new(uuid::Uuid::new_v4().to_string()),
    };
    let state = AppState::new(config, &unused);
    let caller = identify(&state, &setup).await?;
    tracing::info!(
        catalog = %state.config.catalog_url,
        registry = %state.config.registry_url,
        credential = setup.credential_var,
        "quilt-mcp {} serving MCP on stdio",
        env!("CARGO_PKG_VERSION")
    );
    serve_lines(state, caller, input, output).await;
    tracing::info!("standard input closed; stopping");
    Ok(())
}

/// The configuration with the registry's URL: `QUILT_REGISTRY_URL`, else `registryUrl` from
/// the catalog's `config.json`.
async fn resolve_registry(setup: &Setup) -> Result<Config, String> {
    if !setup.registry_from_catalog {
        return Ok(setup.config.clone());
    }
    let catalog = CatalogClient::new(&setup.config);
    let url = &setup.config.catalog_url;
    let config_json = catalog.config_json(&RequestId::mint()).await.map_err(|e| {
        format!("QUILT_REGISTRY_URL is unset and {url}/config.json could not be read: {e}")
    })?;
    let Some(registry) = config_json.get("registryUrl").and_then(Value::as_str) else {
        return Err(format!(
            "QUILT_REGISTRY_URL is unset and {url}/config.json names no registryUrl; set QUILT_REGISTRY_URL"
        ));
    };
    let mut vars = setup.vars.clone();
    set(&mut vars, "QUILT_REGISTRY_URL", registry);
    Config::from_vars(vars).map_err(|e| format!("{e} (registryUrl from {url}/config.json)"))
}

/// The caller, as the registry identifies the credential: the one check, at start.
async fn identify(state: &AppState, setup: &Setup) -> Result<Caller, String> {
    let request_id = RequestId::mint();
    let who = OnBehalf {
        token: &setup.credential,
        request_id: &request_id,
    };
    let var = setup.credential_var;
    match ask_registry(&state.catalog, who).await {
        Ok(Verdict::Accepted(owner)) => {
            tracing::info!(user = %owner.name, "the catalog accepted {var}");
            Ok(owner.caller(&setup.credential))
        }
        Ok(Verdict::Refused) => Err(format!(
            "the catalog at {} refused {var} (unknown, expired or revoked); create a new one and try again",
            state.config.registry_url
        )),
        Err(e) => Err(format!("{var} could not be checked: {e}")),
    }
}

/// Reads lines until EOF, answering each request on its own task; waits for those in flight.
async fn serve_lines(
    state: Arc<AppState>,
    caller: Caller,
    input: impl AsyncRead + Unpin,
    output: impl AsyncWrite + Unpin + Send + 'static,
) {
    let (answers, mut outbox) = mpsc::unbounded_channel::<String>();
    // One writer: each answer is one whole line, never interleaved with another.
    let writer = tokio::spawn(async move {
        let mut output = output;
        while let Some(mut line) = outbox.recv().await {
            line.push('\n');
            let written = output.write_all(line.as_bytes()).await;
            if written.and(output.flush().await).is_err() {
                tracing::warn!("standard output is closed; answers are dropped");
                break;
            }
        }
    });
    let view = ToolView::new(&state.config, &Narrowing::default());
    let max = state.config.max_body_bytes;
    let mut lines = BufReader::new(input).lines();
    let mut in_flight = JoinSet::new();
    loop {
        let line = match lines.next_line().await {
            Ok(Some(line)) => line,
            Ok(None) => break,
            Err(e) => {
                // Not UTF-8, or the pipe failed: answer what we can and go on, as for bad JSON.
                let error =
                    jsonrpc::RpcError::new(jsonrpc::PARSE_ERROR, format!("unreadable line: {e}"));
                let _ = answers.send(jsonrpc::failure(&Value::Null, &error).to_string());
                if e.kind() == std::io::ErrorKind::InvalidData {
                    continue;
                }
                break;
            }
        };
        if line.trim().is_empty() {
            continue;
        }
        if line.len() > max {
            let error = jsonrpc::RpcError::new(
                jsonrpc::INVALID_REQUEST,
                format!("a message may be at most {max} bytes (MCP_MAX_BODY_BYTES)"),
            );
            let _ = answers.send(jsonrpc::failure(&Value::Null, &error).to_string());
            continue;
        }
        if !json_budget::within(line.as_bytes(), json_budget::MAX_VALUES) {
            let error = jsonrpc::RpcError::new(
                jsonrpc::PARSE_ERROR,
                format!(
                    "the message holds more than {} JSON values; no MCP request needs that many",
                    json_budget::MAX_VALUES
                ),
            );
            let _ = answers.send(jsonrpc::failure(&Value::Null, &error).to_string());
            continue;
        }
        let ctx = RequestContext {
            caller: caller.clone(),
            request_id: RequestId::mint(),
            view: view.clone(),
            state: state.clone(),
        };
        let answers = answers.clone();
        in_flight.spawn(async move {
            if let Some(answer) = answer_line(&ctx, line.as_bytes()).await {
                let _ = answers.send(answer);
            }
        });
        // Reap finished requests as we go, so the set does not grow with the session.
        while in_flight.try_join_next().is_some() {}
    }
    while in_flight.join_next().await.is_some() {}
    drop(answers);
    let _ = writer.await;
}

/// The answer line to one input line, or `None` for notifications and client responses. Both
/// protocol eras are served, through the same entry as HTTP (`mcp::dispatch`), without the
/// HTTP-only header rules.
async fn answer_line(ctx: &RequestContext, line: &[u8]) -> Option<String> {
    let message = match jsonrpc::decode(line) {
        Ok(message) => message,
        Err(e) => return Some(jsonrpc::encode(&jsonrpc::failure(&e.id, &e.error))),
    };
    let method = match &message {
        Message::Request { method, .. } | Message::Notification { method } => method.clone(),
        Message::Response => String::new(),
    };
    let span = tracing::info_span!("request", request_id = %ctx.request_id.0, method = %method);
    let started = std::time::Instant::now();
    let reply = dispatch::answer(ctx, &HeaderView::NONE, message)
        .instrument(span.clone())
        .await;
    let elapsed_ms = started.elapsed().as_millis() as u64;
    span.in_scope(|| tracing::info!(elapsed_ms, outcome = ?reply.outcome, "stdio request"));
    reply.body.map(|body| match body {
        Body::Value(value) => jsonrpc::encode(&value),
        Body::Encoded(text) => text,
    })
}
