//! Shutting down without losing a request. On SIGTERM the server stops accepting and enters
//! [`Phase::Draining`]: every HTTP/1.1 answer from then on carries `Connection: close`, so a busy
//! keep-alive connection closes right after the answer to the request it had already sent,
//! instead of being cut while that request is in flight. When the grace period is nearly over
//! ([`Phase::Over`]), requests still waiting (on a slow catalog, say) are answered 503 at once,
//! so the process can exit by `MCP_SHUTDOWN_GRACE` with every request answered.

use std::task::{Context, Poll};

use http::{HeaderValue, Request, StatusCode, Version, header};
use tokio::sync::watch;
use tower::{Layer, Service};

use crate::http::{BoxFuture, HttpResponse, error_response};

/// Where the server is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    Serving,
    /// No new connections; open ones close after their next answer.
    Draining,
    /// The grace period is ending: what still waits is answered 503 now.
    Over,
}

/// The server's phase, set by `server` and read by the layer on every request.
#[derive(Debug)]
pub struct Drain {
    phase: watch::Sender<Phase>,
}

impl Default for Drain {
    fn default() -> Self {
        Drain {
            phase: watch::Sender::new(Phase::Serving),
        }
    }
}

impl Drain {
    /// Moves to `phase` (never back).
    pub fn enter(&self, phase: Phase) {
        self.phase.send_replace(phase);
    }

    /// The layer that applies the phase to requests.
    pub fn layer(&self) -> DrainLayer {
        DrainLayer {
            phase: self.phase.subscribe(),
        }
    }
}

/// Adds `Connection: close` while draining and answers waiting requests when it is over.
#[derive(Clone, Debug)]
pub struct DrainLayer {
    phase: watch::Receiver<Phase>,
}

impl<S> Layer<S> for DrainLayer {
    type Service = DrainService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        DrainService {
            inner,
            phase: self.phase.clone(),
        }
    }
}

/// See [`DrainLayer`].
#[derive(Clone, Debug)]
pub struct DrainService<S> {
    inner: S,
    phase: watch::Receiver<Phase>,
}

impl<S, B> Service<Request<B>> for DrainService<S>
where
    S: Service<Request<B>, Response = HttpResponse> + Send,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
{
    type Response = HttpResponse;
    type Error = S::Error;
    type Future = BoxFuture<'static, Result<HttpResponse, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        let http1 = req.version() <= Version::HTTP_11;
        let mut phase = self.phase.clone();
        let answer = self.inner.call(req);
        Box::pin(async move {
            let mut response = tokio::select! {
                answer = answer => answer?,
                () = over(&mut phase) => shutting_down(),
            };
            // HTTP/2 has GOAWAY for this, which the connection's graceful shutdown sends.
            if http1 && *phase.borrow() != Phase::Serving {
                response
                    .headers_mut()
                    .insert(header::CONNECTION, HeaderValue::from_static("close"));
            }
            Ok(response)
        })
    }
}

/// Completes when the phase is [`Phase::Over`]; never, if the server is gone without it.
async fn over(phase: &mut watch::Receiver<Phase>) {
    if phase.wait_for(|p| *p == Phase::Over).await.is_err() {
        std::future::pending::<()>().await;
    }
}

/// The answer to a request the server could not finish before its grace period ended.
fn shutting_down() -> HttpResponse {
    let mut response = error_response(
        StatusCode::SERVICE_UNAVAILABLE,
        "the server is shutting down and could not finish this request in time; retry it (another task answers)",
    );
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    response
}
