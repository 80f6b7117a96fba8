//! Reading the caller's user id out of a catalog JWT, without checking its signature.
//!
//! The mock is not the auth authority: it only needs to know *who* is calling so a recording can
//! answer per user. The real registry checks the signature; quilt-mcp checks it too before it
//! forwards anything. So here we decode the payload (the middle, base64url part) and read `id`.

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

/// Decodes unpadded (or padded) base64url; `None` on any character outside the alphabet.
pub(crate) fn decode_base64url(text: &str) -> Option<Vec<u8>> {
    let text = text.trim_end_matches('=');
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let mut buffer: u32 = 0;
    let mut bits: u32 = 0;
    for byte in text.bytes() {
        let value = match byte {
            b'A'..=b'Z' => byte - b'A',
            b'a'..=b'z' => byte - b'a' + 26,
            b'0'..=b'9' => byte - b'0' + 52,
            b'-' => 62,
            b'_' => 63,
            _ => return None,
        };
        buffer = (buffer << 6) | u32::from(value);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            // Truncation to the low byte is the point: the higher bits were emitted already.
            out.push((buffer >> bits) as u8);
            buffer &= (1 << bits) - 1;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode(bytes: &[u8]) -> String {
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let mut out = String::new();
        for chunk in bytes.chunks(3) {
            let b = [
                chunk[0],
                *chunk.get(1).unwrap_or(&0),
                *chunk.get(2).unwrap_or(&0),
            ];
            let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
            for i in 0..=chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            }
        }
        out
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
