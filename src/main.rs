//! The `quilt-mcp` binary: parse the command, load the configuration, serve, shut down.

use std::future::Future;
use std::process::ExitCode;

use quilt_mcp::cli::{self, Command};
use quilt_mcp::config::{Config, LogFormat};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let command = match cli::parse(&args) {
        Ok(command) => command,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    // Needed before the first https call: ureq is built without a default crypto provider.
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    match command {
        Command::Version => {
            println!("quilt-mcp {}", env!("CARGO_PKG_VERSION"));
            ExitCode::SUCCESS
        }
        Command::Help => {
            print!("{}", cli::USAGE);
            ExitCode::SUCCESS
        }
        Command::Health => {
            let port = std::env::var("FASTMCP_PORT")
                .ok()
                .and_then(|p| p.parse().ok())
                .unwrap_or(8000);
            if cli::health_check(port) {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Command::Curl(args) => ExitCode::from(quilt_mcp::curl::run(&args)),
        #[cfg(feature = "mock")]
        Command::Demo { port, user } => run_async("info", LogFormat::Auto, async move {
            quilt_mcp::demo::run(port, &user).await
        }),
        #[cfg(feature = "mock")]
        Command::MockCatalog {
            port,
            recordings,
            ssm_parameters,
        } => run_async("info", LogFormat::Auto, async move {
            quilt_mcp::demo::mock_catalog(port, recordings.as_deref(), &ssm_parameters).await
        }),
        #[cfg(feature = "mock")]
        Command::Record {
            port,
            catalog,
            registry,
            out,
            scenario,
        } => run_async("info", LogFormat::Auto, async move {
            quilt_mcp::mock::record::run(port, &catalog, &registry, &out, &scenario).await
        }),
        #[cfg(not(feature = "mock"))]
        Command::Demo { .. } | Command::MockCatalog { .. } | Command::Record { .. } => {
            eprintln!(
                "this build has no embedded catalog (built without the `mock` feature, as the \
                 production image is); use a local build: cargo run --release -- demo"
            );
            ExitCode::from(2)
        }
        Command::Stdio => stdio(),
        Command::Serve if quilt_mcp::stdio::requested_by_env() => stdio(),
        Command::Serve => {
            let config = match Config::from_env() {
                Ok(config) => config,
                Err(e) => {
                    eprintln!("{e}");
                    return ExitCode::FAILURE;
                }
            };
            let (level, format) = (config.log_level, config.log_format);
            run_async(level.as_str(), format, cli::serve(config))
        }
    }
}

/// MCP on standard input and output: logs on standard error, and a start-up failure (no
/// credential, a refused one, no catalog) is one line there and exit 1.
fn stdio() -> ExitCode {
    let setup = match quilt_mcp::stdio::setup(std::env::vars()) {
        Ok(setup) => setup,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::FAILURE;
        }
    };
    let (level, format) = (setup.config.log_level, setup.config.log_format);
    quilt_mcp::logging::init_stderr(level.as_str(), format);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let served = runtime.block_on(quilt_mcp::stdio::run(
        setup,
        tokio::io::stdin(),
        tokio::io::stdout(),
    ));
    // A read of standard input may still sit on the blocking pool; do not wait for it.
    runtime.shutdown_background();
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("{message}");
            ExitCode::FAILURE
        }
    }
}

/// Installs logging and runs `task` on a multi-thread runtime; an error is one line and exit 1.
fn run_async(
    level: &str,
    format: LogFormat,
    task: impl Future<Output = Result<(), String>>,
) -> ExitCode {
    quilt_mcp::logging::init(level, format);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let outcome = runtime.block_on(task);
    // Catalog calls run on blocking threads that cannot be cancelled; one still waiting on a
    // slow catalog must not keep the process past its grace period (its request has had its
    // answer). Dropping the runtime would wait for them.
    runtime.shutdown_timeout(std::time::Duration::from_millis(100));
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            tracing::error!("{message}");
            eprintln!("{message}");
            ExitCode::FAILURE
        }
    }
}
