//! Accepting connections and shutting down: HTTP/1.1 and h2c on one listener, each connection
//! served by the stack from `routes`.
//!
//! Connections are bounded: at most `MCP_MAX_CONNECTIONS` are open at once (kept below the
//! process's open-file limit, which `raise_open_files_limit` lifts at start where it can), and
//! one that sends no byte within `MCP_HEADER_READ_TIMEOUT` is closed, so silent connections
//! cannot pile up until `accept` fails and `/health` with it.
//!
//! Shutdown (see `layers::drain`): stop accepting; let busy connections close after their next
//! answer (`Connection: close`); after a short settle close the idle ones; near the end of the
//! grace period answer whatever still waits with 503; return by the grace period.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio::time::Instant;

use tower::ServiceExt;

use crate::identity::ClientAddr;
use crate::layers::drain::{Drain, Phase};
use crate::routes;
use crate::state::AppState;

/// Descriptors kept free of client connections: catalog and AWS connections, files, the
/// listener itself.
const RESERVED_DESCRIPTORS: u64 = 256;
/// The least the connection cap is, whatever the limits say.
const MIN_CONNECTIONS: usize = 16;

/// Serves `listener` until `shutdown` completes, then drains for at most `grace`.
pub async fn serve(
    listener: TcpListener,
    state: Arc<AppState>,
    shutdown: impl Future<Output = ()>,
    grace: Duration,
) {
    let first_byte = state.config.header_read_timeout;
    let max_connections = connection_cap(state.config.max_connections, open_files_limit());
    let drain = Drain::default();
    let app = routes::app(state, drain.layer());
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(first_byte)
        .keep_alive(true);
    builder
        .http2()
        .timer(TokioTimer::new())
        .keep_alive_interval(Duration::from_secs(30));
    let graceful = GracefulShutdown::new();
    let slots = Arc::new(Semaphore::new(max_connections));
    tokio::pin!(shutdown);
    loop {
        // Wait for a free slot before accepting: past the cap, new clients wait in the
        // listen backlog instead of costing a descriptor.
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => slot,
            () = &mut shutdown => break,
        };
        let Ok(slot) = slot else { break };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    // Out of file descriptors and the like: wait a moment rather than spin.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        // Each request learns its connection's address (API-key lookups are limited by it).
        let client = ClientAddr(peer.ip());
        let service = TowerToHyperService::new(app.clone().map_request(
            move |mut req: http::Request<hyper::body::Incoming>| {
                req.extensions_mut().insert(client);
                req
            },
        ));
        let builder = builder.clone();
        let watcher = graceful.watcher();
        tokio::spawn(async move {
            let _slot = slot;
            if !first_byte_within(&stream, first_byte).await {
                return;
            }
            let connection = builder
                .serve_connection_with_upgrades(TokioIo::new(stream), service)
                .into_owned();
            // Client resets and timeouts end here; they are the client's business.
            let _ = watcher.watch(connection).await;
        });
    }
    drop(listener);
    tracing::info!(
        grace_s = grace.as_secs(),
        "shutting down: no new connections, finishing requests in flight"
    );
    drain_connections(&drain, graceful, &slots, max_connections, grace).await;
}

/// Whether the client sends its first byte within `limit` (and has not closed).
async fn first_byte_within(stream: &TcpStream, limit: Duration) -> bool {
    let mut byte = [0u8; 1];
    matches!(
        tokio::time::timeout(limit, stream.peek(&mut byte)).await,
        Ok(Ok(n)) if n > 0
    )
}

/// The shutdown sequence, bounded by `grace` in all.
async fn drain_connections(
    drain: &Drain,
    graceful: GracefulShutdown,
    slots: &Semaphore,
    max_connections: usize,
    grace: Duration,
) {
    let end = Instant::now() + grace;
    // Near the end, what still waits is answered, and the answers get a moment to be written.
    let answer_at = end - (grace / 4).min(Duration::from_millis(500));
    // Busy keep-alive connections close after their next answer; idle ones get a moment to
    // send what they may just have sent before they are closed.
    drain.enter(Phase::Draining);
    let settle = (grace / 4).min(Duration::from_secs(2));
    let all_closed = slots.acquire_many(u32::try_from(max_connections).unwrap_or(u32::MAX));
    tokio::pin!(all_closed);
    tokio::select! {
        _ = &mut all_closed => {
            tracing::info!("all connections closed");
            return;
        }
        () = tokio::time::sleep(settle) => {}
    }
    let closing = graceful.shutdown();
    tokio::pin!(closing);
    tokio::select! {
        () = &mut closing => {
            tracing::info!("all connections closed");
            return;
        }
        () = tokio::time::sleep_until(answer_at) => {}
    }
    drain.enter(Phase::Over);
    tokio::select! {
        () = closing => tracing::info!("all connections closed"),
        () = tokio::time::sleep_until(end) => tracing::warn!("grace period over; closing the remaining connections"),
    }
}

/// The connection cap: the configured one, kept below the open-file limit.
fn connection_cap(configured: usize, open_files: Option<u64>) -> usize {
    let room = open_files.map_or(usize::MAX, |limit| {
        usize::try_from(limit.saturating_sub(RESERVED_DESCRIPTORS)).unwrap_or(usize::MAX)
    });
    configured.min(room).max(MIN_CONNECTIONS)
}

/// The process's soft limit on open files, if it can be read.
#[cfg(unix)]
fn open_files_limit() -> Option<u64> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes one rlimit through a valid pointer to a local.
    let read = unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) };
    (read == 0).then_some(limit.rlim_cur)
}

#[cfg(not(unix))]
fn open_files_limit() -> Option<u64> {
    None
}

/// Lifts the soft open-file limit to the hard one (containers often start at 1,024 with a hard
/// limit far above), and returns the soft limit now in force.
#[cfg(unix)]
pub fn raise_open_files_limit() -> Option<u64> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit and setrlimit read and write one rlimit through a valid pointer.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
            return None;
        }
        if limit.rlim_cur < limit.rlim_max {
            let raised = libc::rlimit {
                rlim_cur: limit.rlim_max,
                rlim_max: limit.rlim_max,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
                limit = raised;
            }
        }
    }
    Some(limit.rlim_cur)
}

#[cfg(not(unix))]
pub fn raise_open_files_limit() -> Option<u64> {
    None
}

/// The Prometheus listener (`MCP_METRICS_PORT`), stopped when dropped.
#[derive(Debug)]
pub struct MetricsListener {
    pub addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for MetricsListener {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Binds the metrics listener when `MCP_METRICS_PORT` is set, and serves it in the background.
pub async fn start_metrics(state: &AppState) -> Result<Option<MetricsListener>, String> {
    let Some(bind) = state.config.metrics_bind else {
        return Ok(None);
    };
    let listener = TcpListener::bind(bind)
        .await
        .map_err(|e| format!("cannot listen for metrics on {bind}: {e}"))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let task = tokio::spawn(crate::metrics::listener::serve(
        listener,
        state.metrics.clone(),
    ));
    Ok(Some(MetricsListener { addr, task }))
}

/// A server started in the background (tests, `demo`).
pub struct RunningServer {
    pub addr: SocketAddr,
    /// Where `GET /metrics` answers, when `MCP_METRICS_PORT` is set.
    pub metrics: Option<MetricsListener>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

impl RunningServer {
    /// Binds `addr` and serves in a background task.
    pub async fn start(addr: SocketAddr, state: Arc<AppState>) -> std::io::Result<RunningServer> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let metrics = start_metrics(&state).await.map_err(std::io::Error::other)?;
        let grace = state.config.shutdown_grace;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(serve(
            listener,
            state,
            async move {
                let _ = stopped.await;
            },
            grace,
        ));
        Ok(RunningServer {
            addr,
            metrics,
            stop: Some(stop),
            task,
        })
    }

    /// Stops accepting and waits for in-flight requests (up to the grace period).
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = (&mut self.task).await;
    }
}

/// Completes on SIGTERM (ECS stopping the task) or SIGINT (Ctrl-C).
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => tracing::info!("received SIGINT"),
        () = terminate => tracing::info!("received SIGTERM"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_connection_cap_stays_below_the_open_file_limit() {
        assert_eq!(connection_cap(10_000, Some(1_024)), 768);
        assert_eq!(connection_cap(10_000, Some(1_048_576)), 10_000);
        assert_eq!(connection_cap(10_000, None), 10_000);
        assert_eq!(connection_cap(10_000, Some(100)), MIN_CONNECTIONS);
        assert_eq!(connection_cap(1, Some(1_024)), MIN_CONNECTIONS);
    }
}
