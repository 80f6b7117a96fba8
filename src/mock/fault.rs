//! Fault injection: how a response is delayed, replaced or broken while a [`Fault`] is set.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::header::{CONTENT_LENGTH, CONTENT_TYPE, LOCATION};
use http::{HeaderMap, HeaderValue, Response, StatusCode};
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full};
use hyper::body::{Body, Frame};

/// What the mock does wrong, for every following request (under `path_prefix`) until cleared.
///
/// `Fault::default()` changes nothing. Fields combine: latency comes first, then either the
/// connection is dropped, or the answer is sent with `status` and `body` applied.
#[derive(Clone, Debug, Default)]
pub struct Fault {
    /// Wait this long before answering (an async sleep: other requests are not held up).
    pub latency: Duration,
    /// Answer with this status instead of the recorded one.
    pub status: Option<u16>,
    /// Which body to send.
    pub body: FaultBody,
    /// Close the socket without any response.
    pub drop_connection: bool,
    /// Only requests whose path starts with this are affected; `None` means all.
    pub path_prefix: Option<String>,
    /// A `Location` header on the answer: with a 3xx `status`, a redirect.
    pub location: Option<String>,
}

/// The body sent while a fault is set.
#[derive(Clone, Debug, Default)]
pub enum FaultBody {
    /// The recorded body (or the unrecorded-request error body when nothing matched).
    #[default]
    Recorded,
    /// `{"data": {` with a JSON content type: a body that is not complete JSON.
    Malformed,
    /// A `Content-Length` larger than what is sent, then the connection is closed.
    Truncated,
    /// `<html>502 Bad Gateway</html>` as `text/html`, as a load balancer would answer.
    Html,
    /// This JSON text instead of the answer, e.g. `{"errors":[{"message":"boom"}]}` for a
    /// registry whose resolvers fail.
    Json(String),
    /// A body that never ends (chunks of `x`, no `Content-Length`), as a hostile or broken
    /// server sends: the client must stop reading on its own.
    Endless,
}

impl Fault {
    /// Whether this fault applies to a request for `path`.
    pub(crate) fn applies_to(&self, path: &str) -> bool {
        self.path_prefix
            .as_deref()
            .is_none_or(|prefix| path.starts_with(prefix))
    }

    /// Whether the answer differs from the recording (latency alone does not count).
    pub(crate) fn disrupts(&self) -> bool {
        self.status.is_some()
            || !matches!(self.body, FaultBody::Recorded)
            || self.drop_connection
            || self.location.is_some()
    }
}

/// The body type every mock response uses.
pub(crate) type MockBody = BoxBody<Bytes, std::io::Error>;

/// A complete answer, ready to send as is or to be broken by a fault.
#[derive(Clone, Debug)]
pub(crate) struct Prepared {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
}

impl Prepared {
    /// The answer as recorded.
    pub(crate) fn into_response(self) -> Response<MockBody> {
        build(self.status, self.headers, full(self.body))
    }
}

/// The answer with `fault`'s status, body and `Location` applied (latency and dropping are the
/// caller's).
pub(crate) fn apply(fault: &Fault, recorded: Prepared) -> Response<MockBody> {
    let mut response = apply_body(fault, recorded);
    let location = fault.location.as_deref().map(HeaderValue::from_str);
    if let Some(Ok(location)) = location {
        response.headers_mut().insert(LOCATION, location);
    }
    response
}

fn apply_body(fault: &Fault, recorded: Prepared) -> Response<MockBody> {
    let forced = fault.status.and_then(|s| StatusCode::from_u16(s).ok());
    let status = forced.unwrap_or(recorded.status);
    match &fault.body {
        FaultBody::Recorded => build(status, recorded.headers, full(recorded.body)),
        FaultBody::Malformed => build(
            status,
            content_type("application/json"),
            full(Bytes::from_static(b"{\"data\": {")),
        ),
        FaultBody::Html => {
            let body = full(Bytes::from_static(b"<html>502 Bad Gateway</html>"));
            build(
                forced.unwrap_or(StatusCode::BAD_GATEWAY),
                content_type("text/html"),
                body,
            )
        }
        FaultBody::Json(text) => build(
            status,
            content_type("application/json"),
            full(Bytes::from(text.clone())),
        ),
        FaultBody::Endless => {
            let mut headers = recorded.headers;
            headers.remove(CONTENT_LENGTH);
            build(status, headers, BoxBody::new(EndlessBody))
        }
        FaultBody::Truncated => {
            let mut headers = recorded.headers;
            // Promise more bytes than will ever come, so the client sees the body cut short.
            let declared = recorded.body.len() + 64;
            headers.insert(CONTENT_LENGTH, HeaderValue::from(declared));
            let sent = recorded.body.slice(..recorded.body.len() / 2);
            build(status, headers, BoxBody::new(TruncatedBody::new(sent)))
        }
    }
}

fn content_type(value: &'static str) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(value));
    headers
}

fn full(bytes: Bytes) -> MockBody {
    Full::new(bytes).map_err(|never| match never {}).boxed()
}

fn build(status: StatusCode, headers: HeaderMap, body: MockBody) -> Response<MockBody> {
    let mut response = Response::new(body);
    *response.status_mut() = status;
    *response.headers_mut() = headers;
    response
}

/// Sends one chunk, pauses, then fails: hyper then closes the connection mid-body.
struct TruncatedBody {
    chunk: Option<Bytes>,
    // Without the pause hyper would meet the error before flushing, and close the connection
    // with nothing sent; a pending body makes it flush the head and the chunk first.
    pause: Pin<Box<tokio::time::Sleep>>,
}

impl TruncatedBody {
    fn new(chunk: Bytes) -> TruncatedBody {
        TruncatedBody {
            chunk: Some(chunk),
            pause: Box::pin(tokio::time::sleep(Duration::from_millis(20))),
        }
    }
}

impl Body for TruncatedBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
        if let Some(chunk) = self.chunk.take() {
            return Poll::Ready(Some(Ok(Frame::data(chunk))));
        }
        match self.pause.as_mut().poll(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(()) => Poll::Ready(Some(Err(std::io::Error::other(
                "mock catalog: truncated body fault",
            )))),
        }
    }
}

/// Sends 64 KiB chunks for as long as the client reads; hyper drops it when the client goes.
struct EndlessBody;

impl Body for EndlessBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
        static CHUNK: [u8; 64 * 1024] = [b'x'; 64 * 1024];
        Poll::Ready(Some(Ok(Frame::data(Bytes::from_static(&CHUNK)))))
    }
}
