//! quilt-mcp: a stateless MCP server for one Quilt data catalog, acting with each caller's own
//! catalog token.
//!
//! # Layout
//!
//! A request's path through the modules, in order:
//!
//! - [`server`]: accepts connections (HTTP/1.1 and h2c) and shuts down gracefully.
//! - [`routes`]: builds the stack and sends each path to its handler.
//! - [`layers`]: the tower layers, one per file: request id, telemetry, drain (shutdown),
//!   limits, origin, auth (with `api_key`, the door for Quilt API keys when `MCP_API_KEYS` is
//!   on), rate limit.
//! - [`auth`]: verifies the caller's catalog JWT (an API key is judged by the registry instead:
//!   `catalog::api_keys`).
//! - [`mcp`]: JSON-RPC decoding, the Streamable HTTP rules, and the MCP methods. Two protocol
//!   eras share `POST /mcp`: a request carrying the 2026-07-28 `_meta` is served statelessly
//!   under 2026-07-28, anything else under 2025-11-25 as before. `mcp::transport` only frames
//!   HTTP; the one transport-agnostic entry is `mcp::dispatch::answer(ctx, headers, message)
//!   -> Reply`, which decides the era (`mcp::era`: `_meta`, mirrored headers, versions and
//!   their error codes), answers the method (`mcp::methods`) and adds the modern result fields
//!   and `server/discover` (`mcp::discover`). A stdio transport calls the same entry with
//!   `HeaderView::NONE` and maps `Reply::outcome` to nothing (HTTP maps it to 200/202/400/404).
//! - [`tools`]: the static tool table: one folder per area (navigation, buckets, packages,
//!   search, athena, tabulator, visualization, admin), each declaring its toolset, one file
//!   per tool or small family; `tools::resources` is the resource table, served by the same
//!   handlers.
//! - [`catalog`]: the only backend: GraphQL operations from `schema/queries/` and the registry's
//!   REST endpoints, with the caller's token.
//! - [`aws`]: S3, signed with the temporary credentials the registry issues to each caller,
//!   never with the task's own role.
//!
//! Local runs (the default-on `mock` feature; the production image is built without it):
//! [`mock`] (the embedded catalog: a model of a Quilt catalog loaded from `tests/dataset/`,
//! answering GraphQL, REST, S3 and SSM; also a replay of recordings, and `mock::record`, the
//! proxy that records them), [`demo`] (`demo` and `mock-catalog`).
//!
//! Around them: [`config`] (environment, read once), [`secret`] (the JWT secret, from the
//! environment or SSM, refreshed in the background), [`state`] (what requests share),
//! [`logging`], [`http`] (shared HTTP types, URL percent-encoding), [`time`] and [`ttl_map`]
//! (the bounded, expiring map behind every cache and the rate limiter), [`metrics`] (the
//! counters every layer records into, their EMF and Prometheus forms, and `traceparent`). [`curl`] is the image's
//! stand-in `curl` for shell health checks.
//!
//! # The house has floors
//!
//! Modules import from their own floor or the floors below, never in a circle (`tests/house.rs`
//! fails on a new one), so `catalog` and `aws` can be read and tested alone:
//!
//! 1. [`time`], [`http`], [`ttl_map`], [`toolset`], [`identity`] (the caller and the request
//!    id), [`metrics`], [`json_budget`] (a JSON document's values counted before parsing):
//!    nothing of ours.
//! 2. [`config`], [`auth`] (with the secret refresher's signal), [`catalog`], [`tool_error`],
//!    [`docs`] (the public docs site `search_docs_quilt_bio` reads, never with a caller's token).
//! 3. [`secret`], [`layers`], [`aws`], [`state`].
//! 4. [`tools`] (with the resources and the request context), then [`mcp`], [`routes`],
//!    [`server`] and [`stdio`] (MCP on standard input and output, for one local user), and the
//!    commands: [`cli`], [`demo`], [`mock`].

pub mod auth;
pub mod aws;
pub mod catalog;
pub mod cli;
pub mod config;
pub mod curl;
#[cfg(feature = "mock")]
pub mod demo;
pub mod docs;
pub mod http;
pub mod identity;
pub mod json_budget;
pub mod layers;
pub mod logging;
pub mod mcp;
pub mod metrics;
#[cfg(feature = "mock")]
pub mod mock;
pub mod routes;
pub mod secret;
pub mod server;
pub mod state;
pub mod stdio;
pub mod time;
pub mod tool_error;
pub mod tools;
pub mod toolset;
pub mod ttl_map;
