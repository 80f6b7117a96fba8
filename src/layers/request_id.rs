//! Request ids: honour a sane incoming `X-Request-Id`, else mint one; keep it in the request's
//! extensions for the layers and tools after us, and echo it on the response.

use std::task::{Context, Poll};

use http::{HeaderName, HeaderValue, Request};
use tower::{Layer, Service};

use crate::http::{BoxFuture, HttpResponse};

/// The header we read and echo.
pub const REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-request-id");

pub use crate::identity::RequestId;

/// Adds a [`RequestId`] to every request and its response.
#[derive(Clone, Copy, Debug, Default)]
pub struct RequestIdLayer;

impl<S> Layer<S> for RequestIdLayer {
    type Service = RequestIdService<S>;
    fn layer(&self, inner: S) -> Self::Service {
        RequestIdService { inner }
    }
}

/// The service made by [`RequestIdLayer`].
#[derive(Clone, Debug)]
pub struct RequestIdService<S> {
    inner: S,
}

impl<S, B> Service<Request<B>> for RequestIdService<S>
where
    S: Service<Request<B>, Response = HttpResponse>,
    S::Future: Send + 'static,
{
    type Response = HttpResponse;
    type Error = S::Error;
    // Boxed to stay readable: one allocation per request is noise beside a catalog call.
    type Future = BoxFuture<'static, Result<HttpResponse, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request<B>) -> Self::Future {
        let id = RequestId::accept_or_mint(req.headers().get(REQUEST_ID_HEADER));
        let header = HeaderValue::from_str(&id.0).ok();
        req.extensions_mut().insert(id);
        let inner = self.inner.call(req);
        Box::pin(async move {
            let mut response = inner.await?;
            if let Some(header) = header {
                response.headers_mut().insert(REQUEST_ID_HEADER, header);
            }
            Ok(response)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_sane_ids_and_replaces_others() {
        let ok = HeaderValue::from_static("abc-123_x.y");
        assert_eq!(RequestId::accept_or_mint(Some(&ok)).0, "abc-123_x.y");
        let long = HeaderValue::from_str(&"a".repeat(65)).unwrap();
        let bad = HeaderValue::from_static("a b<script>");
        for value in [Some(&long), Some(&bad), None] {
            let id = RequestId::accept_or_mint(value).0;
            assert_eq!(id.len(), 32, "{id}");
        }
    }
}
