//! `quilt-mcp demo`: the embedded catalog in-process and the server wired to it, with a
//! generated secret and a signed token for one of the dataset's users (the admin unless
//! `--as` names another), ready for any MCP client.

use std::net::SocketAddr;

use serde_json::json;

use crate::config::{Config, Secret};
use crate::mock::{MockCatalog, Recordings};
use crate::state::AppState;

/// The demo token's lifetime.
const DEMO_TOKEN_HOURS: i64 = 12;

/// Who a demo token speaks for: the dataset user's id, name, and a line on what they may do.
struct DemoUser {
    id: i64,
    name: String,
    about: String,
    /// The user's Quilt API key, as the embedded catalog knows it.
    api_key: String,
}

/// Looks `name` up in the running model; an unknown name lists the ones there are.
fn demo_user(mock: &MockCatalog, name: &str) -> Result<DemoUser, String> {
    let found = mock.with_model(|model| {
        let names: Vec<String> = model.users.iter().map(|u| u.name.clone()).collect();
        let user = model.user(name).map(|u| {
            let buckets: Vec<String> = model
                .readable_buckets(u)
                .iter()
                .map(|b| match model.can_write(u, &b.name) {
                    true => format!("{} (read-write)", b.name),
                    false => format!("{} (read)", b.name),
                })
                .collect();
            let mut about = format!(
                "role {}; buckets: {}",
                u.role.as_deref().unwrap_or("none"),
                if buckets.is_empty() {
                    "none".to_string()
                } else {
                    buckets.join(", ")
                }
            );
            if u.admin {
                about.push_str("; a catalog admin");
            }
            if !u.active {
                about.push_str("; INACTIVE: the catalog refuses every call with 403");
            }
            DemoUser {
                id: u.id,
                name: u.name.clone(),
                about,
                api_key: u.api_key.clone(),
            }
        });
        (user, names)
    });
    match found {
        Some((Some(user), _)) => Ok(user),
        Some((None, names)) => Err(format!(
            "the demo catalog has no user {name:?}; try one of: {}",
            names.join(", ")
        )),
        None => Err("the demo runs on the model catalog".into()),
    }
}

/// Runs the demo until SIGTERM or SIGINT. `port` is where the server listens on 127.0.0.1;
/// the token printed is for the dataset user `user`.
pub async fn run(port: u16, user: &str) -> Result<(), String> {
    let mock = MockCatalog::start()
        .await
        .map_err(|e| format!("cannot start the embedded catalog: {e}"))?;
    let user = demo_user(&mock, user)?;
    let secret = Secret::new(format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    ));
    let port = port.to_string();
    // search_docs_quilt_bio reads the embedded catalog's small docs site, not the internet.
    let docs_url = format!("{}{}", mock.url(), crate::mock::docs_site::PATH_PREFIX);
    let config = Config::from_vars(
        [
            ("QUILT_DOCS_URL", docs_url.as_str()),
            ("QUILT_MULTIUSER_MODE", "true"),
            ("QUILT_CATALOG_URL", mock.url().as_str()),
            ("QUILT_REGISTRY_URL", mock.url().as_str()),
            // The embedded catalog answers the S3 calls of the bucket tools too.
            ("AWS_ENDPOINT_URL_S3", mock.url().as_str()),
            // And the Athena calls of the query tools, run over the dataset's tables.
            ("AWS_ENDPOINT_URL_ATHENA", mock.url().as_str()),
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
    let claims = json!({ "id": user.id, "uuid": format!("demo-{}", user.name), "exp": exp });
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
    // Printed commands name this very binary, so they run as printed.
    let exe = std::env::current_exe()
        .map(|path| path.display().to_string())
        .unwrap_or_else(|_| "quilt-mcp".into());
    let printed = Printed {
        addr,
        catalog: mock.url(),
        token,
        api_key: user.api_key.clone(),
        exe,
    };
    println!("{}", instructions(&printed, &user.name, &user.about));
    tracing::info!(address = %addr, catalog = %mock.url(), "Listening on http://{addr}");
    let grace = config.shutdown_grace;
    let state = AppState::new(config, &secret);
    crate::server::serve(listener, state, crate::server::shutdown_signal(), grace).await;
    mock.shutdown().await;
    Ok(())
}

/// What the demo's printed commands are made of.
pub struct Printed {
    /// Where the demo server listens.
    pub addr: SocketAddr,
    /// The embedded catalog's URL (catalog, registry, S3 and Athena at once).
    pub catalog: String,
    /// The demo user's signed catalog token.
    pub token: String,
    /// The demo user's Quilt API key.
    pub api_key: String,
    /// This binary's path.
    pub exe: String,
}

/// The port the printed second server (`MCP_API_KEYS=true`) listens on: the first one after
/// the demo's that is free now (so the line works as printed unless something takes the port
/// before it is run), else any free port the system picks.
pub fn api_key_server_port(addr: SocketAddr) -> u16 {
    let free = |port: u16| std::net::TcpListener::bind((addr.ip(), port)).is_ok();
    let next = (1..=64).filter_map(|step| addr.port().checked_add(step));
    if let Some(port) = next.into_iter().find(|port| free(*port)) {
        return port;
    }
    std::net::TcpListener::bind((addr.ip(), 0))
        .and_then(|listener| listener.local_addr())
        .map(|bound| bound.port())
        .unwrap_or_else(|_| addr.port().wrapping_add(1).max(1))
}

/// What the demo prints: the token and API key, and a block per client, each as it runs.
pub fn instructions(p: &Printed, user: &str, about: &str) -> String {
    let Printed {
        addr,
        catalog,
        token,
        api_key,
        exe,
    } = p;
    let url = format!("http://{addr}/mcp");
    let keys_port = api_key_server_port(*addr);
    // The second server verifies no demo JWT: its secret is any fresh value, never printed
    // elsewhere; API keys are judged by the embedded catalog.
    let keys_secret = uuid::Uuid::new_v4().simple();
    let list = r#"'{"jsonrpc":"2.0","id":1,"method":"tools/list"}'"#;
    let desktop = json!({
        "mcpServers": { "quilt": {
            "command": exe,
            "args": ["stdio"],
            "env": {
                "QUILT_CATALOG_URL": catalog,
                "QUILT_MCP_TOKEN": token,
                // The embedded catalog answers S3 and Athena too.
                "AWS_ENDPOINT_URL_S3": catalog,
                "AWS_ENDPOINT_URL_ATHENA": catalog,
                // And a small docs site for search_docs_quilt_bio.
                "QUILT_DOCS_URL": format!("{catalog}{}", crate::mock::docs_site::PATH_PREFIX),
            },
        } }
    });
    let desktop = serde_json::to_string_pretty(&desktop).unwrap_or_default();
    format!(
        "\
quilt-mcp demo: the MCP server on {url}, backed by the embedded catalog at {catalog}
(a fictitious life-sciences catalog: 3 buckets, 13 packages, 5 users; writes last until you stop).
The token below is for `{user}`: {about}.
Another user: quilt-mcp demo --as bob (a data scientist), carol (read-only), dave (inactive).

Token (valid {DEMO_TOKEN_HOURS} h):
  QUILT_MCP_TOKEN={token}

API key of `{user}` (a Quilt API key, as quilt3.api_keys creates them; the embedded catalog knows one per user):
  QUILT_API_KEY={api_key}

A second server that also takes API keys (MCP_API_KEYS=true), on the same embedded catalog, and a call with the key:
  MCP_API_KEYS=true QUILT_CATALOG_URL={catalog} QUILT_REGISTRY_URL={catalog} AWS_ENDPOINT_URL_S3={catalog} AWS_ENDPOINT_URL_ATHENA={catalog} QUILT_DOCS_URL={catalog}/docs MCP_JWT_SECRET={keys_secret} FASTMCP_PORT={keys_port} {exe} serve
  curl -s http://127.0.0.1:{keys_port}/mcp -H \"Authorization: Bearer {api_key}\" -H 'Content-Type: application/json' -d {list}

List the tools:
  curl -s {url} -H \"Authorization: Bearer {token}\" -H 'Content-Type: application/json' -d {list}

Claude Code:
  claude mcp add --transport http quilt {url} --header \"Authorization: Bearer {token}\"

MCP Inspector (CLI; needs Node.js 22.19 or later, see node --version: on older Node npx picks an old Inspector that cannot send headers):
  npx -y @modelcontextprotocol/inspector@2.12.0 --cli {url} --transport http --header \"Authorization: Bearer {token}\" --method tools/list

Claude Desktop (claude_desktop_config.json; Desktop runs local servers over stdio, so this runs `quilt-mcp stdio` with the token in env):
{desktop}

Press Ctrl-C to stop.
"
    )
}

/// `quilt-mcp mock-catalog`: the embedded catalog alone (or a replay of recordings in
/// `recordings_dir`), for other servers and clients.
pub async fn mock_catalog(
    port: u16,
    recordings_dir: Option<&std::path::Path>,
    ssm_parameters: &[(String, String)],
) -> Result<(), String> {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let mock = match recordings_dir {
        Some(dir) => {
            let recordings = Recordings::from_dir(dir)
                .map_err(|e| format!("cannot load the recordings: {e}"))?;
            MockCatalog::replay_on(addr, recordings).await
        }
        None => MockCatalog::start_on(addr).await,
    }
    .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    for (name, value) in ssm_parameters {
        mock.set_ssm_parameter(name, value);
    }
    println!(
        "embedded catalog listening on {url} (catalog, registry and S3 URL; docs site {url}{})",
        crate::mock::docs_site::PATH_PREFIX,
        url = mock.url()
    );
    tracing::info!(address = %mock.addr(), "Listening on {}", mock.url());
    crate::server::shutdown_signal().await;
    let unmatched = mock.acknowledge_unmatched();
    if !unmatched.is_empty() {
        eprintln!(
            "{} unsupported request(s) were answered with errors:",
            unmatched.len()
        );
        for request in &unmatched {
            eprintln!("  {}", request.describe());
        }
    }
    mock.shutdown().await;
    Ok(())
}
