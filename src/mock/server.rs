//! The running mock: a hyper HTTP/1 server on a loopback port, its request log and its faults.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use bytes::Bytes;
use http::header::CONTENT_TYPE;
use http::{HeaderMap, HeaderName, HeaderValue, Request, Response, StatusCode};
use http_body_util::{BodyExt, Limited};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::GracefulShutdown;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tracing::{debug, error, warn};

use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};

use super::MOCK_URL_PLACEHOLDER;
use super::athena::{self, AthenaFace};
use super::fault::{self, Fault, MockBody, Prepared};
use super::matcher::{self, Incoming};
use super::model::Model;
use super::recording::{RecordedBody, RecordedResponse, Recordings};
use super::s3::S3Face;
use super::seen::{SeenRequest, read_request};
use super::ssm::SsmParameters;
use super::{graphql, registry, s3_face, search};

/// Request bodies larger than this are cut off; GraphQL calls and REST queries are far smaller.
const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

/// A running recorded-response catalog; dropping it stops the server.
///
/// Dropping it after it answered an unrecorded request panics (unless the thread is already
/// panicking, or the request was reported by [`MockCatalog::assert_all_matched`] or
/// acknowledged by [`MockCatalog::acknowledge_unmatched`]), so a forgotten assert still fails.
pub struct MockCatalog {
    inner: Arc<Inner>,
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

struct Inner {
    backend: Backend,
    /// The mock's own base URL, for the links it hands out.
    url: String,
    // A std Mutex, not Tokio's: every critical section is a few map and vector operations and
    // never spans an `.await`, so blocking briefly is cheaper than an async lock.
    shared: Mutex<Shared>,
    ssm: SsmParameters,
    athena: AthenaFace,
    /// Whether a request the mock does not support fails the test (see [`MockCatalog::set_strict`]).
    strict: AtomicBool,
    /// How long issued credentials live, in seconds (see [`MockCatalog::set_credentials_ttl`]).
    credentials_ttl_secs: AtomicI64,
}

/// What answers: the model catalog, or a replay of recordings (wire-format fixtures).
enum Backend {
    /// Boxed: the model is far larger than the tape's handles, and there is one per mock.
    Model(Box<Mutex<Model>>),
    Tape {
        recordings: Recordings,
        s3: S3Face,
        /// One prepared answer per interaction, same order, `{{mock_url}}` filled in.
        prepared: Vec<Prepared>,
    },
}

#[derive(Default)]
struct Shared {
    states: HashMap<String, String>,
    /// The most recent requests (at most `KEPT_REQUESTS`): a long `demo` must not grow.
    requests: VecDeque<SeenRequest>,
    unmatched: Vec<SeenRequest>,
    /// How many of `unmatched` have already been reported or acknowledged.
    reported: usize,
    fault: Option<Fault>,
}

/// How many requests `requests()` remembers; older ones are forgotten first.
const KEPT_REQUESTS: usize = 10_000;

impl Shared {
    fn keep(&mut self, seen: SeenRequest) {
        if self.requests.len() == KEPT_REQUESTS {
            self.requests.pop_front();
        }
        self.requests.push_back(seen);
    }
}

/// The service's error: tells hyper to close the connection without answering.
#[derive(Debug)]
struct DroppedConnection;

impl std::fmt::Display for DroppedConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("mock catalog: connection dropped by fault")
    }
}

impl std::error::Error for DroppedConnection {}

impl MockCatalog {
    /// Starts the model catalog, on the pristine dataset, on `127.0.0.1` at a free port.
    pub async fn start() -> std::io::Result<MockCatalog> {
        Self::start_on(SocketAddr::from(([127, 0, 0, 1], 0))).await
    }

    /// Starts the model catalog on `addr` (bind a concrete loopback address: the links it
    /// hands out, such as presigned URLs, name it).
    pub async fn start_on(addr: SocketAddr) -> std::io::Result<MockCatalog> {
        let model = Model::pristine()
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
        let listener = TcpListener::bind(addr).await?;
        Self::launch(
            listener,
            |_| Ok(Backend::Model(Box::new(Mutex::new(model)))),
            false,
        )
    }

    /// Starts a replay of `recordings` on `127.0.0.1` at a free port: wire-format fixtures
    /// (answers recorded from a real catalog) served as recorded. Always strict.
    pub async fn replay(recordings: Recordings) -> std::io::Result<MockCatalog> {
        Self::replay_on(SocketAddr::from(([127, 0, 0, 1], 0)), recordings).await
    }

    /// [`MockCatalog::replay`] on `addr`; `{{mock_url}}` becomes `http://<bound address>`.
    pub async fn replay_on(
        addr: SocketAddr,
        recordings: Recordings,
    ) -> std::io::Result<MockCatalog> {
        let listener = TcpListener::bind(addr).await?;
        let backend = |url: &str| -> std::io::Result<Backend> {
            let prepared = recordings
                .interactions
                .iter()
                .map(|i| prepare(&i.response, url))
                .collect::<std::io::Result<Vec<_>>>()?;
            Ok(Backend::Tape {
                s3: S3Face::new(&recordings),
                recordings,
                prepared,
            })
        };
        Self::launch(listener, backend, true)
    }

    fn launch(
        listener: TcpListener,
        backend: impl FnOnce(&str) -> std::io::Result<Backend>,
        strict: bool,
    ) -> std::io::Result<MockCatalog> {
        let addr = listener.local_addr()?;
        let url = format!("http://{addr}");
        let inner = Arc::new(Inner {
            backend: backend(&url)?,
            url,
            shared: Mutex::new(Shared::default()),
            ssm: SsmParameters::default(),
            athena: AthenaFace::default(),
            strict: AtomicBool::new(strict),
            credentials_ttl_secs: AtomicI64::new(registry::CREDENTIALS_TTL_SECS),
        });
        let (stop, stopped) = oneshot::channel();
        let task = tokio::spawn(serve(listener, Arc::clone(&inner), stopped));
        Ok(MockCatalog {
            inner,
            addr,
            stop: Some(stop),
            task: Some(task),
        })
    }

    /// The base URL, e.g. `http://127.0.0.1:43123`, with no trailing slash.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Strict mode: every request the mock does not support (an unknown route, a GraphQL
    /// document that does not validate or that names a field the model cannot resolve, an S3
    /// call it does not implement) is kept as unmatched, so [`MockCatalog::assert_all_matched`]
    /// and dropping the mock fail the test. Off by default for the model (so `demo` never
    /// panics), always on for a replay. Permission refusals are answers, never unmatched.
    pub fn set_strict(&self, strict: bool) {
        self.inner.strict.store(strict, Ordering::Relaxed);
    }

    /// How long the credentials the registry issues from now on are valid (12 hours unless
    /// set). S3 and Athena refuse a request signed with them once they have expired.
    pub fn set_credentials_ttl(&self, ttl: Duration) {
        let secs = i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX);
        self.inner
            .credentials_ttl_secs
            .store(secs, Ordering::Relaxed);
    }

    /// Runs `f` on the model (for tests that inspect or arrange the catalog's state directly).
    /// `None` for a replay.
    pub fn with_model<T>(&self, f: impl FnOnce(&mut Model) -> T) -> Option<T> {
        match &self.inner.backend {
            Backend::Model(model) => Some(f(&mut lock_model(model))),
            Backend::Tape { .. } => None,
        }
    }

    /// Applies `fault` to every following request (under its `path_prefix`) until cleared.
    pub fn set_fault(&self, fault: Fault) {
        self.inner.lock().fault = Some(fault);
    }

    /// The SSM face's parameter store (`ssm.rs`).
    pub(super) fn ssm_store(&self) -> &SsmParameters {
        &self.inner.ssm
    }

    /// The Athena face's queries (`athena/`).
    pub(super) fn athena_face(&self) -> &AthenaFace {
        &self.inner.athena
    }

    /// Ends any fault.
    pub fn clear_fault(&self) {
        self.inner.lock().fault = None;
    }

    /// The requests seen so far (the most recent `KEPT_REQUESTS`), in arrival order.
    pub fn requests(&self) -> Vec<SeenRequest> {
        self.inner.lock().requests.iter().cloned().collect()
    }

    /// The requests no recording answered.
    pub fn unmatched(&self) -> Vec<SeenRequest> {
        self.inner.lock().unmatched.clone()
    }

    /// Panics listing every unrecorded request not reported before.
    pub fn assert_all_matched(&self) {
        if let Some(message) = self.inner.take_unreported() {
            panic!("{message}");
        }
    }

    /// Marks the unrecorded requests seen so far as expected and returns them, for tests that
    /// provoke one on purpose; neither `assert_all_matched` nor drop will complain about them.
    pub fn acknowledge_unmatched(&self) -> Vec<SeenRequest> {
        let mut shared = self.inner.lock();
        shared.reported = shared.unmatched.len();
        shared.unmatched.clone()
    }

    /// Stops accepting connections and waits (up to a second) for open ones to finish.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            // An error only means the server task has already ended.
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for MockCatalog {
    fn drop(&mut self) {
        // Dropping `stop` ends the accept loop on its own.
        if std::thread::panicking() {
            return;
        }
        if let Some(message) = self.inner.take_unreported() {
            panic!(
                "{message}\n(found when the mock was dropped; call assert_all_matched in the test)"
            );
        }
    }
}

impl Inner {
    fn lock(&self) -> MutexGuard<'_, Shared> {
        // A panic while holding the lock cannot leave `Shared` half-updated (each section is a
        // push or an insert), so a poisoned lock is still safe to use.
        self.shared.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The failure message for unrecorded requests not reported before, marking them reported.
    fn take_unreported(&self) -> Option<String> {
        let mut shared = self.lock();
        let fresh = shared.unmatched.get(shared.reported..).unwrap_or_default();
        if fresh.is_empty() {
            return None;
        }
        let mut message = format!("mock catalog: {} unrecorded request(s):", fresh.len());
        for request in fresh {
            message.push_str("\n  ");
            message.push_str(&request.describe());
        }
        shared.reported = shared.unmatched.len();
        Some(message)
    }

    /// Logs a request the model answered; an unsupported one is also kept as unmatched when
    /// strict.
    fn log_model(&self, seen: &mut SeenRequest, route: &str, supported: bool) {
        let mut shared = self.lock();
        if supported {
            seen.matched = Some(format!("model:{route}"));
        } else {
            warn!(request = %seen.describe(), "mock catalog: unsupported request");
            if self.strict.load(Ordering::Relaxed) {
                shared.unmatched.push(seen.clone());
            }
        }
        debug!(method = %seen.method, path = %seen.path, operation = ?seen.operation,
            user_id = ?seen.user_id, route, supported, "mock catalog request");
        shared.keep(seen.clone());
    }

    /// Picks the interaction for `seen`, logs the request and (unless `hold_state`) moves the
    /// scenario state on. Returns the interaction's index.
    fn answer(
        &self,
        recordings: &Recordings,
        s3: &S3Face,
        seen: &mut SeenRequest,
        query: &[(String, String)],
        graphql: bool,
        hold_state: bool,
    ) -> Option<usize> {
        let mut shared = self.lock();
        let incoming = Incoming {
            method: &seen.method,
            path: &seen.path,
            query,
            graphql: graphql.then_some((seen.operation.as_deref(), &seen.variables)),
            user_id: seen.user_id,
            access_key: seen.access_key.as_deref(),
        };
        let chosen = match s3.admits(seen) {
            true => matcher::select(recordings, &incoming, &shared.states),
            false => None,
        };
        let interaction = chosen.and_then(|index| recordings.interactions.get(index));
        if let Some(interaction) = interaction {
            seen.matched = Some(interaction.id.clone());
            if let (Some(next), false) = (&interaction.set_state, hold_state) {
                shared
                    .states
                    .insert(interaction.scenario.clone(), next.clone());
            }
        } else {
            error!(request = %seen.describe(), "mock catalog: unrecorded request");
            shared.unmatched.push(seen.clone());
        }
        debug!(method = %seen.method, path = %seen.path, operation = ?seen.operation,
            user_id = ?seen.user_id, matched = ?seen.matched, "mock catalog request");
        shared.keep(seen.clone());
        chosen
    }
}

async fn serve(listener: TcpListener, inner: Arc<Inner>, stopped: oneshot::Receiver<()>) {
    serve_http1(listener, stopped, "mock catalog", move || {
        let inner = Arc::clone(&inner);
        service_fn(move |request| handle(Arc::clone(&inner), request))
    })
    .await;
}

/// Accepts loopback connections until `stopped`, serving each over HTTP/1.1 with a fresh
/// `service()`, then gives open connections a second to finish. The mock and the recording
/// proxy both serve this way.
pub(super) async fn serve_http1<F, S, B>(
    listener: TcpListener,
    mut stopped: oneshot::Receiver<()>,
    label: &'static str,
    service: F,
) where
    F: Fn() -> S,
    S: hyper::service::Service<Request<hyper::body::Incoming>, Response = Response<B>>
        + Send
        + 'static,
    S::Future: Send + 'static,
    S::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    B: hyper::body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let graceful = GracefulShutdown::new();
    loop {
        let accepted = tokio::select! {
            _ = &mut stopped => break,
            accepted = listener.accept() => accepted,
        };
        let stream = match accepted {
            Ok((stream, _peer)) => stream,
            Err(err) => {
                // Usually out of file descriptors under load: back off instead of spinning.
                warn!(error = %err, "{label}: accept failed");
                tokio::time::sleep(Duration::from_millis(20)).await;
                continue;
            }
        };
        let connection =
            graceful.watch(http1::Builder::new().serve_connection(TokioIo::new(stream), service()));
        tokio::spawn(async move {
            if let Err(err) = connection.await {
                debug!(error = %err, "{label}: connection ended with an error");
            }
        });
    }
    drop(listener);
    tokio::select! {
        _ = graceful.shutdown() => {}
        _ = tokio::time::sleep(Duration::from_secs(1)) => {}
    }
}

async fn handle(
    inner: Arc<Inner>,
    request: Request<hyper::body::Incoming>,
) -> Result<Response<MockBody>, DroppedConnection> {
    let (parts, body) = request.into_parts();
    // An unreadable or oversized body is treated as empty; the request then simply won't match.
    let body = Limited::new(body, MAX_BODY_BYTES)
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let (mut seen, query, graphql) = read_request(&parts, &body);
    let fault = inner
        .lock()
        .fault
        .clone()
        .filter(|f| f.applies_to(&seen.path));
    let hold_state = fault.as_ref().is_some_and(Fault::disrupts);
    // SSM's JSON protocol is answered from the SSM face's store, never from recordings.
    let recorded = if let Some((id, answer)) = inner.ssm.answer(&parts.headers, &body) {
        (seen.matched, seen.token, seen.user_id) = (Some(id), None, None);
        inner.lock().keep(seen.clone());
        answer
    } else {
        match &inner.backend {
            Backend::Model(model) => {
                let (answer, route, supported) =
                    answer_from_model(&inner, model, &parts, &query, &body, &seen, hold_state);
                inner.log_model(&mut seen, route, supported);
                answer
            }
            Backend::Tape {
                recordings,
                s3,
                prepared,
            } => {
                let chosen = inner.answer(recordings, s3, &mut seen, &query, graphql, hold_state);
                match chosen.and_then(|index| prepared.get(index)) {
                    Some(prepared) => s3.shape(prepared.clone(), &parts, &seen),
                    None if seen.access_key.is_some() => s3.refusal(recordings, &seen, &query),
                    None => unrecorded(&seen),
                }
            }
        }
    };
    let Some(fault) = fault else {
        return Ok(recorded.into_response());
    };
    if !fault.latency.is_zero() {
        tokio::time::sleep(fault.latency).await;
    }
    if fault.drop_connection {
        return Err(DroppedConnection);
    }
    Ok(fault::apply(&fault, recorded))
}

fn lock_model(model: &Mutex<Model>) -> MutexGuard<'_, Model> {
    // A panic inside a write can at worst leave one write half-done in a test's world; the
    // mock keeps answering rather than poisoning every later request.
    model.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The model's answer to one request, the route that answered it, and whether the request
/// was one the model supports. Under a disruptive fault (`hold_state`) the request runs on a
/// copy, so a failed write leaves the world unchanged and a retry sees the same state.
fn answer_from_model(
    inner: &Inner,
    model: &Mutex<Model>,
    parts: &http::request::Parts,
    query: &[(String, String)],
    body: &Bytes,
    seen: &SeenRequest,
    hold_state: bool,
) -> (Prepared, &'static str, bool) {
    let mut guard = lock_model(model);
    let mut copy;
    let model: &mut Model = if hold_state {
        copy = guard.clone();
        &mut copy
    } else {
        &mut guard
    };
    let expired =
        seen.access_key.is_some() && registry::session_token_expired(&parts.headers, query);
    if let Some(action) = athena::action(parts) {
        if expired {
            return (athena::expired_token(), "athena", true);
        }
        let key = seen.access_key.as_deref();
        let (answer, supported) = athena::answer(&inner.athena, model, &action, key, body);
        return (answer, "athena", supported);
    }
    if let Some(key) = &seen.access_key {
        if expired {
            let message = "The provided token has expired.";
            let refused = super::s3::error(StatusCode::BAD_REQUEST, "ExpiredToken", message);
            return (refused, "s3", true);
        }
        let s3 = s3_face::answer(model, key, parts, query, body);
        return (s3.answer, "s3", s3.supported);
    }
    let path = seen.path.as_str();
    let method = seen.method.as_str();
    let reading = method == "GET" || method == "HEAD";
    if reading && path == "/config.json" {
        return (
            registry::config_json(model, &inner.url),
            "config.json",
            true,
        );
    }
    if reading && let Some(rest) = path.strip_prefix("/presigned/") {
        let range = parts
            .headers
            .get(http::header::RANGE)
            .and_then(|v| v.to_str().ok());
        return (
            registry::presigned(model, rest, query, range),
            "presigned",
            true,
        );
    }
    // The docs site is public: answered before the caller is looked at.
    if reading && super::docs_site::serves(path) {
        return (super::docs_site::answer(path, &inner.url), "docs", true);
    }
    let known = path == "/graphql" || path.starts_with("/api/") || path.starts_with("/browse/");
    if !known {
        let body =
            json!({ "message": format!("the embedded catalog has no route {method} {path}") });
        return (
            registry::json_answer(StatusCode::NOT_FOUND, &body),
            "unknown",
            false,
        );
    }
    let caller = match model.caller_by_bearer(seen.token.as_deref(), seen.user_id) {
        Ok(user) => user.clone(),
        Err(refusal) => return (registry::refusal(refusal), "refused", true),
    };
    match (method, path) {
        ("POST", "/graphql") => {
            let request: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
            let answer = graphql::execute(model, &caller, &request);
            // Permission refusals are part of the world; anything else in `errors` means the
            // request asked for something the model does not support.
            let supported = answer
                .get("errors")
                .and_then(Value::as_array)
                .is_none_or(|errors| errors.iter().all(|e| e["message"] == "Forbidden"));
            (
                registry::json_answer(StatusCode::OK, &answer),
                "graphql",
                supported,
            )
        }
        ("GET", "/api/auth/get_credentials") => {
            let ttl = inner.credentials_ttl_secs.load(Ordering::Relaxed);
            (registry::credentials(&caller, ttl), "credentials", true)
        }
        ("GET", "/api/search") => {
            let (answer, supported) = search::answer(model, &caller, query);
            (answer, "search", supported)
        }
        ("GET" | "HEAD", _) if path.starts_with("/browse/") => {
            let rest = &path["/browse/".len()..];
            (
                registry::browse(model, &caller, rest, &inner.url),
                "browse",
                true,
            )
        }
        _ => {
            let body =
                json!({ "message": format!("the embedded catalog has no route {method} {path}") });
            (
                registry::json_answer(StatusCode::NOT_FOUND, &body),
                "unknown",
                false,
            )
        }
    }
}

/// The loud answer to a request no recording covers.
fn unrecorded(seen: &SeenRequest) -> Prepared {
    let message = format!("mock catalog: unrecorded request: {}", seen.describe());
    let body = json!({ "errors": [{ "message": message }] });
    let mut headers = HeaderMap::new();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    Prepared {
        status: StatusCode::INTERNAL_SERVER_ERROR,
        headers,
        body: Bytes::from(body.to_string()),
    }
}

/// A recorded response with `{{mock_url}}` replaced by `url`, ready to send.
fn prepare(recorded: &RecordedResponse, url: &str) -> std::io::Result<Prepared> {
    let invalid = |what: String| std::io::Error::new(std::io::ErrorKind::InvalidData, what);
    let status = StatusCode::from_u16(recorded.status).map_err(|e| invalid(e.to_string()))?;
    let mut headers = HeaderMap::new();
    for (name, value) in &recorded.headers {
        let name = HeaderName::from_bytes(name.as_bytes()).map_err(|e| invalid(e.to_string()))?;
        let value = HeaderValue::from_str(&value.replace(MOCK_URL_PLACEHOLDER, url))
            .map_err(|e| invalid(e.to_string()))?;
        headers.append(name, value);
    }
    let (body, default_type) = match &recorded.body {
        RecordedBody::Json(value) => {
            let mut value = value.clone();
            fill_in_url(&mut value, url);
            (Bytes::from(value.to_string()), "application/json")
        }
        RecordedBody::Text(text) => (
            Bytes::from(text.replace(MOCK_URL_PLACEHOLDER, url)),
            "text/plain; charset=utf-8",
        ),
        RecordedBody::Bytes(bytes) => (Bytes::from(bytes.clone()), "application/octet-stream"),
    };
    if !headers.contains_key(CONTENT_TYPE) {
        headers.insert(CONTENT_TYPE, HeaderValue::from_static(default_type));
    }
    Ok(Prepared {
        status,
        headers,
        body,
    })
}

fn fill_in_url(value: &mut Value, url: &str) {
    match value {
        Value::String(text) if text.contains(MOCK_URL_PLACEHOLDER) => {
            *text = text.replace(MOCK_URL_PLACEHOLDER, url)
        }
        Value::Array(items) => items.iter_mut().for_each(|item| fill_in_url(item, url)),
        Value::Object(fields) => fields
            .values_mut()
            .for_each(|field| fill_in_url(field, url)),
        _ => {}
    }
}
