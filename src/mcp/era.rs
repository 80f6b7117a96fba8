//! Which protocol era a request speaks, and the 2026-07-28 envelope rules that decide whether a
//! modern request may be served at all: its per-request `_meta`, the HTTP headers that mirror
//! the body (`MCP-Protocol-Version`, `Mcp-Method`, `Mcp-Name`), and its protocol version.
//!
//! Legacy (2025-11-25 and earlier) requests are told apart by what they lack: no modern
//! `_meta`, not `server/discover`, and no modern `MCP-Protocol-Version` header. They keep the
//! handshake-era behaviour unchanged.

use base64::Engine;
use serde_json::{Map, Value, json};

use crate::mcp::jsonrpc::{INVALID_PARAMS, RpcError};

/// The `_meta` key carrying a modern request's protocol version.
pub const META_PROTOCOL_VERSION: &str = "io.modelcontextprotocol/protocolVersion";
/// The `_meta` key carrying a modern request's client capabilities.
pub const META_CLIENT_CAPABILITIES: &str = "io.modelcontextprotocol/clientCapabilities";
/// The result `_meta` key naming the server.
pub const META_SERVER_INFO: &str = "io.modelcontextprotocol/serverInfo";

/// Modern revisions we serve per request.
pub const MODERN_VERSIONS: &[&str] = &["2026-07-28"];
/// Handshake-era revisions we negotiate in `initialize`; the first is offered when a client asks
/// for another.
pub const LEGACY_VERSIONS: &[&str] = &["2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"];

/// 2026-07-28 `HeaderMismatch`: a mirrored header is missing, malformed or differs from the body.
pub const HEADER_MISMATCH: i64 = -32020;
/// 2026-07-28 `MissingRequiredClientCapability`.
pub const MISSING_CLIENT_CAPABILITY: i64 = -32021;
/// 2026-07-28 `UnsupportedProtocolVersion`.
pub const UNSUPPORTED_VERSION: i64 = -32022;

/// Every revision we speak, modern first: `server/discover`'s `supportedVersions` and the
/// `supported` list of an unsupported-version error.
pub fn supported_versions() -> Vec<&'static str> {
    MODERN_VERSIONS
        .iter()
        .chain(LEGACY_VERSIONS)
        .copied()
        .collect()
}

/// The protocol era of one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Era {
    /// 2025-11-25 and earlier: `initialize`, no per-request `_meta`.
    Legacy,
    /// 2026-07-28: stateless, versioned per request in `_meta`.
    Modern,
}

/// The request headers that matter to MCP, as text: what a transport shows the dispatcher.
/// Stdio has no headers, so it passes [`HeaderView::NONE`] and the header rules do not apply.
#[derive(Clone, Copy, Debug, Default)]
pub struct HeaderView<'a> {
    /// True on HTTP, where the 2026-07-28 mirrored headers are required.
    pub http: bool,
    /// `MCP-Protocol-Version`; `Some(Err(()))` when present but not visible ASCII.
    pub protocol_version: Option<Result<&'a str, ()>>,
    /// `Mcp-Method`.
    pub method: Option<Result<&'a str, ()>>,
    /// `Mcp-Name`.
    pub name: Option<Result<&'a str, ()>>,
}

impl<'a> HeaderView<'a> {
    /// No headers (stdio).
    pub const NONE: HeaderView<'static> = HeaderView {
        http: false,
        protocol_version: None,
        method: None,
        name: None,
    };

    /// The MCP headers of an HTTP request.
    pub fn from_http(headers: &'a http::HeaderMap) -> Self {
        let text = |name: &str| headers.get(name).map(|v| v.to_str().map_err(|_| ()));
        HeaderView {
            http: true,
            protocol_version: text("mcp-protocol-version"),
            method: text("mcp-method"),
            name: text("mcp-name"),
        }
    }
}

impl HeaderView<'_> {
    /// True when `MCP-Protocol-Version` names a modern revision.
    pub fn names_modern_version(&self) -> bool {
        matches!(self.protocol_version, Some(Ok(v)) if MODERN_VERSIONS.contains(&v.trim()))
    }
}

/// Decides the era: modern when the params carry a modern `_meta` key, when the method is
/// `server/discover` (modern only), or when the header names a modern revision. A modern
/// request that then lacks its `_meta` is refused by [`check_modern`], as the spec asks.
/// An `initialize` without modern `_meta` selects legacy semantics whatever its headers say.
pub fn era_of(headers: &HeaderView, method: &str, params: &Value) -> Era {
    let meta = params.get("_meta").and_then(Value::as_object);
    let modern_meta = meta.is_some_and(|m| {
        m.contains_key(META_PROTOCOL_VERSION) || m.contains_key(META_CLIENT_CAPABILITIES)
    });
    if method == "initialize" && !modern_meta {
        return Era::Legacy;
    }
    let modern_header =
        matches!(headers.protocol_version, Some(Ok(v)) if MODERN_VERSIONS.contains(&v.trim()));
    if modern_meta || method == "server/discover" || modern_header {
        Era::Modern
    } else {
        Era::Legacy
    }
}

/// What a valid modern request declared about its client.
#[derive(Clone, Debug, PartialEq)]
pub struct ModernRequest {
    /// The revision it speaks (one of [`MODERN_VERSIONS`]).
    pub version: String,
    /// `io.modelcontextprotocol/clientCapabilities`.
    pub client_capabilities: Map<String, Value>,
}

/// Why a modern request is refused before its method runs, with the HTTP status it gets.
#[derive(Clone, Debug, PartialEq)]
pub struct Refusal {
    /// The HTTP status (400 for every envelope refusal).
    pub status: u16,
    /// The JSON-RPC error to answer with.
    pub error: RpcError,
}

fn bad_request(error: RpcError) -> Refusal {
    Refusal { status: 400, error }
}

fn mismatch(message: String) -> Refusal {
    bad_request(RpcError::new(
        HEADER_MISMATCH,
        format!("Header mismatch: {message}"),
    ))
}

/// Checks a modern request's envelope, in the order the spec's errors are told apart: the
/// `_meta` fields (-32602), then the mirrored headers on HTTP (-32020), then the version
/// (-32022). All are 400s.
pub fn check_modern(
    headers: &HeaderView,
    method: &str,
    params: &Value,
) -> Result<ModernRequest, Refusal> {
    let meta = params.get("_meta").and_then(Value::as_object);
    let Some(meta) = meta else {
        return Err(bad_request(RpcError::new(
            INVALID_PARAMS,
            format!(
                "a {} request needs params._meta with {META_PROTOCOL_VERSION} and {META_CLIENT_CAPABILITIES}",
                MODERN_VERSIONS[0]
            ),
        )));
    };
    let Some(version) = meta.get(META_PROTOCOL_VERSION).and_then(Value::as_str) else {
        return Err(bad_request(RpcError::new(
            INVALID_PARAMS,
            format!("params._meta needs {META_PROTOCOL_VERSION} (a string)"),
        )));
    };
    let Some(capabilities) = meta
        .get(META_CLIENT_CAPABILITIES)
        .and_then(Value::as_object)
    else {
        return Err(bad_request(RpcError::new(
            INVALID_PARAMS,
            format!("params._meta needs {META_CLIENT_CAPABILITIES} (an object)"),
        )));
    };
    if headers.http {
        check_headers(headers, method, version, params)?;
    }
    if !MODERN_VERSIONS.contains(&version) {
        return Err(bad_request(
            RpcError::new(
                UNSUPPORTED_VERSION,
                format!("Unsupported protocol version {version:?}"),
            )
            .with_data(json!({ "supported": supported_versions(), "requested": version })),
        ));
    }
    Ok(ModernRequest {
        version: version.to_string(),
        client_capabilities: capabilities.clone(),
    })
}

/// The body field `Mcp-Name` mirrors, for the methods that need it.
fn name_source(method: &str) -> Option<&'static str> {
    match method {
        "tools/call" | "prompts/get" => Some("name"),
        "resources/read" => Some("uri"),
        _ => None,
    }
}

/// One mirrored header against its body value. Values are compared as sent, after trimming
/// the optional whitespace HTTP allows around a field value; header names are case-insensitive
/// already (the `http` crate lowercases them).
fn check_header(
    header: &str,
    value: Option<Result<&str, ()>>,
    body: &str,
    decode: bool,
) -> Result<(), Refusal> {
    let value = match value {
        None => return Err(mismatch(format!("the {header} header is missing"))),
        Some(Err(())) => {
            return Err(mismatch(format!(
                "the {header} header has characters that are not visible ASCII"
            )));
        }
        Some(Ok(value)) => value.trim_matches([' ', '\t']),
    };
    let decoded = if decode {
        decode_sentinel(value).map_err(|why| mismatch(format!("{header}: {why}")))?
    } else {
        value.to_string()
    };
    if decoded != body {
        return Err(mismatch(format!(
            "{header} header value {decoded:?} does not match body value {body:?}"
        )));
    }
    Ok(())
}

fn check_headers(
    headers: &HeaderView,
    method: &str,
    version: &str,
    params: &Value,
) -> Result<(), Refusal> {
    check_header(
        "MCP-Protocol-Version",
        headers.protocol_version,
        version,
        false,
    )?;
    check_header("Mcp-Method", headers.method, method, false)?;
    if let Some(field) = name_source(method)
        && let Some(body) = params.get(field).and_then(Value::as_str)
    {
        check_header("Mcp-Name", headers.name, body, true)?;
    }
    Ok(())
}

/// Decodes a `=?base64?…?=` header value (standard alphabet, padded, UTF-8); any other value
/// is literal.
pub fn decode_sentinel(value: &str) -> Result<String, String> {
    let Some(inner) = value
        .strip_prefix("=?base64?")
        .and_then(|rest| rest.strip_suffix("?="))
    else {
        return Ok(value.to_string());
    };
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(inner)
        .map_err(|e| format!("invalid base64 value: {e}"))?;
    String::from_utf8(bytes).map_err(|_| "the base64 value is not UTF-8".to_string())
}

/// Refuses a modern request whose method needs client capabilities it did not declare
/// (-32021, 400), naming them as a `ClientCapabilities` object. `required` lists the
/// capability names; today no method or tool of ours needs one (we never sample, elicit or ask
/// for roots), so every caller passes an empty list, but the rule is here for the first that does.
pub fn require_capabilities(request: &ModernRequest, required: &[&str]) -> Result<(), Refusal> {
    let missing: Map<String, Value> = required
        .iter()
        .filter(|name| !request.client_capabilities.contains_key(**name))
        .map(|name| (name.to_string(), json!({})))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let names: Vec<&String> = missing.keys().collect();
    Err(bad_request(
        RpcError::new(
            MISSING_CLIENT_CAPABILITY,
            format!("this request needs the client capabilities {names:?}"),
        )
        .with_data(json!({ "requiredCapabilities": missing })),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(version: &str) -> Value {
        json!({ "_meta": { META_PROTOCOL_VERSION: version, META_CLIENT_CAPABILITIES: {} } })
    }

    fn http<'a>(version: &'a str, method: &'a str, name: Option<&'a str>) -> HeaderView<'a> {
        HeaderView {
            http: true,
            protocol_version: Some(Ok(version)),
            method: Some(Ok(method)),
            name: name.map(Ok),
        }
    }

    #[test]
    fn the_era_follows_meta_method_or_header() {
        let none = HeaderView::NONE;
        assert_eq!(era_of(&none, "tools/list", &Value::Null), Era::Legacy);
        assert_eq!(era_of(&none, "tools/list", &json!({})), Era::Legacy);
        assert_eq!(
            era_of(&none, "tools/list", &meta("2026-07-28")),
            Era::Modern
        );
        assert_eq!(era_of(&none, "server/discover", &json!({})), Era::Modern);
        let legacy_header = http("2025-11-25", "tools/list", None);
        assert_eq!(
            era_of(&legacy_header, "tools/list", &json!({})),
            Era::Legacy
        );
        let modern_header = http("2026-07-28", "tools/list", None);
        assert_eq!(
            era_of(&modern_header, "tools/list", &json!({})),
            Era::Modern
        );
        assert_eq!(
            era_of(&modern_header, "initialize", &json!({})),
            Era::Legacy
        );
        assert_eq!(
            era_of(&none, "initialize", &meta("2026-07-28")),
            Era::Modern
        );
    }

    #[test]
    fn envelope_errors_come_in_the_spec_order() {
        let code =
            |h: &HeaderView, m: &str, p: &Value| check_modern(h, m, p).unwrap_err().error.code;
        let ok = http("2026-07-28", "tools/list", None);
        assert!(check_modern(&ok, "tools/list", &meta("2026-07-28")).is_ok());
        assert_eq!(code(&ok, "tools/list", &json!({})), INVALID_PARAMS);
        let v999 = http("v999", "tools/list", None);
        assert_eq!(
            code(&v999, "tools/list", &meta("v999")),
            UNSUPPORTED_VERSION
        );
        assert_eq!(code(&ok, "tools/list", &meta("v999")), HEADER_MISMATCH);
        let wrong_method = http("2026-07-28", "prompts/list", None);
        assert_eq!(
            code(&wrong_method, "tools/list", &meta("2026-07-28")),
            HEADER_MISMATCH
        );
        // Stdio has no headers to check.
        assert!(check_modern(&HeaderView::NONE, "tools/list", &meta("2026-07-28")).is_ok());
    }

    #[test]
    fn mcp_name_is_trimmed_and_may_be_base64() {
        let mut params = meta("2026-07-28");
        params["name"] = json!("bucket_list");
        for header in [
            "bucket_list",
            "  bucket_list\t",
            "=?base64?YnVja2V0X2xpc3Q=?=",
        ] {
            let h = http("2026-07-28", "tools/call", Some(header));
            assert!(check_modern(&h, "tools/call", &params).is_ok(), "{header}");
        }
        for header in [
            Some("other"),
            None,
            Some("=?base64?YnVja2V0X2xpc3Q?="),
            Some("=?base64?!!?="),
        ] {
            let h = http("2026-07-28", "tools/call", header);
            let refusal = check_modern(&h, "tools/call", &params).unwrap_err();
            assert_eq!(refusal.error.code, HEADER_MISMATCH, "{header:?}");
            assert_eq!(refusal.status, 400);
        }
    }

    #[test]
    fn a_missing_capability_is_named_as_an_object() {
        let request = ModernRequest {
            version: "2026-07-28".into(),
            client_capabilities: json!({ "roots": {} }).as_object().unwrap().clone(),
        };
        assert!(require_capabilities(&request, &[]).is_ok());
        assert!(require_capabilities(&request, &["roots"]).is_ok());
        let refusal = require_capabilities(&request, &["sampling", "roots"]).unwrap_err();
        assert_eq!(refusal.error.code, MISSING_CLIENT_CAPABILITY);
        assert_eq!(
            refusal.error.data.unwrap()["requiredCapabilities"],
            json!({ "sampling": {} })
        );
    }
}
