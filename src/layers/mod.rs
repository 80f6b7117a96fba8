//! The tower layers of the request path, one per file, in the order a request meets them.
//! Each is a `FooLayer` (configuration) and a `FooService<S>` (wraps `inner`); a refusing layer
//! answers itself and never calls `inner`.

pub mod api_key;
pub mod auth;
pub mod drain;
pub mod limits;
pub mod origin;
pub mod rate_limit;
pub mod request_id;
pub mod telemetry;
