//! The caller's temporary AWS credentials, issued by the registry for their token. They are
//! cached per caller (keyed by a hash of the token) until five minutes before they expire, and
//! never logged: `Debug` hides the secrets.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::sync::{Arc, Mutex};

use serde_json::Value;

use crate::catalog::cache::CallerKey;
use crate::catalog::error::{CatalogError, CatalogErrorKind};
use crate::time::{parse_rfc3339, unix_now};

/// Credentials are dropped this long before they expire.
const EXPIRY_MARGIN_SECS: i64 = 300;
/// Past this many callers, expired entries are swept.
const SWEEP_AT: usize = 1_000;

/// Temporary AWS credentials of one caller.
#[derive(Clone, PartialEq, Eq)]
pub struct AwsCredentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: String,
    /// Seconds since the epoch.
    pub expires_at: i64,
}

impl fmt::Debug for AwsCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AwsCredentials")
            .field("access_key_id", &self.access_key_id)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

impl AwsCredentials {
    /// Reads the registry's `{AccessKeyId, SecretAccessKey, SessionToken, Expiration}`.
    pub fn from_json(label: &str, value: &Value) -> Result<Self, CatalogError> {
        let field = |name: &str| {
            value
                .get(name)
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
        };
        let missing: Vec<&str> = [
            "AccessKeyId",
            "SecretAccessKey",
            "SessionToken",
            "Expiration",
        ]
        .into_iter()
        .filter(|name| field(name).is_none())
        .collect();
        if !missing.is_empty() {
            let why = format!("credentials answer lacks {}", missing.join(", "));
            return Err(CatalogError::new(label, CatalogErrorKind::NotJson(why)));
        }
        let expiration = field("Expiration").unwrap_or_default();
        let expires_at = parse_rfc3339(expiration).ok_or_else(|| {
            CatalogError::new(
                label,
                CatalogErrorKind::NotJson(format!("unreadable Expiration {expiration:?}")),
            )
        })?;
        Ok(AwsCredentials {
            access_key_id: field("AccessKeyId").unwrap_or_default().to_string(),
            secret_access_key: field("SecretAccessKey").unwrap_or_default().to_string(),
            session_token: field("SessionToken").unwrap_or_default().to_string(),
            expires_at,
        })
    }

    /// Usable now, with the margin.
    pub fn fresh(&self) -> bool {
        self.expires_at - EXPIRY_MARGIN_SECS > unix_now()
    }
}

/// Per-caller credential cache.
#[derive(Debug, Default)]
pub struct CredentialCache {
    // A std Mutex: held only for a lookup or an insert.
    entries: Mutex<HashMap<CallerKey, AwsCredentials>>,
    // One async lock per caller with an exchange in flight, so concurrent calls of one caller
    // wait for that exchange instead of each starting their own.
    exchanges: Mutex<HashMap<CallerKey, Arc<tokio::sync::Mutex<()>>>>,
}

impl CredentialCache {
    /// Fresh credentials of `caller`, if held.
    pub fn get(&self, caller: &CallerKey) -> Option<AwsCredentials> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.get(caller).filter(|c| c.fresh()).cloned()
    }

    /// Fresh credentials of `caller`, held or from `exchange`: of concurrent calls for one
    /// caller, one exchanges and the others wait for its result (a failure is not kept, so each
    /// waiter then tries once itself).
    pub async fn get_or_exchange<F, Fut>(
        &self,
        caller: CallerKey,
        exchange: F,
    ) -> Result<AwsCredentials, CatalogError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<AwsCredentials, CatalogError>>,
    {
        if let Some(found) = self.get(&caller) {
            return Ok(found);
        }
        let lock = {
            let mut exchanges = self.exchanges.lock().unwrap_or_else(|e| e.into_inner());
            exchanges.entry(caller).or_default().clone()
        };
        let result = {
            let _turn = lock.lock().await;
            match self.get(&caller) {
                Some(found) => Ok(found),
                None => {
                    let fetched = exchange().await;
                    if let Ok(credentials) = &fetched {
                        self.put(caller, credentials.clone());
                    }
                    fetched
                }
            }
        };
        // The last one out removes the lock (the map holds one reference, `lock` another).
        let mut exchanges = self.exchanges.lock().unwrap_or_else(|e| e.into_inner());
        if Arc::strong_count(&lock) <= 2 {
            exchanges.remove(&caller);
        }
        result
    }

    /// Keeps `credentials` for `caller` (only if they are fresh).
    pub fn put(&self, caller: CallerKey, credentials: AwsCredentials) {
        if !credentials.fresh() {
            return;
        }
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= SWEEP_AT {
            entries.retain(|_, c| c.fresh());
        }
        entries.insert(caller, credentials);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use crate::auth::CallerToken;

    fn issued(key: &str) -> AwsCredentials {
        AwsCredentials {
            access_key_id: key.into(),
            secret_access_key: "s".into(),
            session_token: "t".into(),
            expires_at: unix_now() + 3600,
        }
    }

    #[tokio::test]
    async fn concurrent_calls_of_one_caller_share_one_exchange() {
        let cache = CredentialCache::default();
        let exchanges = AtomicUsize::new(0);
        let alice = CallerKey::of(&CallerToken::new("alice"));
        let bob = CallerKey::of(&CallerToken::new("bob"));
        let call = |caller: CallerKey, key: &'static str| {
            let (cache, exchanges) = (&cache, &exchanges);
            async move {
                cache
                    .get_or_exchange(caller, || async {
                        exchanges.fetch_add(1, Ordering::SeqCst);
                        tokio::task::yield_now().await;
                        Ok(issued(key))
                    })
                    .await
            }
        };
        let (a, b, c, d) = tokio::join!(
            call(alice, "A"),
            call(alice, "A"),
            call(bob, "B"),
            call(alice, "A")
        );
        assert_eq!(exchanges.load(Ordering::SeqCst), 2);
        assert_eq!(a.unwrap().access_key_id, "A");
        assert_eq!(b.unwrap().access_key_id, "A");
        assert_eq!(c.unwrap().access_key_id, "B");
        assert_eq!(d.unwrap().access_key_id, "A");
        assert!(cache.exchanges.lock().unwrap().is_empty());
    }

    #[tokio::test]
    async fn a_failed_exchange_is_not_kept() {
        let cache = CredentialCache::default();
        let caller = CallerKey::of(&CallerToken::new("carol"));
        let refused = CatalogError::new(
            "GET /api/auth/get_credentials",
            CatalogErrorKind::Unauthorized,
        );
        let first = cache
            .get_or_exchange(caller, || async { Err(refused.clone()) })
            .await;
        assert!(first.is_err());
        let second = cache
            .get_or_exchange(caller, || async { Ok(issued("C")) })
            .await;
        assert_eq!(second.unwrap().access_key_id, "C");
    }
}
