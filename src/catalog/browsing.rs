//! Browsing sessions: the catalog's credential-free way to read the files of one package
//! revision. A session is created per (caller, revision scope) with `BrowsingSessionCreate`,
//! reused while it has more than ten seconds left, and the registry's
//! `GET /browse/<id>/<path>` answers with a redirect to a presigned URL (or, behind some
//! proxies, with the bytes themselves).

use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Mutex;

use crate::catalog::cache::CallerKey;
use crate::catalog::error::{CatalogError, CatalogErrorKind};
use crate::catalog::queries::BROWSING_SESSION_CREATE;
use crate::catalog::{CatalogClient, OnBehalf};
use crate::http::encode_component;
use crate::time::{parse_rfc3339, unix_now};

/// A session is not reused in its last seconds, so a file fetch never races its expiry.
const REUSE_MARGIN_SECS: i64 = 10;
/// Past this many sessions, expired ones are swept.
const SWEEP_AT: usize = 1_000;

/// A live browsing session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BrowsingSession {
    pub id: String,
    /// Seconds since the epoch.
    pub expires_at: i64,
}

type SessionKey = (CallerKey, String);

/// Sessions per (caller, scope).
#[derive(Debug, Default)]
pub struct SessionCache {
    // A std Mutex: held only for a lookup or an insert.
    sessions: Mutex<HashMap<SessionKey, BrowsingSession>>,
}

impl SessionCache {
    fn get(&self, key: &SessionKey) -> Option<BrowsingSession> {
        let sessions = self.sessions.lock().unwrap_or_else(|e| e.into_inner());
        sessions
            .get(key)
            .filter(|s| s.expires_at - REUSE_MARGIN_SECS > unix_now())
            .cloned()
    }

    fn put(&self, key: SessionKey, session: BrowsingSession) {
        let mut sessions = self.sessions.lock().unwrap_or_else(|e| e.into_inner());
        if sessions.len() >= SWEEP_AT {
            let now = unix_now();
            sessions.retain(|_, s| s.expires_at > now);
        }
        sessions.insert(key, session);
    }

    fn forget(&self, key: &SessionKey) {
        self.sessions
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(key);
    }
}

/// The scope of one package revision, in the catalog's own package-URI form.
pub fn revision_scope(bucket: &str, package: &str, top_hash: &str) -> String {
    format!("quilt+s3://{bucket}#package={package}@{top_hash}")
}

/// Where a file's bytes can be fetched.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FileLocation {
    /// A presigned URL: fetched without any credential (it carries its own signature).
    Presigned(String),
    /// The registry's `/browse` URL itself, which answered with the bytes: fetched with the
    /// caller's token, since it is the registry.
    Registry(String),
}

impl FileLocation {
    /// The URL, for showing to the agent.
    pub fn url(&self) -> &str {
        match self {
            FileLocation::Presigned(url) | FileLocation::Registry(url) => url,
        }
    }
}

impl CatalogClient {
    /// A browsing session for `scope`, reused while valid.
    pub async fn browsing_session(
        &self,
        who: OnBehalf<'_>,
        scope: &str,
    ) -> Result<BrowsingSession, CatalogError> {
        let key = (CallerKey::of(who.token), scope.to_string());
        if let Some(session) = self.sessions.get(&key) {
            return Ok(session);
        }
        let ttl = self.browsing_ttl.as_secs();
        let data = self
            .graphql(
                who,
                BROWSING_SESSION_CREATE,
                json!({ "scope": scope, "ttl": ttl }),
            )
            .await?;
        let op = BROWSING_SESSION_CREATE.name;
        let result = CatalogError::check_union(
            op,
            data.get("browsingSessionCreate").unwrap_or(&Value::Null),
        )?;
        let id = result
            .get("id")
            .and_then(Value::as_str)
            .filter(|id| !id.is_empty())
            .ok_or_else(|| {
                CatalogError::new(
                    op,
                    CatalogErrorKind::NotJson("the answer has no session id".into()),
                )
            })?;
        let expires_at = result
            .get("expires")
            .and_then(Value::as_str)
            .and_then(parse_rfc3339)
            .unwrap_or_else(|| unix_now() + ttl as i64);
        let session = BrowsingSession {
            id: id.to_string(),
            expires_at,
        };
        self.sessions.put(key, session.clone());
        Ok(session)
    }

    /// Where to fetch `path` of the revision `scope`: normally the presigned URL the registry
    /// redirects to. A session the catalog no longer accepts is replaced once.
    pub async fn browse_url(
        &self,
        who: OnBehalf<'_>,
        scope: &str,
        path: &str,
    ) -> Result<FileLocation, CatalogError> {
        let key = (CallerKey::of(who.token), scope.to_string());
        for attempt in 0..2 {
            let session = self.browsing_session(who, scope).await?;
            match self.browse_once(who, &session.id, path).await {
                Err(e) if attempt == 0 && session_refused(&e) => {
                    tracing::info!(error = %e, "browsing session refused; creating a new one");
                    self.sessions.forget(&key);
                }
                other => return other,
            }
        }
        Err(CatalogError::new("GET /browse", CatalogErrorKind::NotFound))
    }

    async fn browse_once(
        &self,
        who: OnBehalf<'_>,
        session_id: &str,
        path: &str,
    ) -> Result<FileLocation, CatalogError> {
        let encoded: Vec<String> = path
            .split('/')
            .filter(|s| !s.is_empty())
            .map(encode_component)
            .collect();
        // The registry serves /browse (the catalog's s3-proxy forwards it there).
        let url = format!(
            "{}/browse/{}/{}",
            self.registry_url,
            encode_component(session_id),
            encoded.join("/")
        );
        let reply = self
            .send("GET /browse", "GET", url.clone(), Some(who), None)
            .await?;
        match (reply.status, reply.location) {
            (300..=399, Some(location)) => Ok(FileLocation::Presigned(location)),
            (300..=399, None) => Err(CatalogError::new(
                "GET /browse",
                CatalogErrorKind::NotJson("a redirect without a Location header".into()),
            )),
            _ => Ok(FileLocation::Registry(url)),
        }
    }
}

/// The answers that mean "this session is gone": worth one new session.
fn session_refused(error: &CatalogError) -> bool {
    match &error.kind {
        CatalogErrorKind::NotFound | CatalogErrorKind::Unauthorized => true,
        CatalogErrorKind::OperationError(message) => message.contains("SessionNotFound"),
        _ => false,
    }
}
