//! The caller's temporary AWS credentials, issued by the registry for their token. They are
//! cached per caller (keyed by a hash of the token) until five minutes before they expire, and
//! never logged: `Debug` hides the secrets.

use std::fmt;
use std::future::Future;
use std::time::Duration;

use serde_json::Value;

use crate::catalog::cache::CallerKey;
use crate::catalog::error::{CatalogError, CatalogErrorKind};
use crate::time::{parse_rfc3339, unix_now};
use crate::ttl_map::TtlMap;

/// Credentials are dropped this long before they expire.
const EXPIRY_MARGIN_SECS: i64 = 300;
/// Callers whose credentials are kept at most; past this, the oldest go (and are exchanged
/// again on their next call).
const MAX_CALLERS: usize = 10_000;

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

    /// How long they stay usable from now, with the margin (zero once they are not).
    pub fn lifetime(&self) -> Duration {
        let left = self.expires_at - EXPIRY_MARGIN_SECS - unix_now();
        Duration::from_secs(u64::try_from(left).unwrap_or(0))
    }
}

/// Per-caller credential cache.
#[derive(Debug)]
pub struct CredentialCache {
    // Each entry lives as long as its credentials do (`lifetime`), so the map's own time to
    // live is never used.
    entries: TtlMap<CallerKey, AwsCredentials, CatalogError>,
}

impl Default for CredentialCache {
    fn default() -> Self {
        CredentialCache {
            entries: TtlMap::new(MAX_CALLERS, Duration::ZERO),
        }
    }
}

impl CredentialCache {
    /// Fresh credentials of `caller`, held or from `exchange`: of concurrent calls for one
    /// caller, one exchanges and the others share its result (a failure too, which is not kept:
    /// the next call tries again).
    pub async fn get_or_exchange<F, Fut>(
        &self,
        caller: CallerKey,
        exchange: F,
    ) -> Result<AwsCredentials, CatalogError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<AwsCredentials, CatalogError>>,
    {
        let exchange = || async {
            let credentials = exchange().await?;
            let lifetime = credentials.lifetime();
            Ok((credentials, lifetime))
        };
        self.entries.get_or_fetch_for(caller, exchange).await
    }

    /// Drops `caller`'s credentials, held or being exchanged (the registry refused their token).
    pub fn forget(&self, caller: CallerKey) {
        self.entries.remove(&caller);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use crate::identity::CallerToken;

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
        assert_eq!(cache.entries.len(), 2, "one entry per caller");
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

    #[tokio::test]
    async fn credentials_inside_the_margin_are_used_once_not_kept() {
        let cache = CredentialCache::default();
        let caller = CallerKey::of(&CallerToken::new("dave"));
        let mut expiring = issued("old");
        expiring.expires_at = unix_now() + EXPIRY_MARGIN_SECS - 1;
        let first = cache.get_or_exchange(caller, || async { Ok(expiring) });
        assert_eq!(first.await.unwrap().access_key_id, "old");
        let second = cache.get_or_exchange(caller, || async { Ok(issued("new")) });
        assert_eq!(second.await.unwrap().access_key_id, "new");
    }
}
