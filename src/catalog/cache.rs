//! The read optimizer behind `MCP_OPTIMIZATION_ENABLED`: identical concurrent read-only catalog
//! requests of the same caller share one upstream call, and their result is kept for a short
//! time. Keys start with a hash of the caller's token, so nothing is ever shared between callers.
//! Errors are never kept. Also home of [`CallerKey`], how every per-caller cache names callers.

use std::future::Future;
use std::time::Duration;

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::catalog::error::CatalogError;
use crate::identity::CallerToken;
use crate::ttl_map::TtlMap;

/// Kept reads at most: past this, the oldest go (a result is worth a few seconds at most).
const MAX_ENTRIES: usize = 2_000;

/// A SHA-256 of a caller's token: how caches tell callers apart without holding tokens.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CallerKey([u8; 32]);

impl CallerKey {
    /// The key of `token`.
    pub fn of(token: &CallerToken) -> Self {
        CallerKey(Sha256::digest(token.expose().as_bytes()).into())
    }

    /// The first 8 hex digits of the hash: enough to tell keys apart in a log, useless to
    /// anyone reading it.
    pub fn fingerprint(&self) -> String {
        self.0[..4].iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// Per-caller coalescing cache of read-only results, keyed by (caller, operation and variables).
#[derive(Debug)]
pub struct ReadCache {
    entries: TtlMap<(CallerKey, String), Value, CatalogError>,
}

impl ReadCache {
    /// Keeps results for `ttl`.
    pub fn new(ttl: Duration) -> Self {
        ReadCache {
            entries: TtlMap::new(MAX_ENTRIES, ttl),
        }
    }

    /// Returns the cached or in-flight result for (`caller`, `request`), or runs `fetch`.
    pub async fn get_or_fetch<F, Fut>(
        &self,
        caller: CallerKey,
        request: String,
        fetch: F,
    ) -> Result<Value, CatalogError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Value, CatalogError>>,
    {
        self.entries.get_or_fetch((caller, request), fetch).await
    }

    /// Drops every entry of `caller`, kept or in flight.
    pub fn forget(&self, caller: CallerKey) {
        self.entries.remove_where(|(key, _)| *key == caller);
    }

    /// How many entries are held (for tests).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when nothing is held.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::error::CatalogErrorKind;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn key(token: &str) -> CallerKey {
        CallerKey::of(&CallerToken::new(token))
    }

    #[tokio::test(start_paused = true)]
    async fn concurrent_identical_reads_share_one_fetch_per_caller() {
        let cache = Arc::new(ReadCache::new(Duration::from_secs(5)));
        let calls = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for i in 0..20 {
            let (cache, calls) = (cache.clone(), calls.clone());
            let token = if i % 2 == 0 { "alice" } else { "bob" };
            tasks.push(tokio::spawn(async move {
                cache
                    .get_or_fetch(key(token), "ListBuckets {}".into(), || async {
                        calls.fetch_add(1, Ordering::SeqCst);
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        Ok(Value::String(token.to_string()))
                    })
                    .await
            }));
        }
        for (i, task) in tasks.into_iter().enumerate() {
            let expected = if i % 2 == 0 { "alice" } else { "bob" };
            assert_eq!(task.await.unwrap().unwrap(), Value::String(expected.into()));
        }
        assert_eq!(calls.load(Ordering::SeqCst), 2, "one fetch per caller");
        tokio::time::advance(Duration::from_secs(6)).await;
        cache
            .get_or_fetch(key("alice"), "ListBuckets {}".into(), || async {
                Ok(Value::Null)
            })
            .await
            .unwrap();
        assert_eq!(
            cache
                .get_or_fetch(key("alice"), "ListBuckets {}".into(), || async {
                    Ok(Value::Bool(true))
                })
                .await,
            Ok(Value::Null),
            "a fresh entry after expiry"
        );
    }

    #[tokio::test]
    async fn forget_drops_one_callers_entries_only() {
        let cache = ReadCache::new(Duration::from_secs(60));
        for token in ["alice", "bob"] {
            let value = Value::String(token.into());
            let fetched = cache.get_or_fetch(key(token), "Op".into(), || async { Ok(value) });
            fetched.await.unwrap();
        }
        cache.forget(key("alice"));
        assert_eq!(cache.len(), 1);
        let bob = cache.get_or_fetch(key("bob"), "Op".into(), || async { Ok(Value::Null) });
        assert_eq!(
            bob.await,
            Ok(Value::String("bob".into())),
            "bob's entry is kept"
        );
    }

    #[tokio::test]
    async fn errors_are_not_kept() {
        let cache = ReadCache::new(Duration::from_secs(60));
        let failing = || async { Err(CatalogError::new("Op", CatalogErrorKind::Forbidden)) };
        assert!(
            cache
                .get_or_fetch(key("a"), "Op".into(), failing)
                .await
                .is_err()
        );
        assert!(cache.is_empty());
        let ok = cache
            .get_or_fetch(key("a"), "Op".into(), || async { Ok(Value::Bool(true)) })
            .await;
        assert_eq!(ok, Ok(Value::Bool(true)));
    }
}
