//! What every request shares: the configuration and the catalog client. Nothing per caller
//! lives here except the caches keyed by a hash of the caller's token.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use crate::auth::JwtVerifier;
use crate::aws::S3Factory;
use crate::aws::athena::AthenaFactory;
use crate::catalog::api_keys::ApiKeyJudge;
use crate::catalog::{CallerKey, CatalogClient};
use crate::config::Config;
use crate::metrics::{self, Metrics};
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
    /// The registry's kept verdicts on Quilt API keys, when `MCP_API_KEYS` is on.
    pub api_keys: Option<ApiKeyJudge>,
    /// This server's metrics (the catalog client's registry, shared).
    pub metrics: Arc<Metrics>,
    /// The public docs site (`QUILT_DOCS_URL`), read and cached for every caller alike.
    pub docs: crate::docs::DocsClient,
}

impl AppState {
    /// Builds the state; `secret` is the JWT secret already resolved from its source.
    pub fn new(config: Config, secret: &crate::config::Secret) -> Arc<Self> {
        let verifier = Arc::new(JwtVerifier::with_leeway(
            secret,
            config.jwt_issuer.as_deref(),
            config.jwt_audience.as_deref(),
            config.jwt_leeway,
        ));
        let catalog = CatalogClient::new(&config);
        let metrics = catalog.metrics().clone();
        let s3 = S3Factory::new(&config).with_metrics(metrics.clone());
        let state = Arc::new(AppState {
            catalog,
            athena: AthenaFactory::new(&config, &s3).with_metrics(metrics.clone()),
            s3,
            resource_cache: ResourceCache::new(config.resource_cache_ttl)
                .with_metrics(metrics.clone()),
            metrics,
            admin_status: crate::catalog::ReadCache::new(ADMIN_STATUS_TTL),
            api_keys: config
                .api_keys
                .then(|| ApiKeyJudge::new(config.api_key_ttl)),
            verifier,
            docs: crate::docs::DocsClient::new(
                &config.docs_url,
                config.docs_timeout,
                config.docs_cache_ttl,
            ),
            config,
        });
        // Revocation: once the registry refuses a caller's token, nothing kept for them here
        // is used again either. Weak, so the client inside the state does not keep it alive.
        let weak = Arc::downgrade(&state);
        state.catalog.on_refusal(move |caller| {
            if let Some(state) = weak.upgrade() {
                state.resource_cache.forget(caller);
                state.admin_status.forget(caller);
                // A key the registry now refuses is judged again on its next request.
                if let Some(judge) = &state.api_keys {
                    judge.forget(caller);
                }
            }
        });
        state
    }
}

/// Resource reads kept, all callers together; past this the oldest make room.
const RESOURCE_CACHE_ENTRIES: usize = 500;
/// A read longer than this (as JSON text) is answered but not kept, so the cache holds at most
/// `RESOURCE_CACHE_ENTRIES` × this, whatever callers ask for.
pub const MAX_CACHED_RESOURCE_BYTES: u64 = 64 * 1024;

/// Per-caller cache of resource reads, keyed by (caller, canonical URI): two spellings of one
/// URI share one entry, concurrent reads of one URI by one caller share one read; failures and
/// large reads are not kept. A TTL of zero keeps nothing.
#[derive(Debug)]
pub struct ResourceCache {
    ttl: Duration,
    entries: TtlMap<(CallerKey, String), Value, ToolError>,
    metrics: Arc<Metrics>,
}

impl ResourceCache {
    /// Keeps reads for `ttl`; zero keeps nothing.
    pub fn new(ttl: Duration) -> Self {
        ResourceCache {
            ttl,
            entries: TtlMap::new(RESOURCE_CACHE_ENTRIES, ttl),
            metrics: Arc::default(),
        }
    }

    /// Counts hits and misses in `metrics`.
    pub fn with_metrics(mut self, metrics: Arc<Metrics>) -> Self {
        self.metrics = metrics;
        self
    }

    /// The caller's kept read of `uri` (canonical: the caller makes it so) when fresh, else
    /// `read` (shared with concurrent reads).
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
        let ttl = self.ttl;
        // A miss is a read that ran; one shared with a read in flight is a hit.
        let missed = std::sync::atomic::AtomicBool::new(false);
        let read = || async {
            missed.store(true, std::sync::atomic::Ordering::Relaxed);
            let value = read().await?;
            let keep = match json_len(&value) <= MAX_CACHED_RESOURCE_BYTES {
                true => ttl,
                false => Duration::ZERO,
            };
            Ok((value, keep))
        };
        let answer = self
            .entries
            .get_or_fetch_for((caller, uri.to_string()), read)
            .await;
        let hit = !missed.load(std::sync::atomic::Ordering::Relaxed);
        self.metrics.cache(metrics::Cache::Resource, hit);
        answer
    }

    /// Drops every read kept for the caller (after their own write, which may change them, or
    /// after the registry refused their token).
    pub fn forget(&self, caller: CallerKey) {
        self.entries.remove_where(|(key, _)| *key == caller);
    }

    /// How many reads are held (for tests).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when nothing is held.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// The length of `value` as JSON text, counted without building the text.
fn json_len(value: &Value) -> u64 {
    struct Count(u64);
    impl std::io::Write for Count {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len() as u64;
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut count = Count(0);
    // Writing a `Value` into a sink that never fails cannot fail.
    let _ = serde_json::to_writer(&mut count, value);
    count.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::CallerToken;
    use serde_json::json;

    #[tokio::test]
    async fn large_reads_are_answered_but_not_kept() {
        let cache = ResourceCache::new(Duration::from_secs(60));
        let caller = CallerKey::of(&CallerToken::new("alice"));
        let big = json!("x".repeat(MAX_CACHED_RESOURCE_BYTES as usize));
        let read = cache.get_or_fetch(caller, "admin://users", || async { Ok(big.clone()) });
        assert_eq!(read.await.unwrap(), big);
        assert!(cache.is_empty(), "a read over the cap is not kept");
        let small = cache.get_or_fetch(caller, "admin://roles", || async { Ok(json!([1])) });
        small.await.unwrap();
        assert_eq!(cache.len(), 1);
    }

    #[tokio::test]
    async fn the_cache_never_holds_more_than_its_entries() {
        let cache = ResourceCache::new(Duration::from_secs(60));
        let caller = CallerKey::of(&CallerToken::new("alice"));
        for i in 0..RESOURCE_CACHE_ENTRIES * 3 {
            let uri = format!("admin://users/u{i}");
            let read = cache.get_or_fetch(caller, &uri, || async { Ok(json!(i)) });
            read.await.unwrap();
        }
        assert_eq!(cache.len(), RESOURCE_CACHE_ENTRIES);
    }
}
