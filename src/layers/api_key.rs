//! Quilt API keys at the door (`MCP_API_KEYS=true`): a bearer token starting `qk_` skips the
//! JWT check and is judged by the registry through [`ApiKeyJudge`], whose verdicts are kept
//! per key hash. A key with no kept verdict costs a registry call, so those calls are limited
//! per client address: a flood of made-up keys from one address gets 429s, not catalog load.
//! Logs name a key by its fingerprint only.

use std::net::IpAddr;
use std::sync::Arc;

use http::{HeaderValue, StatusCode, header};

use crate::catalog::CallerKey;
use crate::catalog::api_keys::{JudgeError, Verdict};
use crate::http::{HttpResponse, error_response};
use crate::identity::{Caller, CallerToken, RequestId};
use crate::layers::rate_limit::RateLimiter;
use crate::state::AppState;

/// Registry lookups of keys with no kept verdict, per client address: one a second, after a
/// burst of ten (an agent's first requests with a few keys never wait).
pub const UNKNOWN_KEYS_PER_SECOND: u32 = 1;
pub const UNKNOWN_KEYS_BURST: u32 = 10;

/// What the auth layer needs to accept API keys: the state (catalog client and judge) and the
/// per-address limiter of lookups, shared by every connection.
#[derive(Clone, Debug)]
pub struct ApiKeyGate {
    state: Arc<AppState>,
    lookups: Arc<RateLimiter<Option<IpAddr>>>,
}

/// How a request with an API key goes on.
pub enum KeyOutcome {
    Accepted(Caller),
    Refused,
    /// An answer of our own: 429 (too many unknown keys) or 503 (the registry could not say).
    Answered(HttpResponse),
}

impl ApiKeyGate {
    /// A gate when the state judges keys (`MCP_API_KEYS` is on), else `None`.
    pub fn for_state(state: &Arc<AppState>) -> Option<Self> {
        state.api_keys.as_ref()?;
        Some(ApiKeyGate {
            state: state.clone(),
            lookups: Arc::new(RateLimiter::new(
                UNKNOWN_KEYS_PER_SECOND,
                UNKNOWN_KEYS_BURST,
            )),
        })
    }

    /// Judges the key `token` of a request from `addr`.
    pub async fn judge(
        &self,
        token: &str,
        request_id: RequestId,
        addr: Option<IpAddr>,
    ) -> KeyOutcome {
        let Some(judge) = &self.state.api_keys else {
            return KeyOutcome::Refused;
        };
        let token = CallerToken::new(token);
        let fingerprint = CallerKey::of(&token).fingerprint();
        let admit = || self.lookups.check(addr);
        let verdict = judge
            .judge(&self.state.catalog, &token, &request_id, admit)
            .await;
        match verdict {
            Ok(Verdict::Accepted(owner)) => {
                tracing::debug!(key = %fingerprint, user = %owner.name, "API key accepted");
                KeyOutcome::Accepted(owner.caller(&token))
            }
            Ok(Verdict::Refused) => {
                tracing::warn!(key = %fingerprint, request_id = %request_id.0, "API key refused by the catalog");
                KeyOutcome::Refused
            }
            Err(JudgeError::Limited(wait)) => {
                tracing::warn!(key = %fingerprint, client = ?addr, retry_after_s = wait, "too many unknown API keys from one address");
                let mut response = error_response(
                    StatusCode::TOO_MANY_REQUESTS,
                    &format!("too many unknown API keys from this address; retry after {wait} s"),
                );
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(wait));
                KeyOutcome::Answered(response)
            }
            Err(JudgeError::Catalog(error)) => {
                tracing::warn!(key = %fingerprint, error = %error, "API key could not be judged");
                let message = format!("the catalog could not check the API key now: {error}");
                KeyOutcome::Answered(error_response(StatusCode::SERVICE_UNAVAILABLE, &message))
            }
        }
    }
}
