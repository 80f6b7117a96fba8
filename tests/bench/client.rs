//! The load generator: N keep-alive HTTP/1.1 connections, each sending one request after
//! another until a deadline (or a shared request budget) is reached, timing every request.
//!
//! Each connection is hyper's low-level client (`hyper::client::conn::http1`) over one
//! `TcpStream`: no pool, no retries, so a connection is exactly one load-generating loop.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{HeaderName, HeaderValue, Method, Request};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tokio::task::JoinSet;

/// One request, sent again and again.
#[derive(Clone, Debug)]
pub struct Template {
    pub method: Method,
    pub uri: http::Uri,
    pub headers: Vec<(HeaderName, HeaderValue)>,
    pub body: Bytes,
    /// A response counts as good only when its status is 200 and its body contains this.
    pub expect: Option<&'static str>,
}

impl Template {
    fn build(&self, host: &HeaderValue) -> Request<Full<Bytes>> {
        let mut request = Request::new(Full::new(self.body.clone()));
        *request.method_mut() = self.method.clone();
        *request.uri_mut() = self.uri.clone();
        let headers = request.headers_mut();
        headers.insert(http::header::HOST, host.clone());
        for (name, value) in &self.headers {
            headers.insert(name.clone(), value.clone());
        }
        request
    }
}

/// What to run: where, how many connections, for how long, and optionally how many requests.
#[derive(Clone, Debug)]
pub struct Plan {
    pub addr: SocketAddr,
    pub connections: usize,
    pub duration: Duration,
    /// Stop after this many requests in all (the duration still bounds the run).
    pub budget: Option<u64>,
}

/// The outcome of one run: every latency (sorted), the good and bad answers, the wall time.
#[derive(Debug, Default)]
pub struct Summary {
    /// Latencies of all answered requests in nanoseconds, ascending.
    pub latencies: Vec<u64>,
    /// Answers with status 200 and the expected text.
    pub good: u64,
    /// Other answers and failed exchanges.
    pub bad: u64,
    /// The first bad answer or error, to show what went wrong.
    pub first_problem: Option<String>,
    /// From the first request to the last answer.
    pub elapsed: Duration,
}

impl Summary {
    /// Answered requests per second (good and bad).
    pub fn per_second(&self) -> f64 {
        let secs = self.elapsed.as_secs_f64();
        if secs > 0.0 {
            self.latencies.len() as f64 / secs
        } else {
            0.0
        }
    }

    /// The latency at quantile `q` (0.0..=1.0), nearest rank.
    pub fn quantile(&self, q: f64) -> Duration {
        if self.latencies.is_empty() {
            return Duration::ZERO;
        }
        let rank = (q * self.latencies.len() as f64).ceil() as usize;
        let index = rank.clamp(1, self.latencies.len()) - 1;
        Duration::from_nanos(self.latencies.get(index).copied().unwrap_or_default())
    }

    /// The slowest request.
    pub fn max(&self) -> Duration {
        Duration::from_nanos(self.latencies.last().copied().unwrap_or_default())
    }

    fn merge(&mut self, other: Summary) {
        self.latencies.extend(other.latencies);
        self.good += other.good;
        self.bad += other.bad;
        if self.first_problem.is_none() {
            self.first_problem = other.first_problem;
        }
    }
}

/// Runs `template` against `plan.addr` and returns every latency.
pub async fn run(plan: &Plan, template: &Template) -> Result<Summary, String> {
    let host = HeaderValue::from_str(&plan.addr.to_string()).map_err(|e| e.to_string())?;
    // Connect everything first, so the timed part is requests only.
    let mut senders = Vec::with_capacity(plan.connections);
    for _ in 0..plan.connections {
        senders.push(connect(plan.addr).await?);
    }
    let template = Arc::new(template.clone());
    let sent = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let deadline = started + plan.duration;
    let mut tasks = JoinSet::new();
    for sender in senders {
        let (template, host, sent) = (template.clone(), host.clone(), sent.clone());
        let budget = plan.budget;
        tasks.spawn(async move { drive(sender, &template, &host, deadline, budget, &sent).await });
    }
    let mut summary = Summary::default();
    while let Some(joined) = tasks.join_next().await {
        summary.merge(joined.map_err(|e| format!("a load task failed: {e}"))?);
    }
    summary.elapsed = started.elapsed();
    summary.latencies.sort_unstable();
    Ok(summary)
}

pub type Sender = hyper::client::conn::http1::SendRequest<Full<Bytes>>;

pub async fn connect(addr: SocketAddr) -> Result<Sender, String> {
    let stream = TcpStream::connect(addr)
        .await
        .map_err(|e| format!("cannot connect to {addr}: {e}"))?;
    stream.set_nodelay(true).map_err(|e| e.to_string())?;
    let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| format!("HTTP handshake with {addr} failed: {e}"))?;
    // The connection future does the socket I/O; it ends when the sender is dropped.
    tokio::spawn(connection);
    Ok(sender)
}

/// One connection's loop: send, read the whole answer, time it, repeat.
async fn drive(
    mut sender: Sender,
    template: &Template,
    host: &HeaderValue,
    deadline: Instant,
    budget: Option<u64>,
    sent: &AtomicU64,
) -> Summary {
    let mut summary = Summary::default();
    while Instant::now() < deadline {
        if budget.is_some_and(|b| sent.fetch_add(1, Ordering::Relaxed) >= b) {
            break;
        }
        let request = template.build(host);
        let started = Instant::now();
        let outcome = exchange(&mut sender, request).await;
        let latency = started.elapsed();
        let problem = match outcome {
            Ok((200, body)) if template.expect.is_none_or(|text| contains(&body, text)) => None,
            Ok((status, body)) => Some(format!(
                "status {status}: {}",
                String::from_utf8_lossy(&body[..body.len().min(300)])
            )),
            Err(e) => {
                // The connection is unusable after a transport error; stop this loop.
                summary.bad += 1;
                summary.first_problem.get_or_insert(e);
                break;
            }
        };
        summary.latencies.push(latency.as_nanos() as u64);
        match problem {
            None => summary.good += 1,
            Some(problem) => {
                summary.bad += 1;
                summary.first_problem.get_or_insert(problem);
            }
        }
    }
    summary
}

async fn exchange(
    sender: &mut Sender,
    request: Request<Full<Bytes>>,
) -> Result<(u16, Bytes), String> {
    sender.ready().await.map_err(|e| e.to_string())?;
    let response = sender
        .send_request(request)
        .await
        .map_err(|e| e.to_string())?;
    let status = response.status().as_u16();
    let body = response
        .into_body()
        .collect()
        .await
        .map_err(|e| e.to_string())?
        .to_bytes();
    Ok((status, body))
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle.as_bytes())
}

/// Sends one request on a fresh connection and returns the status and body.
pub async fn once(addr: SocketAddr, template: &Template) -> Result<(u16, Bytes), String> {
    let host = HeaderValue::from_str(&addr.to_string()).map_err(|e| e.to_string())?;
    let mut sender = connect(addr).await?;
    exchange(&mut sender, template.build(&host)).await
}

/// One request per connection, all sent at once (connections are opened first): the summary,
/// and the ascending latencies of good answers and of answers containing `other`.
pub async fn run_recording(
    plan: &Plan,
    template: &Template,
    other: &'static str,
) -> Result<(Summary, Vec<u64>, Vec<u64>), String> {
    let host = HeaderValue::from_str(&plan.addr.to_string()).map_err(|e| e.to_string())?;
    let mut senders = Vec::with_capacity(plan.connections);
    for _ in 0..plan.connections {
        senders.push(connect(plan.addr).await?);
    }
    let started = Instant::now();
    let mut tasks = JoinSet::new();
    for mut sender in senders {
        let request = template.build(&host);
        tasks.spawn(async move {
            let sent = Instant::now();
            let outcome = exchange(&mut sender, request).await;
            (sent.elapsed().as_nanos() as u64, outcome)
        });
    }
    let (mut summary, mut good, mut marked) = (Summary::default(), Vec::new(), Vec::new());
    while let Some(joined) = tasks.join_next().await {
        let (latency, outcome) = joined.map_err(|e| format!("a burst task failed: {e}"))?;
        summary.latencies.push(latency);
        match outcome {
            Ok((200, body)) if template.expect.is_none_or(|text| contains(&body, text)) => {
                summary.good += 1;
                good.push(latency);
            }
            Ok((status, body)) => {
                summary.bad += 1;
                if contains(&body, other) {
                    marked.push(latency);
                } else {
                    let text = String::from_utf8_lossy(&body[..body.len().min(300)]).to_string();
                    summary
                        .first_problem
                        .get_or_insert(format!("status {status}: {text}"));
                }
            }
            Err(e) => {
                summary.bad += 1;
                summary.first_problem.get_or_insert(e);
            }
        }
    }
    summary.elapsed = started.elapsed();
    summary.latencies.sort_unstable();
    good.sort_unstable();
    marked.sort_unstable();
    Ok((summary, good, marked))
}
