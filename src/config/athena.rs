//! Athena: the workgroup queries run in, how long a query may run, whether statements that
//! change data may run at all, and where Athena calls go (the AWS SDKs' own endpoint variables).

use std::time::Duration;

use serde::Deserialize;

use super::ConfigError;
use super::values::{Flag, HttpUrl, Seconds};

/// The longest default query wait; shorter when the request timeout leaves less room.
const DEFAULT_QUERY_TIMEOUT: Duration = Duration::from_secs(90);

/// The Athena group, as envy fills it; unset variables take the defaults.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct AthenaEnv {
    pub athena_workgroup: Option<String>,
    pub athena_query_timeout: Option<Seconds<1>>,
    pub athena_allow_writes: Flag,
    /// Kept as text and parsed in [`AthenaEnv::settings`]: an endpoint not used is not checked.
    pub aws_endpoint_url_athena: Option<String>,
    pub aws_endpoint_url: Option<String>,
    pub aws_ignore_configured_endpoint_urls: Flag,
}

/// The Athena settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AthenaConfig {
    /// `ATHENA_WORKGROUP`: used when a call names none; `None`: discovered per caller.
    pub workgroup: Option<String>,
    /// `ATHENA_QUERY_TIMEOUT`: how long a tool waits for a query before it stops it. Below the
    /// request timeout, so the stop happens before the client's request is cut off.
    pub query_timeout: Duration,
    /// `ATHENA_ALLOW_WRITES`: statements other than SELECT, WITH, SHOW, DESCRIBE, EXPLAIN and
    /// VALUES may run.
    pub allow_writes: bool,
    /// Where Athena calls go instead of AWS (`AWS_ENDPOINT_URL_ATHENA`, else `AWS_ENDPOINT_URL`).
    pub endpoint_url: Option<String>,
}

impl AthenaEnv {
    /// The settings, with the query timeout checked against the request timeout.
    pub fn settings(&self, request_timeout: Duration) -> Result<AthenaConfig, ConfigError> {
        let query_timeout = match self.athena_query_timeout {
            Some(Seconds(timeout)) if timeout >= request_timeout => {
                return Err(ConfigError(format!(
                    "ATHENA_QUERY_TIMEOUT={} must be below the request timeout ({} s, MCP_REQUEST_TIMEOUT), so a query is stopped before its request is cut off",
                    timeout.as_secs(),
                    request_timeout.as_secs()
                )));
            }
            Some(Seconds(timeout)) => timeout,
            // Ten seconds of the request's time are left for starting, fetching and stopping.
            None => DEFAULT_QUERY_TIMEOUT.min(
                request_timeout
                    .saturating_sub(Duration::from_secs(10))
                    .max(Duration::from_secs(1)),
            ),
        };
        let workgroup = self
            .athena_workgroup
            .as_ref()
            .map(|w| w.trim().to_string())
            .filter(|w| !w.is_empty());
        Ok(AthenaConfig {
            workgroup,
            query_timeout,
            allow_writes: self.athena_allow_writes.0,
            endpoint_url: self.endpoint_url()?,
        })
    }

    /// Read as the AWS SDKs read it: the service's variable wins over the general one, and the
    /// ignore flag disables both.
    fn endpoint_url(&self) -> Result<Option<String>, ConfigError> {
        if self.aws_ignore_configured_endpoint_urls.0 {
            return Ok(None);
        }
        let (var, text) = match (&self.aws_endpoint_url_athena, &self.aws_endpoint_url) {
            (Some(url), _) => ("AWS_ENDPOINT_URL_ATHENA", url),
            (None, Some(url)) => ("AWS_ENDPOINT_URL", url),
            (None, None) => return Ok(None),
        };
        let url = HttpUrl::parse(text).map_err(|invalid| invalid.for_var(var))?;
        Ok(Some(url.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(athena: Option<&str>, general: Option<&str>) -> AthenaEnv {
        AthenaEnv {
            aws_endpoint_url_athena: athena.map(str::to_string),
            aws_endpoint_url: general.map(str::to_string),
            ..AthenaEnv::default()
        }
    }

    #[test]
    fn the_athena_endpoint_wins_over_the_general_one() {
        let long = Duration::from_secs(150);
        let both = env(Some("http://a:1/"), Some("http://g:2"));
        assert_eq!(
            both.settings(long).unwrap().endpoint_url.as_deref(),
            Some("http://a:1")
        );
        let general = env(None, Some("http://g:2"));
        assert_eq!(
            general.settings(long).unwrap().endpoint_url.as_deref(),
            Some("http://g:2")
        );
        let bad = env(Some("athena.local"), None).settings(long).unwrap_err();
        assert!(bad.0.starts_with("AWS_ENDPOINT_URL_ATHENA="), "{bad}");
    }

    #[test]
    fn the_query_timeout_stays_below_the_request_timeout() {
        let settings = AthenaEnv::default();
        let config = settings.settings(Duration::from_secs(150)).unwrap();
        assert_eq!(config.query_timeout, Duration::from_secs(90));
        let short = settings.settings(Duration::from_secs(30)).unwrap();
        assert_eq!(short.query_timeout, Duration::from_secs(20));
        let too_long = AthenaEnv {
            athena_query_timeout: Some(Seconds::new(150)),
            ..AthenaEnv::default()
        };
        let err = too_long.settings(Duration::from_secs(150)).unwrap_err();
        assert!(err.0.contains("must be below the request timeout"), "{err}");
    }
}
