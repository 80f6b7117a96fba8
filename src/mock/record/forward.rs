//! Sending one request on to the real catalog or registry, and reading its answer.
//!
//! The client is `ureq`, as in [`crate::catalog`]: it is already our HTTPS client (rustls, the
//! same roots), it can be told not to follow redirects and not to treat 4xx/5xx as errors, and
//! its body reader enforces a size limit. hyper's client would need a connector and TLS wiring
//! the crate does not otherwise carry. Calls are blocking, so they run on tokio's blocking pool.

use std::fmt;
use std::io;
use std::time::Duration;

use bytes::Bytes;
use http::header::{CONNECTION, HeaderName};
use http::request::Parts;
use http::{HeaderMap, Method, StatusCode};

/// The largest answer the recorder reads; a larger one is refused (502) and not recorded.
pub(crate) const MAX_BODY_BYTES: usize = 32 * 1024 * 1024;
/// How long one upstream exchange may take.
const UPSTREAM_TIMEOUT: Duration = Duration::from_secs(120);

/// Headers that belong to one connection, never forwarded either way (RFC 9110 section 7.6.1),
/// plus those the client library sets itself.
const HOP_BY_HOP: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "expect",
    "host",
    "content-length",
];

/// Which upstream a request goes to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Side {
    Catalog,
    Registry,
}

impl fmt::Display for Side {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Side::Catalog => "catalog",
            Side::Registry => "registry",
        })
    }
}

/// The two upstream base URLs and the shared client.
#[derive(Debug)]
pub(crate) struct Upstreams {
    catalog: String,
    registry: String,
    agent: ureq::Agent,
}

/// An upstream's answer, body read whole.
#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
}

/// Why there is no answer to forward.
#[derive(Debug)]
pub(crate) enum ForwardError {
    /// No connection, a timeout, or a broken exchange.
    Unreachable(String),
    /// The answer is larger than [`MAX_BODY_BYTES`].
    TooLarge,
}

impl Upstreams {
    /// Both base URLs must be `http://` or `https://`; a trailing `/` is dropped.
    pub(crate) fn new(catalog: &str, registry: &str) -> io::Result<Upstreams> {
        let base = |name: &str, url: &str| {
            let url = url.trim().trim_end_matches('/');
            let has_host = url
                .strip_prefix("https://")
                .or_else(|| url.strip_prefix("http://"))
                .is_some_and(|rest| !rest.is_empty());
            if !has_host {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("the {name} URL {url:?} must start with http:// or https://"),
                ));
            }
            Ok(url.to_string())
        };
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(UPSTREAM_TIMEOUT))
            .http_status_as_error(false)
            // Redirects are answers to record (a /browse link's Location), not to follow.
            .max_redirects(0)
            .allow_non_standard_methods(true)
            .build()
            .into();
        Ok(Upstreams {
            catalog: base("catalog", catalog)?,
            registry: base("registry", registry)?,
            agent,
        })
    }

    /// The base URL of `side`.
    pub(crate) fn base(&self, side: Side) -> &str {
        match side {
            Side::Catalog => &self.catalog,
            Side::Registry => &self.registry,
        }
    }

    /// Both base URLs, for redaction.
    pub(crate) fn bases(&self) -> Vec<String> {
        vec![self.catalog.clone(), self.registry.clone()]
    }

    /// GraphQL and `/api/...` belong to the registry; `/config.json`, `/browse/...` and the
    /// rest to the catalog.
    pub(crate) fn route(path: &str) -> Side {
        if path == "/graphql" || path == "/api" || path.starts_with("/api/") {
            Side::Registry
        } else {
            Side::Catalog
        }
    }

    /// Sends the request to `side` as it came (minus connection headers) and reads the answer.
    pub(crate) async fn send(
        &self,
        side: Side,
        parts: &Parts,
        body: Bytes,
    ) -> Result<Reply, ForwardError> {
        let path_and_query = parts.uri.path_and_query().map_or("/", |p| p.as_str());
        let url = format!("{}{path_and_query}", self.base(side));
        let mut request = http::Request::builder()
            .method(parts.method.clone())
            .uri(url);
        for (name, value) in forwardable(&parts.headers) {
            request = request.header(name, value);
        }
        // Bodiless methods go out without one, so no `Content-Length: 0` appears on a GET.
        let bodiless = body.is_empty()
            && matches!(
                parts.method,
                Method::GET | Method::HEAD | Method::DELETE | Method::OPTIONS
            );
        let agent = self.agent.clone();
        let joined = tokio::task::spawn_blocking(move || {
            let response = if bodiless {
                let request = request.body(()).map_err(ureq::Error::from)?;
                agent.run(request)
            } else {
                let request = request.body(body.to_vec()).map_err(ureq::Error::from)?;
                agent.run(request)
            };
            read(response?)
        })
        .await;
        match joined {
            Ok(Ok(reply)) => Ok(reply),
            Ok(Err(ureq::Error::BodyExceedsLimit(_))) => Err(ForwardError::TooLarge),
            Ok(Err(other)) => Err(ForwardError::Unreachable(other.to_string())),
            Err(join) => Err(ForwardError::Unreachable(format!("internal error: {join}"))),
        }
    }
}

fn read(mut response: http::Response<ureq::Body>) -> Result<Reply, ureq::Error> {
    let status = response.status();
    let headers = response.headers().clone();
    let body = response
        .body_mut()
        .with_config()
        .limit(MAX_BODY_BYTES as u64)
        .read_to_vec()?;
    Ok(Reply {
        status,
        headers,
        body: Bytes::from(body),
    })
}

/// The headers worth passing on: all but the hop-by-hop ones, those the `Connection` header
/// names, and `Accept-Encoding` (so answers come uncompressed and can be recorded as text).
pub(crate) fn forwardable(
    headers: &HeaderMap,
) -> impl Iterator<Item = (&HeaderName, &http::HeaderValue)> {
    let named_by_connection: Vec<String> = headers
        .get_all(CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|name| name.trim().to_ascii_lowercase())
        .collect();
    headers.iter().filter(move |(name, _)| {
        let name = name.as_str();
        !HOP_BY_HOP.contains(&name)
            && name != "accept-encoding"
            && !named_by_connection.iter().any(|n| n == name)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_graphql_and_api_to_the_registry() {
        assert_eq!(Upstreams::route("/graphql"), Side::Registry);
        assert_eq!(
            Upstreams::route("/api/auth/get_credentials"),
            Side::Registry
        );
        assert_eq!(Upstreams::route("/config.json"), Side::Catalog);
        assert_eq!(Upstreams::route("/browse/bs_1/README.md"), Side::Catalog);
        assert_eq!(Upstreams::route("/apix"), Side::Catalog);
    }

    #[test]
    fn drops_connection_headers() {
        let mut headers = HeaderMap::new();
        for (name, value) in [
            ("authorization", "Bearer t"),
            ("connection", "keep-alive, x-private"),
            ("x-private", "1"),
            ("host", "127.0.0.1"),
            ("accept-encoding", "gzip"),
            ("content-type", "application/json"),
        ] {
            headers.insert(
                HeaderName::from_static(name),
                http::HeaderValue::from_static(value),
            );
        }
        let mut kept: Vec<&str> = forwardable(&headers).map(|(n, _)| n.as_str()).collect();
        kept.sort();
        assert_eq!(kept, vec!["authorization", "content-type"]);
    }

    #[test]
    fn upstream_urls_are_checked() {
        assert!(Upstreams::new("https://c.example.com/", "http://127.0.0.1:1").is_ok());
        assert!(Upstreams::new("c.example.com", "http://127.0.0.1:1").is_err());
        assert!(Upstreams::new("https://c", "https://").is_err());
        let ok = Upstreams::new("https://c.example.com/", "http://r").unwrap();
        assert_eq!(ok.base(Side::Catalog), "https://c.example.com");
    }
}
