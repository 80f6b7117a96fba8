//! MCP over stateless Streamable HTTP: wire decoding (`jsonrpc`), the HTTP rules of the
//! endpoint (`transport`), and the methods (`methods`).

pub mod jsonrpc;
pub mod methods;
pub mod transport;
