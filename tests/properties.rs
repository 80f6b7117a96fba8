//! Property tests over the decoders that face the network: JSON-RPC messages, the 2026-07-28
//! envelope (`_meta` and the mirrored headers) and bearer tokens. They stand in for cargo-fuzz, which needs a nightly toolchain this project's machines
//! cannot install. `just fuzz` runs them with many more cases.

use proptest::prelude::*;
use quilt_mcp::auth::{AuthError, JwtVerifier, sign_token};
use quilt_mcp::config::Secret;
use quilt_mcp::mcp::era::{self, HEADER_MISMATCH, HeaderView, UNSUPPORTED_VERSION};
use quilt_mcp::mcp::jsonrpc::{self, INVALID_PARAMS, INVALID_REQUEST, Message, PARSE_ERROR};
use serde_json::{Value, json};

fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| json!(f)),
        ".{0,20}".prop_map(Value::String),
    ];
    leaf.prop_recursive(6, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    Just("jsonrpc".to_string()),
                    Just("id".to_string()),
                    Just("method".to_string()),
                    Just("params".to_string()),
                    Just("result".to_string()),
                    ".{0,8}"
                ],
                inner,
                0..6
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Params of a would-be modern request: `_meta` with the two modern keys holding anything, and
/// a name or URI of any shape.
fn modern_params() -> impl Strategy<Value = Value> {
    (
        any_json(),
        any_json(),
        prop_oneof![Just(json!("2026-07-28")), any_json()],
    )
        .prop_map(|(capabilities, name, version)| {
            json!({
                "_meta": {
                    era::META_PROTOCOL_VERSION: version,
                    era::META_CLIENT_CAPABILITIES: capabilities,
                },
                "name": name,
                "uri": name,
            })
        })
}

/// A header value as `HeaderView` shows it: absent, not text, or any text (base64 sentinels
/// included).
fn header_text() -> impl Strategy<Value = Option<Result<String, ()>>> {
    prop_oneof![
        Just(None),
        Just(Some(Err(()))),
        ".{0,30}".prop_map(|t| Some(Ok(t))),
        "[A-Za-z0-9+/=!]{0,24}".prop_map(|t| Some(Ok(format!("=?base64?{t}?=")))),
    ]
}

fn as_view(header: &Option<Result<String, ()>>) -> Option<Result<&str, ()>> {
    header.as_ref().map(|r| r.as_deref().map_err(|_| ()))
}

fn verifier() -> JwtVerifier {
    JwtVerifier::new(&Secret::new("property-secret"), None, None)
}

proptest! {
    #[test]
    fn decode_never_panics_on_bytes(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        if let Err(e) = jsonrpc::decode(&bytes) {
            prop_assert!([PARSE_ERROR, INVALID_REQUEST, INVALID_PARAMS].contains(&e.error.code));
        }
    }

    #[test]
    fn decode_never_panics_on_json(value in any_json()) {
        let bytes = serde_json::to_vec(&value).unwrap();
        match jsonrpc::decode(&bytes) {
            Ok(_) => prop_assert!(value.is_object()),
            Err(e) => {
                prop_assert!([INVALID_REQUEST, INVALID_PARAMS].contains(&e.error.code), "{}", e.error);
                if value.is_array() { prop_assert_eq!(e.error.code, INVALID_REQUEST); }
            }
        }
    }

    #[test]
    fn well_formed_requests_decode_to_themselves(method in "[a-z/_]{1,30}", id in prop_oneof![any::<i64>().prop_map(|n| json!(n)), "[a-zA-Z0-9-]{0,20}".prop_map(Value::String)]) {
        let body = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": {"k": 1}});
        let decoded = jsonrpc::decode(&serde_json::to_vec(&body).unwrap()).unwrap();
        prop_assert_eq!(decoded, Message::Request { id, method, params: json!({"k": 1}) });
    }

    #[test]
    fn arbitrary_authorization_headers_are_refused_without_panic(header in prop::collection::vec(any::<u8>(), 0..300)) {
        prop_assert!(verifier().verify_header(Some(&header)).is_err());
    }

    #[test]
    fn arbitrary_jwt_shaped_tokens_are_refused(a in "[A-Za-z0-9_-]{0,60}", b in "[A-Za-z0-9_-]{0,120}", c in "[A-Za-z0-9_-]{0,60}") {
        let header = format!("Bearer {a}.{b}.{c}");
        prop_assert!(verifier().verify_header(Some(header.as_bytes())).is_err());
    }

    #[test]
    fn any_change_to_a_signed_header_or_payload_is_refused(position in any::<prop::sample::Index>(), replacement in "[A-Za-z0-9_-]") {
        let secret = Secret::new("property-secret");
        let token = sign_token(&secret, &json!({"id": 7, "uuid": "u", "exp": quilt_mcp::time::unix_now() + 600})).unwrap();
        let signed_part = token.rfind('.').unwrap();
        let at = position.index(signed_part);
        let original = &token[at..at + 1];
        prop_assume!(original != "." && original != replacement);
        let tampered = format!("{}{}{}", &token[..at], replacement, &token[at + 1..]);
        let result = verifier().verify(&tampered);
        prop_assert!(result.is_err());
        prop_assert!(!matches!(result, Err(AuthError::TokenExpired)));
    }

    #[test]
    fn the_2026_envelope_check_never_panics(
        params in modern_params(),
        method in prop_oneof![Just("tools/call".to_string()), Just("resources/read".to_string()), ".{0,12}"],
        version in header_text(),
        mcp_method in header_text(),
        name in header_text(),
    ) {
        let headers = HeaderView {
            http: true,
            protocol_version: as_view(&version),
            method: as_view(&mcp_method),
            name: as_view(&name),
        };
        prop_assert_eq!(era::era_of(&headers, &method, &params), era::Era::Modern);
        if let Err(refusal) = era::check_modern(&headers, &method, &params) {
            prop_assert_eq!(refusal.status, 400);
            prop_assert!([INVALID_PARAMS, HEADER_MISMATCH, UNSUPPORTED_VERSION].contains(&refusal.error.code), "{}", refusal.error);
        }
    }
}
