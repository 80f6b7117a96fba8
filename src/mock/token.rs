//! Reading the caller's user id out of a catalog JWT, without checking its signature.
//!
//! The mock is not the auth authority: it only needs to know *who* is calling so a recording can
//! answer per user. The real registry checks the signature; quilt-mcp checks it too before it
//! forwards anything. So here we decode the payload (the middle, base64url part) and read `id`.

use base64::Engine;
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

/// The integer `id` claim of a bearer token's payload, or `None` if the token is not a readable JWT.
///
/// Accepts the bare token or a whole `Bearer <token>` header value. The signature is not checked.
/// An `id` given as a string of digits (the real registry uses string ids) is accepted too.
pub fn caller_id_from_bearer(token: &str) -> Option<i64> {
    let token = token.trim();
    let token = token
        .strip_prefix("Bearer ")
        .or_else(|| token.strip_prefix("bearer "))
        .unwrap_or(token)
        .trim();
    let mut parts = token.split('.');
    let (_header, payload, _signature) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let bytes = decode_base64url(payload)?;
    let claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    match claims.get("id")? {
        serde_json::Value::Number(n) => n.as_i64(),
        serde_json::Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

/// base64url as JWTs write it (no padding), also reading padded text and non-zero trailing
/// bits, as the hand-written decoder this replaces did: the mock reads, it does not validate.
const BASE64URL: GeneralPurpose = GeneralPurpose::new(
    &alphabet::URL_SAFE,
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

/// Decodes unpadded (or padded) base64url; `None` on any character outside the alphabet.
pub(crate) fn decode_base64url(text: &str) -> Option<Vec<u8>> {
    BASE64URL.decode(text).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode(bytes: &[u8]) -> String {
        BASE64URL.encode(bytes)
    }

    fn token(payload: &str) -> String {
        format!(
            "{}.{}.sig",
            encode(br#"{"alg":"HS256","typ":"JWT"}"#),
            encode(payload.as_bytes())
        )
    }

    #[test]
    fn reads_integer_id() {
        let t = token(r#"{"id":2,"uuid":"u","exp":4102444800}"#);
        assert_eq!(caller_id_from_bearer(&t), Some(2));
        assert_eq!(caller_id_from_bearer(&format!("Bearer {t}")), Some(2));
    }

    #[test]
    fn reads_string_id_of_digits() {
        assert_eq!(caller_id_from_bearer(&token(r#"{"id":"17"}"#)), Some(17));
    }

    #[test]
    fn round_trips_every_padding_length() {
        for text in ["a", "ab", "abc", "abcd", "abcde"] {
            assert_eq!(
                decode_base64url(&encode(text.as_bytes())).unwrap(),
                text.as_bytes()
            );
        }
    }

    #[test]
    fn reads_padded_text_too() {
        assert_eq!(decode_base64url("YQ==").unwrap(), b"a");
        assert_eq!(decode_base64url("YQ").unwrap(), b"a");
        assert_eq!(decode_base64url("a+b/"), None);
    }

    #[test]
    fn rejects_what_is_not_a_jwt() {
        assert_eq!(caller_id_from_bearer(""), None);
        assert_eq!(caller_id_from_bearer("qk_opaque_api_key"), None);
        assert_eq!(caller_id_from_bearer("a.b!.c"), None);
        assert_eq!(caller_id_from_bearer(&token(r#"{"uuid":"no id"}"#)), None);
        assert_eq!(
            caller_id_from_bearer(&token(r#"{"id":"uuid-like-string"}"#)),
            None
        );
        assert_eq!(
            caller_id_from_bearer(&format!("{}.extra", token(r#"{"id":1}"#))),
            None
        );
    }
}
