//! Telemetry: a tracing span per request carrying its id (so every log line of the request has
//! it), and one structured event when the request ends: route, MCP method, tool, status,
//! duration and user id. Never the token: no header is logged.
//!
//! It also counts every answer in the metrics registry (route and status class, requests in
//! flight, and the refusals the inner layers mark in the response: [`AuthRefused`],
//! [`RateLimited`]), so the refusing layers need not know the registry.

use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use http::Request;
use tower::{Layer, Service};
use tracing::Instrument;

use crate::config::TelemetryLevel;
use crate::http::{BoxFuture, HttpResponse};
use crate::identity::RequestId;
use crate::metrics::{Metrics, Route};

/// What the MCP endpoint learned about a request, left in the response's extensions for us.
#[derive(Clone, Debug, Default)]
pub struct McpCallInfo {
    pub method: String,
    pub tool: Option<String>,
}

/// The verified caller's user id, left in the response's extensions by the auth layer.
#[derive(Clone, Copy, Debug)]
pub struct UserId(pub i64);

/// Left in a 401's extensions by the auth layer: why the token was refused.
#[derive(Clone, Copy, Debug)]
pub struct AuthRefused(pub &'static str);

/// Left in a 429's extensions by the rate-limit layer.
#[derive(Clone, Copy, Debug)]
pub struct RateLimited;

/// Wraps each request in a span and logs its outcome.
#[derive(Clone, Debug)]
pub struct TelemetryLayer {
    /// False: the span stays (log lines keep their request id) but no per-request event is
    /// written. Counting is always on (a few atomic adds); what is emitted is decided elsewhere.
    pub enabled: bool,
    pub level: TelemetryLevel,
    pub metrics: Arc<Metrics>,
}

impl<S> Layer<S> for TelemetryLayer {
    type Service = TelemetryService<S>;
    fn layer(&self, inner: S) -> Self::Service {
        TelemetryService {
            inner,
            config: self.clone(),
        }
    }
}

/// The service made by [`TelemetryLayer`].
#[derive(Clone, Debug)]
pub struct TelemetryService<S> {
    inner: S,
    config: TelemetryLayer,
}

impl<S, B> Service<Request<B>> for TelemetryService<S>
where
    S: Service<Request<B>, Response = HttpResponse>,
    S::Future: Send + 'static,
{
    type Response = HttpResponse;
    type Error = S::Error;
    type Future = BoxFuture<'static, Result<HttpResponse, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        let request_id = req
            .extensions()
            .get::<RequestId>()
            .map(|id| id.0.clone())
            .unwrap_or_default();
        let route = req.uri().path().to_string();
        let method = req.method().clone();
        let request_bytes = req
            .headers()
            .get(http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        let span = tracing::info_span!("request", request_id = %request_id);
        let started = Instant::now();
        let config = self.config.clone();
        let inner = {
            let _entered = span.enter();
            self.inner.call(req)
        };
        Box::pin(
            async move {
                // Dropped when the answer is ready or the request is cancelled.
                let in_flight = config.metrics.request_started();
                let response = inner.await?;
                drop(in_flight);
                count(&config.metrics, &route, &response);
                if config.enabled {
                    log_outcome(
                        config.level,
                        &method,
                        &route,
                        &response,
                        started,
                        request_bytes,
                    );
                }
                Ok(response)
            }
            .instrument(span),
        )
    }
}

/// Counts the answer, and the refusal it carries if any.
fn count(metrics: &Metrics, path: &str, response: &HttpResponse) {
    metrics.request(Route::of(path), response.status().as_u16());
    if let Some(AuthRefused(reason)) = response.extensions().get::<AuthRefused>() {
        metrics.auth_failure(reason);
    }
    if response.extensions().get::<RateLimited>().is_some() {
        metrics.rate_limited();
    }
}

fn log_outcome(
    level: TelemetryLevel,
    method: &http::Method,
    route: &str,
    response: &HttpResponse,
    started: Instant,
    request_bytes: Option<u64>,
) {
    let status = response.status().as_u16();
    let duration_ms = started.elapsed().as_secs_f64() * 1000.0;
    if level == TelemetryLevel::Minimal {
        tracing::info!(http_method = %method, route, status, duration_ms, "request");
        return;
    }
    let call = response.extensions().get::<McpCallInfo>();
    let mcp_method = call.map(|c| c.method.as_str());
    let tool = call.and_then(|c| c.tool.as_deref());
    let user_id = response.extensions().get::<UserId>().map(|u| u.0);
    if level == TelemetryLevel::Detailed {
        let response_bytes = hyper::body::Body::size_hint(response.body()).exact();
        tracing::info!(
            http_method = %method, route, mcp_method, tool, status, duration_ms, user_id,
            request_bytes, response_bytes, "request"
        );
    } else {
        tracing::info!(http_method = %method, route, mcp_method, tool, status, duration_ms, user_id, "request");
    }
}
