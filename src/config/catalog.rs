//! The catalog we serve: its URLs, how long we wait for it, the resource and browsing caches,
//! and where S3 calls go (the AWS SDKs' own endpoint variables). Also the public docs site
//! `search_docs_quilt_bio` reads (`QUILT_DOCS_URL`), which is not the catalog's and gets no token.

use serde::Deserialize;

use super::values::{Flag, HttpUrl, Seconds};
use super::{ConfigError, missing};

/// The catalog group, as envy fills it; unset variables take [`CatalogEnv::default`].
#[derive(Debug, Deserialize)]
#[serde(default)]
pub(super) struct CatalogEnv {
    pub quilt_catalog_url: Option<HttpUrl>,
    pub quilt_registry_url: Option<HttpUrl>,
    /// Unset: the registry's `/graphql`.
    pub quilt_graphql_endpoint: Option<HttpUrl>,
    pub quilt_service_timeout: Seconds<1>,
    /// Seconds a browsing session is asked to live, at least 30.
    pub quilt_browsing_session_ttl: Seconds<30>,
    pub quilt_mcp_resources_enabled: Flag,
    pub quilt_mcp_resource_cache_ttl: Seconds<0>,
    pub mcp_optimization_enabled: Flag,
    /// Kept as text and parsed in [`CatalogEnv::s3_endpoint_url`]: under the SDKs' rule an
    /// endpoint that is not used is not checked either.
    pub aws_endpoint_url_s3: Option<String>,
    pub aws_endpoint_url: Option<String>,
    pub aws_ignore_configured_endpoint_urls: Flag,
    /// The Quilt docs site whose `sitemap.xml` `search_docs_quilt_bio` reads.
    pub quilt_docs_url: HttpUrl,
    /// How long one docs-site request may take, in seconds.
    pub quilt_docs_timeout: Seconds<1>,
    /// How long the docs site's sitemaps and page summaries are used before it is asked again.
    pub quilt_docs_cache_ttl: Seconds<0>,
}

/// The public Quilt documentation, as the Python server reads it.
pub const DEFAULT_DOCS_URL: &str = "https://docs.quilt.bio";

/// The deployment reference's defaults.
impl Default for CatalogEnv {
    fn default() -> Self {
        CatalogEnv {
            quilt_catalog_url: None,
            quilt_registry_url: None,
            quilt_graphql_endpoint: None,
            quilt_service_timeout: Seconds::new(60),
            quilt_browsing_session_ttl: Seconds::new(180),
            quilt_mcp_resources_enabled: Flag(true),
            quilt_mcp_resource_cache_ttl: Seconds::new(300),
            mcp_optimization_enabled: Flag(true),
            aws_endpoint_url_s3: None,
            aws_endpoint_url: None,
            aws_ignore_configured_endpoint_urls: Flag(false),
            quilt_docs_url: HttpUrl(DEFAULT_DOCS_URL.to_string()),
            quilt_docs_timeout: Seconds::new(5),
            quilt_docs_cache_ttl: Seconds::new(3600),
        }
    }
}

/// The catalog's URLs, each without a trailing `/`.
pub(super) struct CatalogUrls {
    pub catalog: String,
    pub registry: String,
    pub graphql: String,
}

impl CatalogEnv {
    /// The catalog and registry URLs, both required, and the GraphQL endpoint (by default the
    /// registry's `/graphql`). The catalog is checked before the registry, as the seed does.
    pub fn urls(&self) -> Result<CatalogUrls, ConfigError> {
        let catalog = self.quilt_catalog_url.as_ref();
        let catalog = catalog
            .ok_or_else(|| missing("QUILT_CATALOG_URL"))?
            .0
            .clone();
        let registry = self.quilt_registry_url.as_ref();
        let registry = registry
            .ok_or_else(|| missing("QUILT_REGISTRY_URL"))?
            .0
            .clone();
        let graphql = match &self.quilt_graphql_endpoint {
            Some(url) => url.0.clone(),
            None => format!("{registry}/graphql"),
        };
        Ok(CatalogUrls {
            catalog,
            registry,
            graphql,
        })
    }

    /// Where S3 calls go instead of AWS, read as the AWS SDKs read it: the service-specific
    /// variable wins over the general one, and the ignore flag disables both.
    pub fn s3_endpoint_url(&self) -> Result<Option<String>, ConfigError> {
        if self.aws_ignore_configured_endpoint_urls.0 {
            return Ok(None);
        }
        let (var, text) = match (&self.aws_endpoint_url_s3, &self.aws_endpoint_url) {
            (Some(url), _) => ("AWS_ENDPOINT_URL_S3", url),
            (None, Some(url)) => ("AWS_ENDPOINT_URL", url),
            (None, None) => return Ok(None),
        };
        let url = HttpUrl::parse(text).map_err(|invalid| invalid.for_var(var))?;
        Ok(Some(url.0))
    }
}
