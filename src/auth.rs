//! Caller identity: the catalog JWT, verified with the shared HS256 secret.
//!
//! The catalog issues the token; we check it (signature, `exp`, `nbf` and `iat` within the
//! leeway, the `id` and `uuid` claims, `iss`/`aud` when configured, and no `crit` header, since
//! we understand no extension) and then forward the very same token to the catalog, which
//! enforces the caller's permissions. The token's `Debug` never shows it.

use std::fmt;
use std::sync::{Arc, Mutex, OnceLock, PoisonError, RwLock};
use std::time::Duration;

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::Value;
use tokio::sync::{Notify, watch};
use tokio::time::Instant;

use crate::config::{DEFAULT_JWT_LEEWAY, Secret};
use crate::http::BoxFuture;
pub use crate::identity::{Caller, CallerToken, Claims};

/// Tokens longer than this are refused before any parsing: real catalog tokens are a few hundred bytes.
pub const MAX_TOKEN_BYTES: usize = 8 * 1024;

/// Why a token was refused; `reason()` is the word in the log line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AuthError {
    MissingToken,
    /// Not `Bearer <token>`, not a JWT, or unreadable.
    InvalidToken(String),
    InvalidSignature,
    TokenExpired,
    InvalidClaims(String),
    InvalidIssuer,
    InvalidAudience,
    /// A Quilt API key while `MCP_API_KEYS` is off.
    ApiKeysOff,
    /// A Quilt API key the registry does not accept (unknown, expired, revoked or inactive).
    ApiKeyRefused,
}

impl AuthError {
    /// The short reason used in `JWT validation failed (<reason>)`.
    pub fn reason(&self) -> &'static str {
        match self {
            AuthError::MissingToken => "missing_token",
            AuthError::InvalidToken(_) => "invalid_token",
            AuthError::InvalidSignature => "invalid_signature",
            AuthError::TokenExpired => "token_expired",
            AuthError::InvalidClaims(_) => "invalid_claims",
            AuthError::InvalidIssuer => "invalid_issuer",
            AuthError::InvalidAudience => "invalid_audience",
            AuthError::ApiKeysOff => "invalid_token",
            AuthError::ApiKeyRefused => "invalid_token",
        }
    }
}

impl fmt::Display for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AuthError::MissingToken => {
                f.write_str("Authorization: Bearer <catalog token> is required")
            }
            AuthError::InvalidToken(why) => write!(f, "the bearer token is not a valid JWT: {why}"),
            AuthError::InvalidSignature => {
                f.write_str("the token's signature does not match this server's secret")
            }
            AuthError::TokenExpired => {
                f.write_str("the token has expired; log in to the catalog again")
            }
            AuthError::InvalidClaims(why) => write!(f, "the token's claims are not valid: {why}"),
            AuthError::InvalidIssuer => f.write_str("the token was issued by another issuer"),
            AuthError::InvalidAudience => f.write_str("the token is meant for another audience"),
            AuthError::ApiKeysOff => f.write_str(
                "this server does not accept Quilt API keys (MCP_API_KEYS is off); send a catalog JWT",
            ),
            AuthError::ApiKeyRefused => f.write_str(
                "the catalog does not accept this API key (unknown, expired or revoked)",
            ),
        }
    }
}

impl std::error::Error for AuthError {}

/// Verifies catalog JWTs. Holds the current secret and, after a rotation, the previous one.
pub struct JwtVerifier {
    keys: RwLock<Vec<DecodingKey>>,
    validation: Validation,
    /// Seconds of clock skew allowed (also in `validation`, for `exp` and `nbf`).
    leeway: u64,
    /// Set when the secret comes from SSM: a signature failure may force an early read.
    refresh: OnceLock<Arc<RefreshSignal>>,
}

impl fmt::Debug for JwtVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwtVerifier").finish_non_exhaustive()
    }
}

impl JwtVerifier {
    /// A verifier for one HS256 secret, checking `iss`/`aud` only when given, with the
    /// default leeway.
    pub fn new(secret: &Secret, issuer: Option<&str>, audience: Option<&str>) -> Self {
        Self::with_leeway(secret, issuer, audience, DEFAULT_JWT_LEEWAY)
    }

    /// [`JwtVerifier::new`] allowing `leeway` of clock skew on `exp`, `nbf` and `iat`.
    pub fn with_leeway(
        secret: &Secret,
        issuer: Option<&str>,
        audience: Option<&str>,
        leeway: Duration,
    ) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.algorithms = vec![Algorithm::HS256];
        validation.leeway = leeway.as_secs();
        validation.validate_nbf = true;
        // `iss` and `aud` become required only when the deployment names them.
        let mut required = vec!["exp"];
        required.extend(issuer.map(|_| "iss"));
        required.extend(audience.map(|_| "aud"));
        validation.set_required_spec_claims(&required);
        match issuer {
            Some(iss) => validation.set_issuer(&[iss]),
            None => validation.iss = None,
        }
        match audience {
            Some(aud) => validation.set_audience(&[aud]),
            None => validation.validate_aud = false,
        }
        JwtVerifier {
            keys: RwLock::new(vec![DecodingKey::from_secret(secret.expose().as_bytes())]),
            validation,
            leeway: leeway.as_secs(),
            refresh: OnceLock::new(),
        }
    }

    /// Makes `secret` current and keeps the one before it, so tokens signed just before a
    /// rotation still verify.
    pub fn rotate(&self, secret: &Secret) {
        let key = DecodingKey::from_secret(secret.expose().as_bytes());
        // A poisoned lock only means another thread panicked mid-rotation; the keys are still whole.
        let mut keys = self.keys.write().unwrap_or_else(|e| e.into_inner());
        keys.insert(0, key);
        keys.truncate(2);
    }

    /// Lets signature failures force early reads of the secret through `signal` (SSM only).
    pub fn attach_refresh(&self, signal: Arc<RefreshSignal>) {
        let _ = self.refresh.set(signal);
    }

    /// After a signature failure: a future that completes when a forced read of the secret is
    /// done, after which the token is worth verifying once more; `None` when no read runs
    /// (the secret is not from SSM, or a read was already forced within the interval).
    pub fn refresh_after_signature_failure(&self) -> Option<BoxFuture<'static, ()>> {
        self.refresh.get()?.request()
    }

    /// Checks an `Authorization` header value and returns the caller.
    pub fn verify_header(&self, header: Option<&[u8]>) -> Result<Caller, AuthError> {
        self.verify(bearer_token(header)?)
    }

    /// Verifies a bare token.
    pub fn verify(&self, token: &str) -> Result<Caller, AuthError> {
        let keys = self.keys.read().unwrap_or_else(|e| e.into_inner());
        let mut last = AuthError::InvalidSignature;
        for key in keys.iter() {
            match jsonwebtoken::decode::<Value>(token, key, &self.validation) {
                Ok(data) => {
                    // RFC 7515 §4.1.11: a `crit` header names extensions the recipient must
                    // understand; we understand none, so such a token is refused.
                    if data.header.crit.is_some() {
                        return Err(AuthError::InvalidToken(
                            "the header's `crit` names extensions this server does not support"
                                .into(),
                        ));
                    }
                    check_issued_at(&data.claims, self.leeway)?;
                    let claims = claims_from(&data.claims)?;
                    return Ok(Caller {
                        claims,
                        token: CallerToken::new(token),
                    });
                }
                // Only a signature mismatch is worth trying the previous secret for.
                Err(e) if matches!(e.kind(), ErrorKind::InvalidSignature) => {
                    last = AuthError::InvalidSignature
                }
                Err(e) => return Err(map_error(e.kind())),
            }
        }
        Err(last)
    }
}

/// The token of an `Authorization: Bearer <token>` value, checked for size and form only.
pub fn bearer_token(header: Option<&[u8]>) -> Result<&str, AuthError> {
    let Some(header) = header else {
        return Err(AuthError::MissingToken);
    };
    if header.len() > MAX_TOKEN_BYTES {
        return Err(AuthError::InvalidToken(format!(
            "longer than {MAX_TOKEN_BYTES} bytes"
        )));
    }
    let text =
        std::str::from_utf8(header).map_err(|_| AuthError::InvalidToken("not text".into()))?;
    // `Bearer ` with nothing after it often arrives trimmed to `Bearer`.
    if text.trim().eq_ignore_ascii_case("bearer") {
        return Err(AuthError::MissingToken);
    }
    let token = match text.split_once(' ') {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("bearer") => rest.trim(),
        _ => return Err(AuthError::InvalidToken("expected `Bearer <token>`".into())),
    };
    if token.is_empty() {
        return Err(AuthError::MissingToken);
    }
    Ok(token)
}

/// Whether `token` is a Quilt API key rather than a JWT: keys are opaque and start `qk_`.
pub fn is_api_key(token: &str) -> bool {
    token.starts_with(API_KEY_PREFIX)
}

/// How every Quilt API key starts.
pub const API_KEY_PREFIX: &str = "qk_";

fn map_error(kind: &ErrorKind) -> AuthError {
    match kind {
        ErrorKind::InvalidSignature => AuthError::InvalidSignature,
        ErrorKind::ExpiredSignature => AuthError::TokenExpired,
        ErrorKind::InvalidIssuer => AuthError::InvalidIssuer,
        ErrorKind::InvalidAudience => AuthError::InvalidAudience,
        ErrorKind::MissingRequiredClaim(claim) => {
            AuthError::InvalidClaims(format!("`{claim}` is required"))
        }
        ErrorKind::InvalidClaimFormat(claim) => {
            AuthError::InvalidClaims(format!("`{claim}` has the wrong type"))
        }
        ErrorKind::ImmatureSignature => {
            AuthError::InvalidClaims("the token is not valid yet (`nbf`)".into())
        }
        ErrorKind::InvalidAlgorithm
        | ErrorKind::MissingAlgorithm
        | ErrorKind::InvalidAlgorithmName => {
            AuthError::InvalidToken("only HS256 tokens are accepted".into())
        }
        ErrorKind::Json(_) => {
            AuthError::InvalidToken("the header or claims are not a JSON object".into())
        }
        ErrorKind::Base64(_) | ErrorKind::Utf8(_) => {
            AuthError::InvalidToken("not base64url-encoded".into())
        }
        _ => AuthError::InvalidToken("malformed".into()),
    }
}

/// An `iat` (issued at) later than now plus the leeway is refused, as PyJWT (the catalog's
/// library) refuses it: a token from the future is forged or from a clock far off. Absent is
/// fine; present, it must be a number.
fn check_issued_at(claims: &Value, leeway: u64) -> Result<(), AuthError> {
    let Some(iat) = claims.get("iat") else {
        return Ok(());
    };
    let iat = iat
        .as_f64()
        .ok_or_else(|| AuthError::InvalidClaims("`iat` must be a numeric timestamp".into()))?;
    let latest = crate::time::unix_now() as f64 + leeway as f64;
    if iat > latest {
        return Err(AuthError::InvalidClaims(
            "the token's `iat` is in the future".into(),
        ));
    }
    Ok(())
}

/// `id` must be an integer, `uuid` a non-empty string, `exp` an integer (checked by the library too).
fn claims_from(claims: &Value) -> Result<Claims, AuthError> {
    let id = claims
        .get("id")
        .and_then(Value::as_i64)
        .ok_or_else(|| AuthError::InvalidClaims("`id` must be an integer user id".into()))?;
    let uuid = claims
        .get("uuid")
        .and_then(Value::as_str)
        .filter(|u| !u.is_empty())
        .ok_or_else(|| AuthError::InvalidClaims("`uuid` must be a non-empty string".into()))?;
    let exp = claims
        .get("exp")
        .and_then(Value::as_i64)
        .ok_or_else(|| AuthError::InvalidClaims("`exp` must be an integer timestamp".into()))?;
    Ok(Claims {
        id,
        uuid: uuid.to_string(),
        exp,
    })
}

/// Signs a token: for `demo`, tests and benchmarks, never used on a request path.
pub fn sign_token(secret: &Secret, claims: &Value) -> Result<String, jsonwebtoken::errors::Error> {
    let key = jsonwebtoken::EncodingKey::from_secret(secret.expose().as_bytes());
    jsonwebtoken::encode(&jsonwebtoken::Header::new(Algorithm::HS256), claims, &key)
}

/// Forced reads after signature failures: at most one per interval, and a way to wait for it.
pub struct RefreshSignal {
    interval: Duration,
    max_wait: Duration,
    forced: Mutex<Forced>,
    wake: Notify,
    /// Bumped after every forced read, whatever its outcome.
    done: watch::Sender<u64>,
}

#[derive(Default)]
struct Forced {
    last: Option<Instant>,
    in_flight: bool,
}

impl RefreshSignal {
    /// The shortest time between two forced reads (also the refresher's period).
    pub(crate) fn interval(&self) -> Duration {
        self.interval
    }

    /// Completes when a forced read is asked for (the secret refresher waits on this).
    pub(crate) async fn forced(&self) {
        self.wake.notified().await
    }

    /// A signal allowing one forced read per `interval`; waiters give up after `max_wait`.
    pub fn new(interval: Duration, max_wait: Duration) -> RefreshSignal {
        RefreshSignal {
            interval,
            max_wait,
            forced: Mutex::new(Forced::default()),
            wake: Notify::new(),
            done: watch::Sender::new(0),
        }
    }

    /// Called after a signature failure. Starts a forced read unless one ran within the
    /// interval, and returns a future that completes when the running read is done; `None`
    /// when no read runs, so the caller refuses at once.
    pub fn request(&self) -> Option<BoxFuture<'static, ()>> {
        let mut forced = self.forced.lock().unwrap_or_else(PoisonError::into_inner);
        if !forced.in_flight {
            if forced.last.is_some_and(|at| at.elapsed() < self.interval) {
                return None;
            }
            forced.last = Some(Instant::now());
            forced.in_flight = true;
            self.wake.notify_one();
        }
        // Subscribed under the lock, and `finish` bumps under the same lock: no missed wake-up.
        let mut done = self.done.subscribe();
        let max_wait = self.max_wait;
        Some(Box::pin(async move {
            let _ = tokio::time::timeout(max_wait, done.changed()).await;
        }))
    }

    /// Wakes the requests waiting for the forced read (the secret refresher calls this).
    pub(crate) fn finish(&self) {
        let mut forced = self.forced.lock().unwrap_or_else(PoisonError::into_inner);
        forced.in_flight = false;
        self.done.send_modify(|n| *n = n.wrapping_add(1));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn now() -> i64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0)
    }

    #[test]
    fn a_good_token_verifies_and_rotation_keeps_the_previous_secret() {
        let old = Secret::new("old");
        let verifier = JwtVerifier::new(&old, None, None);
        let token = sign_token(&old, &json!({"id": 7, "uuid": "u-7", "exp": now() + 60})).unwrap();
        assert_eq!(verifier.verify(&token).unwrap().claims.id, 7);
        verifier.rotate(&Secret::new("new"));
        assert_eq!(verifier.verify(&token).unwrap().claims.uuid, "u-7");
        verifier.rotate(&Secret::new("newer"));
        assert_eq!(
            verifier.verify(&token).unwrap_err(),
            AuthError::InvalidSignature
        );
    }

    #[test]
    fn the_token_never_prints() {
        let token = CallerToken::new("eyJ.secret.token");
        assert!(!format!("{token:?}").contains("secret"));
    }
}
