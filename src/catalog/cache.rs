//! The read optimizer behind `MCP_OPTIMIZATION_ENABLED`: identical concurrent read-only catalog
//! requests of the same caller share one upstream call, and their result is kept for a short
//! time. Keys start with a hash of the caller's token, so nothing is ever shared between callers.
//! Errors are never kept.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use sha2::{Digest, Sha256};
use tokio::sync::OnceCell;
use tokio::time::Instant;

use crate::auth::CallerToken;
use crate::catalog::error::CatalogError;

/// Past this many entries, expired ones are swept; past twice this, new results are not kept.
const SWEEP_AT: usize = 1_000;

/// A SHA-256 of a caller's token: how caches tell callers apart without holding tokens.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CallerKey([u8; 32]);

impl CallerKey {
    /// The key of `token`.
    pub fn of(token: &CallerToken) -> Self {
        CallerKey(Sha256::digest(token.expose().as_bytes()).into())
    }
}

#[derive(Debug)]
struct Entry {
    result: OnceCell<Result<Value, CatalogError>>,
    created: Instant,
}

/// Per-caller coalescing cache of read-only results.
#[derive(Debug)]
pub struct ReadCache {
    ttl: Duration,
    // A std Mutex: held only to look up or insert an entry, never across an await.
    entries: Mutex<HashMap<(CallerKey, String), Arc<Entry>>>,
}

impl ReadCache {
    /// Keeps results for `ttl`.
    pub fn new(ttl: Duration) -> Self {
        ReadCache {
            ttl,
            entries: Mutex::new(HashMap::new()),
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
        let key = (caller, request);
        // None: the cache is full of fresh entries, so this read is not kept.
        let entry: Option<Arc<Entry>> = {
            let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
            let now = Instant::now();
            let fresh =
                |e: &Entry| e.result.get().is_none() || now.duration_since(e.created) < self.ttl;
            if entries.len() >= SWEEP_AT {
                entries.retain(|_, e| fresh(e));
            }
            match entries.get(&key) {
                Some(entry) if fresh(entry) => Some(entry.clone()),
                _ if entries.len() >= 2 * SWEEP_AT => None,
                _ => {
                    let entry = Arc::new(Entry {
                        result: OnceCell::new(),
                        created: now,
                    });
                    entries.insert(key.clone(), entry.clone());
                    Some(entry)
                }
            }
        };
        let Some(entry) = entry else {
            return fetch().await;
        };
        // If the caller that started the fetch goes away, the next waiter runs its own fetch.
        let result = entry.result.get_or_init(fetch).await.clone();
        if result.is_err() {
            let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
            if entries.get(&key).is_some_and(|e| Arc::ptr_eq(e, &entry)) {
                entries.remove(&key);
            }
        }
        result
    }

    /// Drops every entry of `caller`, kept or in flight.
    pub fn forget(&self, caller: CallerKey) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.retain(|(key, _), _| *key != caller);
    }

    /// How many entries are held (for tests).
    pub fn len(&self) -> usize {
        self.entries.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// True when nothing is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::error::CatalogErrorKind;
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
