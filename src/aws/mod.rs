//! AWS, always as the caller: every S3 request is signed with the temporary credentials the
//! registry issued to the calling catalog user (`GET <registry>/api/auth/get_credentials`),
//! never with the task's own role. The task needs no S3 permissions at all.
//!
//! [`S3Factory`] is built once at start: one SDK configuration with one shared HTTP client
//! (one connection pool), the operation timeout, retries, path-style addressing and the endpoint
//! override. It holds no credentials provider, so nothing ever reads the task's environment,
//! profile, container or instance credentials. Each tool call makes a light [`s3::CallerS3`]
//! from it with the caller's keys and the catalog's region. [`athena`] does the same for
//! Athena, on the same HTTP client.

pub mod athena;
pub mod error;
pub mod latency;
pub mod s3;

use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use aws_sdk_s3::config::{
    BehaviorVersion, Credentials, Region, RequestChecksumCalculation, ResponseChecksumValidation,
    SharedHttpClient, retry::RetryConfig, timeout::TimeoutConfig,
};
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};

use crate::catalog::AwsCredentials;
use crate::config::Config;
use crate::metrics::{AwsService, Metrics};

/// The name the SDK shows for where a call's credentials came from.
const CREDENTIALS_SOURCE: &str = "quilt-catalog-get-credentials";

/// The S3 settings every call shares, built once at start.
#[derive(Clone, Debug)]
pub struct S3Factory {
    base: aws_sdk_s3::Config,
    timeout: Duration,
}

impl S3Factory {
    /// One configuration for the whole process: shared HTTP client, timeouts, endpoint.
    pub fn new(config: &Config) -> Self {
        // One client, so every per-caller S3 client shares one connection pool; its connector
        // is built (and the native CA roots read) on first use, not here.
        let http: SharedHttpClient = aws_smithy_http_client::Builder::new()
            .tls_provider(tls::Provider::Rustls(CryptoMode::AwsLc))
            .build_https();
        // The SDK has no operation timeout of its own: without one a silent server hangs a call.
        let timeouts = TimeoutConfig::builder()
            .operation_timeout(config.service_timeout)
            .build();
        let mut builder = aws_sdk_s3::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .http_client(http)
            .timeout_config(timeouts)
            .retry_config(RetryConfig::standard())
            // Path-style (`/<bucket>/<key>`) works for every bucket name and for endpoints
            // such as the recorded catalog that serve one host.
            .force_path_style(true)
            // Checksums only where S3 requires them: bodies go out as they are, and ranged reads
            // (which carry no whole-object checksum) are not second-guessed.
            .request_checksum_calculation(RequestChecksumCalculation::WhenRequired)
            .response_checksum_validation(ResponseChecksumValidation::WhenRequired);
        if let Some(url) = &config.s3_endpoint_url {
            builder = builder.endpoint_url(url.clone());
        }
        S3Factory {
            base: builder.build(),
            timeout: config.service_timeout,
        }
    }

    /// Records every S3 call's latency in `metrics`.
    pub fn with_metrics(mut self, metrics: Arc<Metrics>) -> Self {
        let latency = latency::Latency {
            service: AwsService::S3,
            metrics,
        };
        self.base = self.base.to_builder().interceptor(latency).build();
        self
    }

    /// An S3 client signing with `credentials` (the caller's) in `region`.
    pub fn client_for(&self, credentials: &AwsCredentials, region: &str) -> aws_sdk_s3::Client {
        let config = self
            .base
            .to_builder()
            .credentials_provider(signing_keys(credentials))
            .region(Region::new(region.to_string()))
            .build();
        aws_sdk_s3::Client::from_conf(config)
    }

    /// The operation timeout (`QUILT_SERVICE_TIMEOUT`), also the bound on reading a body.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// The shared configuration, for tests that prove it holds no credentials of the task.
    pub fn base_config(&self) -> &aws_sdk_s3::Config {
        &self.base
    }
}

/// The caller's credentials as the SDKs take them (S3 and Athena share the type), with their
/// expiry, so the SDK knows when they die.
pub(crate) fn signing_keys(credentials: &AwsCredentials) -> Credentials {
    let expires = u64::try_from(credentials.expires_at)
        .ok()
        .map(|secs| UNIX_EPOCH + Duration::from_secs(secs));
    Credentials::new(
        credentials.access_key_id.clone(),
        credentials.secret_access_key.clone(),
        Some(credentials.session_token.clone()),
        expires,
        CREDENTIALS_SOURCE,
    )
}

/// The region from the catalog's `config.json`, checked to be an AWS region name: the SDKs
/// build the service's host name from it, so nothing else may go into it (a tampered
/// `config.json` would otherwise steer signed requests elsewhere). `service` names the calls
/// that will not be made, for the error.
pub(crate) async fn catalog_region(
    catalog: &crate::catalog::CatalogClient,
    who: crate::catalog::OnBehalf<'_>,
    service: &str,
) -> Result<String, crate::catalog::CatalogError> {
    use crate::catalog::{CatalogError, CatalogErrorKind};
    let config = catalog.config_json(who.request_id).await?;
    let region = config
        .get("region")
        .and_then(serde_json::Value::as_str)
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .ok_or_else(|| {
            let why = format!("config.json has no `region`, so {service} calls cannot be signed");
            CatalogError::new("GET /config.json", CatalogErrorKind::NotJson(why))
        })?;
    if !crate::config::is_aws_region(region) {
        let why = format!(
            "config.json's `region` {:?} is not an AWS region name, so no {service} call is made",
            crate::catalog::error::snippet(region)
        );
        return Err(CatalogError::new(
            "GET /config.json",
            CatalogErrorKind::NotJson(why),
        ));
    }
    Ok(region.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(extra: &[(&str, &str)]) -> Config {
        let mut vars: Vec<(String, String)> = [
            ("QUILT_CATALOG_URL", "http://127.0.0.1:9"),
            ("QUILT_REGISTRY_URL", "http://127.0.0.1:9"),
            ("MCP_JWT_SECRET", "s"),
            ("QUILT_SERVICE_TIMEOUT", "7"),
            // What a task role's environment would hold: it must never be picked up.
            ("AWS_ACCESS_KEY_ID", "AKIATASKROLEEXAMPLE1"),
            ("AWS_SECRET_ACCESS_KEY", "task-secret"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        vars.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        Config::from_vars(vars).unwrap()
    }

    #[cfg(feature = "mock")]
    #[tokio::test]
    async fn the_shared_configuration_has_no_credentials_and_an_operation_timeout() {
        let mock = crate::mock::MockCatalog::replay(crate::mock::Recordings::default())
            .await
            .unwrap();
        let factory = S3Factory::new(&config(&[("AWS_ENDPOINT_URL_S3", &mock.url())]));
        let base = factory.base_config();
        assert!(base.region().is_none());
        assert_eq!(
            base.timeout_config().and_then(|t| t.operation_timeout()),
            Some(Duration::from_secs(7))
        );
        assert!(base.http_client().is_some());
        // Without a caller's keys the SDK has nothing to sign with: the request goes out
        // anonymous, never with the task's keys (the environment above holds some).
        let unsigned = base
            .to_builder()
            .region(Region::new("us-east-1"))
            .retry_config(RetryConfig::disabled())
            .build();
        let result = aws_sdk_s3::Client::from_conf(unsigned)
            .list_objects_v2()
            .bucket("example-data")
            .send()
            .await;
        assert!(result.is_err());
        let seen = mock.acknowledge_unmatched();
        assert_eq!(seen.len(), 1, "{seen:?}");
        assert_eq!((&seen[0].access_key, &seen[0].token), (&None, &None));
        mock.shutdown().await;
    }

    #[test]
    fn a_caller_client_carries_exactly_the_callers_keys() {
        let factory = S3Factory::new(&config(&[("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:1")]));
        let credentials = AwsCredentials {
            access_key_id: "ASIACALLER".into(),
            secret_access_key: "secret".into(),
            session_token: "token".into(),
            expires_at: 4_102_444_800,
        };
        let client = factory.client_for(&credentials, "eu-west-1");
        let config = client.config();
        assert_eq!(config.region().map(|r| r.as_ref()), Some("eu-west-1"));
        // Same pool for everyone.
        assert!(config.http_client().is_some());
    }
}
