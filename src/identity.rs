//! Who a request is for and which request it is: the verified caller and the request id. Low in
//! the house (nothing of ours below it), so the catalog client, the layers and the tools all
//! share these types without importing each other.

use std::fmt;
use std::sync::Arc;

use http::HeaderValue;

/// The caller's raw bearer token, forwarded unchanged to the catalog.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct CallerToken(Arc<str>);

impl CallerToken {
    /// Wraps a token that has been verified.
    pub fn new(token: &str) -> Self {
        CallerToken(Arc::from(token))
    }
    /// The token, for the `Authorization` header of catalog requests only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for CallerToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CallerToken(<redacted>)")
    }
}

/// The verified claims we rely on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Claims {
    /// The catalog's user id.
    pub id: i64,
    /// The catalog's user uuid.
    pub uuid: String,
    /// Expiry, seconds since the epoch.
    pub exp: i64,
}

/// A verified caller: what the auth layer puts in a request's extensions.
#[derive(Clone, Debug)]
pub struct Caller {
    pub claims: Claims,
    pub token: CallerToken,
}

/// The address the request's connection comes from (the peer of the TCP connection; behind
/// a load balancer, the balancer's), put in the extensions by the server per connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ClientAddr(pub std::net::IpAddr);

/// This request's id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestId(pub String);

impl RequestId {
    /// A fresh random id (32 hex digits).
    pub fn mint() -> Self {
        RequestId(uuid::Uuid::new_v4().simple().to_string())
    }

    /// Keeps a caller's id when it is 1–64 characters of `[A-Za-z0-9._-]`, so it can be logged
    /// and echoed safely; anything else gets a fresh id.
    pub fn accept_or_mint(incoming: Option<&HeaderValue>) -> Self {
        let sane = incoming
            .and_then(|v| v.to_str().ok())
            .filter(|v| (1..=64).contains(&v.len()))
            .filter(|v| {
                v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
            });
        match sane {
            Some(id) => RequestId(id.to_string()),
            None => RequestId::mint(),
        }
    }
}
