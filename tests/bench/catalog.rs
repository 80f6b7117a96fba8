//! The catalog the measured server talks to, kept off the measured path.
//!
//! The embedded catalog computes each answer from its model: it parses and validates the GraphQL
//! document, resolves every field and checks the caller's role. That is real work, and on a
//! small machine it would share the CPU with the server under test, so a bench figure would
//! partly measure the mock. This front asks the model once per distinct request (method,
//! target, caller, body), keeps the answer, and replays it from memory afterwards, after the
//! latency the row asks for. The model's own cost per request is measured on its own
//! ([`model_cost`]), as a separate process.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, Request, Response, StatusCode, header};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

use crate::client;

/// A kept answer.
struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

/// What the front shares between its connections.
#[derive(Default)]
struct Front {
    model: Option<SocketAddr>,
    kept: Mutex<HashMap<Vec<u8>, Arc<Answer>>>,
    latency_ms: AtomicU64,
    from_memory: AtomicU64,
    from_model: AtomicU64,
}

/// The memoizing front: its address, the latency knob and the counts.
pub struct MemoCatalog {
    pub addr: SocketAddr,
    front: Arc<Front>,
}

impl MemoCatalog {
    /// Listens on a free loopback port (on the caller's runtime) in front of `model`.
    pub async fn start(model: SocketAddr) -> Result<MemoCatalog, String> {
        let listener = TcpListener::bind(("127.0.0.1", 0))
            .await
            .map_err(|e| format!("cannot bind the bench catalog: {e}"))?;
        let addr = listener.local_addr().map_err(|e| e.to_string())?;
        let front = Arc::new(Front {
            model: Some(model),
            ..Front::default()
        });
        let shared = Arc::clone(&front);
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let front = Arc::clone(&shared);
                let service = service_fn(move |request| answer(Arc::clone(&front), request));
                tokio::spawn(async move {
                    let io = TokioIo::new(stream);
                    // A connection error only ends that connection (the server closed it).
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(io, service)
                        .await;
                });
            }
        });
        Ok(MemoCatalog { addr, front })
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every answer waits this long from now on.
    pub fn set_latency(&self, latency: Duration) {
        let millis = u64::try_from(latency.as_millis()).unwrap_or(u64::MAX);
        self.front.latency_ms.store(millis, Ordering::Relaxed);
    }

    /// Answers given from memory and answers the model computed, so far.
    pub fn counts(&self) -> (u64, u64) {
        (
            self.front.from_memory.load(Ordering::Relaxed),
            self.front.from_model.load(Ordering::Relaxed),
        )
    }
}

/// The memo key: everything the model's answer may depend on.
fn key(method: &http::Method, uri: &http::Uri, headers: &HeaderMap, body: &[u8]) -> Vec<u8> {
    let caller = headers
        .get(header::AUTHORIZATION)
        .map(|v| v.as_bytes())
        .unwrap_or_default();
    let mut key = format!("{method} {uri} ").into_bytes();
    key.extend_from_slice(caller);
    key.push(b'\n');
    key.extend_from_slice(body);
    key
}

async fn answer(
    front: Arc<Front>,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, String> {
    let (parts, body) = request.into_parts();
    let body = body
        .collect()
        .await
        .map_err(|e| format!("cannot read the request: {e}"))?
        .to_bytes();
    let key = key(&parts.method, &parts.uri, &parts.headers, &body);
    let kept = front
        .kept
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(&key)
        .cloned();
    let answer = match kept {
        Some(answer) => {
            front.from_memory.fetch_add(1, Ordering::Relaxed);
            answer
        }
        None => {
            let model = front.model.ok_or("no model behind the bench catalog")?;
            let answer = Arc::new(forward(model, parts, body).await?);
            front.from_model.fetch_add(1, Ordering::Relaxed);
            let mut kept = front.kept.lock().unwrap_or_else(|e| e.into_inner());
            kept.insert(key, Arc::clone(&answer));
            answer
        }
    };
    let latency = front.latency_ms.load(Ordering::Relaxed);
    if latency > 0 {
        tokio::time::sleep(Duration::from_millis(latency)).await;
    }
    let mut response = Response::new(Full::new(answer.body.clone()));
    *response.status_mut() = answer.status;
    *response.headers_mut() = answer.headers.clone();
    Ok(response)
}

/// Asks the model, on a connection of its own.
async fn forward(
    model: SocketAddr,
    parts: http::request::Parts,
    body: Bytes,
) -> Result<Answer, String> {
    let mut sender = client::connect(model).await?;
    let mut request = Request::from_parts(parts, Full::new(body));
    let host = http::HeaderValue::from_str(&model.to_string()).map_err(|e| e.to_string())?;
    request.headers_mut().insert(header::HOST, host);
    let response = sender
        .send_request(request)
        .await
        .map_err(|e| format!("the model did not answer: {e}"))?;
    let (parts, body) = response.into_parts();
    let body = body
        .collect()
        .await
        .map_err(|e| format!("the model's answer broke off: {e}"))?
        .to_bytes();
    let mut headers = parts.headers;
    // The replay sets its own framing.
    for name in [
        header::CONTENT_LENGTH,
        header::TRANSFER_ENCODING,
        header::CONNECTION,
    ] {
        headers.remove(name);
    }
    Ok(Answer {
        status: parts.status,
        headers,
        body,
    })
}

/// What one kind of request costs the model.
pub struct Cost {
    pub what: &'static str,
    pub summary: client::Summary,
    pub cpu: Duration,
}

impl Cost {
    /// The model's CPU time per answered request.
    pub fn cpu_per_request(&self) -> Duration {
        let count = u32::try_from(self.summary.latencies.len().max(1)).unwrap_or(u32::MAX);
        self.cpu / count
    }
}

/// The embedded catalog as a process of its own (`quilt-mcp mock-catalog`), killed on drop.
struct ModelProcess {
    child: std::process::Child,
    addr: SocketAddr,
}

impl ModelProcess {
    fn start() -> Result<ModelProcess, String> {
        use std::io::BufRead;
        let mut child = std::process::Command::new(crate::server::BINARY)
            .args(["mock-catalog", "--port", "0"])
            .env_clear()
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start mock-catalog: {e}"))?;
        let stdout = child.stdout.take().ok_or("mock-catalog has no stdout")?;
        let mut lines = std::io::BufReader::new(stdout).lines();
        // The first line names the address; nothing else is printed at the default log level.
        let line = lines
            .next()
            .and_then(Result::ok)
            .ok_or("mock-catalog printed nothing")?;
        let addr = line
            .split_whitespace()
            .find_map(|word| word.strip_prefix("http://"))
            .and_then(|addr| addr.parse().ok())
            .ok_or_else(|| format!("no address in {line:?}"))?;
        std::thread::spawn(move || lines.for_each(drop));
        Ok(ModelProcess { child, addr })
    }
}

impl Drop for ModelProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The requests whose cost is reported: what the bench's tool call sends, and three heavier
/// ones the tools send (a folder of the 306-entry package, a search, an S3 listing).
fn cost_requests(token: &str) -> Result<Vec<(&'static str, client::Template)>, String> {
    use quilt_mcp::catalog::queries::{LIST_BUCKETS, PACKAGE_DIR};
    let bearer =
        http::HeaderValue::from_str(&format!("Bearer {token}")).map_err(|e| e.to_string())?;
    let json = http::HeaderValue::from_static("application/json");
    let graphql = |text: &str, variables: serde_json::Value| client::Template {
        method: http::Method::POST,
        uri: http::Uri::from_static("/graphql"),
        headers: vec![
            (header::AUTHORIZATION, bearer.clone()),
            (header::CONTENT_TYPE, json.clone()),
        ],
        body: Bytes::from(serde_json::json!({ "query": text, "variables": variables }).to_string()),
        expect: Some("\"data\""),
    };
    let get = |uri: &'static str, authorization: http::HeaderValue, expect| client::Template {
        method: http::Method::GET,
        uri: http::Uri::from_static(uri),
        headers: vec![(header::AUTHORIZATION, authorization)],
        body: Bytes::new(),
        expect: Some(expect),
    };
    let browse = serde_json::json!({
        "bucket": "example-data", "name": "team/imaging-atlas", "hashOrTag": "latest", "path": ""
    });
    // {"query":{"query_string":{"query":"rnaseq"}},"size":10}, percent-encoded.
    let search = "/api/search?index=example-data%2Cexample-data_packages&action=freeform&body=\
        %7B%22query%22%3A%7B%22query_string%22%3A%7B%22query%22%3A%22rnaseq%22%7D%7D%2C%22size%22%3A10%7D";
    let signed = http::HeaderValue::from_static(
        "AWS4-HMAC-SHA256 Credential=ASIAALICEEXAMPLE0001/20261201/us-east-1/s3/aws4_request, \
         SignedHeaders=host, Signature=0",
    );
    Ok(vec![
        (
            "GraphQL ListBuckets (the bench's tool call)",
            graphql(LIST_BUCKETS.text, serde_json::Value::Null),
        ),
        (
            "GraphQL PackageDir, root of the 306-entry package",
            graphql(PACKAGE_DIR.text, browse),
        ),
        (
            "GET /api/search, query rnaseq, size 10",
            get(search, bearer.clone(), "\"hits\""),
        ),
        (
            "S3 ListObjectsV2, example-data, 1000 keys max",
            get("/example-data?list-type=2", signed, "<ListBucketResult"),
        ),
    ])
}

/// Runs each cost request on `connections` connections for `duration` against a fresh
/// `mock-catalog` process and reads that process's CPU time around each run.
pub fn model_cost(
    driver: &tokio::runtime::Runtime,
    token: &str,
    connections: usize,
    duration: Duration,
) -> Result<Vec<Cost>, String> {
    let model = ModelProcess::start()?;
    let pid = model.child.id();
    let mut costs = Vec::new();
    for (what, template) in cost_requests(token)? {
        eprintln!("bench: the embedded catalog's cost: {what}");
        let plan = client::Plan {
            addr: model.addr,
            connections,
            duration,
            budget: None,
        };
        let before = crate::server::ProcSample::of(pid).cpu;
        let summary = driver.block_on(client::run(&plan, &template))?;
        let cpu = crate::server::ProcSample::of(pid)
            .cpu
            .saturating_sub(before);
        if summary.good == 0 {
            return Err(format!(
                "the embedded catalog answered no {what} request well: {:?}",
                summary.first_problem
            ));
        }
        costs.push(Cost { what, summary, cpu });
    }
    Ok(costs)
}
