//! `quilt-mcp demo`: the recorded catalog in-process and the server wired to it, with a
//! generated secret and a signed token for the recorded admin user, ready for any MCP client.

use std::net::SocketAddr;

use serde_json::json;

use crate::config::{Config, Secret};
use crate::mock::{MockCatalog, Recordings};
use crate::state::AppState;

/// The recorded user the demo token speaks for (alice, an admin in the recordings).
const DEMO_USER_ID: i64 = 1;
/// The demo token's lifetime.
const DEMO_TOKEN_HOURS: i64 = 12;

/// Runs the demo until SIGTERM or SIGINT. `port` is where the server listens on 127.0.0.1.
pub async fn run(port: u16) -> Result<(), String> {
    let recordings =
        Recordings::builtin().map_err(|e| format!("the built-in recordings are broken: {e}"))?;
    let mock = MockCatalog::start(recordings)
        .await
        .map_err(|e| format!("cannot start the recorded catalog: {e}"))?;
    let secret = Secret::new(format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    ));
    let port = port.to_string();
    let config = Config::from_vars(
        [
            ("QUILT_MULTIUSER_MODE", "true"),
            ("QUILT_CATALOG_URL", mock.url().as_str()),
            ("QUILT_REGISTRY_URL", mock.url().as_str()),
            // The recorded catalog answers the S3 calls of the bucket tools too.
            ("AWS_ENDPOINT_URL_S3", mock.url().as_str()),
            ("MCP_JWT_SECRET", secret.expose()),
            ("FASTMCP_HOST", "127.0.0.1"),
            ("FASTMCP_PORT", port.as_str()),
            // One local user: a per-user rate limit would only get in the way of trying things.
            ("MCP_RATE_LIMIT_PER_SECOND", "0"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string())),
    )
    .map_err(|e| e.to_string())?;
    let exp = crate::time::unix_now() + DEMO_TOKEN_HOURS * 3600;
    let claims = json!({ "id": DEMO_USER_ID, "uuid": "demo-alice", "exp": exp });
    let token = crate::auth::sign_token(&secret, &claims)
        .map_err(|e| format!("cannot sign the demo token: {e}"))?;
    let listener = tokio::net::TcpListener::bind(config.bind)
        .await
        .map_err(|e| {
            format!(
                "cannot listen on {}: {e} (set FASTMCP_PORT to use another port)",
                config.bind
            )
        })?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    println!("{}", instructions(addr, &mock.url(), &token));
    tracing::info!(address = %addr, catalog = %mock.url(), "Listening on http://{addr}");
    let grace = config.shutdown_grace;
    let state = AppState::new(config, &secret);
    crate::server::serve(listener, state, crate::server::shutdown_signal(), grace).await;
    mock.shutdown().await;
    Ok(())
}

/// What the demo prints: the token, a curl line, and client configurations.
pub fn instructions(addr: SocketAddr, catalog: &str, token: &str) -> String {
    let url = format!("http://{addr}/mcp");
    let desktop = json!({
        "mcpServers": { "quilt": { "type": "http", "url": url, "headers": { "Authorization": format!("Bearer {token}") } } }
    });
    let desktop = serde_json::to_string_pretty(&desktop).unwrap_or_default();
    format!(
        "\
quilt-mcp demo: the MCP server on {url}, backed by the recorded catalog at {catalog}
(a fictitious catalog with buckets, packages and users; the token below is for `alice`, an admin).

Token (valid {DEMO_TOKEN_HOURS} h):
  QUILT_MCP_TOKEN={token}

List the tools:
  curl -s {url} -H \"Authorization: Bearer {token}\" -H 'Content-Type: application/json' \\
    -d '{{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\"}}'

Claude Code:
  claude mcp add --transport http quilt {url} --header \"Authorization: Bearer {token}\"

MCP Inspector (CLI):
  npx @modelcontextprotocol/inspector --cli {url} --transport http --header \"Authorization: Bearer {token}\" --method tools/list

Claude Desktop and other clients (mcpServers JSON):
{desktop}

Press Ctrl-C to stop.
"
    )
}

/// `quilt-mcp mock-catalog`: the recorded catalog alone, for other servers and clients.
pub async fn mock_catalog(
    port: u16,
    recordings_dir: Option<&std::path::Path>,
    ssm_parameters: &[(String, String)],
) -> Result<(), String> {
    let recordings = match recordings_dir {
        Some(dir) => Recordings::from_dir(dir),
        None => Recordings::builtin(),
    }
    .map_err(|e| format!("cannot load the recordings: {e}"))?;
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let mock = MockCatalog::start_on(addr, recordings)
        .await
        .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    for (name, value) in ssm_parameters {
        mock.set_ssm_parameter(name, value);
    }
    println!(
        "recorded catalog listening on {} (catalog and registry URL)",
        mock.url()
    );
    tracing::info!(address = %mock.addr(), "Listening on {}", mock.url());
    crate::server::shutdown_signal().await;
    let unmatched = mock.acknowledge_unmatched();
    if !unmatched.is_empty() {
        eprintln!(
            "{} unrecorded request(s) were answered with errors:",
            unmatched.len()
        );
        for request in &unmatched {
            eprintln!("  {}", request.describe());
        }
    }
    mock.shutdown().await;
    Ok(())
}
