//! Configuration: every environment variable, read once at start into one typed struct.
//!
//! The variables are read in groups, one file per concern: `auth` (multi-user mode, the JWT
//! secret and claims), `catalog` (its URLs, timeouts and caches, the S3 endpoint), `server`
//! (transport, address, origins), `limits` (rate, size and time limits) and `telemetry`
//! (telemetry, logs, banner) and `athena` (workgroup, query timeout, writes). envy fills each group's struct; its fields are the typed values
//! of `values` (and the groups' own), whose `Deserialize` checks the text, so a bad value gives
//! one line naming the variable, the value and what is accepted. [`Config::from_vars`] then
//! applies the rules that span variables. No code reads the environment after start-up.

mod athena;
mod auth;
mod catalog;
mod limits;
mod server;
mod telemetry;
mod tools;
mod values;

use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

use serde::de::{Deserialize, DeserializeOwned, Deserializer, Error as _};
use serde_path_to_error::Segment;

pub use athena::AthenaConfig;
pub use auth::{DEFAULT_JWT_LEEWAY, JwtSecretSource, MAX_JWT_LEEWAY, Secret, is_aws_region};
pub use server::Transport;
pub use telemetry::{LogFormat, LogLevel, TelemetryLevel};

use athena::AthenaEnv;
use auth::AuthEnv;
use catalog::CatalogEnv;
use limits::LimitsEnv;
use server::ServerEnv;
use telemetry::TelemetryEnv;
use tools::ToolsEnv;

/// The validated configuration, passed down from `main`.
#[derive(Clone, Debug)]
pub struct Config {
    pub multiuser_mode: bool,
    /// Catalog URL without trailing `/`, e.g. `https://quilt.example.com`.
    pub catalog_url: String,
    /// Registry URL without trailing `/`.
    pub registry_url: String,
    pub graphql_endpoint: String,
    pub jwt_secret: JwtSecretSource,
    /// True when `MCP_JWT_SECRET` and the SSM parameter were both set (the env value wins).
    pub jwt_secret_both_set: bool,
    pub jwt_issuer: Option<String>,
    pub jwt_audience: Option<String>,
    /// Clock skew allowed on a token's `exp`, `nbf` and `iat` (`MCP_JWT_LEEWAY_SECONDS`).
    pub jwt_leeway: Duration,
    /// `MCP_PUBLIC_URL`: this server's URL as clients reach it, without a trailing `/`.
    pub public_url: Option<String>,
    /// `MCP_API_KEYS`: Quilt API keys (`qk_…`) are accepted as bearer tokens.
    pub api_keys: bool,
    /// `MCP_API_KEY_CACHE_SECONDS`: how long the registry's verdict on a key is kept.
    pub api_key_ttl: Duration,
    pub transport: Transport,
    pub bind: SocketAddr,
    pub service_timeout: Duration,
    /// Where S3 calls go instead of AWS (`AWS_ENDPOINT_URL_S3`, else `AWS_ENDPOINT_URL`, as the
    /// AWS SDKs read them); `None`: the regional AWS endpoint.
    pub s3_endpoint_url: Option<String>,
    pub browsing_session_ttl: Duration,
    pub skip_banner: bool,
    pub resources_enabled: bool,
    /// Zero disables the resource cache.
    pub resource_cache_ttl: Duration,
    pub telemetry_enabled: bool,
    pub telemetry_level: TelemetryLevel,
    /// `MCP_METRICS_PORT` on `FASTMCP_HOST`: where Prometheus text is served; `None`: nowhere.
    pub metrics_bind: Option<SocketAddr>,
    /// How often an EMF metrics line is written (`MCP_METRICS_INTERVAL`, seconds).
    pub metrics_interval: Duration,
    pub optimization_enabled: bool,
    /// Origins allowed besides loopback ones, e.g. `https://mcp.example.com`.
    pub allowed_origins: Vec<String>,
    /// Requests per second per user; zero turns rate limiting off.
    pub rate_limit_per_second: u32,
    pub rate_limit_burst: u32,
    pub max_body_bytes: usize,
    /// Request body bytes held at once over all requests (`MCP_BODY_MEMORY_BYTES`): past it,
    /// a request waits briefly, then is answered 503.
    pub body_memory_bytes: usize,
    /// How long a request's body may take to arrive (`MCP_BODY_READ_TIMEOUT`).
    pub body_read_timeout: Duration,
    pub request_timeout: Duration,
    pub shutdown_grace: Duration,
    /// A client that has not sent a request's headers by then is disconnected (a new
    /// connection that sends nothing at all, too).
    pub header_read_timeout: Duration,
    /// Client connections open at once (`MCP_MAX_CONNECTIONS`); the server keeps it below the
    /// open-file limit.
    pub max_connections: usize,
    pub log_level: LogLevel,
    pub log_format: LogFormat,
    /// How often the SSM parameter is read again (and the least time between forced reads).
    pub jwt_secret_refresh: Duration,
    /// Catalog calls in flight at once (`MCP_CATALOG_MAX_IN_FLIGHT`): each holds a thread of
    /// the blocking pool, so this bounds threads and memory.
    pub catalog_max_in_flight: usize,
    /// How long a catalog call waits for a free slot before it is answered "server busy".
    pub catalog_slot_wait: Duration,
    /// The toolsets any caller may see (`MCP_TOOLSETS`, default all); requests may narrow it.
    pub toolsets: crate::toolset::Toolsets,
    /// `MCP_READ_ONLY`: every tool that may change something is gone for every caller.
    pub read_only: bool,
    /// Athena: workgroup, query timeout, writes, endpoint (`ATHENA_*`).
    pub athena: AthenaConfig,
    /// `QUILT_DOCS_URL`: the docs site `search_docs_quilt_bio` reads, without a trailing `/`.
    pub docs_url: String,
    /// `QUILT_DOCS_TIMEOUT`: how long one request to the docs site may take.
    pub docs_timeout: Duration,
    /// `QUILT_DOCS_CACHE_TTL`: how long what the docs site gave is used before asking again
    /// (zero: every call asks; the last good copy is still kept for when the site is down).
    pub docs_cache_ttl: Duration,
}

/// A configuration error: printed as one line, then the process exits non-zero.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError(pub String);

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Invalid configuration: {}", self.0)
    }
}

impl std::error::Error for ConfigError {}

/// The error for a required variable that is unset (or blank).
fn missing(var: &str) -> ConfigError {
    ConfigError(format!(
        "Multiuser mode requires {var} environment variable"
    ))
}

impl Config {
    /// Reads the process environment once.
    pub fn from_env() -> Result<Config, ConfigError> {
        Self::from_vars(std::env::vars())
    }

    /// Reads the given variables: the testable form of [`Config::from_env`].
    pub fn from_vars(
        vars: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Config, ConfigError> {
        let vars = present(vars);
        // The seed's order: the secret first, then the catalog, then the registry.
        let auth: AuthEnv = read(&vars)?;
        let jwt_secret = auth.jwt_secret()?;
        let jwt_leeway = auth.jwt_leeway()?;
        let catalog: CatalogEnv = read(&vars)?;
        let urls = catalog.urls()?;
        let s3_endpoint_url = catalog.s3_endpoint_url()?;
        let server: ServerEnv = read(&vars)?;
        let telemetry: TelemetryEnv = read(&vars)?;
        let limits: LimitsEnv = read(&vars)?;
        let tools: ToolsEnv = read(&vars)?;
        let service_timeout = catalog.quilt_service_timeout.0;
        let request_timeout = limits.request_timeout(service_timeout);
        let athena = read::<AthenaEnv>(&vars)?.settings(request_timeout)?;
        let metrics_bind = server
            .mcp_metrics_port
            .map(|port| SocketAddr::new(server.fastmcp_host.0, port.0));
        // Metrics are for the operator: sharing the MCP port would put them behind the load
        // balancer. Port 0 (the system chooses) cannot collide.
        if metrics_bind.is_some_and(|m| m.port() != 0 && m.port() == server.fastmcp_port.0) {
            return Err(ConfigError(format!(
                "MCP_METRICS_PORT={} is FASTMCP_PORT; metrics need a port of their own",
                server.fastmcp_port.0
            )));
        }
        Ok(Config {
            multiuser_mode: auth.quilt_multiuser_mode.0,
            catalog_url: urls.catalog,
            registry_url: urls.registry,
            graphql_endpoint: urls.graphql,
            jwt_secret_both_set: auth.both_secrets_set(),
            jwt_secret,
            jwt_issuer: auth.mcp_jwt_issuer,
            jwt_audience: auth.mcp_jwt_audience,
            jwt_leeway,
            public_url: auth.mcp_public_url.map(|url| url.0),
            api_keys: auth.mcp_api_keys.0,
            api_key_ttl: auth.mcp_api_key_cache_seconds.0,
            transport: server.fastmcp_transport,
            bind: SocketAddr::new(server.fastmcp_host.0, server.fastmcp_port.0),
            service_timeout,
            s3_endpoint_url,
            browsing_session_ttl: catalog.quilt_browsing_session_ttl.0,
            skip_banner: telemetry.mcp_skip_banner.0,
            resources_enabled: catalog.quilt_mcp_resources_enabled.0,
            resource_cache_ttl: catalog.quilt_mcp_resource_cache_ttl.0,
            telemetry_enabled: telemetry.mcp_telemetry_enabled.0,
            telemetry_level: telemetry.mcp_telemetry_level,
            metrics_bind,
            metrics_interval: telemetry.mcp_metrics_interval.0,
            optimization_enabled: catalog.mcp_optimization_enabled.0,
            allowed_origins: server.mcp_allowed_origins.0,
            rate_limit_per_second: limits.mcp_rate_limit_per_second.0,
            rate_limit_burst: limits.mcp_rate_limit_burst.0,
            max_body_bytes: limits.max_body_bytes(),
            body_memory_bytes: limits.body_memory_bytes(),
            body_read_timeout: limits.mcp_body_read_timeout.0,
            request_timeout,
            shutdown_grace: limits.mcp_shutdown_grace.0,
            header_read_timeout: limits.mcp_header_read_timeout.0,
            max_connections: limits.max_connections(),
            log_level: telemetry.mcp_log_level,
            log_format: telemetry.mcp_log_format,
            jwt_secret_refresh: auth.mcp_jwt_secret_refresh_seconds.0,
            catalog_max_in_flight: limits.catalog_max_in_flight(),
            catalog_slot_wait: limits.catalog_slot_wait(),
            toolsets: tools.mcp_toolsets.0,
            read_only: tools.mcp_read_only.0,
            athena,
            docs_url: catalog.quilt_docs_url.0,
            docs_timeout: catalog.quilt_docs_timeout.0,
            docs_cache_ttl: catalog.quilt_docs_cache_ttl.0,
        })
    }

    /// True when the server listens on a loopback address only (DNS-rebinding checks apply).
    pub fn bound_to_loopback(&self) -> bool {
        self.bind.ip().is_loopback()
    }
}

/// The variables with their values trimmed, blank ones dropped: an unset or blank variable is
/// absent, so every group sees the same rule. Sorted by name, so that when several values are
/// bad the one reported does not depend on the order of the environment.
fn present(vars: impl IntoIterator<Item = (String, String)>) -> Vec<(String, String)> {
    let mut present: Vec<(String, String)> = vars
        .into_iter()
        .map(|(name, value)| (name, value.trim().to_string()))
        .filter(|(_, value)| !value.is_empty())
        .collect();
    present.sort();
    present
}

/// Fills one group's struct from the variables with envy (other groups' variables are ignored).
fn read<T: DeserializeOwned>(vars: &[(String, String)]) -> Result<T, ConfigError> {
    let Named(group) =
        envy::from_iter(vars.iter().cloned()).map_err(|e| ConfigError(e.to_string()))?;
    Ok(group)
}

/// A group whose value errors start with `VAR=`. envy reports a value's custom error without
/// saying which variable it came from, so the path to the failing field is tracked here, and
/// a field is named after its variable (envy matches them ignoring case).
struct Named<T>(T);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Named<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        serde_path_to_error::deserialize(deserializer)
            .map(Named)
            .map_err(|e| match e.path().iter().next() {
                Some(Segment::Map { key }) => {
                    D::Error::custom(format_args!("{}={}", key.to_ascii_uppercase(), e.inner()))
                }
                _ => e.into_inner(),
            })
    }
}

#[cfg(test)]
mod tests;
