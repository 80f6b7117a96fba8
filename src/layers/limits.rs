//! Limits: refuse a declared body larger than the limit (413) before reading a byte of it,
//! bound the body bytes all requests hold at once (503 past a short wait), and bound how long a
//! request may take (504). Bodies without a declared length are bounded again where they are
//! read (`mcp::transport`), with the same limit and a read deadline.

use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use http::{HeaderValue, Method, Request, StatusCode, header};
use tokio::sync::Semaphore;
use tower::{Layer, Service};

use crate::http::{BoxFuture, HttpResponse, error_response};

/// How long a request waits for room in the body memory budget before it is answered 503.
const BODY_MEMORY_WAIT: Duration = Duration::from_secs(2);

/// Body size and request time limits.
#[derive(Clone, Debug)]
pub struct LimitsLayer {
    pub max_body_bytes: usize,
    pub request_timeout: Duration,
    /// The body memory budget, in KiB: each request holds what its body may take (its declared
    /// length, else the body limit) until it is answered.
    pub body_memory: Arc<Semaphore>,
}

impl LimitsLayer {
    /// The limits, with a body memory budget of `body_memory_bytes`.
    pub fn new(max_body_bytes: usize, request_timeout: Duration, body_memory_bytes: usize) -> Self {
        let kib = (body_memory_bytes / 1024).clamp(1, Semaphore::MAX_PERMITS);
        LimitsLayer {
            max_body_bytes,
            request_timeout,
            body_memory: Arc::new(Semaphore::new(kib)),
        }
    }

    /// The KiB of the budget a request with this method and declared length holds.
    fn reservation(&self, method: &Method, declared: Option<u64>) -> u32 {
        if method == Method::GET || method == Method::HEAD || method == Method::OPTIONS {
            return 0;
        }
        let bytes = declared.map_or(self.max_body_bytes as u64, |len| {
            len.min(self.max_body_bytes as u64)
        });
        u32::try_from(bytes.div_ceil(1024)).unwrap_or(u32::MAX)
    }
}

impl<S> Layer<S> for LimitsLayer {
    type Service = LimitsService<S>;
    fn layer(&self, inner: S) -> Self::Service {
        LimitsService {
            inner,
            limits: self.clone(),
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

/// A refusal of any `Transfer-Encoding` but a single `chunked`. hyper frames `gzip, chunked`
/// as chunked and hands on the compressed bytes, and a repeated `chunked` is how requests are
/// smuggled past proxies that read it differently: neither is served.
fn transfer_encoding_refusal(headers: &http::HeaderMap) -> Option<HttpResponse> {
    let codings: Vec<String> = headers
        .get_all(header::TRANSFER_ENCODING)
        .iter()
        .flat_map(|value| value.to_str().unwrap_or("?").split(','))
        .map(|coding| coding.trim().to_ascii_lowercase())
        .collect();
    match codings.as_slice() {
        [] => None,
        [only] if only == "chunked" => None,
        _ => Some(error_response(
            StatusCode::NOT_IMPLEMENTED,
            &format!(
                "Transfer-Encoding {:?} is not supported: send the body with Content-Length or a single `chunked`",
                codings.join(", ")
            ),
        )),
    }
}

/// The answer when request bodies in flight already hold the whole body memory budget.
/// A request body at least this large is followed by [`return_freed_memory`].
const TRIM_AFTER_BYTES: u64 = 1024 * 1024;

/// Hands the heap's free pages back to the system, once a large body has been parsed and
/// dropped. glibc keeps what a worker thread freed in that thread's arena, so a few large
/// bodies at once left the process tens of MiB larger for good; `malloc_trim` releases it. It
/// runs on the blocking pool, one at a time, and only after large bodies, so ordinary requests
/// never pay for it.
fn return_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        use std::sync::atomic::{AtomicBool, Ordering};
        static TRIMMING: AtomicBool = AtomicBool::new(false);
        if TRIMMING.swap(true, Ordering::AcqRel) {
            return;
        }
        tokio::task::spawn_blocking(|| {
            // SAFETY: malloc_trim only walks and releases the allocator's own free memory.
            unsafe { libc::malloc_trim(0) };
            TRIMMING.store(false, Ordering::Release);
        });
    }
}

fn body_memory_busy() -> HttpResponse {
    let mut response = error_response(
        StatusCode::SERVICE_UNAVAILABLE,
        "server busy: request bodies in flight fill this server's memory budget; retry in 1 s",
    );
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    response
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
        let limits = self.limits.clone();
        let declared = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|len| len > limits.max_body_bytes as u64) {
            return Box::pin(async move { Ok(payload_too_large(limits.max_body_bytes)) });
        }
        if let Some(refusal) = transfer_encoding_refusal(req.headers()) {
            return Box::pin(async move { Ok(refusal) });
        }
        let reserve = limits.reservation(req.method(), declared);
        // The inner future is lazy: nothing of the body is read until the room is held.
        let memory = limits.body_memory.clone();
        let inner = self.inner.call(req);
        Box::pin(async move {
            let _held = if reserve == 0 {
                None
            } else {
                let wait =
                    tokio::time::timeout(BODY_MEMORY_WAIT, memory.acquire_many_owned(reserve));
                match wait.await {
                    Ok(Ok(permit)) => Some(permit),
                    _ => return Ok(body_memory_busy()),
                }
            };
            let answer = tokio::time::timeout(limits.request_timeout, inner).await;
            if declared.is_some_and(|len| len >= TRIM_AFTER_BYTES) {
                return_freed_memory();
            }
            match answer {
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
        LimitsLayer::new(10, Duration::from_secs(5), 1024 * 1024)
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
