//! The catalog client: the server's only backend. GraphQL operations (embedded from
//! `schema/queries/`) and the registry's REST endpoints, always with the caller's own token.
//!
//! Calls use one shared `ureq` agent (connection reuse, rustls, a cached resolver) and run on
//! tokio's blocking pool, so a slow catalog never stalls the async workers that answer other
//! requests and `/health`.

pub mod api_keys;
pub mod browsing;
pub mod cache;
pub mod credentials;
pub mod error;
pub mod queries;
pub mod refusal;
pub mod release;
pub mod resolver;
pub mod workflows;

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::config::Config;
use crate::http::encode_component;
use crate::identity::CallerToken;
use crate::identity::RequestId;
use crate::metrics::{self, ErrorKind, Metrics};
use crate::ttl_map::TtlMap;

pub use cache::{CallerKey, ReadCache};
pub use credentials::AwsCredentials;
pub use error::{CatalogError, CatalogErrorKind};
pub use queries::Operation;

/// How long a read-only result is kept for the same caller when optimization is on.
const READ_CACHE_TTL: Duration = Duration::from_secs(10);
/// How long the catalog's static `config.json` is kept.
const CONFIG_TTL: Duration = Duration::from_secs(300);
/// The largest catalog answer we read; past it the call fails with a clear error. Real
/// answers are paginated and far smaller; the cap keeps one answer from costing the task its
/// memory (a parsed answer takes several times its text).
pub const MAX_RESPONSE_BYTES: u64 = 16 * 1024 * 1024;
/// The most JSON values (objects, arrays, scalars) parsed from one answer. Tiny values cost
/// the most per byte (`[[],[],…]` is 3 bytes of text but ~80 of memory per element), so the
/// byte cap alone would still let one answer take over a gigabyte.
pub const MAX_RESPONSE_VALUES: usize = 1_000_000;
/// ureq's per-connection read and write buffers (128 KiB each by default, zero-filled, so
/// resident while the connection lives, pooled or in flight). The read buffer must hold a whole
/// response header block; catalog headers are a few KiB.
const READ_BUFFER_BYTES: usize = 32 * 1024;
const WRITE_BUFFER_BYTES: usize = 16 * 1024;
/// Idle catalog connections kept per host. ureq keeps 3 by default, so under concurrent load
/// most calls opened a new TCP (and, for https, TLS) connection; one per concurrent call is
/// what a busy server reuses.
const IDLE_CONNECTIONS_PER_HOST: usize = 64;

/// Who a catalog call is made for: their token, and the request it serves (for `X-Request-Id`).
#[derive(Clone, Copy, Debug)]
pub struct OnBehalf<'a> {
    pub token: &'a CallerToken,
    pub request_id: &'a RequestId,
}

/// The shared catalog client.
#[derive(Debug)]
pub struct CatalogClient {
    agent: ureq::Agent,
    catalog_url: String,
    registry_url: String,
    graphql_endpoint: String,
    timeout: Duration,
    reads: Option<ReadCache>,
    // The catalog's config.json is public and the same for every caller, so one copy is shared:
    // a map of one entry, for its expiry and merged fetches.
    config_json: TtlMap<(), Value, CatalogError>,
    credentials: credentials::CredentialCache,
    sessions: browsing::SessionCache,
    browsing_ttl: Duration,
    /// One permit per catalog call in flight (each holds a blocking-pool thread).
    slots: Arc<Semaphore>,
    max_in_flight: usize,
    slot_wait: Duration,
    /// What the state drops besides our own caches when a caller's token is refused.
    on_refusal: refusal::RefusalHook,
    /// The server's metrics registry (the state shares this one).
    metrics: Arc<Metrics>,
    /// What the registry's answers showed about its release (older operation forms).
    facts: release::RegistryFacts,
}

/// The TLS settings of every `ureq` agent (the catalog's and the docs site's): the system's
/// trusted roots (`SSL_CERT_FILE`/`SSL_CERT_DIR`, else the platform's bundle; the same store
/// the AWS SDK reads, so the server trusts one set of authorities), read once, and the aws-lc
/// crypto provider named here rather than taken from process-wide state. ureq is built without
/// its compiled-in roots and provider, so an agent without these panics on its first https
/// request. Certificates that do not load are skipped with a warning; with none at all, https
/// calls fail their TLS handshake with a clear error (plain-http catalogs, like the embedded
/// one, are unaffected).
pub fn tls_config() -> ureq::tls::TlsConfig {
    static ROOTS: OnceLock<ureq::tls::RootCerts> = OnceLock::new();
    ureq::tls::TlsConfig::builder()
        .root_certs(ROOTS.get_or_init(load_system_roots).clone())
        .unversioned_rustls_crypto_provider(Arc::new(rustls::crypto::aws_lc_rs::default_provider()))
        .build()
}

fn load_system_roots() -> ureq::tls::RootCerts {
    let found = rustls_native_certs::load_native_certs();
    for error in &found.errors {
        tracing::warn!(error = %error, "a system CA certificate could not be loaded");
    }
    if found.certs.is_empty() {
        tracing::warn!("no system CA certificates found: https catalog calls will fail");
    }
    let certs = found
        .certs
        .iter()
        .map(|der| ureq::tls::Certificate::from_der(der.as_ref()).to_owned())
        .collect();
    ureq::tls::RootCerts::Specific(Arc::new(certs))
}

/// One HTTP exchange's outcome, as the blocking half hands it back.
struct Reply {
    status: u16,
    location: Option<String>,
    body: String,
}

impl CatalogClient {
    /// A client for the configured catalog.
    pub fn new(config: &Config) -> Self {
        let agent_config = ureq::Agent::config_builder()
            .timeout_global(Some(config.service_timeout))
            .http_status_as_error(false)
            .max_redirects(0)
            .max_idle_connections(2 * IDLE_CONNECTIONS_PER_HOST)
            .max_idle_connections_per_host(IDLE_CONNECTIONS_PER_HOST)
            .input_buffer_size(READ_BUFFER_BYTES)
            .output_buffer_size(WRITE_BUFFER_BYTES)
            .user_agent(format!("quilt-mcp/{}", env!("CARGO_PKG_VERSION")))
            .tls_config(tls_config())
            .build();
        let agent = ureq::Agent::with_parts(
            agent_config,
            ureq::unversioned::transport::DefaultConnector::default(),
            resolver::CachingResolver::default(),
        );
        CatalogClient {
            agent,
            catalog_url: config.catalog_url.clone(),
            registry_url: config.registry_url.clone(),
            graphql_endpoint: config.graphql_endpoint.clone(),
            timeout: config.service_timeout,
            reads: config
                .optimization_enabled
                .then(|| ReadCache::new(READ_CACHE_TTL)),
            config_json: TtlMap::new(1, CONFIG_TTL),
            credentials: credentials::CredentialCache::default(),
            sessions: browsing::SessionCache::default(),
            browsing_ttl: config.browsing_session_ttl,
            slots: Arc::new(Semaphore::new(config.catalog_max_in_flight)),
            max_in_flight: config.catalog_max_in_flight,
            slot_wait: config.catalog_slot_wait,
            on_refusal: refusal::RefusalHook::default(),
            metrics: Arc::default(),
            facts: release::RegistryFacts::default(),
        }
    }

    /// The metrics registry every call of this client records into.
    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.metrics
    }

    /// A slot for one catalog call, waiting at most the configured time. The permit moves into
    /// the blocking closure, so the slot is free exactly when the thread is: a call whose
    /// request gave up still holds its slot until ureq's own timeout ends it, and the count of
    /// threads stays bounded either way.
    async fn slot(&self, label: &str) -> Result<OwnedSemaphorePermit, CatalogError> {
        let busy = || {
            let retry_after_secs = self.slot_wait.as_secs().max(1);
            CatalogError::new(
                label,
                CatalogErrorKind::Busy {
                    limit: self.max_in_flight,
                    retry_after_secs,
                },
            )
        };
        match tokio::time::timeout(self.slot_wait, Arc::clone(&self.slots).acquire_owned()).await {
            Ok(Ok(permit)) => Ok(permit),
            // The semaphore is never closed; treat it like a full one.
            Ok(Err(_)) | Err(_) => {
                tracing::warn!(operation = %label, limit = self.max_in_flight, "catalog call refused: server busy");
                Err(busy())
            }
        }
    }

    /// What the registry's answers showed about its release, for the fallbacks to older forms.
    pub fn facts(&self) -> &release::RegistryFacts {
        &self.facts
    }

    /// The catalog's base URL (no trailing `/`).
    pub fn catalog_url(&self) -> &str {
        &self.catalog_url
    }

    /// The registry's base URL (no trailing `/`).
    pub fn registry_url(&self) -> &str {
        &self.registry_url
    }

    /// Runs a mutation or any operation whose result must not be shared: always one upstream
    /// call. (A tool that changes the catalog drops its caller's kept reads afterwards: see
    /// `mcp::methods`.)
    pub async fn graphql(
        &self,
        who: OnBehalf<'_>,
        op: Operation,
        variables: Value,
    ) -> Result<Value, CatalogError> {
        self.graphql_uncached(who, op, variables).await
    }

    /// Runs a read-only query; with optimization on, identical concurrent reads of the same
    /// caller share one call and the result is kept briefly for that caller alone.
    pub async fn graphql_read(
        &self,
        who: OnBehalf<'_>,
        op: Operation,
        variables: Value,
    ) -> Result<Value, CatalogError> {
        match &self.reads {
            Some(cache) => {
                let request = format!("{} {}", op.name, variables);
                // A miss is a read that ran; a read shared with one in flight is a hit.
                let missed = std::sync::atomic::AtomicBool::new(false);
                let read = cache
                    .get_or_fetch(CallerKey::of(who.token), request, || {
                        missed.store(true, std::sync::atomic::Ordering::Relaxed);
                        self.graphql_uncached(who, op, variables)
                    })
                    .await;
                let hit = !missed.load(std::sync::atomic::Ordering::Relaxed);
                self.metrics.cache(metrics::Cache::CatalogRead, hit);
                read
            }
            None => self.graphql_uncached(who, op, variables).await,
        }
    }

    async fn graphql_uncached(
        &self,
        who: OnBehalf<'_>,
        op: Operation,
        variables: Value,
    ) -> Result<Value, CatalogError> {
        let mut body = json!({ "query": op.text, "operationName": op.name });
        if !variables.is_null() {
            body["variables"] = variables;
        }
        let reply = self
            .send(
                op.name,
                "POST",
                self.graphql_endpoint.clone(),
                Some(who),
                Some(body),
            )
            .await?;
        let mut value = parse_json(op.name, &reply)?;
        if let Some(errors) = value
            .get("errors")
            .and_then(Value::as_array)
            .filter(|e| !e.is_empty())
        {
            let messages = error::bounded_messages(errors);
            let kind = match error::refused_field(&value, errors) {
                Some(field) => CatalogErrorKind::FieldRefused { field, messages },
                None => CatalogErrorKind::GraphQl(messages),
            };
            return Err(CatalogError::new(op.name, kind));
        }
        // Moved out, not cloned: an answer can be megabytes.
        match value.get_mut("data").map(Value::take) {
            Some(data) if data.is_object() => Ok(data),
            _ => Err(CatalogError::new(
                op.name,
                CatalogErrorKind::NotJson("no `data` object in the answer".into()),
            )),
        }
    }

    /// Forgets the caller's kept reads: after their own write, their next read must show it.
    pub fn forget_reads(&self, who: OnBehalf<'_>) {
        if let Some(cache) = &self.reads {
            cache.forget(CallerKey::of(who.token));
        }
    }

    /// `GET <catalog>/config.json`: the catalog's static configuration (region, registry URL,
    /// analytics bucket…). Public, so one copy is kept for everyone and refreshed every 5 minutes;
    /// concurrent calls share one fetch.
    pub async fn config_json(&self, request_id: &RequestId) -> Result<Value, CatalogError> {
        let fetch = || async {
            let url = format!("{}/config.json", self.catalog_url);
            let label = "GET /config.json";
            let reply = self
                .send_raw(label, "GET", url, None, request_id, None)
                .await?;
            parse_json(label, &reply)
        };
        self.config_json.get_or_fetch((), fetch).await
    }

    /// `GET <registry>/api/auth/get_credentials`: the caller's temporary AWS credentials, kept per
    /// caller until five minutes before they expire; concurrent calls of one caller share one
    /// exchange.
    pub async fn credentials(&self, who: OnBehalf<'_>) -> Result<AwsCredentials, CatalogError> {
        let key = CallerKey::of(who.token);
        self.credentials
            .get_or_exchange(key, || async {
                let label = "GET /api/auth/get_credentials";
                let url = format!("{}/api/auth/get_credentials", self.registry_url);
                let reply = self.send(label, "GET", url, Some(who), None).await?;
                AwsCredentials::from_json(label, &parse_json(label, &reply)?)
            })
            .await
    }

    /// `GET <registry>/api/search?...`: the registry's search proxy.
    pub async fn search(
        &self,
        who: OnBehalf<'_>,
        query: &[(&str, &str)],
    ) -> Result<Value, CatalogError> {
        let label = "GET /api/search";
        let pairs: Vec<String> = query
            .iter()
            .map(|(k, v)| format!("{}={}", encode_component(k), encode_component(v)))
            .collect();
        let url = format!("{}/api/search?{}", self.registry_url, pairs.join("&"));
        let reply = self.send(label, "GET", url, Some(who), None).await?;
        parse_json(label, &reply)
    }

    /// At most `max_bytes` of a file. A presigned URL is fetched without any credential; the
    /// registry's own `/browse` URL with the caller's token.
    pub async fn download(
        &self,
        who: OnBehalf<'_>,
        location: &browsing::FileLocation,
        max_bytes: u64,
    ) -> Result<Download, CatalogError> {
        let (url, token) = match location {
            browsing::FileLocation::Presigned(url) => (url.clone(), None),
            browsing::FileLocation::Registry(url) => (url.clone(), Some(who.token.clone())),
        };
        // Only the registry's own answer to the token is a refusal of it.
        let caller = token.as_ref().map(CallerKey::of);
        let agent = self.agent.clone();
        let request_id = who.request_id.0.clone();
        let timeout_secs = self.timeout.as_secs();
        let label = "GET file";
        let slot = self.slot(label).await?;
        let (started, _in_flight) = (
            std::time::Instant::now(),
            self.metrics.catalog_call_started(),
        );
        let joined = tokio::task::spawn_blocking(move || {
            let fetched = fetch_bytes(&agent, &url, token.as_ref(), &request_id, max_bytes);
            drop(slot);
            fetched
        })
        .await;
        self.metrics.catalog_call(started.elapsed());
        let (status, bytes) = match joined {
            Ok(result) => {
                result.map_err(|e| CatalogError::new(label, classify(e, timeout_secs)))?
            }
            Err(e) => {
                let why = format!("internal error: {e}");
                return Err(CatalogError::new(label, CatalogErrorKind::Unreachable(why)));
            }
        };
        match status {
            200..=299 => {
                let truncated = bytes.len() as u64 > max_bytes;
                let mut bytes = bytes;
                bytes.truncate(max_bytes as usize);
                Ok(Download { bytes, truncated })
            }
            status => {
                if let (401, Some(caller)) = (status, caller) {
                    self.refused(caller);
                }
                let body = String::from_utf8_lossy(&bytes).to_string();
                // S3's 403 for an archived (Glacier) object is not a permission problem: keep
                // its code, so the tools can say to restore the object.
                if status == 403 && body.contains("<Code>InvalidObjectState</Code>") {
                    let kind = CatalogErrorKind::Status(status, "InvalidObjectState".into());
                    return Err(CatalogError::new(label, kind));
                }
                let reply = Reply {
                    status,
                    location: None,
                    body,
                };
                check_status(label, reply, false).map(|_| Download::default())
            }
        }
    }

    async fn send(
        &self,
        label: &str,
        method: &'static str,
        url: String,
        who: Option<OnBehalf<'_>>,
        body: Option<Value>,
    ) -> Result<Reply, CatalogError> {
        let (token, request_id) = match who {
            Some(who) => (Some(who.token.clone()), who.request_id.clone()),
            None => (None, RequestId::mint()),
        };
        self.send_raw(label, method, url, token, &request_id, body)
            .await
    }

    /// One call whose answer must not be a redirect: a 3xx is an error that says so, never
    /// followed and never kept (`config.json` included).
    async fn send_raw(
        &self,
        label: &str,
        method: &'static str,
        url: String,
        token: Option<CallerToken>,
        request_id: &RequestId,
        body: Option<Value>,
    ) -> Result<Reply, CatalogError> {
        let reply = self
            .round_trip(label, method, url, token, request_id, body)
            .await?;
        check_status(label, reply, false)
    }

    /// A GET of the caller's that may answer with a redirect (`/browse` does, to a presigned URL).
    async fn send_expecting_redirect(
        &self,
        label: &str,
        url: String,
        who: OnBehalf<'_>,
    ) -> Result<Reply, CatalogError> {
        let reply = self
            .round_trip(
                label,
                "GET",
                url,
                Some(who.token.clone()),
                who.request_id,
                None,
            )
            .await?;
        check_status(label, reply, true)
    }

    /// The one place that talks HTTP to the catalog, on the blocking pool; any status comes
    /// back. A 401 to a caller's token is a refusal: see [`CatalogClient::refused`].
    async fn round_trip(
        &self,
        label: &str,
        method: &'static str,
        url: String,
        token: Option<CallerToken>,
        request_id: &RequestId,
        body: Option<Value>,
    ) -> Result<Reply, CatalogError> {
        let agent = self.agent.clone();
        let request_id = request_id.0.clone();
        let timeout_secs = self.timeout.as_secs();
        let op = label.to_string();
        let caller = token.as_ref().map(CallerKey::of);
        let slot = self.slot(&op).await.inspect_err(|_| {
            self.metrics.error(ErrorKind::CatalogBusy);
        })?;
        let started = std::time::Instant::now();
        let in_flight = self.metrics.catalog_call_started();
        let joined = tokio::task::spawn_blocking(move || {
            let reply = exchange(
                &agent,
                method,
                &url,
                token.as_ref(),
                &request_id,
                body.as_ref(),
            );
            drop(slot);
            reply
        })
        .await;
        drop(in_flight);
        self.metrics.catalog_call(started.elapsed());
        let elapsed_ms = started.elapsed().as_millis() as u64;
        let result = match joined {
            Ok(result) => result.map_err(|e| CatalogError::new(&op, classify(e, timeout_secs))),
            Err(e) => Err(CatalogError::new(
                &op,
                CatalogErrorKind::Unreachable(format!("internal error: {e}")),
            )),
        };
        if let Some(kind) = failure_kind(&result) {
            self.metrics.error(kind);
        }
        match &result {
            Ok(reply) => {
                tracing::debug!(operation = %op, status = reply.status, elapsed_ms, "catalog call")
            }
            Err(e) => {
                tracing::warn!(operation = %op, error = %e, elapsed_ms, "catalog call failed")
            }
        }
        if let (Ok(Reply { status: 401, .. }), Some(caller)) = (&result, caller) {
            self.refused(caller);
        }
        result
    }

    /// The registry refused `caller`'s token (HTTP 401): it may have been revoked, so nothing
    /// kept for that caller is used again. Their credentials, reads and browsing sessions are
    /// dropped, in flight ones too (a fetch in flight then keeps nothing), and so are the caches
    /// above this module (resources, admin status) through the hook set by the state.
    pub fn refused(&self, caller: CallerKey) {
        tracing::info!("the catalog refused a caller's token; dropping what was kept for them");
        self.credentials.forget(caller);
        if let Some(reads) = &self.reads {
            reads.forget(caller);
        }
        self.sessions.forget(caller);
        self.on_refusal.run(caller);
    }

    /// Sets what else to drop when a caller's token is refused (once, at start).
    pub fn on_refusal(&self, hook: impl Fn(CallerKey) + Send + Sync + 'static) {
        self.on_refusal.set(hook);
    }
}

/// The error kind a catalog call's outcome counts as, if it failed on the catalog's side (a
/// 4xx is the caller's business, counted by the tool's outcome).
fn failure_kind(result: &Result<Reply, CatalogError>) -> Option<ErrorKind> {
    match result {
        Ok(reply) if reply.status >= 500 => Some(ErrorKind::CatalogServerError),
        Ok(_) => None,
        Err(e) if matches!(e.kind, CatalogErrorKind::Timeout(_)) => Some(ErrorKind::CatalogTimeout),
        Err(_) => Some(ErrorKind::CatalogUnreachable),
    }
}

/// A reply's status as the caller sees it: 2xx passes, a 3xx only where a redirect is the
/// answer (`redirect_ok`), anything else is the error it means.
fn check_status(label: &str, reply: Reply, redirect_ok: bool) -> Result<Reply, CatalogError> {
    let kind = match reply.status {
        200..=299 => return Ok(reply),
        300..=399 if redirect_ok => return Ok(reply),
        status @ 300..=399 => {
            CatalogErrorKind::Redirected(status, reply.location.as_deref().map(error::snippet))
        }
        401 => CatalogErrorKind::Unauthorized,
        403 => CatalogErrorKind::Forbidden,
        404 => CatalogErrorKind::NotFound,
        status => CatalogErrorKind::Status(status, error::snippet(&reply.body)),
    };
    Err(CatalogError::new(label, kind))
}

fn exchange(
    agent: &ureq::Agent,
    method: &str,
    url: &str,
    token: Option<&CallerToken>,
    request_id: &str,
    body: Option<&Value>,
) -> Result<Reply, ureq::Error> {
    let mut response = match (method, body) {
        ("POST", Some(body)) => {
            let mut request = agent
                .post(url)
                .header("content-type", "application/json")
                .header("accept", "application/json")
                .header("x-request-id", request_id)
                .header("traceparent", &metrics::trace::traceparent(request_id));
            if let Some(token) = token {
                request = request.header("authorization", &format!("Bearer {}", token.expose()));
            }
            request.send(serde_json::to_vec(body).unwrap_or_default())?
        }
        _ => {
            let mut request = agent
                .get(url)
                .header("accept", "application/json")
                .header("x-request-id", request_id)
                .header("traceparent", &metrics::trace::traceparent(request_id));
            if let Some(token) = token {
                request = request.header("authorization", &format!("Bearer {}", token.expose()));
            }
            request.call()?
        }
    };
    let status = response.status().as_u16();
    let location = response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let body = response
        .body_mut()
        .with_config()
        .limit(MAX_RESPONSE_BYTES)
        .read_to_string()?;
    Ok(Reply {
        status,
        location,
        body,
    })
}

/// GETs up to `max_bytes + 1` bytes (the extra byte tells a truncated file from a whole one).
fn fetch_bytes(
    agent: &ureq::Agent,
    url: &str,
    token: Option<&CallerToken>,
    request_id: &str,
    max_bytes: u64,
) -> Result<(u16, Vec<u8>), ureq::Error> {
    use std::io::Read;
    let mut request = agent
        .get(url)
        .header("range", &format!("bytes=0-{max_bytes}"))
        .header("x-request-id", request_id);
    // Only the registry's own URL: a presigned URL's host is not ours to trace into.
    if let Some(token) = token {
        request = request
            .header("authorization", &format!("Bearer {}", token.expose()))
            .header("traceparent", &metrics::trace::traceparent(request_id));
    }
    let mut response = request.call()?;
    let status = response.status().as_u16();
    let mut bytes = Vec::new();
    // A server that ignores Range sends everything: read no more than we need either way.
    response
        .body_mut()
        .as_reader()
        .take(max_bytes + 1)
        .read_to_end(&mut bytes)?;
    Ok((status, bytes))
}

fn classify(error: ureq::Error, timeout_secs: u64) -> CatalogErrorKind {
    match error {
        ureq::Error::Timeout(_) => CatalogErrorKind::Timeout(timeout_secs),
        ureq::Error::Io(e) if e.kind() == std::io::ErrorKind::TimedOut => {
            CatalogErrorKind::Timeout(timeout_secs)
        }
        ureq::Error::ConnectionFailed | ureq::Error::HostNotFound => {
            CatalogErrorKind::Unreachable("connection failed".into())
        }
        ureq::Error::BodyExceedsLimit(limit) => CatalogErrorKind::TooLarge(limit),
        other => CatalogErrorKind::Unreachable(other.to_string()),
    }
}

fn parse_json(label: &str, reply: &Reply) -> Result<Value, CatalogError> {
    if !crate::json_budget::within(reply.body.as_bytes(), MAX_RESPONSE_VALUES) {
        let kind = CatalogErrorKind::TooComplex(MAX_RESPONSE_VALUES);
        return Err(CatalogError::new(label, kind));
    }
    serde_json::from_str(&reply.body).map_err(|e| {
        CatalogError::new(
            label,
            CatalogErrorKind::NotJson(format!(
                "{e} (body starts: {})",
                error::snippet(&reply.body)
            )),
        )
    })
}

/// The first bytes of a file, and whether there were more.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Download {
    pub bytes: Vec<u8>,
    pub truncated: bool,
}

/// A shared handle, as tools hold it.
pub type SharedCatalog = Arc<CatalogClient>;
