//! Configuration: every environment variable, read once at start into one typed struct.
//!
//! `envy` collects the variables into [`RawEnv`] (all optional strings), then [`Config::from_raw`]
//! parses and validates each one itself, so that a bad value gives one line naming the variable,
//! the value and what is accepted, instead of a serde message. No code reads the environment
//! after start-up.

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use serde::Deserialize;

/// The variables, all optional text (envy matches them case-insensitively to these fields);
/// parsed by [`Config::from_raw`].
#[derive(Debug, Default, Deserialize)]
pub struct RawEnv {
    quilt_multiuser_mode: Option<String>,
    quilt_catalog_url: Option<String>,
    quilt_registry_url: Option<String>,
    quilt_graphql_endpoint: Option<String>,
    mcp_jwt_secret: Option<String>,
    mcp_jwt_secret_ssm_parameter: Option<String>,
    aws_region: Option<String>,
    aws_default_region: Option<String>,
    aws_endpoint_url_s3: Option<String>,
    aws_endpoint_url: Option<String>,
    aws_ignore_configured_endpoint_urls: Option<String>,
    mcp_jwt_issuer: Option<String>,
    mcp_jwt_audience: Option<String>,
    fastmcp_transport: Option<String>,
    fastmcp_host: Option<String>,
    fastmcp_port: Option<String>,
    quilt_service_timeout: Option<String>,
    quilt_browsing_session_ttl: Option<String>,
    mcp_skip_banner: Option<String>,
    quilt_mcp_resources_enabled: Option<String>,
    quilt_mcp_resource_cache_ttl: Option<String>,
    mcp_telemetry_enabled: Option<String>,
    mcp_telemetry_level: Option<String>,
    mcp_optimization_enabled: Option<String>,
    // Our own variables.
    mcp_allowed_origins: Option<String>,
    mcp_rate_limit_per_second: Option<String>,
    mcp_rate_limit_burst: Option<String>,
    mcp_max_body_bytes: Option<String>,
    mcp_request_timeout: Option<String>,
    mcp_shutdown_grace: Option<String>,
    mcp_header_read_timeout: Option<String>,
    mcp_log_level: Option<String>,
    mcp_log_format: Option<String>,
    mcp_jwt_secret_refresh_seconds: Option<String>,
}

/// The one transport we serve: MCP Streamable HTTP.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport {
    /// `http`, or its alias `streamable-http`.
    Http,
}

/// How much each request's telemetry event says (`MCP_TELEMETRY_LEVEL`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum TelemetryLevel {
    /// Route, status and duration only.
    Minimal,
    /// Plus MCP method, tool name and user id.
    Standard,
    /// Plus request and response sizes.
    Detailed,
}

/// Log line format (`MCP_LOG_FORMAT`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    /// JSON lines when stdout is not a terminal (CloudWatch), text otherwise.
    Auto,
    /// Always JSON lines.
    Json,
    /// Always readable text.
    Text,
}

/// A secret that never prints itself.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }
    /// The secret's bytes, for the one place that needs them.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// Where the JWT secret comes from.
#[derive(Clone, Debug)]
pub enum JwtSecretSource {
    /// `MCP_JWT_SECRET`.
    Env(Secret),
    /// `MCP_JWT_SECRET_SSM_PARAMETER` in a region.
    Ssm { parameter: String, region: String },
}

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
    pub optimization_enabled: bool,
    /// Origins allowed besides loopback ones, e.g. `https://mcp.example.com`.
    pub allowed_origins: Vec<String>,
    /// Requests per second per user; zero turns rate limiting off.
    pub rate_limit_per_second: u32,
    pub rate_limit_burst: u32,
    pub max_body_bytes: usize,
    pub request_timeout: Duration,
    pub shutdown_grace: Duration,
    /// A client that has not sent a request's headers by then is disconnected.
    pub header_read_timeout: Duration,
    pub log_level: String,
    pub log_format: LogFormat,
    /// How often the SSM parameter is read again (and the least time between forced reads).
    pub jwt_secret_refresh: Duration,
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

fn invalid(var: &str, value: &str, accepted: &str) -> ConfigError {
    ConfigError(format!("{var}={value:?} is not valid; expected {accepted}"))
}

fn missing(var: &str) -> ConfigError {
    ConfigError(format!(
        "Multiuser mode requires {var} environment variable"
    ))
}

/// An unset or blank variable is absent.
fn present(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

fn parse_bool(var: &str, value: &Option<String>, default: bool) -> Result<bool, ConfigError> {
    match present(value).map(str::to_ascii_lowercase).as_deref() {
        None => Ok(default),
        Some("true" | "1" | "yes" | "on") => Ok(true),
        Some("false" | "0" | "no" | "off") => Ok(false),
        Some(_) => Err(invalid(
            var,
            present(value).unwrap_or_default(),
            "true or false",
        )),
    }
}

fn parse_u64(
    var: &str,
    value: &Option<String>,
    default: u64,
    min: u64,
) -> Result<u64, ConfigError> {
    let Some(text) = present(value) else {
        return Ok(default);
    };
    match text.parse::<u64>() {
        Ok(n) if n >= min => Ok(n),
        _ => Err(invalid(var, text, &format!("a whole number ≥ {min}"))),
    }
}

fn parse_url(var: &str, value: &str) -> Result<String, ConfigError> {
    let lower = value.to_ascii_lowercase();
    let rest = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"));
    match rest {
        Some(host)
            if !host.is_empty()
                && !host.starts_with('/')
                && !value.contains(char::is_whitespace) =>
        {
            Ok(value.trim_end_matches('/').to_string())
        }
        _ => Err(invalid(var, value, "an http:// or https:// URL")),
    }
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
        let raw: RawEnv = envy::from_iter(vars).map_err(|e| ConfigError(e.to_string()))?;
        Self::from_raw(raw)
    }

    /// Parses and validates each variable.
    pub fn from_raw(raw: RawEnv) -> Result<Config, ConfigError> {
        let multiuser_mode = parse_bool("QUILT_MULTIUSER_MODE", &raw.quilt_multiuser_mode, false)?;
        let transport = match present(&raw.fastmcp_transport)
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            None | Some("http" | "streamable-http") => Transport::Http,
            Some(_) => {
                let value = present(&raw.fastmcp_transport).unwrap_or_default();
                return Err(invalid(
                    "FASTMCP_TRANSPORT",
                    value,
                    "http or streamable-http (the only transport this server supports)",
                ));
            }
        };

        // The seed's order: the secret first, then the catalog, then the registry.
        let env_secret = present(&raw.mcp_jwt_secret).map(Secret::new);
        let ssm_parameter = present(&raw.mcp_jwt_secret_ssm_parameter).map(str::to_string);
        let region = present(&raw.aws_region)
            .or(present(&raw.aws_default_region))
            .map(str::to_string);
        let jwt_secret_both_set = env_secret.is_some() && ssm_parameter.is_some();
        let jwt_secret = match (env_secret, ssm_parameter) {
            (Some(secret), _) => JwtSecretSource::Env(secret),
            (None, Some(parameter)) => match region {
                Some(region) => JwtSecretSource::Ssm { parameter, region },
                None => {
                    return Err(ConfigError(
                        "MCP_JWT_SECRET_SSM_PARAMETER requires AWS_REGION or AWS_DEFAULT_REGION environment variable".into(),
                    ));
                }
            },
            (None, None) => return Err(missing("MCP_JWT_SECRET")),
        };
        let catalog_url = match present(&raw.quilt_catalog_url) {
            Some(url) => parse_url("QUILT_CATALOG_URL", url)?,
            None => return Err(missing("QUILT_CATALOG_URL")),
        };
        let registry_url = match present(&raw.quilt_registry_url) {
            Some(url) => parse_url("QUILT_REGISTRY_URL", url)?,
            None => return Err(missing("QUILT_REGISTRY_URL")),
        };
        let graphql_endpoint = match present(&raw.quilt_graphql_endpoint) {
            Some(url) => parse_url("QUILT_GRAPHQL_ENDPOINT", url)?,
            None => format!("{registry_url}/graphql"),
        };

        let host_text = present(&raw.fastmcp_host).unwrap_or("127.0.0.1");
        let host: IpAddr = match host_text {
            "localhost" => IpAddr::from([127, 0, 0, 1]),
            other => other
                .trim_start_matches('[')
                .trim_end_matches(']')
                .parse()
                .map_err(|_| {
                    invalid(
                        "FASTMCP_HOST",
                        host_text,
                        "an IP address such as 0.0.0.0 or 127.0.0.1",
                    )
                })?,
        };
        let port = match present(&raw.fastmcp_port) {
            None => 8000,
            Some(text) => text
                .parse::<u16>()
                .map_err(|_| invalid("FASTMCP_PORT", text, "a port number from 0 to 65535"))?,
        };

        let telemetry_level = match present(&raw.mcp_telemetry_level)
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            None | Some("standard") => TelemetryLevel::Standard,
            Some("minimal") => TelemetryLevel::Minimal,
            Some("detailed") => TelemetryLevel::Detailed,
            Some(_) => {
                let value = present(&raw.mcp_telemetry_level).unwrap_or_default();
                return Err(invalid(
                    "MCP_TELEMETRY_LEVEL",
                    value,
                    "minimal, standard or detailed",
                ));
            }
        };
        let log_format = match present(&raw.mcp_log_format)
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            None | Some("auto") => LogFormat::Auto,
            Some("json") => LogFormat::Json,
            Some("text") => LogFormat::Text,
            Some(_) => {
                let value = present(&raw.mcp_log_format).unwrap_or_default();
                return Err(invalid("MCP_LOG_FORMAT", value, "auto, json or text"));
            }
        };
        let log_level = match present(&raw.mcp_log_level).map(str::to_ascii_lowercase) {
            None => "info".to_string(),
            Some(level)
                if ["error", "warn", "info", "debug", "trace"].contains(&level.as_str()) =>
            {
                level
            }
            Some(_) => {
                let value = present(&raw.mcp_log_level).unwrap_or_default();
                return Err(invalid(
                    "MCP_LOG_LEVEL",
                    value,
                    "error, warn, info, debug or trace",
                ));
            }
        };
        let allowed_origins = present(&raw.mcp_allowed_origins)
            .map(|list| {
                list.split(',')
                    .map(|o| o.trim().trim_end_matches('/').to_string())
                    .filter(|o| !o.is_empty())
                    .collect()
            })
            .unwrap_or_default();

        let rate_limit_per_second = parse_u64(
            "MCP_RATE_LIMIT_PER_SECOND",
            &raw.mcp_rate_limit_per_second,
            20,
            0,
        )?;
        let rate_limit_burst = parse_u64("MCP_RATE_LIMIT_BURST", &raw.mcp_rate_limit_burst, 40, 1)?;
        let service_timeout =
            parse_u64("QUILT_SERVICE_TIMEOUT", &raw.quilt_service_timeout, 60, 1)?;
        // The SDKs' rule: the service-specific variable wins, and the ignore flag disables both.
        let ignore_endpoints = parse_bool(
            "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
            &raw.aws_ignore_configured_endpoint_urls,
            false,
        )?;
        let s3_endpoint_url = match (
            present(&raw.aws_endpoint_url_s3),
            present(&raw.aws_endpoint_url),
        ) {
            _ if ignore_endpoints => None,
            (Some(url), _) => Some(parse_url("AWS_ENDPOINT_URL_S3", url)?),
            (None, Some(url)) => Some(parse_url("AWS_ENDPOINT_URL", url)?),
            (None, None) => None,
        };
        Ok(Config {
            multiuser_mode,
            catalog_url,
            registry_url,
            graphql_endpoint,
            jwt_secret,
            jwt_secret_both_set,
            jwt_issuer: present(&raw.mcp_jwt_issuer).map(str::to_string),
            jwt_audience: present(&raw.mcp_jwt_audience).map(str::to_string),
            transport,
            bind: SocketAddr::new(host, port),
            service_timeout: Duration::from_secs(service_timeout),
            s3_endpoint_url,
            browsing_session_ttl: Duration::from_secs(parse_u64(
                "QUILT_BROWSING_SESSION_TTL",
                &raw.quilt_browsing_session_ttl,
                180,
                30,
            )?),
            skip_banner: parse_bool("MCP_SKIP_BANNER", &raw.mcp_skip_banner, false)?,
            resources_enabled: parse_bool(
                "QUILT_MCP_RESOURCES_ENABLED",
                &raw.quilt_mcp_resources_enabled,
                true,
            )?,
            resource_cache_ttl: Duration::from_secs(parse_u64(
                "QUILT_MCP_RESOURCE_CACHE_TTL",
                &raw.quilt_mcp_resource_cache_ttl,
                300,
                0,
            )?),
            telemetry_enabled: parse_bool(
                "MCP_TELEMETRY_ENABLED",
                &raw.mcp_telemetry_enabled,
                true,
            )?,
            telemetry_level,
            optimization_enabled: parse_bool(
                "MCP_OPTIMIZATION_ENABLED",
                &raw.mcp_optimization_enabled,
                true,
            )?,
            allowed_origins,
            rate_limit_per_second: u32::try_from(rate_limit_per_second).map_err(|_| {
                invalid(
                    "MCP_RATE_LIMIT_PER_SECOND",
                    &rate_limit_per_second.to_string(),
                    "at most 4294967295",
                )
            })?,
            rate_limit_burst: u32::try_from(rate_limit_burst).map_err(|_| {
                invalid(
                    "MCP_RATE_LIMIT_BURST",
                    &rate_limit_burst.to_string(),
                    "at most 4294967295",
                )
            })?,
            max_body_bytes: parse_u64(
                "MCP_MAX_BODY_BYTES",
                &raw.mcp_max_body_bytes,
                8 * 1024 * 1024,
                1024,
            )? as usize,
            request_timeout: Duration::from_secs(parse_u64(
                "MCP_REQUEST_TIMEOUT",
                &raw.mcp_request_timeout,
                service_timeout * 2 + 30,
                1,
            )?),
            shutdown_grace: Duration::from_secs(parse_u64(
                "MCP_SHUTDOWN_GRACE",
                &raw.mcp_shutdown_grace,
                20,
                0,
            )?),
            header_read_timeout: Duration::from_secs(parse_u64(
                "MCP_HEADER_READ_TIMEOUT",
                &raw.mcp_header_read_timeout,
                10,
                1,
            )?),
            log_level,
            log_format,
            jwt_secret_refresh: Duration::from_secs(parse_u64(
                "MCP_JWT_SECRET_REFRESH_SECONDS",
                &raw.mcp_jwt_secret_refresh_seconds,
                300,
                1,
            )?),
        })
    }

    /// True when the server listens on a loopback address only (DNS-rebinding checks apply).
    pub fn bound_to_loopback(&self) -> bool {
        self.bind.ip().is_loopback()
    }
}

#[cfg(test)]
mod tests;
