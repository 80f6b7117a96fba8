//! Rate limiting per caller: a token bucket per user id, shared by every connection (the
//! buckets live in an `Arc` in the layer, not in each service value, so a stack built per
//! connection still sees one limit per user). Over the limit: 429 with `Retry-After`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use http::{HeaderValue, Request, StatusCode, header};
use tokio::time::Instant;
use tower::{Layer, Service};

use crate::auth::Caller;
use crate::http::{BoxFuture, HttpResponse, error_response};

/// Beyond this many tracked users, full (idle) buckets are dropped.
const MAX_TRACKED_USERS: usize = 10_000;

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    refilled: Instant,
}

/// Token buckets keyed by user id.
#[derive(Debug)]
pub struct RateLimiter {
    per_second: f64,
    burst: f64,
    // A std Mutex: held only for a few arithmetic operations, never across an await.
    buckets: Mutex<HashMap<i64, Bucket>>,
}

impl RateLimiter {
    /// `per_second` tokens refill each second, up to `burst`; zero `per_second` disables limiting.
    pub fn new(per_second: u32, burst: u32) -> Self {
        RateLimiter {
            per_second: per_second as f64,
            burst: burst.max(1) as f64,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one token for `user`, or says how many whole seconds to wait.
    pub fn check(&self, user: i64) -> Result<(), u64> {
        if self.per_second <= 0.0 {
            return Ok(());
        }
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if buckets.len() >= MAX_TRACKED_USERS && !buckets.contains_key(&user) {
            let (per_second, burst) = (self.per_second, self.burst);
            buckets.retain(|_, b| {
                b.tokens + now.duration_since(b.refilled).as_secs_f64() * per_second < burst
            });
        }
        let bucket = buckets.entry(user).or_insert(Bucket {
            tokens: self.burst,
            refilled: now,
        });
        let elapsed = now.duration_since(bucket.refilled).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * self.per_second).min(self.burst);
        bucket.refilled = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - bucket.tokens) / self.per_second).ceil().max(1.0) as u64)
        }
    }
}

/// Applies a shared [`RateLimiter`] to authenticated requests.
#[derive(Clone, Debug)]
pub struct RateLimitLayer {
    limiter: Arc<RateLimiter>,
}

impl RateLimitLayer {
    /// Limits with `limiter`.
    pub fn new(limiter: Arc<RateLimiter>) -> Self {
        RateLimitLayer { limiter }
    }
}

impl<S> Layer<S> for RateLimitLayer {
    type Service = RateLimitService<S>;
    fn layer(&self, inner: S) -> Self::Service {
        RateLimitService {
            inner,
            limiter: self.limiter.clone(),
        }
    }
}

/// The service made by [`RateLimitLayer`].
#[derive(Clone, Debug)]
pub struct RateLimitService<S> {
    inner: S,
    limiter: Arc<RateLimiter>,
}

impl<S, B> Service<Request<B>> for RateLimitService<S>
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
        // Runs after auth, so a caller is always present; without one there is nothing to key on.
        let user = req.extensions().get::<Caller>().map(|c| c.claims.id);
        if let Some(Err(wait)) = user.map(|u| self.limiter.check(u)) {
            tracing::warn!(user_id = user, retry_after_s = wait, "rate limited");
            let mut response = error_response(
                StatusCode::TOO_MANY_REQUESTS,
                &format!("too many requests for this user; retry after {wait} s"),
            );
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(wait));
            return Box::pin(async move { Ok(response) });
        }
        Box::pin(self.inner.call(req))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test(start_paused = true)]
    async fn burst_then_refill_per_user() {
        let limiter = RateLimiter::new(2, 3);
        for _ in 0..3 {
            assert_eq!(limiter.check(1), Ok(()));
        }
        assert_eq!(limiter.check(1), Err(1));
        assert_eq!(
            limiter.check(2),
            Ok(()),
            "another user has their own bucket"
        );
        tokio::time::advance(Duration::from_millis(500)).await;
        assert_eq!(limiter.check(1), Ok(()));
        assert!(limiter.check(1).is_err());
    }

    #[tokio::test]
    async fn zero_rate_means_off() {
        let limiter = RateLimiter::new(0, 1);
        for _ in 0..1000 {
            assert_eq!(limiter.check(1), Ok(()));
        }
    }
}
