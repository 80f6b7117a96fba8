//! MCP over stateless Streamable HTTP: wire decoding (`jsonrpc`), the HTTP rules of the
//! endpoint (`transport`), the one transport-agnostic entry (`dispatch`), the protocol eras and
//! the 2026-07-28 envelope rules (`era`), the modern result fields and `server/discover`
//! (`discover`), and the methods (`methods`).

pub mod discover;
pub mod dispatch;
pub mod era;
pub mod jsonrpc;
pub mod methods;
pub mod transport;
