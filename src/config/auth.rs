//! Who may call us: multi-user mode, the JWT secret (from the environment or an SSM parameter)
//! and the claims we check.

use std::fmt;

use serde::Deserialize;

use super::values::{Flag, HttpUrl, Invalid, Seconds};
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
    /// Clock skew allowed on `exp`, `nbf` and `iat`; checked against [`MAX_JWT_LEEWAY`].
    pub mcp_jwt_leeway_seconds: Seconds<0>,
    /// This server's URL as clients reach it (behind the load balancer): the protected-resource
    /// metadata names it, never a request's own `Host`.
    pub mcp_public_url: Option<HttpUrl>,
    /// Accept Quilt API keys (`qk_…`) as bearer tokens, judged by the registry.
    pub mcp_api_keys: Flag,
    /// How long the registry's verdict on one API key is kept, refusals included.
    pub mcp_api_key_cache_seconds: Seconds<1>,
}

/// The clock skew allowed on `exp`, `nbf` and `iat` unless `MCP_JWT_LEEWAY_SECONDS` says
/// otherwise: enough for hosts kept in sync by NTP, small enough that a token issued "in the
/// future" is not taken.
pub const DEFAULT_JWT_LEEWAY: std::time::Duration = std::time::Duration::from_secs(30);

/// The most clock skew `MCP_JWT_LEEWAY_SECONDS` may allow: beyond this a leeway stops being
/// skew and starts accepting expired tokens.
pub const MAX_JWT_LEEWAY: std::time::Duration = std::time::Duration::from_secs(300);

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
            mcp_jwt_leeway_seconds: Seconds(DEFAULT_JWT_LEEWAY),
            mcp_public_url: None,
            // Off: the deployment reference's JWT-only behaviour.
            mcp_api_keys: Flag(false),
            // A minute: a revoked key stops working soon, and an agent's burst of calls costs
            // one registry lookup.
            mcp_api_key_cache_seconds: Seconds::new(60),
        }
    }
}

impl AuthEnv {
    /// True when both secret variables are set: the environment's wins, and `serve` warns.
    pub fn both_secrets_set(&self) -> bool {
        self.mcp_jwt_secret.is_some() && self.mcp_jwt_secret_ssm_parameter.is_some()
    }

    /// The leeway, at most [`MAX_JWT_LEEWAY`].
    pub fn jwt_leeway(&self) -> Result<std::time::Duration, ConfigError> {
        let leeway = self.mcp_jwt_leeway_seconds.0;
        if leeway > MAX_JWT_LEEWAY {
            let accepted = format!("a whole number of seconds ≤ {}", MAX_JWT_LEEWAY.as_secs());
            return Err(Invalid::new(&leeway.as_secs().to_string(), accepted)
                .for_var("MCP_JWT_LEEWAY_SECONDS"));
        }
        Ok(leeway)
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
                // The region names the SSM endpoint the secret is read from.
                Some(region) if !is_aws_region(region) => Err(Invalid::new(
                    region,
                    "an AWS region name such as us-east-1",
                )
                .for_var(if self.aws_region.is_some() {
                    "AWS_REGION"
                } else {
                    "AWS_DEFAULT_REGION"
                })),
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

/// Whether `name` has the form of an AWS region (`us-east-1`, `us-gov-west-1`,
/// `us-isob-east-1`, `cn-north-1`): two letters, words, a number, all lowercase, joined by `-`.
/// Endpoints are built from the region, so anything else (a `@`, `:`, `/` or `.`) could send
/// signed requests elsewhere.
pub fn is_aws_region(name: &str) -> bool {
    let parts: Vec<&str> = name.split('-').collect();
    let lower = |part: &&str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_lowercase());
    match parts.as_slice() {
        [country, words @ .., number] if !words.is_empty() => {
            name.len() <= 32
                && country.len() == 2
                && lower(country)
                && words.iter().all(lower)
                && (1..=2).contains(&number.len())
                && number.bytes().all(|b| b.is_ascii_digit())
        }
        _ => false,
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
