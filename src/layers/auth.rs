//! Authentication: every request that reaches this layer must carry a valid catalog JWT.
//! A refusal is answered here (401 with a `WWW-Authenticate` challenge) and never reaches the
//! inner service; a verified [`Caller`] rides in the request's extensions to the tools.
//! When the secret comes from SSM, a signature failure first waits for a forced read of the
//! secret (at most one per refresh interval, see [`crate::secret`]) and verifies once more.

use std::sync::Arc;
use std::task::{Context, Poll};

use http::{HeaderValue, Request, StatusCode, header};
use serde_json::json;
use tower::{Layer, Service};

use crate::auth::{AuthError, Caller, JwtVerifier};
use crate::http::{BoxFuture, HttpResponse, json_response};
use crate::identity::RequestId;
use crate::layers::telemetry::UserId;

/// Requires a valid bearer token.
#[derive(Clone, Debug)]
pub struct AuthLayer {
    verifier: Arc<JwtVerifier>,
}

impl AuthLayer {
    /// Verifies tokens with `verifier`.
    pub fn new(verifier: Arc<JwtVerifier>) -> Self {
        AuthLayer { verifier }
    }
}

impl<S> Layer<S> for AuthLayer {
    type Service = AuthService<S>;
    fn layer(&self, inner: S) -> Self::Service {
        AuthService {
            inner,
            verifier: self.verifier.clone(),
        }
    }
}

/// The service made by [`AuthLayer`].
#[derive(Clone, Debug)]
pub struct AuthService<S> {
    inner: S,
    verifier: Arc<JwtVerifier>,
}

/// Where clients find our protected-resource metadata, built from the request's own host so
/// that it is right behind a load balancer too.
pub fn resource_metadata_url<B>(req: &Request<B>) -> String {
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| req.uri().authority().map(|a| a.as_str()))
        .unwrap_or("localhost");
    let scheme = req
        .headers()
        .get("x-forwarded-proto")
        .and_then(|h| h.to_str().ok())
        .filter(|p| *p == "https" || *p == "http")
        .unwrap_or("http");
    format!("{scheme}://{host}/.well-known/oauth-protected-resource/mcp")
}

fn unauthorized(error: &AuthError, metadata_url: &str) -> HttpResponse {
    let challenge = match error {
        AuthError::MissingToken => format!("Bearer resource_metadata=\"{metadata_url}\""),
        _ => format!("Bearer error=\"invalid_token\", resource_metadata=\"{metadata_url}\""),
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
        let verified = self
            .verifier
            .verify_header(header.as_ref().map(HeaderValue::as_bytes));
        // A signature matching neither secret may mean the catalog rotated before our last
        // read of the SSM secret: wait for a forced read (at most one per interval), then
        // verify once more. Only this request waits; others go on.
        let refreshed = match verified {
            Err(AuthError::InvalidSignature) => self.verifier.refresh_after_signature_failure(),
            _ => None,
        };
        let Some(refreshed) = refreshed else {
            return respond(&mut self.inner, req, verified);
        };
        // `inner` was made ready by `poll_ready`: take it into the future and leave a clone
        // (https://docs.rs/tower/latest/tower/trait.Service.html#be-careful-when-cloning-inner-services).
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let verifier = self.verifier.clone();
        Box::pin(async move {
            refreshed.await;
            let verified = verifier.verify_header(header.as_ref().map(HeaderValue::as_bytes));
            respond(&mut inner, req, verified).await
        })
    }
}

/// Passes a verified request on with its caller, or answers 401 and logs the seed's line.
fn respond<S, B>(
    inner: &mut S,
    mut req: Request<B>,
    verified: Result<Caller, AuthError>,
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
            // The seed's exact line; the token itself is never logged.
            tracing::warn!(
                "JWT validation failed ({}) request_id={}",
                error.reason(),
                request_id
            );
            let response = unauthorized(&error, &resource_metadata_url(&req));
            Box::pin(async move { Ok(response) })
        }
    }
}
