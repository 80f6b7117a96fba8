//! Browsing sessions: the catalog's credential-free way to read the files of one package
//! revision. A session is created per (caller, revision scope) with `BrowsingSessionCreate`,
//! reused while it has more than ten seconds left, and the registry's
//! `GET /browse/<id>/<path>` answers with a redirect to a presigned URL (or, behind some
//! proxies, with the bytes themselves).

use serde_json::{Value, json};
use std::time::Duration;

use crate::catalog::cache::CallerKey;
use crate::catalog::error::{CatalogError, CatalogErrorKind};
use crate::catalog::queries::BROWSING_SESSION_CREATE;
use crate::catalog::{CatalogClient, OnBehalf};
use crate::http::encode_component;
use crate::time::{parse_rfc3339, unix_now};
use crate::ttl_map::TtlMap;

/// A session is not reused in its last seconds, so a file fetch never races its expiry.
const REUSE_MARGIN_SECS: i64 = 10;
/// Sessions kept at most; past this, the oldest go (and are created again when next needed).
const MAX_SESSIONS: usize = 10_000;

/// A live browsing session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BrowsingSession {
    pub id: String,
    /// Seconds since the epoch.
    pub expires_at: i64,
}

impl BrowsingSession {
    /// How long it may still be reused from now (zero in its last seconds).
    fn reusable_for(&self) -> Duration {
        let left = self.expires_at - REUSE_MARGIN_SECS - unix_now();
        Duration::from_secs(u64::try_from(left).unwrap_or(0))
    }
}

/// Sessions per (caller, scope). Each entry lives as long as its session may be reused, so the
/// map's own time to live is never used; concurrent calls for one scope share one creation.
#[derive(Debug)]
pub struct SessionCache(TtlMap<(CallerKey, String), BrowsingSession, CatalogError>);

impl Default for SessionCache {
    fn default() -> Self {
        SessionCache(TtlMap::new(MAX_SESSIONS, Duration::ZERO))
    }
}

impl SessionCache {
    /// Drops every session of `caller` (the registry refused their token).
    pub fn forget(&self, caller: CallerKey) {
        self.0.remove_where(|(key, _)| *key == caller);
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
        let create = || async {
            let session = self.create_browsing_session(who, scope).await?;
            let reusable = session.reusable_for();
            Ok((session, reusable))
        };
        self.sessions.0.get_or_fetch_for(key, create).await
    }

    async fn create_browsing_session(
        &self,
        who: OnBehalf<'_>,
        scope: &str,
    ) -> Result<BrowsingSession, CatalogError> {
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
        Ok(BrowsingSession {
            id: id.to_string(),
            expires_at,
        })
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
                    self.sessions.0.remove(&key);
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
        // Each segment is percent-encoded, but `.` and `..` are unreserved: encoded they stay
        // dot segments, which a proxy or server in front of the registry resolves, climbing
        // out of `/browse/<id>/` (to `/api/auth/…`, with the caller's token). No package file
        // has such a segment, so a path with one is refused here, whoever built it.
        if let Some(segment) = path.split('/').find(|s| is_dot_segment(s)) {
            let why = format!(
                "the package path {path:?} has a {segment:?} segment; package files never do"
            );
            return Err(CatalogError::new(
                "GET /browse",
                CatalogErrorKind::InvalidInput(vec![why]),
            ));
        }
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
            .send_expecting_redirect("GET /browse", url.clone(), who)
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

/// `.` or `..`, as written or percent-encoded (`%2e`, `%2E%2e`…), which some servers decode
/// before resolving dot segments.
pub fn is_dot_segment(segment: &str) -> bool {
    let decoded = crate::http::decode_path_lossy(segment);
    decoded == "." || decoded == ".."
}

/// The answers that mean "this session is gone": worth one new session.
fn session_refused(error: &CatalogError) -> bool {
    match &error.kind {
        CatalogErrorKind::NotFound | CatalogErrorKind::Unauthorized => true,
        CatalogErrorKind::OperationError(message) => message.contains("SessionNotFound"),
        _ => false,
    }
}
