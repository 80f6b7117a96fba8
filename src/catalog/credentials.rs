//! The caller's temporary AWS credentials, issued by the registry for their token. They are
//! cached per caller (keyed by a hash of the token) until five minutes before they expire, and
//! never logged: `Debug` hides the secrets.

use std::collections::HashMap;
use std::fmt;
use std::sync::Mutex;

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
}

impl CredentialCache {
    /// Fresh credentials of `caller`, if held.
    pub fn get(&self, caller: &CallerKey) -> Option<AwsCredentials> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.get(caller).filter(|c| c.fresh()).cloned()
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
