//! What one caller or one request may use: the per-user rate limit, the body size, the
//! request, header and shutdown times, and the catalog calls in flight.

use std::time::Duration;

use serde::{Deserialize, Deserializer};

use super::values::{Invalid, Seconds, WholeNumber, parse_text};

/// Catalog calls in flight by default: sized for a 1 GB Fargate task. Each call holds a
/// blocking-pool thread (measured: 515 threads were 85 MB resident), so 256 stay well inside
/// the memory while serving far more agents than one task sees.
pub const DEFAULT_CATALOG_MAX_IN_FLIGHT: u64 = 256;

/// Open client connections by default. Idle connections cost little (10,000 measured at under
/// 150 MB); the cap is also kept below the open-file limit at start.
pub const DEFAULT_MAX_CONNECTIONS: u64 = 10_000;

/// The limits group, as envy fills it; unset variables take [`LimitsEnv::default`].
#[derive(Debug, Deserialize)]
#[serde(default)]
pub(super) struct LimitsEnv {
    pub mcp_rate_limit_per_second: Rate<0>,
    pub mcp_rate_limit_burst: Rate<1>,
    pub mcp_max_body_bytes: WholeNumber<1024>,
    /// Unset: derived from the service timeout by [`LimitsEnv::request_timeout`].
    pub mcp_request_timeout: Option<Seconds<1>>,
    pub mcp_shutdown_grace: Seconds<0>,
    pub mcp_header_read_timeout: Seconds<1>,
    pub mcp_catalog_max_in_flight: WholeNumber<1>,
    pub mcp_catalog_slot_wait_ms: WholeNumber<0>,
    pub mcp_max_connections: WholeNumber<1>,
    pub mcp_body_memory_bytes: WholeNumber<1024>,
    pub mcp_body_read_timeout: Seconds<1>,
}

impl Default for LimitsEnv {
    fn default() -> Self {
        LimitsEnv {
            mcp_rate_limit_per_second: Rate(20),
            mcp_rate_limit_burst: Rate(40),
            mcp_max_body_bytes: WholeNumber(8 * 1024 * 1024),
            mcp_request_timeout: None,
            mcp_shutdown_grace: Seconds::new(20),
            mcp_header_read_timeout: Seconds::new(10),
            mcp_catalog_max_in_flight: WholeNumber(DEFAULT_CATALOG_MAX_IN_FLIGHT),
            mcp_catalog_slot_wait_ms: WholeNumber(500),
            mcp_max_connections: WholeNumber(DEFAULT_MAX_CONNECTIONS),
            mcp_body_memory_bytes: WholeNumber(64 * 1024 * 1024),
            mcp_body_read_timeout: Seconds::new(30),
        }
    }
}

impl LimitsEnv {
    /// `MCP_REQUEST_TIMEOUT`, else room for two catalog calls of `service_timeout` plus 30 s
    /// (150 s by default; the README asks for an ALB idle timeout above it).
    pub fn request_timeout(&self, service_timeout: Duration) -> Duration {
        match self.mcp_request_timeout {
            Some(Seconds(timeout)) => timeout,
            None => {
                let seconds = service_timeout
                    .as_secs()
                    .saturating_mul(2)
                    .saturating_add(30);
                Duration::from_secs(seconds)
            }
        }
    }

    /// Catalog calls in flight at once; a limit beyond the address space is no limit.
    pub fn catalog_max_in_flight(&self) -> usize {
        usize::try_from(self.mcp_catalog_max_in_flight.0).unwrap_or(usize::MAX)
    }

    /// How long a catalog call waits for a slot.
    pub fn catalog_slot_wait(&self) -> Duration {
        Duration::from_millis(self.mcp_catalog_slot_wait_ms.0)
    }

    /// Open client connections at once; a limit beyond the address space is no limit.
    pub fn max_connections(&self) -> usize {
        usize::try_from(self.mcp_max_connections.0).unwrap_or(usize::MAX)
    }

    /// Request body bytes held in memory at once, over all requests.
    pub fn body_memory_bytes(&self) -> usize {
        usize::try_from(self.mcp_body_memory_bytes.0).unwrap_or(usize::MAX)
    }

    /// The body limit in bytes; a limit beyond the address space is no limit.
    pub fn max_body_bytes(&self) -> usize {
        usize::try_from(self.mcp_max_body_bytes.0).unwrap_or(usize::MAX)
    }
}

/// A rate-limit count (requests per second, or a burst), at least `MIN`; the token bucket keeps
/// counts as `u32`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Rate<const MIN: u64>(pub u32);

impl<const MIN: u64> Rate<MIN> {
    fn parse(text: &str) -> Result<Self, Invalid> {
        let WholeNumber(n) = WholeNumber::<MIN>::parse(text)?;
        u32::try_from(n)
            .map(Rate)
            .map_err(|_| Invalid::new(&n.to_string(), "at most 4294967295"))
    }
}

impl<'de, const MIN: u64> Deserialize<'de> for Rate<MIN> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        parse_text(deserializer, Rate::parse)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_must_fit_the_token_bucket() {
        assert_eq!(Rate::<1>::parse("4294967295").unwrap(), Rate(u32::MAX));
        let err = Rate::<1>::parse("4294967296").unwrap_err();
        assert_eq!(
            err.to_string(),
            r#""4294967296" is not valid; expected at most 4294967295"#
        );
        assert!(Rate::<1>::parse("0").is_err());
    }

    #[test]
    fn the_request_timeout_leaves_room_for_two_catalog_calls() {
        let limits = LimitsEnv::default();
        assert_eq!(
            limits.request_timeout(Duration::from_secs(60)),
            Duration::from_secs(150)
        );
    }
}
