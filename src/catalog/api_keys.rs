//! Quilt API keys (`qk_…`): opaque bearer tokens that only the registry can judge. We ask it
//! who the key belongs to (`AuthStatus`, with the key as the bearer token) and keep its verdict
//! for a short time, refusals included, keyed by a hash of the key, never the key itself. So a
//! key costs at most one registry call per time to live, however many requests carry it, and
//! concurrent first requests share that one call.

use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::catalog::queries::AUTH_STATUS;
use crate::catalog::{CallerKey, CatalogClient, CatalogError, CatalogErrorKind, OnBehalf};
use crate::identity::{Caller, CallerToken, Claims, RequestId};
use crate::ttl_map::TtlMap;

/// Verdicts kept at most; past this the oldest go (and are asked again when next seen).
const MAX_VERDICTS: usize = 10_000;

/// Who the registry says a key belongs to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyOwner {
    pub name: String,
    pub email: String,
}

impl KeyOwner {
    /// The caller a request with this owner's key acts as. The registry names the user but
    /// gives no numeric id, so the id is derived from the name: the same user for every key of
    /// theirs (one rate-limit bucket), negative so it never meets a catalog's own user id.
    pub fn caller(&self, token: &CallerToken) -> Caller {
        let digest = Sha256::digest(self.name.as_bytes());
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(&digest[..8]);
        let id = -1 - (i64::from_be_bytes(bytes) & (i64::MAX >> 1));
        Caller {
            claims: Claims {
                id,
                uuid: self.name.clone(),
                // Not a JWT: the key's life is the registry's business, asked again per TTL.
                exp: 0,
            },
            token: token.clone(),
        }
    }
}

/// The registry's verdict on one key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    Accepted(Arc<KeyOwner>),
    /// Unknown, expired, revoked, or its user is inactive.
    Refused,
}

/// Why a key could not be judged now; neither is kept.
#[derive(Clone, Debug)]
pub enum JudgeError {
    /// The caller's address asked about too many unknown keys; retry after this many seconds.
    Limited(u64),
    /// The registry could not be asked (down, slow, busy).
    Catalog(CatalogError),
}

/// How long a key the registry accepted is remembered as one (its hash only), so asking again
/// when its verdict expires is not charged to its address's lookup limit.
const KNOWN_FOR: Duration = Duration::from_secs(24 * 3600);

/// The kept verdicts, one per key hash.
#[derive(Debug)]
pub struct ApiKeyJudge {
    ttl: Duration,
    verdicts: TtlMap<CallerKey, Verdict, JudgeError>,
    /// Keys accepted before: behind a load balancer every client shares one address, and a
    /// busy deployment's real keys must not spend the lookups meant to stop made-up ones.
    known: TtlMap<CallerKey, ()>,
}

impl ApiKeyJudge {
    /// Keeps each verdict for `ttl`.
    pub fn new(ttl: Duration) -> Self {
        ApiKeyJudge {
            ttl,
            verdicts: TtlMap::new(MAX_VERDICTS, ttl),
            known: TtlMap::new(MAX_VERDICTS, KNOWN_FOR),
        }
    }

    /// The kept verdict on `token`, or the registry's, asked once for all concurrent callers.
    /// `admit` runs only when a registry call is about to be made for a key not accepted
    /// before (never for a kept verdict): it may refuse with the seconds to wait, which then
    /// answers every caller waiting on it.
    pub async fn judge(
        &self,
        catalog: &CatalogClient,
        token: &CallerToken,
        request_id: &RequestId,
        admit: impl FnOnce() -> Result<(), u64>,
    ) -> Result<Verdict, JudgeError> {
        let key = CallerKey::of(token);
        let who = OnBehalf { token, request_id };
        let ttl = self.ttl;
        let ask = || async move {
            if self.known.get(&key).is_none() {
                admit().map_err(JudgeError::Limited)?;
            }
            let verdict = ask_registry(catalog, who)
                .await
                .map_err(JudgeError::Catalog)?;
            match verdict {
                Verdict::Accepted(_) => self.known.insert(key, ()),
                Verdict::Refused => self.known.remove(&key),
            }
            Ok((verdict, ttl))
        };
        self.verdicts.get_or_fetch_for(key, ask).await
    }

    /// Drops a kept acceptance of a key the registry has refused since. A refusal, kept or
    /// being fetched (its own lookup's 401 lands here too), stays.
    pub fn forget(&self, key: CallerKey) {
        if let Some(Verdict::Accepted(_)) = self.verdicts.get(&key) {
            self.verdicts.remove(&key);
            self.known.remove(&key);
        }
    }
}

#[derive(Deserialize)]
struct Me {
    name: String,
    #[serde(default)]
    email: String,
}

/// Who the registry says a credential (API key or JWT) belongs to: one `AuthStatus` call with
/// it. A 401 or 403, or no `me`, is a refusal; any other failure says nothing about it.
pub async fn ask_registry(
    catalog: &CatalogClient,
    who: OnBehalf<'_>,
) -> Result<Verdict, CatalogError> {
    let data = match catalog
        .graphql(who, AUTH_STATUS, serde_json::Value::Null)
        .await
    {
        Ok(data) => data,
        Err(e)
            if matches!(
                e.kind,
                CatalogErrorKind::Unauthorized | CatalogErrorKind::Forbidden
            ) =>
        {
            return Ok(Verdict::Refused);
        }
        Err(e) => return Err(e),
    };
    let me = data.get("me").cloned().unwrap_or_default();
    Ok(match serde_json::from_value::<Me>(me) {
        Ok(me) => Verdict::Accepted(Arc::new(KeyOwner {
            name: me.name,
            email: me.email,
        })),
        Err(_) => Verdict::Refused,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_user_one_negative_id() {
        let owner = |name: &str| KeyOwner {
            name: name.into(),
            email: String::new(),
        };
        let (a, b) = (CallerToken::new("qk_a"), CallerToken::new("qk_b"));
        let alice = owner("alice").caller(&a).claims.id;
        assert!(alice < 0);
        assert_eq!(
            alice,
            owner("alice").caller(&b).claims.id,
            "two keys, one user"
        );
        assert_ne!(alice, owner("bob").caller(&a).claims.id);
    }
}
