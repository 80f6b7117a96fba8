//! Authentication: every request that reaches this layer must carry a valid catalog JWT, or,
//! with `MCP_API_KEYS` on, a Quilt API key the registry accepts (see [`super::api_key`]).
//! A refusal is answered here (401 with a `WWW-Authenticate` challenge) and never reaches the
//! inner service; a verified [`Caller`] rides in the request's extensions to the tools.
//! When the secret comes from SSM, a signature failure first waits for a forced read of the
//! secret (at most one per refresh interval, see [`crate::secret`]) and verifies once more.

use std::sync::Arc;
use std::task::{Context, Poll};

use http::{HeaderValue, Request, StatusCode, header};
use serde_json::json;
use tower::{Layer, Service};

use crate::auth::{AuthError, Caller, JwtVerifier, bearer_token, is_api_key};
use crate::http::{BoxFuture, HttpResponse, json_response};
use crate::identity::{ClientAddr, RequestId};
use crate::layers::api_key::{ApiKeyGate, KeyOutcome};
use crate::layers::origin::is_loopback_host;
use crate::layers::telemetry::{AuthRefused, UserId};

/// Requires a valid bearer token.
#[derive(Clone, Debug)]
pub struct AuthLayer {
    verifier: Arc<JwtVerifier>,
    /// `MCP_PUBLIC_URL`, for the challenge's `resource_metadata`.
    public_url: Option<Arc<str>>,
    /// Set when Quilt API keys are accepted (`MCP_API_KEYS`).
    api_keys: Option<ApiKeyGate>,
}

impl AuthLayer {
    /// Verifies tokens with `verifier`; challenges point to metadata under `public_url`.
    pub fn new(verifier: Arc<JwtVerifier>, public_url: Option<&str>) -> Self {
        AuthLayer {
            verifier,
            public_url: public_url.map(Arc::from),
            api_keys: None,
        }
    }

    /// Also accepts Quilt API keys, judged through `gate` (`None`: refused as before).
    pub fn with_api_keys(mut self, gate: Option<ApiKeyGate>) -> Self {
        self.api_keys = gate;
        self
    }
}

impl<S> Layer<S> for AuthLayer {
    type Service = AuthService<S>;
    fn layer(&self, inner: S) -> Self::Service {
        AuthService {
            inner,
            verifier: self.verifier.clone(),
            public_url: self.public_url.clone(),
            api_keys: self.api_keys.clone(),
        }
    }
}

/// The service made by [`AuthLayer`].
#[derive(Clone, Debug)]
pub struct AuthService<S> {
    inner: S,
    verifier: Arc<JwtVerifier>,
    public_url: Option<Arc<str>>,
    api_keys: Option<ApiKeyGate>,
}

/// Where clients reach us, for the protected-resource metadata (RFC 9728) and the 401
/// challenge that points to it: `MCP_PUBLIC_URL` when configured. Without it, a request's
/// `Host` is used only when it is a loopback name (a local run, where it cannot point anywhere
/// else); any other `Host` is the client's word, and reflecting it would let a forged header
/// choose the URL we advertise, so then there is no public URL at all.
pub fn public_base<B>(public_url: Option<&str>, req: &Request<B>) -> Option<String> {
    if let Some(url) = public_url {
        return Some(url.trim_end_matches('/').to_string());
    }
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| req.uri().authority().map(|a| a.as_str()))?;
    is_loopback_host(host).then(|| format!("http://{host}"))
}

/// The metadata document's URL for the public base `base`: the well-known path inserted
/// before the resource's path (`https://h/.well-known/oauth-protected-resource/mcp`).
pub fn resource_metadata_url(base: &str) -> String {
    let (scheme, rest) = base.split_once("://").unwrap_or(("http", base));
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    let path = if path.is_empty() {
        String::new()
    } else {
        format!("/{path}")
    };
    format!("{scheme}://{authority}/.well-known/oauth-protected-resource{path}/mcp")
}

fn unauthorized(error: &AuthError, base: Option<&str>) -> HttpResponse {
    let mut params = Vec::new();
    if !matches!(error, AuthError::MissingToken) {
        params.push("error=\"invalid_token\"".to_string());
    }
    if let Some(base) = base {
        params.push(format!(
            "resource_metadata=\"{}\"",
            resource_metadata_url(base)
        ));
    }
    let challenge = match params.is_empty() {
        true => "Bearer".to_string(),
        false => format!("Bearer {}", params.join(", ")),
    };
    let mut response = json_response(
        StatusCode::UNAUTHORIZED,
        &json!({ "error": error.reason(), "error_description": error.to_string() }),
    );
    if let Ok(value) = HeaderValue::from_str(&challenge) {
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, value);
    }
    response
}

impl<S, B> Service<Request<B>> for AuthService<S>
where
    S: Service<Request<B>, Response = HttpResponse> + Clone + Send + 'static,
    S::Future: Send + 'static,
    B: Send + 'static,
{
    type Response = HttpResponse;
    type Error = S::Error;
    type Future = BoxFuture<'static, Result<HttpResponse, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        let header = req.headers().get(header::AUTHORIZATION).cloned();
        let bytes = header.as_ref().map(HeaderValue::as_bytes);
        if let Ok(token) = bearer_token(bytes)
            && is_api_key(token)
        {
            return self.call_with_api_key(req, token.to_string());
        }
        let verified = self.verifier.verify_header(bytes);
        // A signature matching neither secret may mean the catalog rotated before our last
        // read of the SSM secret: wait for a forced read (at most one per interval), then
        // verify once more. Only this request waits; others go on.
        let refreshed = match verified {
            Err(AuthError::InvalidSignature) => self.verifier.refresh_after_signature_failure(),
            _ => None,
        };
        let public_url = self.public_url.clone();
        let Some(refreshed) = refreshed else {
            return respond(&mut self.inner, req, verified, public_url.as_deref());
        };
        // `inner` was made ready by `poll_ready`: take it into the future and leave a clone
        // (https://docs.rs/tower/latest/tower/trait.Service.html#be-careful-when-cloning-inner-services).
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let verifier = self.verifier.clone();
        Box::pin(async move {
            refreshed.await;
            let verified = verifier.verify_header(header.as_ref().map(HeaderValue::as_bytes));
            respond(&mut inner, req, verified, public_url.as_deref()).await
        })
    }
}

impl<S> AuthService<S> {
    /// A request whose bearer token is a Quilt API key: judged by the registry when keys are
    /// accepted, else refused with a 401 that says so.
    fn call_with_api_key<B>(
        &mut self,
        req: Request<B>,
        token: String,
    ) -> BoxFuture<'static, Result<HttpResponse, S::Error>>
    where
        S: Service<Request<B>, Response = HttpResponse> + Clone + Send + 'static,
        S::Future: Send + 'static,
        B: Send + 'static,
    {
        let public_url = self.public_url.clone();
        let Some(gate) = self.api_keys.clone() else {
            let refused = Err(AuthError::ApiKeysOff);
            return respond(&mut self.inner, req, refused, public_url.as_deref());
        };
        // As in `call`: the ready `inner` goes into the future, a clone stays.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let request_id = req.extensions().get::<RequestId>().cloned();
        let request_id = request_id.unwrap_or_else(RequestId::mint);
        let addr = req.extensions().get::<ClientAddr>().map(|a| a.0);
        Box::pin(async move {
            let verified = match gate.judge(&token, request_id, addr).await {
                KeyOutcome::Accepted(caller) => Ok(caller),
                KeyOutcome::Refused => Err(AuthError::ApiKeyRefused),
                KeyOutcome::Answered(response) => return Ok(response),
            };
            respond(&mut inner, req, verified, public_url.as_deref()).await
        })
    }
}

/// Passes a verified request on with its caller, or answers 401 and logs the seed's line.
fn respond<S, B>(
    inner: &mut S,
    mut req: Request<B>,
    verified: Result<Caller, AuthError>,
    public_url: Option<&str>,
) -> BoxFuture<'static, Result<HttpResponse, S::Error>>
where
    S: Service<Request<B>, Response = HttpResponse>,
    S::Future: Send + 'static,
{
    match verified {
        Ok(caller) => {
            let user_id = UserId(caller.claims.id);
            req.extensions_mut().insert::<Caller>(caller);
            let inner = inner.call(req);
            Box::pin(async move {
                let mut response = inner.await?;
                response.extensions_mut().insert(user_id);
                Ok(response)
            })
        }
        Err(error) => {
            let request_id = req
                .extensions()
                .get::<RequestId>()
                .map(|id| id.0.as_str())
                .unwrap_or("-");
            // The seed's exact line; the token itself is never logged. A refused API key
            // was logged by its gate, with the key's fingerprint.
            if error != AuthError::ApiKeyRefused {
                tracing::warn!(
                    "JWT validation failed ({}) request_id={}",
                    error.reason(),
                    request_id
                );
            }
            let base = public_base(public_url, &req);
            let mut response = unauthorized(&error, base.as_deref());
            response
                .extensions_mut()
                .insert(AuthRefused(error.reason()));
            Box::pin(async move { Ok(response) })
        }
    }
}
