//! Where and how we listen: `FASTMCP_TRANSPORT`, `FASTMCP_HOST`, `FASTMCP_PORT` (the names the
//! Python server's FastMCP read, kept so existing task definitions work), `MCP_ALLOWED_ORIGINS`
//! and `MCP_METRICS_PORT` (the opt-in Prometheus listener, never the MCP port).

use std::net::IpAddr;

use serde::{Deserialize, Deserializer};

use super::values::{Choice, Invalid, parse_text};

/// The server group, as envy fills it; unset variables take [`ServerEnv::default`].
#[derive(Debug, Deserialize)]
#[serde(default)]
pub(super) struct ServerEnv {
    pub fastmcp_transport: Transport,
    pub fastmcp_host: Host,
    pub fastmcp_port: Port,
    pub mcp_allowed_origins: Origins,
    /// The Prometheus listener's port, on `FASTMCP_HOST`; unset: no listener.
    pub mcp_metrics_port: Option<Port>,
}

/// The deployment reference's defaults, except the host: loopback unless told otherwise, so a
/// local run is not reachable from the network by accident (Fargate sets `0.0.0.0`).
impl Default for ServerEnv {
    fn default() -> Self {
        ServerEnv {
            fastmcp_transport: Transport::Http,
            fastmcp_host: Host(IpAddr::from([127, 0, 0, 1])),
            fastmcp_port: Port(8000),
            mcp_allowed_origins: Origins(Vec::new()),
            mcp_metrics_port: None,
        }
    }
}

/// How MCP messages reach us.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport {
    /// `http`, or its alias `streamable-http`: Streamable HTTP, many callers, each with a JWT.
    Http,
    /// `stdio`: newline-delimited JSON-RPC on standard input and output, for one local user.
    Stdio,
}

impl Choice for Transport {
    const NAMES: &'static [(&'static str, Self)] = &[
        ("http", Transport::Http),
        ("streamable-http", Transport::Http),
        ("stdio", Transport::Stdio),
    ];
    const EXPECTED: &'static str = "http or streamable-http (HTTP), or stdio";
}

impl<'de> Deserialize<'de> for Transport {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        parse_text(deserializer, Transport::parse)
    }
}

/// The address to bind: an IP address (IPv6 with or without brackets) or `localhost`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Host(pub IpAddr);

impl Host {
    fn parse(text: &str) -> Result<Self, Invalid> {
        if text == "localhost" {
            return Ok(Host(IpAddr::from([127, 0, 0, 1])));
        }
        text.trim_start_matches('[')
            .trim_end_matches(']')
            .parse()
            .map(Host)
            .map_err(|_| Invalid::new(text, "an IP address such as 0.0.0.0 or 127.0.0.1"))
    }
}

impl<'de> Deserialize<'de> for Host {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        parse_text(deserializer, Host::parse)
    }
}

/// A TCP port; 0 lets the system choose one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Port(pub u16);

impl<'de> Deserialize<'de> for Port {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        parse_text(deserializer, |text| {
            text.parse()
                .map(Port)
                .map_err(|_| Invalid::new(text, "a port number from 0 to 65535"))
        })
    }
}

/// A comma-separated list of origins, each kept without a trailing `/` (browsers send none);
/// empty items are skipped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Origins(pub Vec<String>);

impl<'de> Deserialize<'de> for Origins {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // Read as one text, not as envy's comma-split sequence, to trim and skip empty items.
        let list = String::deserialize(deserializer)?;
        let origins = list
            .split(',')
            .map(|o| o.trim().trim_end_matches('/').to_string())
            .filter(|o| !o.is_empty())
            .collect();
        Ok(Origins(origins))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_accept_localhost_and_bracketed_ipv6() {
        assert_eq!(Host::parse("localhost").unwrap().0.to_string(), "127.0.0.1");
        assert_eq!(Host::parse("[::1]").unwrap().0.to_string(), "::1");
        let err = Host::parse("example.com").unwrap_err();
        assert_eq!(
            err.to_string(),
            r#""example.com" is not valid; expected an IP address such as 0.0.0.0 or 127.0.0.1"#
        );
    }

    #[test]
    fn transport_names_ignore_case() {
        assert_eq!(
            Transport::parse("Streamable-HTTP").unwrap(),
            Transport::Http
        );
        assert_eq!(Transport::Http.name(), "http");
        assert_eq!(Transport::parse("STDIO").unwrap(), Transport::Stdio);
        assert!(Transport::parse("sse").is_err());
    }
}
