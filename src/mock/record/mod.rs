//! `quilt-mcp record`: a recording proxy that writes new recordings from a real catalog.
//!
//! Start a [`Recorder`] pointed at a real catalog and registry, point a client at it (our
//! server, or the upstream Python one, with `QUILT_CATALOG_URL` and `QUILT_REGISTRY_URL` both
//! set to [`Recorder::url`]) and use it with a real token. Every answered exchange becomes an
//! interaction in `<out_dir>/<scenario>.json`, in the format of [`crate::mock`], so
//! `quilt-mcp mock-catalog --recordings <out_dir>` replays it.
//!
//! # Forwarding
//!
//! `POST /graphql` and `/api/...` go to the registry; everything else (`/config.json`,
//! `/browse/...`) to the catalog. Method, path, query, body and headers are forwarded, minus
//! hop-by-hop headers and `Accept-Encoding`. Redirects are not followed: a 3xx is answered and
//! recorded with its `Location`. In the live answer only `Location` is changed: an upstream
//! base URL in it becomes the proxy's, so a client that follows it is recorded too. Bodies pass
//! through untouched.
//!
//! # What is written
//!
//! - The matcher: GraphQL calls by operation name (the mock's own parser) and variables; other
//!   requests by method, path and query; `user_id` from the caller's JWT `id` claim when it is
//!   an integer ([`crate::mock::caller_id_from_bearer`]). See `exchange.rs` for the details.
//! - The same matcher (same request, same caller) is recorded once: the last answer wins,
//!   keeping the first one's id and place. Calls whose answer changes over time (create, then
//!   list) need `when_state`/`set_state` added by hand.
//! - The answer, redacted: no `Authorization`, cookies or other headers (only `content-type`
//!   and `location` are kept); credential fields in JSON (`AccessKeyId`, `SecretAccessKey`,
//!   `SessionToken`, any name containing `token`, `secret` or `password`) become
//!   `REDACTED-<name>`; credential URL parameters, JWT-shaped strings and the caller's token are
//!   replaced; upstream base URLs become `{{mock_url}}`. Binary bodies are not recorded.
//! - The file is rewritten whole after every exchange (temporary file, then rename). An
//!   existing file for the scenario is continued, not overwritten.
//!
//! Not recorded, answered 502 with a JSON error: an unreachable upstream, an answer over
//! 32 MiB. A request body over 32 MiB is answered 413 and not forwarded.

mod exchange;
mod forward;
mod redact;
mod scenario;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use bytes::Bytes;
use http::header::{CONTENT_TYPE, LOCATION};
use http::request::Parts;
use http::{HeaderValue, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::service::service_fn;
use serde_json::json;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tracing::{error, info, warn};

use super::seen::read_request;
use forward::{ForwardError, MAX_BODY_BYTES, Reply, Side, Upstreams};
use redact::Scrubber;
use scenario::ScenarioFile;

/// A running recording proxy; dropping it stops accepting connections.
pub struct Recorder {
    shared: Arc<Shared>,
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

struct Shared {
    upstreams: Upstreams,
    /// The proxy's own base URL, put in place of upstream URLs in live `Location` headers.
    url: String,
    // A std Mutex: it is only taken on the blocking pool, around an in-memory update and a
    // file write; holding it across the write keeps the file's versions in order.
    file: Mutex<ScenarioFile>,
}

impl Recorder {
    /// Starts the proxy on `listen` (a loopback address; port 0 picks a free one), forwarding
    /// to the `catalog` and `registry` base URLs and recording into `<out_dir>/<scenario>.json`.
    ///
    /// Fails on a non-loopback address (the proxy forwards callers' tokens: it is not for a
    /// network), a URL that is not `http(s)://`, a scenario name that is not a plain file name,
    /// or an existing scenario file that is not a valid recording file.
    pub async fn start(
        listen: SocketAddr,
        catalog: &str,
        registry: &str,
        out_dir: &Path,
        scenario: &str,
    ) -> std::io::Result<Recorder> {
        if !listen.ip().is_loopback() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!(
                    "{listen} is not a loopback address; the recorder only listens on 127.0.0.1 or ::1"
                ),
            ));
        }
        let upstreams = Upstreams::new(catalog, registry)?;
        let file = ScenarioFile::open(out_dir, scenario)?;
        let listener = TcpListener::bind(listen).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            upstreams,
            url: format!("http://{addr}"),
            file: Mutex::new(file),
        });
        let (stop, stopped) = oneshot::channel();
        let task = tokio::spawn(serve(listener, Arc::clone(&shared), stopped));
        Ok(Recorder {
            shared,
            addr,
            stop: Some(stop),
            task: Some(task),
        })
    }

    /// The proxy's base URL, e.g. `http://127.0.0.1:43123`: the catalog and registry URL for clients.
    pub fn url(&self) -> String {
        self.shared.url.clone()
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The scenario file being written.
    pub fn file(&self) -> PathBuf {
        self.shared.lock().path().to_path_buf()
    }

    /// How many interactions the scenario file holds.
    pub fn recorded(&self) -> usize {
        self.shared.lock().len()
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

impl Shared {
    fn lock(&self) -> MutexGuard<'_, ScenarioFile> {
        // Each section replaces one entry or writes the file; a panic cannot leave it half-made.
        self.file.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// `quilt-mcp record`: runs the proxy on 127.0.0.1:`port` until SIGTERM or SIGINT.
pub async fn run(
    port: u16,
    catalog: &str,
    registry: &str,
    out_dir: &Path,
    scenario: &str,
) -> Result<(), String> {
    let listen = SocketAddr::from(([127, 0, 0, 1], port));
    let recorder = Recorder::start(listen, catalog, registry, out_dir, scenario)
        .await
        .map_err(|e| format!("cannot start the recording proxy: {e}"))?;
    let file = recorder.file();
    println!(
        "recording proxy on {url} (use it as catalog and registry URL), forwarding to catalog {catalog} and registry {registry}, writing {file}",
        url = recorder.url(),
        file = file.display()
    );
    info!(address = %recorder.addr(), file = %file.display(), "recording proxy listening");
    crate::server::shutdown_signal().await;
    let count = recorder.recorded();
    recorder.shutdown().await;
    eprintln!(
        "{count} interaction(s) in {}: review the file before committing it",
        file.display()
    );
    Ok(())
}

async fn serve(listener: TcpListener, shared: Arc<Shared>, stopped: oneshot::Receiver<()>) {
    super::server::serve_http1(listener, stopped, "record", move || {
        let shared = Arc::clone(&shared);
        service_fn(move |request| handle(Arc::clone(&shared), request))
    })
    .await;
}

async fn handle(
    shared: Arc<Shared>,
    request: Request<hyper::body::Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let (parts, body) = request.into_parts();
    let Ok(body) = Limited::new(body, MAX_BODY_BYTES).collect().await else {
        let message = "the request body is larger than 32 MiB or could not be read; not forwarded";
        return Ok(refusal(StatusCode::PAYLOAD_TOO_LARGE, message));
    };
    let body = body.to_bytes();
    let side = Upstreams::route(parts.uri.path());
    let reply = match shared.upstreams.send(side, &parts, body.clone()).await {
        Ok(reply) => reply,
        Err(err) => {
            let base = shared.upstreams.base(side);
            let message = match err {
                ForwardError::Unreachable(why) => {
                    format!("cannot reach the {side} at {base}: {why}")
                }
                ForwardError::TooLarge => format!(
                    "the {side} at {base} answered more than {} MiB; not recorded",
                    MAX_BODY_BYTES / (1024 * 1024)
                ),
            };
            warn!(method = %parts.method, path = %parts.uri.path(), %side, %message, "record: not forwarded");
            return Ok(refusal(StatusCode::BAD_GATEWAY, &message));
        }
    };
    record(&shared, &parts, body, &reply).await;
    Ok(live_answer(&shared, reply))
}

/// Adds the exchange to the scenario file and rewrites it, on the blocking pool; the caller
/// gets its answer only after the file is written, so a finished client run is on disk.
async fn record(shared: &Arc<Shared>, parts: &Parts, request_body: Bytes, reply: &Reply) {
    let (seen, query, graphql) = read_request(parts, &request_body);
    let shared = Arc::clone(shared);
    let (status, headers, body) = (
        reply.status.as_u16(),
        reply.headers.clone(),
        reply.body.clone(),
    );
    let joined = tokio::task::spawn_blocking(move || {
        let urls = shared.upstreams.bases();
        let scrub = Scrubber {
            upstream_urls: &urls,
            caller_token: seen.token.as_deref(),
        };
        let matcher = exchange::request_matcher(&seen, &query, graphql, &scrub);
        let Some(response) = exchange::recorded_response(status, &headers, &body, &scrub) else {
            warn!(request = %seen.describe(), "record: binary answer not recorded");
            return;
        };
        let mut file = shared.lock();
        match file.record(matcher, response) {
            Ok(id) => match file.write() {
                Ok(()) => info!(request = %seen.describe(), status, id = %id, "recorded"),
                Err(err) => error!(file = %file.path().display(), error = %err, "record: cannot write the scenario file"),
            },
            Err(why) => warn!(request = %seen.describe(), reason = %why, "record: not recorded"),
        }
    })
    .await;
    if let Err(err) = joined {
        error!(error = %err, "record: recording task failed");
    }
}

/// The upstream's answer for the client: as it came, minus connection headers, with an
/// upstream origin in `Location` pointing back at the proxy.
fn live_answer(shared: &Shared, reply: Reply) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(reply.body));
    *response.status_mut() = reply.status;
    let headers = response.headers_mut();
    for (name, value) in forward::forwardable(&reply.headers) {
        headers.append(name.clone(), value.clone());
    }
    let location = headers.get(LOCATION).and_then(|v| v.to_str().ok());
    let rewritten = location.and_then(|location| {
        [Side::Catalog, Side::Registry]
            .into_iter()
            .find_map(|side| {
                let rest = location.strip_prefix(shared.upstreams.base(side))?;
                let same_origin = rest.is_empty() || rest.starts_with(['/', '?', '#']);
                same_origin.then(|| format!("{}{rest}", shared.url))
            })
    });
    if let Some(value) = rewritten.and_then(|v| HeaderValue::from_str(&v).ok()) {
        headers.insert(LOCATION, value);
    }
    response
}

/// The proxy's own error answer, shaped like a GraphQL error and a registry error at once.
fn refusal(status: StatusCode, message: &str) -> Response<Full<Bytes>> {
    let message = format!("quilt-mcp record: {message}");
    let body = json!({ "message": message, "errors": [{ "message": message }] });
    let mut response = Response::new(Full::new(Bytes::from(body.to_string())));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}
