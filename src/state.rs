//! What every request shares: the configuration and the catalog client. Nothing per caller
//! lives here except the caches keyed by a hash of the caller's token.

use std::sync::Arc;

use crate::auth::JwtVerifier;
use crate::aws::S3Factory;
use crate::catalog::CatalogClient;
use crate::config::Config;
use crate::resources::ResourceCache;

/// The server's shared state.
#[derive(Debug)]
pub struct AppState {
    pub config: Config,
    pub catalog: CatalogClient,
    /// S3 settings shared by every call; each call signs with its caller's own credentials.
    pub s3: S3Factory,
    pub verifier: Arc<JwtVerifier>,
    pub resource_cache: ResourceCache,
    /// Each caller's `AuthStatus`, which decides whether the admin toolset is shown.
    pub admin_status: crate::catalog::ReadCache,
}

impl AppState {
    /// Builds the state; `secret` is the JWT secret already resolved from its source.
    pub fn new(config: Config, secret: &crate::config::Secret) -> Arc<Self> {
        let verifier = Arc::new(JwtVerifier::new(
            secret,
            config.jwt_issuer.as_deref(),
            config.jwt_audience.as_deref(),
        ));
        Arc::new(AppState {
            catalog: CatalogClient::new(&config),
            s3: S3Factory::new(&config),
            resource_cache: ResourceCache::new(config.resource_cache_ttl),
            admin_status: crate::catalog::ReadCache::new(crate::tools::view::ADMIN_STATUS_TTL),
            verifier,
            config,
        })
    }
}
