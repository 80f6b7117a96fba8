//! The command line: which mode to run, parsed before anything starts.

use crate::config::{Config, TelemetryLevel};
use crate::metrics::emf;
use crate::state::AppState;

/// What the binary was asked to do.
#[derive(Debug, PartialEq, Eq)]
pub enum Command {
    /// Serve MCP (the default, as the container runs it).
    Serve,
    /// Serve MCP on standard input and output for one local user (also `FASTMCP_TRANSPORT=stdio`).
    Stdio,
    /// The embedded catalog in-process and the server on 127.0.0.1:`port` wired to it, with a
    /// token for the dataset user named `user`.
    Demo { port: u16, user: String },
    /// The embedded catalog (or a replay of recordings) alone on 127.0.0.1:`port` (0: any free
    /// port).
    MockCatalog {
        port: u16,
        recordings: Option<std::path::PathBuf>,
        /// SSM parameters (name, value) the mock's SSM face starts with.
        ssm_parameters: Vec<(String, String)>,
    },
    /// A recording proxy on 127.0.0.1:`port` to a real catalog and registry, writing
    /// `<out>/<scenario>.json`.
    Record {
        port: u16,
        catalog: String,
        registry: String,
        out: std::path::PathBuf,
        scenario: String,
    },
    /// Exit 0 when `/health` on the configured port answers 200: an exec-form health check.
    Health,
    /// A minimal `curl` for shell-form health checks (the image's `/usr/bin/curl` runs it).
    Curl(crate::curl::CurlArgs),
    /// Print the version.
    Version,
    /// Print usage.
    Help,
}

/// Usage text.
pub const USAGE: &str = "\
quilt-mcp — an MCP server for a Quilt data catalog

usage: quilt-mcp [COMMAND]

commands:
  serve          serve MCP over HTTP (default); configured by environment variables
  stdio          serve MCP on standard input and output for one local user (as does serve with
                 FASTMCP_TRANSPORT=stdio): needs QUILT_CATALOG_URL and QUILT_API_KEY (qk_…) or
                 QUILT_MCP_TOKEN (a catalog JWT); QUILT_REGISTRY_URL is read from the catalog's
                 config.json when unset; logs go to standard error
  demo [--port N] [--as USER]
                 run the server on 127.0.0.1:N (default 8000) against the embedded catalog (a
                 model of a Quilt catalog with its own dataset), and print a token for USER
                 (default alice, the admin; also bob, carol, dave, pipeline-bot) and client
                 configurations
  mock-catalog [--port N] [--recordings DIR] [--ssm-parameter NAME=VALUE]...
                 run the embedded catalog alone on 127.0.0.1:N (default: any free port), or a
                 replay of DIR's *.json recordings; it also answers SSM GetParameter (point
                 AWS_ENDPOINT_URL_SSM at it) for the parameters given
  record --catalog URL --registry URL --out DIR [--scenario NAME] [--port N]
                 a recording proxy on 127.0.0.1:N (default: any free port) to a real catalog
                 and registry: point a server's QUILT_CATALOG_URL and QUILT_REGISTRY_URL at it
                 and every exchange is written to DIR/NAME.json (default NAME: recorded), with
                 tokens and credentials redacted; review the file before committing it
  health         exit 0 if the local server's /health answers 200 (for container health checks)
  curl [-f] [-s] [-S] [-o FILE] [-m SECONDS] URL
                 GET one URL like curl does: the stand-in behind the image's /usr/bin/curl, for
                 the shell health check `curl -f http://localhost:8000/health || exit 1`
  version        print the version
  help           print this text
";

/// Reads `--name value` flags; anything else is an error naming it.
fn flags<'a>(rest: &'a [String], known: &[&str]) -> Result<Vec<(&'a str, &'a str)>, String> {
    let mut found = Vec::new();
    let mut items = rest.iter();
    while let Some(flag) = items.next() {
        if !known.contains(&flag.as_str()) {
            return Err(format!("unknown option {flag:?}\n\n{USAGE}"));
        }
        let value = items
            .next()
            .ok_or_else(|| format!("{flag} needs a value"))?;
        found.push((flag.as_str(), value.as_str()));
    }
    Ok(found)
}

fn port(value: &str) -> Result<u16, String> {
    value
        .parse()
        .map_err(|_| format!("--port {value:?} is not a port number (0 to 65535)"))
}

/// Parses the arguments after the program name.
pub fn parse(args: &[String]) -> Result<Command, String> {
    let rest = args.get(1..).unwrap_or_default();
    match args.first().map(String::as_str) {
        None | Some("serve") => Ok(Command::Serve),
        Some("stdio") => Ok(Command::Stdio),
        Some("demo") => {
            let (mut chosen, mut user) = (8000, "alice".to_string());
            for (flag, value) in flags(rest, &["--port", "--as"])? {
                match flag {
                    "--port" => chosen = port(value)?,
                    _ => user = value.to_string(),
                }
            }
            Ok(Command::Demo { port: chosen, user })
        }
        Some("mock-catalog") => {
            let (mut chosen, mut recordings, mut ssm_parameters) = (0, None, Vec::new());
            let known = ["--port", "--recordings", "--ssm-parameter"];
            for (flag, value) in flags(rest, &known)? {
                match flag {
                    "--port" => chosen = port(value)?,
                    "--recordings" => recordings = Some(std::path::PathBuf::from(value)),
                    _ => match value.split_once('=') {
                        Some((name, secret)) if !name.is_empty() => {
                            ssm_parameters.push((name.to_string(), secret.to_string()))
                        }
                        _ => return Err(format!("--ssm-parameter {value:?} is not NAME=VALUE")),
                    },
                }
            }
            Ok(Command::MockCatalog {
                port: chosen,
                recordings,
                ssm_parameters,
            })
        }
        Some("record") => record(rest),
        Some("health") => Ok(Command::Health),
        Some("curl") => crate::curl::parse(rest).map(Command::Curl),
        Some("version" | "--version" | "-V") => Ok(Command::Version),
        Some("help" | "--help" | "-h") => Ok(Command::Help),
        Some(other) => Err(format!("unknown command {other:?}\n\n{USAGE}")),
    }
}

/// `record`'s flags: `--catalog`, `--registry` and `--out` are required.
fn record(rest: &[String]) -> Result<Command, String> {
    let (mut chosen, mut catalog, mut registry, mut out) = (0, None, None, None);
    let mut scenario = "recorded".to_string();
    let known = ["--port", "--catalog", "--registry", "--out", "--scenario"];
    for (flag, value) in flags(rest, &known)? {
        match flag {
            "--port" => chosen = port(value)?,
            "--catalog" => catalog = Some(value.to_string()),
            "--registry" => registry = Some(value.to_string()),
            "--out" => out = Some(std::path::PathBuf::from(value)),
            _ => scenario = value.to_string(),
        }
    }
    Ok(Command::Record {
        port: chosen,
        catalog: required(catalog, "--catalog URL")?,
        registry: required(registry, "--registry URL")?,
        out: required(out, "--out DIR")?,
        scenario,
    })
}

fn required<T>(value: Option<T>, flag: &str) -> Result<T, String> {
    value.ok_or_else(|| format!("record needs {flag}\n\n{USAGE}"))
}

/// Runs the server until SIGTERM or SIGINT. Errors are one line each, for the caller to print.
pub async fn serve(config: Config) -> Result<(), String> {
    if !config.multiuser_mode {
        tracing::warn!(
            "QUILT_MULTIUSER_MODE is not true; this server always runs in multiuser mode"
        );
    }
    tracing::info!("Quilt MCP Server starting in multiuser mode");
    tracing::info!("Backend type: graphql");
    tracing::info!("JWT required: True");
    if config.jwt_secret_both_set {
        tracing::info!(
            "MCP_JWT_SECRET and MCP_JWT_SECRET_SSM_PARAMETER are both set; using MCP_JWT_SECRET"
        );
    }
    // From SSM this is a network read: a failure is one line and exit 1, like a bad variable.
    let startup = crate::secret::resolve(&config).await?;
    let listener = tokio::net::TcpListener::bind(config.bind)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", config.bind))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let open_files = crate::server::raise_open_files_limit();
    tracing::info!(
        open_files_limit = open_files,
        max_connections = config.max_connections,
        "connection limits"
    );
    tracing::info!(address = %addr, "Listening on http://{addr}");
    if !config.skip_banner {
        eprintln!(
            "quilt-mcp-server {} — MCP endpoint http://{addr}/mcp",
            env!("CARGO_PKG_VERSION")
        );
    }
    let (grace, refresh) = (config.shutdown_grace, config.jwt_secret_refresh);
    let state = AppState::new(config, &startup.secret);
    startup.keep_fresh(&state.verifier, refresh);
    let metrics_listener = crate::server::start_metrics(&state).await?;
    if let Some(metrics) = &metrics_listener {
        tracing::info!(address = %metrics.addr, "Metrics on http://{}/metrics", metrics.addr);
    }
    let emitter = state.config.telemetry_enabled.then(|| {
        let detail = match state.config.telemetry_level {
            TelemetryLevel::Minimal => emf::Detail::Minimal,
            TelemetryLevel::Standard => emf::Detail::Standard,
            TelemetryLevel::Detailed => emf::Detail::Detailed,
        };
        emf::Emitter::spawn(state.metrics.clone(), state.config.metrics_interval, detail)
    });
    crate::server::serve(listener, state, crate::server::shutdown_signal(), grace).await;
    if let Some(emitter) = emitter {
        emitter.flush();
    }
    tracing::info!("stopped");
    Ok(())
}

/// Asks the local server's `/health`; used by `quilt-mcp health` in containers without curl.
pub fn health_check(port: u16) -> bool {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(std::time::Duration::from_secs(4)))
        .http_status_as_error(false)
        .build()
        .into();
    agent
        .get(&format!("http://127.0.0.1:{port}/health"))
        .call()
        .is_ok_and(|r| r.status().as_u16() == 200)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn commands_and_flags() {
        assert_eq!(parse(&args(&[])), Ok(Command::Serve));
        assert_eq!(parse(&args(&["stdio"])), Ok(Command::Stdio));
        let demo = |port: u16, user: &str| Command::Demo {
            port,
            user: user.into(),
        };
        assert_eq!(parse(&args(&["demo"])), Ok(demo(8000, "alice")));
        assert_eq!(
            parse(&args(&["demo", "--as", "bob"])),
            Ok(demo(8000, "bob"))
        );
        assert_eq!(
            parse(&args(&["demo", "--port", "9000"])),
            Ok(demo(9000, "alice"))
        );
        assert_eq!(
            parse(&args(&["mock-catalog", "--recordings", "r", "--port", "1"])),
            Ok(Command::MockCatalog {
                port: 1,
                recordings: Some("r".into()),
                ssm_parameters: Vec::new(),
            })
        );
        assert_eq!(
            parse(&args(&["mock-catalog", "--ssm-parameter", "/a/b=x=y"])),
            Ok(Command::MockCatalog {
                port: 0,
                recordings: None,
                ssm_parameters: vec![("/a/b".into(), "x=y".into())],
            })
        );
        assert!(parse(&args(&["mock-catalog", "--ssm-parameter", "novalue"])).is_err());
        assert!(matches!(
            parse(&args(&["curl", "-f", "http://localhost:8000/health"])),
            Ok(Command::Curl(_))
        ));
        assert!(parse(&args(&["demo", "--port", "x"])).is_err());
        assert!(parse(&args(&["demo", "--port"])).is_err());
        assert!(parse(&args(&["demo", "--bogus", "1"])).is_err());
        assert!(parse(&args(&["launch"])).is_err());
    }

    #[test]
    fn record_flags() {
        let required = ["record", "--catalog", "c", "--registry", "r", "--out", "o"];
        assert_eq!(
            parse(&args(&required)),
            Ok(Command::Record {
                port: 0,
                catalog: "c".into(),
                registry: "r".into(),
                out: "o".into(),
                scenario: "recorded".into(),
            })
        );
        let all = [&required[..], &["--port", "9", "--scenario", "s"]].concat();
        assert_eq!(
            parse(&args(&all)),
            Ok(Command::Record {
                port: 9,
                catalog: "c".into(),
                registry: "r".into(),
                out: "o".into(),
                scenario: "s".into(),
            })
        );
        for missing in [1, 3, 5] {
            let mut partial = required.to_vec();
            partial.drain(missing..missing + 2);
            assert!(parse(&args(&partial)).is_err(), "{partial:?}");
        }
        let bogus = [&required[..], &["--bogus", "1"]].concat();
        assert!(parse(&args(&bogus)).is_err());
        assert!(parse(&args(&["record", "--port", "x"])).is_err());
    }
}
