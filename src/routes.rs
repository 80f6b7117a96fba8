//! The router and the stack: which path goes where, and the order of the layers.
//!
//! Outermost first: request-id (so every later log line has the id), telemetry (sees every
//! answer, refusals included), drain (shutdown without lost requests), limits (body size,
//! request time). Then the router: health and
//! protected-resource metadata answer without authentication; `/mcp` goes through origin
//! checks, auth and the per-user rate limit to the MCP service.

use std::convert::Infallible;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::{HeaderValue, Method, Request, StatusCode, header};
use hyper::body::Incoming;
use serde_json::json;
use tower::util::BoxCloneService;
use tower::{Service, ServiceBuilder, ServiceExt};

use crate::http::{BoxFuture, HttpResponse, error_response, json_response};
use crate::layers::api_key::ApiKeyGate;
use crate::layers::auth::{AuthLayer, public_base};
use crate::layers::drain::DrainLayer;
use crate::layers::limits::LimitsLayer;
use crate::layers::origin::{OriginLayer, OriginPolicy};
use crate::layers::rate_limit::{RateLimitLayer, RateLimiter};
use crate::layers::request_id::RequestIdLayer;
use crate::layers::telemetry::TelemetryLayer;
use crate::mcp::methods::SERVER_NAME;
use crate::mcp::transport::McpService;
use crate::state::AppState;

/// The whole application as one cloneable service, as hyper serves it.
pub type App = BoxCloneService<Request<Incoming>, HttpResponse, Infallible>;

/// Builds the stack for `state`; `drain` applies the server's shutdown phase to requests.
pub fn app(state: Arc<AppState>, drain: DrainLayer) -> App {
    let config = &state.config;
    let mcp = ServiceBuilder::new()
        .layer(OriginLayer::new(OriginPolicy {
            allowed_origins: config.allowed_origins.clone(),
            loopback: config.bound_to_loopback(),
        }))
        .layer(
            AuthLayer::new(state.verifier.clone(), config.public_url.as_deref())
                .with_api_keys(ApiKeyGate::for_state(&state)),
        )
        .layer(RateLimitLayer::new(Arc::new(RateLimiter::new(
            config.rate_limit_per_second,
            config.rate_limit_burst,
        ))))
        .service(McpService::new(state.clone()));
    let router = Router {
        state: state.clone(),
        mcp: BoxCloneService::new(mcp),
    };
    let stack = ServiceBuilder::new()
        .layer(RequestIdLayer)
        .layer(TelemetryLayer {
            enabled: config.telemetry_enabled,
            level: config.telemetry_level,
            metrics: state.metrics.clone(),
        })
        .layer(drain)
        .layer(LimitsLayer::new(
            config.max_body_bytes,
            config.request_timeout,
            config.body_memory_bytes,
        ))
        .service(router);
    BoxCloneService::new(stack)
}

/// Sends each path to its handler.
#[derive(Clone)]
pub struct Router {
    state: Arc<AppState>,
    mcp: BoxCloneService<Request<Incoming>, HttpResponse, Infallible>,
}

impl Service<Request<Incoming>> for Router {
    type Response = HttpResponse;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<HttpResponse, Infallible>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request<Incoming>) -> Self::Future {
        let response = match req.uri().path() {
            path @ ("/" | "/health" | "/healthz") => health(&req, path),
            "/.well-known/oauth-protected-resource"
            | "/.well-known/oauth-protected-resource/mcp" => {
                protected_resource_metadata(&self.state, &req)
            }
            "/mcp" => return Box::pin(self.mcp.clone().oneshot(req)),
            _ => error_response(
                StatusCode::NOT_FOUND,
                "not found; the MCP endpoint is POST /mcp",
            ),
        };
        Box::pin(async move { Ok(response) })
    }
}

fn read_only_method<B>(req: &Request<B>) -> Option<HttpResponse> {
    if req.method() == Method::GET || req.method() == Method::HEAD {
        return None;
    }
    let mut response = error_response(StatusCode::METHOD_NOT_ALLOWED, "use GET or HEAD");
    response
        .headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
    Some(response)
}

/// `/`, `/health`, `/healthz`: cheap, no auth, never cached; they touch no catalog.
fn health<B>(req: &Request<B>, route: &str) -> HttpResponse {
    if let Some(refused) = read_only_method(req) {
        return refused;
    }
    let body = json!({
        "status": "ok",
        "timestamp": crate::time::now_rfc3339(),
        "route": route,
        "server": { "name": SERVER_NAME, "version": env!("CARGO_PKG_VERSION"), "transport": "http" },
    });
    let mut response = json_response(StatusCode::OK, &body);
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// RFC 9728 protected-resource metadata: the catalog is the authorization server. The
/// resource is `MCP_PUBLIC_URL` (or a loopback `Host`, see [`public_base`]), never a `Host`
/// the client chose; without either there is nothing true to say, so 404 says what to set.
fn protected_resource_metadata<B>(state: &AppState, req: &Request<B>) -> HttpResponse {
    if let Some(refused) = read_only_method(req) {
        return refused;
    }
    let Some(base) = public_base(state.config.public_url.as_deref(), req) else {
        return error_response(
            StatusCode::NOT_FOUND,
            "no public URL is configured for this server; the operator sets MCP_PUBLIC_URL",
        );
    };
    let body = json!({
        "resource": format!("{base}/mcp"),
        "authorization_servers": [state.config.catalog_url],
        "bearer_methods_supported": ["header"],
        "resource_name": "Quilt MCP server",
    });
    json_response(StatusCode::OK, &body)
}
