//! The embedded catalog ("the mock"): a real HTTP server on a loopback port that stands in for
//! a Quilt catalog, its registry, S3 and SSM, for `quilt-mcp demo`, `mock-catalog` and every
//! black-box test. It runs in one of two modes.
//!
//! # The model (the default)
//!
//! [`MockCatalog::start`] serves [`model::Model`]: a small in-memory catalog loaded from the
//! dataset in `tests/dataset/` (compiled in), answering every face from that one world:
//!
//! - `POST /graphql`: any operation valid against `schema/catalog.graphql`, executed by
//!   apollo-compiler against the model (`graphql/`), for any variables;
//! - `GET /config.json`, `/api/auth/get_credentials` (each user's own keys), `/api/search`
//!   (an Elasticsearch-like search over the model, `search.rs`), `/browse/<session>/<path>`
//!   and the presigned `/presigned/…` links it redirects to (`registry.rs`);
//! - S3, for requests signed with SigV4 (`s3_face.rs`): ListObjectsV2, HeadObject, GetObject
//!   (versions, ranges), PutObject (`If-None-Match`), with the permissions of the user the
//!   signing key was issued to;
//! - SSM `GetParameter` (`ssm.rs`);
//! - Athena's JSON 1.1 calls (`athena/`): queries run for real (SQLite) over the dataset's
//!   Glue and Tabulator tables, per caller.
//! - a small docs site under `/docs/` (`docs_site.rs`), for `search_docs_quilt_bio`;
//! - the package view's reading of `quilt_summarize.json` (`summarize.rs`), for tests of the
//!   summaries our tools write.
//!
//! The caller is the `id` claim of the bearer token (decoded, not verified: the server in
//! front already verified it), or, for a Quilt API key (`qk_…`), the user whose key it is; an
//! unknown id or key gets 401 and an inactive user 403, as from the registry. Writes (pushes, deletes, user and role changes, SSO, Tabulator, object puts)
//! change the model for the run. A request the model does not support gets the error the real
//! service would give, naming what is unsupported; with [`MockCatalog::set_strict`] it is also
//! kept as unmatched, so the test fails.
//!
//! # Replay (wire-format fixtures)
//!
//! [`MockCatalog::replay`] answers from recordings instead: `tests/recordings/*.json` keep
//! answers in the catalog's wire format (our decoders and the model are checked against
//! them), and `quilt-mcp record` writes new ones from a real catalog. The rules below are the
//! replay's.
//!
//! # Recording files
//!
//! One scenario per JSON file (`tests/recordings/*.json`, embedded by [`Recordings::builtin`]):
//!
//! ```json
//! { "scenario": "buckets", "description": "what this file is for",
//!   "interactions": [
//!     { "id": "list-buckets-alice",
//!       "request": { "graphql": { "operation": "ListBuckets" }, "user_id": 1 },
//!       "response": { "status": 200, "body": { "data": { "bucketConfigs": [] } } } },
//!     { "id": "config",
//!       "request": { "method": "GET", "path": "/config.json" },
//!       "response": { "status": 200, "body": { "registryUrl": "{{mock_url}}" } } } ] }
//! ```
//!
//! A `request` matcher has exactly one of:
//! - `"graphql": {"operation": NAME, "variables": {...}}`: `POST /graphql` whose operation is
//!   NAME (the body's `operationName`, else the name after the first `query`/`mutation`
//!   keyword). `"operation": "*"` matches any operation, anonymous ones included. `variables`
//!   absent or `null` matches any variables; otherwise they must be equal as JSON, where a
//!   request without variables counts as `{}`.
//! - `"path": "/exact/path"`: that path (the query string is not part of it).
//! - `"path_prefix": "/api/"`: any path starting with it.
//!
//! With `path`/`path_prefix`, `"method"` (absent: any method; a recorded `GET` also answers
//! `HEAD`) and `"query"` (a subset: each listed key must be present with that decoded value; a
//! value written as JSON, e.g. an object, matches a parameter holding that JSON in any
//! spelling; `null` means the parameter must be absent) narrow the match.
//!
//! `"user_id": N` restricts a matcher to callers whose bearer token's payload has `"id": N`
//! (decoded, not verified: see [`caller_id_from_bearer`]). `"access_key": "ASIA…"` restricts
//! an S3 matcher to requests signed with that access key (see below).
//!
//! A `response` has a `status`, optional `headers`, and exactly one of `body` (JSON, sent as
//! `application/json` unless a content type is given), `body_text` (sent as is, `text/plain`
//! by default) and `body_base64` (base64url bytes for binary files, `application/octet-stream`
//! by default). Every `{{mock_url}}` in a header value, a JSON string or the text is replaced
//! with the mock's base URL, e.g. `http://127.0.0.1:43123`.
//!
//! # Choosing an answer
//!
//! Among the interactions that match (including their state, below), one with a `user_id` or an
//! `access_key` wins over one without; then file order (files in [`Recordings::merge`] order;
//! [`Recordings::from_dir`] sorts by name). So `"graphql": {"operation": "*"}, "user_id": 3`
//! answers every GraphQL call by user 3, ahead of recordings meant for anyone.
//!
//! # Scenario state
//!
//! Each scenario has a state, `"initial"` at start. An interaction with `"when_state": "x"`
//! matches only while its scenario is in state `x`; one with `"set_state": "y"` moves its
//! scenario to `y` after answering. This records round trips (create, then list shows the new
//! item). A request answered under a disruptive fault (status, body or dropped connection; not
//! latency alone) does not move the state, so a retry sees the same state.
//!
//! # Strictness (replay)
//!
//! A request no interaction matches gets HTTP 500 with
//! `{"errors":[{"message":"mock catalog: unrecorded request: POST /graphql operation=... variables=... user_id=..."}]}`,
//! is logged with `tracing::error!`, and is kept in [`MockCatalog::unmatched`].
//! [`MockCatalog::assert_all_matched`] panics listing them, and so does dropping the mock, so a
//! test cannot pass by accident. Every request is in [`MockCatalog::requests`], with the raw
//! bearer token, so tests can prove the caller's own token was forwarded.
//!
//! # The S3 face
//!
//! The same base URL answers the S3 REST calls of the bucket tools (path-style
//! `/<bucket>/<key>`: ListObjectsV2, HeadObject, GetObject with `Range`, PutObject) when the
//! server's S3 endpoint (`AWS_ENDPOINT_URL_S3`) points here. S3 requests are told apart by their
//! SigV4 signature, not their path; recordings answer them like any REST call, with XML in
//! `body_text` (or the object's bytes in `body_base64`). The signing access key is checked
//! against the keys the recorded `get_credentials` answers issued and against the recording's
//! `access_key`; a request signed with the wrong caller's key is refused and counted as
//! unrecorded. The rules are in the `s3` module. [`SeenRequest`] carries each request's
//! `access_key` and its body's length and SHA-256, so tests can check what was uploaded.
//!
//! # Faults
//!
//! [`MockCatalog::set_fault`] makes every following request (optionally only under a path
//! prefix) slow, answer a forced status, carry a malformed, truncated or HTML body, or lose its
//! connection, until [`MockCatalog::clear_fault`]. See [`Fault`].
//!
//! # SSM
//!
//! The same URL also answers SSM's `GetParameter` (requests with `X-Amz-Target: AmazonSSM.*`)
//! from a parameter store set with [`MockCatalog::set_ssm_parameter`], so a server started with
//! `AWS_ENDPOINT_URL_SSM` pointing here reads its JWT secret from the mock. See `ssm.rs`.
//!
//! # Recording new scenarios
//!
//! [`record`] (`quilt-mcp record`) is a proxy to a real catalog that writes what passes through
//! it in this format, with tokens and credentials redacted.

mod athena;
mod builtin;
pub mod docs_site;
mod fault;
mod graphql;
mod matcher;
pub mod model;
pub mod record;
mod recording;
mod registry;
mod s3;
mod s3_face;
mod search;
mod seen;
mod server;
mod ssm;
pub mod summarize;
mod token;

pub use athena::{AthenaStart, DEFAULT_DELAY as ATHENA_DEFAULT_DELAY, NEVER_FINISHES};
pub use fault::{Fault, FaultBody};
pub use record::Recorder;
pub use recording::{RecordingError, Recordings};
pub use seen::SeenRequest;
pub use server::MockCatalog;
pub use ssm::SsmRequest;
pub use token::caller_id_from_bearer;

/// The text in recorded responses that is replaced by the mock's base URL.
pub const MOCK_URL_PLACEHOLDER: &str = "{{mock_url}}";
