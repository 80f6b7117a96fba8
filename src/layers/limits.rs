//! Limits: refuse a declared body larger than the limit (413) before reading a byte of it, and
//! bound how long a request may take (504). Bodies without a declared length are bounded again
//! where they are read (`mcp::transport`), with the same limit.

use std::task::{Context, Poll};
use std::time::Duration;

use http::{Request, StatusCode, header};
use tower::{Layer, Service};

use crate::http::{BoxFuture, HttpResponse, error_response};

/// Body size and request time limits.
#[derive(Clone, Copy, Debug)]
pub struct LimitsLayer {
    pub max_body_bytes: usize,
    pub request_timeout: Duration,
}

impl<S> Layer<S> for LimitsLayer {
    type Service = LimitsService<S>;
    fn layer(&self, inner: S) -> Self::Service {
        LimitsService {
            inner,
            limits: *self,
        }
    }
}

/// The service made by [`LimitsLayer`].
#[derive(Clone, Debug)]
pub struct LimitsService<S> {
    inner: S,
    limits: LimitsLayer,
}

/// The response for a body over the limit; also used where bodies are read.
pub fn payload_too_large(max_body_bytes: usize) -> HttpResponse {
    error_response(
        StatusCode::PAYLOAD_TOO_LARGE,
        &format!("request body is larger than the limit of {max_body_bytes} bytes"),
    )
}

impl<S, B> Service<Request<B>> for LimitsService<S>
where
    S: Service<Request<B>, Response = HttpResponse>,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
{
    type Response = HttpResponse;
    type Error = S::Error;
    type Future = BoxFuture<'static, Result<HttpResponse, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        let limits = self.limits;
        let declared = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|len| len > limits.max_body_bytes as u64) {
            return Box::pin(async move { Ok(payload_too_large(limits.max_body_bytes)) });
        }
        let inner = self.inner.call(req);
        Box::pin(async move {
            match tokio::time::timeout(limits.request_timeout, inner).await {
                Ok(result) => result,
                Err(_) => {
                    tracing::warn!(
                        timeout_s = limits.request_timeout.as_secs(),
                        "request timed out"
                    );
                    Ok(error_response(
                        StatusCode::GATEWAY_TIMEOUT,
                        &format!(
                            "the request took longer than {} s",
                            limits.request_timeout.as_secs()
                        ),
                    ))
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::empty_response;
    use std::convert::Infallible;
    use tower::{ServiceBuilder, ServiceExt, service_fn};

    fn layer() -> LimitsLayer {
        LimitsLayer {
            max_body_bytes: 10,
            request_timeout: Duration::from_secs(5),
        }
    }

    #[tokio::test]
    async fn a_declared_oversized_body_is_refused_without_calling_inner() {
        let svc =
            ServiceBuilder::new()
                .layer(layer())
                .service(service_fn(|_req: Request<()>| async {
                    panic!("inner must not run");
                    #[allow(unreachable_code)]
                    Ok::<_, Infallible>(empty_response(StatusCode::OK))
                }));
        let req = Request::builder()
            .header("content-length", "11")
            .body(())
            .unwrap();
        let res = svc.oneshot(req).await.unwrap();
        assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    }

    #[tokio::test(start_paused = true)]
    async fn a_slow_request_times_out_with_504() {
        let svc =
            ServiceBuilder::new()
                .layer(layer())
                .service(service_fn(|_req: Request<()>| async {
                    tokio::time::sleep(Duration::from_secs(60)).await;
                    Ok::<_, Infallible>(empty_response(StatusCode::OK))
                }));
        let res = svc.oneshot(Request::new(())).await.unwrap();
        assert_eq!(res.status(), StatusCode::GATEWAY_TIMEOUT);
    }
}
