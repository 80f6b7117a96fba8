//! Redaction: what the recorder removes before anything reaches a recording file.
//!
//! Headers are handled by the caller (only `content-type` and `location` are ever kept). Here:
//! JSON fields whose name says they hold a credential, credential parameters inside URLs
//! (presigned S3 links carry `X-Amz-Security-Token`), anything shaped like a JWT, the caller's
//! own token wherever it appears, and (in responses) the upstream base URLs, which become
//! `{{mock_url}}` so replays point at the mock.

use serde_json::Value;

use crate::mock::MOCK_URL_PLACEHOLDER;

/// What replaces a redacted JWT or the caller's token inside a string.
const REDACTED_TOKEN: &str = "REDACTED-token";
/// What replaces a credential parameter's value inside a URL.
const REDACTED_PARAM: &str = "REDACTED";
/// Tokens shorter than this are not searched for: replacing a two-letter string everywhere
/// would mangle bodies without protecting anything.
const MIN_TOKEN_LEN: usize = 8;

/// Scrubs recorded text and JSON for one exchange.
pub(crate) struct Scrubber<'a> {
    /// Upstream base URLs (no trailing `/`), replaced by `{{mock_url}}` in responses.
    pub(crate) upstream_urls: &'a [String],
    /// The caller's raw bearer token, if any: never written anywhere.
    pub(crate) caller_token: Option<&'a str>,
}

impl Scrubber<'_> {
    /// A response body: credential fields redacted, upstream URLs and secrets in strings replaced.
    pub(crate) fn json(&self, value: &mut Value) {
        self.walk(value, true);
    }

    /// Request data (GraphQL variables): credential fields and secrets redacted, URLs kept.
    pub(crate) fn json_secrets(&self, value: &mut Value) {
        self.walk(value, false);
    }

    /// A response string (a text body, a `Location`): upstream URLs and secrets replaced.
    pub(crate) fn text(&self, text: &str) -> String {
        let mut out = text.to_string();
        // Longest first, so a base URL that extends another is replaced whole.
        let mut bases: Vec<&String> = self.upstream_urls.iter().collect();
        bases.sort_by_key(|b| std::cmp::Reverse(b.len()));
        for base in bases {
            out = replace_base_url(&out, base);
        }
        self.secrets(&out)
    }

    /// A string with credential URL parameters, JWTs and the caller's token redacted.
    pub(crate) fn secrets(&self, text: &str) -> String {
        let mut out = redact_jwts(&redact_url_params(text));
        if let Some(token) = self.caller_token.filter(|t| t.len() >= MIN_TOKEN_LEN) {
            out = out.replace(token, REDACTED_TOKEN);
        }
        out
    }

    fn walk(&self, value: &mut Value, replace_urls: bool) {
        match value {
            Value::String(text) => {
                *text = if replace_urls {
                    self.text(text)
                } else {
                    self.secrets(text)
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|v| self.walk(v, replace_urls)),
            Value::Object(fields) => {
                for (key, field) in fields.iter_mut() {
                    if is_credential_key(key) {
                        redact_all(field, key);
                    } else {
                        self.walk(field, replace_urls);
                    }
                }
            }
            _ => {}
        }
    }
}

/// Whether a JSON field name says it holds a credential: `AccessKeyId`, `SecretAccessKey`,
/// `SessionToken`, or any name containing `token`, `secret` or `password` (any case, `_`/`-`
/// ignored).
pub(crate) fn is_credential_key(key: &str) -> bool {
    let normal = normalize(key);
    ["token", "secret", "password", "accesskeyid"]
        .iter()
        .any(|word| normal.contains(word))
}

/// Whether a URL query parameter name says it holds a credential; beyond the field rule this
/// covers AWS presigning (`X-Amz-Signature`, `X-Amz-Credential`, `X-Amz-Security-Token`).
pub(crate) fn is_credential_param(name: &str) -> bool {
    let normal = normalize(name);
    is_credential_key(name) || normal.contains("signature") || normal.contains("credential")
}

fn normalize(name: &str) -> String {
    name.chars()
        .filter(|c| !matches!(c, '_' | '-' | '.'))
        .flat_map(char::to_lowercase)
        .collect()
}

/// Replaces every non-empty string and number under a credential field with `REDACTED-<key>`.
/// Empty strings, booleans and nulls carry no secret and keep the body's shape, so they stay.
fn redact_all(value: &mut Value, key: &str) {
    match value {
        Value::String(text) if text.is_empty() => {}
        Value::String(_) | Value::Number(_) => *value = Value::String(format!("REDACTED-{key}")),
        Value::Array(items) => items.iter_mut().for_each(|v| redact_all(v, key)),
        Value::Object(fields) => fields.values_mut().for_each(|v| redact_all(v, key)),
        _ => {}
    }
}

/// Replaces `base` with `{{mock_url}}` where it is a whole origin: not followed by a character
/// that would make it another host or port (`https://a.com` is not replaced in `https://a.com.evil`).
fn replace_base_url(text: &str, base: &str) -> String {
    if base.is_empty() || !text.contains(base) {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(base) {
        let (before, from) = rest.split_at_checked(at).unwrap_or((rest, ""));
        let after = from.get(base.len()..).unwrap_or_default();
        out.push_str(before);
        let continues_host = after
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | ':' | '-' | '_'));
        out.push_str(if continues_host {
            base
        } else {
            MOCK_URL_PLACEHOLDER
        });
        rest = after;
    }
    out.push_str(rest);
    out
}

/// Replaces the values of credential parameters (`?name=value`, `&name=value`, and `;name=`
/// for HTML's `&amp;`) in any URL inside `text`.
fn redact_url_params(text: &str) -> String {
    if !text.contains('=') {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(['?', '&', ';']) {
        // The separators are ASCII, so `at + 1` is a character boundary.
        let (head, tail) = rest.split_at_checked(at + 1).unwrap_or((rest, ""));
        out.push_str(head);
        rest = tail;
        let name_len = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '%')))
            .unwrap_or(rest.len());
        let (name, after_name) = rest.split_at_checked(name_len).unwrap_or((rest, ""));
        let Some(value_on) = after_name.strip_prefix('=') else {
            continue;
        };
        if !is_credential_param(name) {
            continue;
        }
        let value_len = value_on
            .find(|c: char| matches!(c, '&' | '#' | '"' | '\'' | '<' | '>') || c.is_whitespace())
            .unwrap_or(value_on.len());
        out.push_str(name);
        out.push('=');
        if value_len > 0 {
            out.push_str(REDACTED_PARAM);
        }
        rest = value_on.get(value_len..).unwrap_or_default();
    }
    out.push_str(rest);
    out
}

/// Replaces every word shaped like a JWT (`eyJ…` header and payload, dot-separated) with
/// `REDACTED-token`, whoever's token it is.
fn redact_jwts(text: &str) -> String {
    if !text.contains("eyJ") {
        return text.to_string();
    }
    let in_word = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while !rest.is_empty() {
        let start = rest.find(in_word).unwrap_or(rest.len());
        let (gap, from) = rest.split_at_checked(start).unwrap_or((rest, ""));
        out.push_str(gap);
        let end = from.find(|c: char| !in_word(c)).unwrap_or(from.len());
        let (word, tail) = from.split_at_checked(end).unwrap_or((from, ""));
        // A sentence may end right after a token: keep its full stop.
        let trimmed = word.trim_end_matches('.');
        if looks_like_jwt(trimmed) {
            out.push_str(REDACTED_TOKEN);
            out.push_str(word.get(trimmed.len()..).unwrap_or_default());
        } else {
            out.push_str(word);
        }
        rest = tail;
    }
    out
}

fn looks_like_jwt(word: &str) -> bool {
    let mut parts = word.split('.');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(header), Some(payload), Some(_signature), None) => {
            header.starts_with("eyJ") && payload.starts_with("eyJ")
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const JWT: &str = "eyJhbGciOiJIUzI1NiJ9.eyJpZCI6MX0.c2lnbmF0dXJl";

    fn scrubber<'a>(urls: &'a [String], token: Option<&'a str>) -> Scrubber<'a> {
        Scrubber {
            upstream_urls: urls,
            caller_token: token,
        }
    }

    #[test]
    fn credential_fields_are_redacted_and_expiration_kept() {
        let urls = vec![];
        let mut body = json!({
            "AccessKeyId": "ASIA1", "SecretAccessKey": "s3cr3t", "SessionToken": "tok",
            "Expiration": "2099-01-01T00:00:00Z",
            "nested": [{"api_token": 42, "userPassword": "pw", "mixpanelToken": "", "ok": true}],
            "refreshTokens": [{"value": "a"}]
        });
        scrubber(&urls, None).json(&mut body);
        assert_eq!(
            body,
            json!({
                "AccessKeyId": "REDACTED-AccessKeyId",
                "SecretAccessKey": "REDACTED-SecretAccessKey",
                "SessionToken": "REDACTED-SessionToken",
                "Expiration": "2099-01-01T00:00:00Z",
                "nested": [{"api_token": "REDACTED-api_token", "userPassword": "REDACTED-userPassword",
                            "mixpanelToken": "", "ok": true}],
                "refreshTokens": [{"value": "REDACTED-refreshTokens"}]
            })
        );
    }

    #[test]
    fn upstream_urls_become_the_placeholder_on_whole_origins_only() {
        let urls = vec![
            "https://reg.example.com".to_string(),
            "https://example.com".to_string(),
        ];
        let s = scrubber(&urls, None);
        assert_eq!(
            s.text("https://reg.example.com/x and https://example.com"),
            "{{mock_url}}/x and {{mock_url}}"
        );
        assert_eq!(
            s.text("https://example.com.evil.org https://example.com:8443/"),
            "https://example.com.evil.org https://example.com:8443/"
        );
    }

    #[test]
    fn url_credentials_are_redacted() {
        let s = scrubber(&[], None);
        let url = "https://b.s3.amazonaws.com/k?versionId=v1&X-Amz-Credential=ASIA%2F1&X-Amz-Security-Token=IQo&X-Amz-Signature=abc#f";
        assert_eq!(
            s.text(url),
            "https://b.s3.amazonaws.com/k?versionId=v1&X-Amz-Credential=REDACTED&X-Amz-Security-Token=REDACTED&X-Amz-Signature=REDACTED#f"
        );
        assert_eq!(
            s.text("<a href=\"/d?x=1&amp;X-Amz-Signature=abc\">"),
            "<a href=\"/d?x=1&amp;X-Amz-Signature=REDACTED\">"
        );
        assert_eq!(s.text("a=b & c; d?"), "a=b & c; d?");
    }

    #[test]
    fn jwts_and_the_callers_token_are_redacted_anywhere() {
        let s = scrubber(&[], Some("qk_opaque_api_key_123"));
        assert_eq!(
            s.text(&format!("Bearer {JWT}. key qk_opaque_api_key_123")),
            "Bearer REDACTED-token. key REDACTED-token"
        );
        assert_eq!(s.text("a.b.c eyJ.x.y"), "a.b.c eyJ.x.y");
    }

    #[test]
    fn variables_keep_urls_but_lose_secrets() {
        let urls = vec!["https://example.com".to_string()];
        let mut vars = json!({"url": "https://example.com/a", "password": "pw", "t": JWT});
        scrubber(&urls, None).json_secrets(&mut vars);
        assert_eq!(
            vars,
            json!({"url": "https://example.com/a", "password": "REDACTED-password", "t": "REDACTED-token"})
        );
    }

    #[test]
    fn credential_params_cover_aws_presigning() {
        for name in [
            "X-Amz-Signature",
            "X-Amz-Credential",
            "X-Amz-Security-Token",
            "access_token",
        ] {
            assert!(is_credential_param(name), "{name}");
        }
        for name in ["versionId", "X-Amz-Expires", "prefix"] {
            assert!(!is_credential_param(name), "{name}");
        }
    }
}
