//! What every request shares: the configuration and the catalog client. Nothing per caller
//! lives here except the caches keyed by a hash of the caller's token.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use crate::auth::JwtVerifier;
use crate::aws::S3Factory;
use crate::aws::athena::AthenaFactory;
use crate::catalog::{CallerKey, CatalogClient};
use crate::config::Config;
use crate::tool_error::ToolError;
use crate::ttl_map::TtlMap;

/// How long a caller's admin status is kept: it decides whether the admin toolset is shown,
/// and it rarely changes (the caller's own admin writes drop it at once, see `mcp::methods`).
pub const ADMIN_STATUS_TTL: std::time::Duration = std::time::Duration::from_secs(300);

/// The server's shared state.
#[derive(Debug)]
pub struct AppState {
    pub config: Config,
    pub catalog: CatalogClient,
    /// S3 settings shared by every call; each call signs with its caller's own credentials.
    pub s3: S3Factory,
    /// Athena settings on the same HTTP client; each call signs with its caller's credentials.
    pub athena: AthenaFactory,
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
        let s3 = S3Factory::new(&config);
        Arc::new(AppState {
            catalog: CatalogClient::new(&config),
            athena: AthenaFactory::new(&config, &s3),
            s3,
            resource_cache: ResourceCache::new(config.resource_cache_ttl),
            admin_status: crate::catalog::ReadCache::new(ADMIN_STATUS_TTL),
            verifier,
            config,
        })
    }
}

/// Resource reads kept per caller; more are not kept (the oldest make room).
const RESOURCE_CACHE_ENTRIES: usize = 2_000;

/// Per-caller cache of resource reads, keyed by (caller, URI): concurrent reads of one URI by
/// one caller share one read; failures are not kept. A TTL of zero keeps nothing.
#[derive(Debug)]
pub struct ResourceCache {
    ttl: Duration,
    entries: TtlMap<(CallerKey, String), Value, ToolError>,
}

impl ResourceCache {
    /// Keeps reads for `ttl`; zero keeps nothing.
    pub fn new(ttl: Duration) -> Self {
        ResourceCache {
            ttl,
            entries: TtlMap::new(RESOURCE_CACHE_ENTRIES, ttl),
        }
    }

    /// The caller's kept read of `uri` when fresh, else `read` (shared with concurrent reads).
    pub async fn get_or_fetch<F, Fut>(
        &self,
        caller: CallerKey,
        uri: &str,
        read: F,
    ) -> Result<Value, ToolError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Value, ToolError>>,
    {
        if self.ttl.is_zero() {
            return read().await;
        }
        self.entries
            .get_or_fetch((caller, uri.to_string()), read)
            .await
    }

    /// Drops every read kept for the caller (after their own write, which may change them).
    pub fn forget(&self, caller: CallerKey) {
        self.entries.remove_where(|(key, _)| *key == caller);
    }
}
