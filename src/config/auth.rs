//! Who may call us: multi-user mode, the JWT secret (from the environment or an SSM parameter)
//! and the claims we check.

use std::fmt;

use serde::Deserialize;

use super::values::{Flag, Seconds};
use super::{ConfigError, missing};

/// The auth group, as envy fills it; unset variables take [`AuthEnv::default`].
#[derive(Debug, Deserialize)]
#[serde(default)]
pub(super) struct AuthEnv {
    pub quilt_multiuser_mode: Flag,
    pub mcp_jwt_secret: Option<Secret>,
    pub mcp_jwt_secret_ssm_parameter: Option<String>,
    /// The SDKs' two region variables; `AWS_REGION` wins, as it does for them.
    pub aws_region: Option<String>,
    pub aws_default_region: Option<String>,
    pub mcp_jwt_issuer: Option<String>,
    pub mcp_jwt_audience: Option<String>,
    pub mcp_jwt_secret_refresh_seconds: Seconds<1>,
}

impl Default for AuthEnv {
    fn default() -> Self {
        AuthEnv {
            quilt_multiuser_mode: Flag(false),
            mcp_jwt_secret: None,
            mcp_jwt_secret_ssm_parameter: None,
            aws_region: None,
            aws_default_region: None,
            mcp_jwt_issuer: None,
            mcp_jwt_audience: None,
            // Five minutes: a rotated secret is picked up soon without reading SSM per request.
            mcp_jwt_secret_refresh_seconds: Seconds::new(300),
        }
    }
}

impl AuthEnv {
    /// True when both secret variables are set: the environment's wins, and `serve` warns.
    pub fn both_secrets_set(&self) -> bool {
        self.mcp_jwt_secret.is_some() && self.mcp_jwt_secret_ssm_parameter.is_some()
    }

    /// The secret's source: `MCP_JWT_SECRET` first, else the SSM parameter, which needs a region.
    pub fn jwt_secret(&self) -> Result<JwtSecretSource, ConfigError> {
        let region = self
            .aws_region
            .as_ref()
            .or(self.aws_default_region.as_ref());
        match (&self.mcp_jwt_secret, &self.mcp_jwt_secret_ssm_parameter) {
            (Some(secret), _) => Ok(JwtSecretSource::Env(secret.clone())),
            (None, Some(parameter)) => match region {
                Some(region) => Ok(JwtSecretSource::Ssm {
                    parameter: parameter.clone(),
                    region: region.clone(),
                }),
                None => Err(ConfigError(
                    "MCP_JWT_SECRET_SSM_PARAMETER requires AWS_REGION or AWS_DEFAULT_REGION environment variable".into(),
                )),
            },
            (None, None) => Err(missing("MCP_JWT_SECRET")),
        }
    }
}

/// A secret that never prints itself.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
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
