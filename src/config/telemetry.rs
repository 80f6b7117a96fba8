//! What the server says about itself: per-request telemetry, log level and format, the banner.

use serde::{Deserialize, Deserializer};

use super::values::{Choice, Flag, Seconds, parse_text};

/// The telemetry group, as envy fills it; unset variables take [`TelemetryEnv::default`].
#[derive(Debug, Deserialize)]
#[serde(default)]
pub(super) struct TelemetryEnv {
    pub mcp_telemetry_enabled: Flag,
    pub mcp_telemetry_level: TelemetryLevel,
    pub mcp_log_level: LogLevel,
    pub mcp_log_format: LogFormat,
    pub mcp_skip_banner: Flag,
    /// How often a CloudWatch EMF metrics line is written.
    pub mcp_metrics_interval: Seconds<1>,
}

/// The deployment reference's defaults.
impl Default for TelemetryEnv {
    fn default() -> Self {
        TelemetryEnv {
            mcp_telemetry_enabled: Flag(true),
            mcp_telemetry_level: TelemetryLevel::Standard,
            mcp_log_level: LogLevel::Info,
            mcp_log_format: LogFormat::Auto,
            mcp_skip_banner: Flag(false),
            mcp_metrics_interval: Seconds::new(60),
        }
    }
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

impl Choice for TelemetryLevel {
    const NAMES: &'static [(&'static str, Self)] = &[
        ("minimal", TelemetryLevel::Minimal),
        ("standard", TelemetryLevel::Standard),
        ("detailed", TelemetryLevel::Detailed),
    ];
    const EXPECTED: &'static str = "minimal, standard or detailed";
}

impl<'de> Deserialize<'de> for TelemetryLevel {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        parse_text(deserializer, TelemetryLevel::parse)
    }
}

/// The least severe log events written (`MCP_LOG_LEVEL`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogLevel {
    /// Failures only.
    Error,
    /// Plus what an operator should look at.
    Warn,
    /// Plus start-up, requests and tool calls.
    Info,
    /// Plus detail for finding a fault.
    Debug,
    /// Everything, dependencies' internals included.
    Trace,
}

impl LogLevel {
    /// The level as `tracing`'s filter spells it, e.g. `info`.
    pub fn as_str(self) -> &'static str {
        self.name()
    }
}

impl Choice for LogLevel {
    const NAMES: &'static [(&'static str, Self)] = &[
        ("error", LogLevel::Error),
        ("warn", LogLevel::Warn),
        ("info", LogLevel::Info),
        ("debug", LogLevel::Debug),
        ("trace", LogLevel::Trace),
    ];
    const EXPECTED: &'static str = "error, warn, info, debug or trace";
}

impl<'de> Deserialize<'de> for LogLevel {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        parse_text(deserializer, LogLevel::parse)
    }
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

impl Choice for LogFormat {
    const NAMES: &'static [(&'static str, Self)] = &[
        ("auto", LogFormat::Auto),
        ("json", LogFormat::Json),
        ("text", LogFormat::Text),
    ];
    const EXPECTED: &'static str = "auto, json or text";
}

impl<'de> Deserialize<'de> for LogFormat {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        parse_text(deserializer, LogFormat::parse)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn choices_ignore_case_and_list_what_is_accepted() {
        assert_eq!(LogLevel::parse("DEBUG").unwrap(), LogLevel::Debug);
        assert_eq!(LogLevel::Warn.as_str(), "warn");
        assert_eq!(LogFormat::parse("Json").unwrap(), LogFormat::Json);
        let err = TelemetryLevel::parse("loud").unwrap_err();
        assert_eq!(
            err.to_string(),
            r#""loud" is not valid; expected minimal, standard or detailed"#
        );
    }
}
