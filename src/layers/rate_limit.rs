//! Rate limiting per caller: a token bucket per user id, shared by every connection (the
//! buckets live in an `Arc` in the layer, not in each service value, so a stack built per
//! connection still sees one limit per user). Over the limit: 429 with `Retry-After`.
//!
//! A bucket that has refilled is no different from no bucket, so each lives in a [`TtlMap`]
//! only until it would be full again. At most [`MAX_TRACKED_USERS`] are kept: past that, the
//! least recently limited user's bucket goes, and that user starts again with a full burst
//! (a looser limit for someone, rather than unbounded memory).

use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use http::{HeaderValue, Request, StatusCode, header};
use tokio::time::Instant;
use tower::{Layer, Service};

use crate::http::{BoxFuture, HttpResponse, error_response};
use crate::identity::Caller;
use crate::layers::telemetry::RateLimited;
use crate::ttl_map::TtlMap;

/// Users whose buckets are kept at most.
pub const MAX_TRACKED_USERS: usize = 10_000;

#[derive(Debug, Clone, Copy, PartialEq)]
struct Bucket {
    tokens: f64,
    refilled: Instant,
}

/// Token buckets keyed by user id (or, for unknown API keys, by client address).
#[derive(Debug)]
pub struct RateLimiter<K = i64> {
    per_second: f64,
    burst: f64,
    // Each bucket's time to live is its time to refill, given with every change; the map's own
    // is never used.
    buckets: TtlMap<K, Bucket>,
}

impl<K: Clone + Eq + std::hash::Hash> RateLimiter<K> {
    /// `per_second` tokens refill each second, up to `burst`; zero `per_second` disables limiting.
    pub fn new(per_second: u32, burst: u32) -> Self {
        RateLimiter {
            per_second: per_second as f64,
            burst: burst.max(1) as f64,
            buckets: TtlMap::new(MAX_TRACKED_USERS, Duration::ZERO),
        }
    }

    /// Takes one token for `user`, or says how many whole seconds to wait.
    pub fn check(&self, user: K) -> Result<(), u64> {
        if self.per_second <= 0.0 {
            return Ok(());
        }
        let (per_second, burst) = (self.per_second, self.burst);
        let now = Instant::now();
        let full = || Bucket {
            tokens: burst,
            refilled: now,
        };
        // Under the map's lock, so concurrent requests of one user never spend the same token.
        self.buckets.update(user, full, |bucket| {
            let elapsed = now.duration_since(bucket.refilled).as_secs_f64();
            bucket.tokens = (bucket.tokens + elapsed * per_second).min(burst);
            bucket.refilled = now;
            let verdict = if bucket.tokens >= 1.0 {
                bucket.tokens -= 1.0;
                Ok(())
            } else {
                Err(((1.0 - bucket.tokens) / per_second).ceil().max(1.0) as u64)
            };
            let until_full = Duration::try_from_secs_f64((burst - bucket.tokens) / per_second);
            (verdict, until_full.unwrap_or(Duration::ZERO))
        })
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
            response.extensions_mut().insert(RateLimited);
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

    #[tokio::test(start_paused = true)]
    async fn buckets_are_capped_and_leave_once_refilled() {
        let limiter = RateLimiter::new(10, 2);
        for user in 0..(MAX_TRACKED_USERS as i64 + 500) {
            assert_eq!(limiter.check(user), Ok(()));
        }
        assert_eq!(limiter.buckets.len(), MAX_TRACKED_USERS);
        // One token spent of two at 10/s: full again, so gone, after 100 ms.
        tokio::time::advance(Duration::from_millis(100)).await;
        assert_eq!(limiter.buckets.get(&(MAX_TRACKED_USERS as i64)), None);
        assert_eq!(limiter.check(0), Ok(()));
        assert_eq!(limiter.check(0), Ok(()), "a full burst again");
    }
}
