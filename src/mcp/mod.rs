//! MCP over stateless Streamable HTTP: wire decoding (`jsonrpc`), the HTTP rules of the
//! endpoint (`transport`), and the methods (`methods`). `json_budget` refuses bodies with
//! more values than any call needs before they are parsed.

pub mod json_budget;
pub mod jsonrpc;
pub mod methods;
pub mod transport;
