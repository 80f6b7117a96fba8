//! Origin and Host checks for the MCP endpoint, before authentication: a present `Origin` that
//! is not allowed gets 403 (the MCP transport's MUST), and when we listen on loopback a foreign
//! `Host` gets 403 too (DNS rebinding). Allowed origins get CORS headers and preflight answers.

use std::sync::Arc;
use std::task::{Context, Poll};

use http::{HeaderValue, Method, Request, StatusCode, header};
use tower::{Layer, Service};

use crate::http::{BoxFuture, HttpResponse, empty_response, error_response};

/// Which origins and hosts may reach the MCP endpoint.
#[derive(Clone, Debug)]
pub struct OriginPolicy {
    /// Exact origins (`scheme://host[:port]`) from `MCP_ALLOWED_ORIGINS`.
    pub allowed_origins: Vec<String>,
    /// True when bound to loopback: loopback origins are allowed and `Host` must be loopback.
    pub loopback: bool,
}

/// True for `localhost`, `127.0.0.1` and `[::1]`, with or without a port.
pub(crate) fn is_loopback_host(host: &str) -> bool {
    let name = if let Some(rest) = host.strip_prefix('[') {
        rest.split(']').next().unwrap_or_default()
    } else {
        host.rsplit_once(':').map_or(host, |(name, port)| {
            if port.bytes().all(|b| b.is_ascii_digit()) {
                name
            } else {
                host
            }
        })
    };
    matches!(
        name.to_ascii_lowercase().as_str(),
        "localhost" | "127.0.0.1" | "::1"
    )
}

impl OriginPolicy {
    /// Whether a present `Origin` value may call us.
    pub fn origin_allowed(&self, origin: &str) -> bool {
        let origin = origin.trim_end_matches('/');
        if self
            .allowed_origins
            .iter()
            .any(|o| o == "*" || o.eq_ignore_ascii_case(origin))
        {
            return true;
        }
        let host = origin
            .strip_prefix("http://")
            .or_else(|| origin.strip_prefix("https://"));
        self.loopback && host.is_some_and(is_loopback_host)
    }

    /// Whether the `Host` header is acceptable (always, unless we listen on loopback).
    pub fn host_allowed(&self, host: Option<&str>) -> bool {
        !self.loopback || host.is_none_or(is_loopback_host)
    }
}

/// Applies an [`OriginPolicy`].
#[derive(Clone, Debug)]
pub struct OriginLayer {
    policy: Arc<OriginPolicy>,
}

impl OriginLayer {
    /// Enforces `policy`.
    pub fn new(policy: OriginPolicy) -> Self {
        OriginLayer {
            policy: Arc::new(policy),
        }
    }
}

impl<S> Layer<S> for OriginLayer {
    type Service = OriginService<S>;
    fn layer(&self, inner: S) -> Self::Service {
        OriginService {
            inner,
            policy: self.policy.clone(),
        }
    }
}

/// The service made by [`OriginLayer`].
#[derive(Clone, Debug)]
pub struct OriginService<S> {
    inner: S,
    policy: Arc<OriginPolicy>,
}

const ALLOWED_HEADERS: &str = "authorization, content-type, accept, mcp-protocol-version, mcp-method, mcp-name, x-request-id, last-event-id";

impl<S, B> Service<Request<B>> for OriginService<S>
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
        let host = req
            .headers()
            .get(header::HOST)
            .and_then(|h| h.to_str().ok());
        if !self.policy.host_allowed(host) {
            tracing::warn!(host, "refused a foreign Host on a loopback listener");
            let response = error_response(StatusCode::FORBIDDEN, "Host header is not allowed");
            return Box::pin(async move { Ok(response) });
        }
        let origin = req.headers().get(header::ORIGIN).cloned();
        let Some(origin) = origin else {
            return Box::pin(self.inner.call(req));
        };
        if !origin.to_str().is_ok_and(|o| self.policy.origin_allowed(o)) {
            tracing::warn!(origin = ?origin, "refused a request from an origin that is not allowed");
            let response = error_response(StatusCode::FORBIDDEN, "Origin is not allowed");
            return Box::pin(async move { Ok(response) });
        }
        if req.method() == Method::OPTIONS {
            let mut response = empty_response(StatusCode::NO_CONTENT);
            let headers = response.headers_mut();
            headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
            headers.insert(
                header::ACCESS_CONTROL_ALLOW_METHODS,
                HeaderValue::from_static("POST, OPTIONS"),
            );
            headers.insert(
                header::ACCESS_CONTROL_ALLOW_HEADERS,
                HeaderValue::from_static(ALLOWED_HEADERS),
            );
            headers.insert(
                header::ACCESS_CONTROL_MAX_AGE,
                HeaderValue::from_static("600"),
            );
            headers.insert(header::VARY, HeaderValue::from_static("origin"));
            return Box::pin(async move { Ok(response) });
        }
        let inner = self.inner.call(req);
        Box::pin(async move {
            let mut response = inner.await?;
            let headers = response.headers_mut();
            headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
            headers.insert(
                header::ACCESS_CONTROL_EXPOSE_HEADERS,
                HeaderValue::from_static("x-request-id, www-authenticate"),
            );
            headers.insert(header::VARY, HeaderValue::from_static("origin"));
            Ok(response)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_policy() {
        let policy = OriginPolicy {
            allowed_origins: vec!["https://app.example.com".into()],
            loopback: true,
        };
        assert!(policy.origin_allowed("http://localhost:6274"));
        assert!(policy.origin_allowed("http://127.0.0.1"));
        assert!(policy.origin_allowed("https://app.example.com/"));
        assert!(!policy.origin_allowed("https://evil.example.com"));
        assert!(!policy.origin_allowed("http://localhost.evil.com"));
        assert!(policy.host_allowed(Some("127.0.0.1:8000")));
        assert!(policy.host_allowed(Some("[::1]:8000")));
        assert!(policy.host_allowed(None));
        assert!(!policy.host_allowed(Some("evil.example.com")));
        assert!(!policy.host_allowed(Some("evil.example.com:8000")));
    }

    #[test]
    fn public_listener_allows_any_host_but_only_listed_origins() {
        let policy = OriginPolicy {
            allowed_origins: vec![],
            loopback: false,
        };
        assert!(policy.host_allowed(Some("mcp.example.com")));
        assert!(!policy.origin_allowed("http://localhost:3000"));
    }
}
