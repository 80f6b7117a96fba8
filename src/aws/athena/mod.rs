//! Athena, always as the caller: every call is signed with the temporary credentials the
//! registry issued to the calling catalog user, never with the task's own role.
//!
//! [`AthenaFactory`] is built once at start beside the S3 one and shares its HTTP client (one
//! connection pool), timeouts and retries; it holds no credentials provider either. Each tool
//! call makes a light [`CallerAthena`] from it with the caller's keys and the catalog's region.
//! `query.rs` runs a statement to its end (or stops it), `catalogs.rs` reads the data catalogs,
//! databases, tables and workgroups, `error.rs` names every way a call fails.

pub mod catalogs;
pub mod error;
pub mod query;

use std::time::Duration;

use aws_sdk_athena::config::{BehaviorVersion, Region, retry::RetryConfig, timeout::TimeoutConfig};

use crate::aws::S3Factory;
use crate::catalog::{AwsCredentials, CallerKey, CatalogClient, CatalogError, OnBehalf};
use crate::config::{AthenaConfig, Config};
use crate::ttl_map::TtlMap;

pub use error::{AthenaError, AthenaErrorKind};

/// How long a caller's discovered workgroup is kept, and how many callers are kept.
const WORKGROUP_TTL: Duration = Duration::from_secs(300);
const WORKGROUP_ENTRIES: usize = 2_000;

/// The Athena settings every call shares, built once at start.
#[derive(Debug)]
pub struct AthenaFactory {
    base: aws_sdk_athena::Config,
    settings: AthenaConfig,
    /// Each caller's discovered workgroup (keyed by a hash of their token).
    workgroups: TtlMap<CallerKey, String, AthenaError>,
}

impl AthenaFactory {
    /// One configuration for the whole process, on the S3 factory's HTTP client.
    pub fn new(config: &Config, s3: &S3Factory) -> Self {
        let timeouts = TimeoutConfig::builder()
            .operation_timeout(config.service_timeout)
            .build();
        let mut builder = aws_sdk_athena::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .timeout_config(timeouts)
            .retry_config(RetryConfig::standard());
        if let Some(http) = s3.base_config().http_client() {
            builder = builder.http_client(http);
        }
        if let Some(url) = &config.athena.endpoint_url {
            builder = builder.endpoint_url(url.clone());
        }
        AthenaFactory {
            base: builder.build(),
            settings: config.athena.clone(),
            workgroups: TtlMap::new(WORKGROUP_ENTRIES, WORKGROUP_TTL),
        }
    }

    /// Records every Athena call's latency in `metrics`.
    pub fn with_metrics(mut self, metrics: std::sync::Arc<crate::metrics::Metrics>) -> Self {
        let latency = crate::aws::latency::Latency {
            service: crate::metrics::AwsService::Athena,
            metrics,
        };
        self.base = self.base.to_builder().interceptor(latency).build();
        self
    }

    /// The operator's Athena settings.
    pub fn settings(&self) -> &AthenaConfig {
        &self.settings
    }

    /// The shared configuration, for tests that prove it holds no credentials of the task.
    pub fn base_config(&self) -> &aws_sdk_athena::Config {
        &self.base
    }

    fn client_for(&self, credentials: &AwsCredentials, region: &str) -> aws_sdk_athena::Client {
        let config = self
            .base
            .to_builder()
            .credentials_provider(crate::aws::signing_keys(credentials))
            .region(Region::new(region.to_string()))
            .build();
        aws_sdk_athena::Client::from_conf(config)
    }
}

/// Athena as one caller: signed with their temporary credentials, in the catalog's region.
#[derive(Clone, Debug)]
pub struct CallerAthena {
    client: aws_sdk_athena::Client,
    caller: CallerKey,
    /// When the caller's credentials expire (seconds since the epoch).
    expires_at: i64,
}

impl CallerAthena {
    /// The caller's Athena: their cached credentials and the region from `config.json`.
    pub async fn connect(
        factory: &AthenaFactory,
        catalog: &CatalogClient,
        who: OnBehalf<'_>,
    ) -> Result<CallerAthena, CatalogError> {
        let credentials = catalog.credentials(who).await?;
        let region = crate::aws::catalog_region(catalog, who, "Athena").await?;
        let region = region.as_str();
        Ok(CallerAthena {
            client: factory.client_for(&credentials, region),
            caller: CallerKey::of(who.token),
            expires_at: credentials.expires_at,
        })
    }

    /// When the credentials this client signs with expire (seconds since the epoch).
    pub fn credentials_expire_at(&self) -> i64 {
        self.expires_at
    }

    /// The SDK client, for the operations in this module's files.
    pub(crate) fn client(&self) -> &aws_sdk_athena::Client {
        &self.client
    }
}

/// The Tabulator data catalog of the catalog whose `config.json` is `config`, as the catalog
/// itself names it: `quilt-<stack prefix>-tabulator`, the stack prefix being `analyticsBucket`
/// up to `-analyticsbucket`. `None` when the catalog has no Tabulator.
pub fn tabulator_catalog_name(config: &serde_json::Value) -> Option<String> {
    let bucket = config.get("analyticsBucket")?.as_str()?.trim();
    let lower = bucket.to_ascii_lowercase();
    let at = lower.find("-analyticsbucket")?;
    let prefix = &bucket[..at];
    (!prefix.is_empty()).then(|| format!("quilt-{prefix}-tabulator"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_tabulator_catalog_comes_from_the_analytics_bucket() {
        let config = json!({ "analyticsBucket": "example-stack-analyticsbucket-1q2w3e4r5t6y" });
        assert_eq!(
            tabulator_catalog_name(&config).as_deref(),
            Some("quilt-example-stack-tabulator")
        );
        assert_eq!(tabulator_catalog_name(&json!({})), None);
        let odd = json!({ "analyticsBucket": "analytics-data" });
        assert_eq!(tabulator_catalog_name(&odd), None);
    }
}
