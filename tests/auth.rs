//! The JWT battery: forged, malformed and expired tokens, each refused with 401, a challenge,
//! and the right reason.

mod common;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use common::*;
use serde_json::{Value, json};

fn b64(value: &Value) -> String {
    B64.encode(serde_json::to_vec(value).unwrap())
}

/// A token with any header and claims, signed with HMAC-SHA256 over `secret` (whatever `alg` says).
fn forge(header: &Value, claims: &Value, secret: &str) -> String {
    use jsonwebtoken::{Algorithm, EncodingKey, Header};
    let signing_input = format!("{}.{}", b64(header), b64(claims));
    // The signature of a genuine HS256 token over the same claims: right key, wrong signing input.
    let real = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap();
    let signature = real.rsplit('.').next().unwrap().to_string();
    format!("{signing_input}.{signature}")
}

fn hs(alg: jsonwebtoken::Algorithm, claims: &Value, secret: &str) -> String {
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(alg),
        claims,
        &jsonwebtoken::EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

fn good_claims() -> Value {
    json!({"id": 1, "uuid": "uuid-1", "exp": now() + 3600})
}

fn with(mut claims: Value, key: &str, value: Value) -> Value {
    claims[key] = value;
    claims
}

fn without(mut claims: Value, key: &str) -> Value {
    claims.as_object_mut().unwrap().remove(key);
    claims
}

const PING: &[u8] = br#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#;

fn check(h: &Harness, authorization: Option<&str>, reason: &str) {
    let mut headers = vec![("content-type", "application/json")];
    if let Some(value) = authorization {
        headers.push(("authorization", value));
    }
    let answer = h.post_raw(&headers, PING);
    let label = authorization
        .map(|a| a.chars().take(60).collect::<String>())
        .unwrap_or_default();
    assert_eq!(answer.status, 401, "{label}: {}", answer.text);
    assert_eq!(answer.json()["error"], reason, "{label}: {}", answer.text);
    assert!(
        answer.json()["error_description"]
            .as_str()
            .is_some_and(|d| !d.is_empty())
    );
    let challenge = answer.header("www-authenticate").expect("a challenge");
    assert!(challenge.starts_with("Bearer "), "{challenge}");
    assert!(challenge.contains(&format!(
        "resource_metadata=\"http://{}/.well-known/oauth-protected-resource/mcp\"",
        h.addr
    )));
    if reason == "missing_token" {
        assert!(
            !challenge.contains("error="),
            "no error for a missing token: {challenge}"
        );
    } else {
        assert!(challenge.contains("error=\"invalid_token\""), "{challenge}");
    }
}

#[test]
fn forged_and_malformed_tokens_are_each_refused_with_the_right_reason() {
    use jsonwebtoken::Algorithm::*;
    let h = Harness::start_without_mock(&closed_port_url(), &[]);
    let claims = good_claims();
    let bearer = |t: String| format!("Bearer {t}");
    let valid = token(ALICE);
    let (head, payload, _sig) = {
        let mut parts = valid.split('.');
        (
            parts.next().unwrap().to_string(),
            parts.next().unwrap().to_string(),
            parts.next().unwrap().to_string(),
        )
    };
    let other_sig = token(BOB).rsplit('.').next().unwrap().to_string();

    let cases: Vec<(Option<String>, &str)> = vec![
        (None, "missing_token"),
        (Some("Bearer ".into()), "missing_token"),
        (Some("Basic Zm9vOmJhcg==".into()), "invalid_token"),
        (Some(valid.clone()), "invalid_token"), // no scheme
        (Some(bearer("not-a-jwt".into())), "invalid_token"),
        (Some(bearer("a.b.c".into())), "invalid_token"),
        (Some(bearer(format!("{head}.{payload}"))), "invalid_token"),
        (
            Some(bearer(format!(
                "{}.{}.",
                b64(&json!({"alg": "none", "typ": "JWT"})),
                b64(&claims)
            ))),
            "invalid_token",
        ),
        (
            Some(bearer(forge(
                &json!({"alg": "none", "typ": "JWT"}),
                &claims,
                SECRET,
            ))),
            "invalid_token",
        ),
        (Some(bearer(hs(HS512, &claims, SECRET))), "invalid_token"),
        (Some(bearer(hs(HS384, &claims, SECRET))), "invalid_token"),
        (
            Some(bearer(forge(
                &json!({"alg": "RS256", "typ": "JWT"}),
                &claims,
                SECRET,
            ))),
            "invalid_token",
        ),
        (
            Some(bearer(format!("{}.{}.x", B64.encode(b"not json"), payload))),
            "invalid_token",
        ),
        (
            Some(bearer(format!("{head}.{}.x", B64.encode(b"[1,2]")))),
            "invalid_token",
        ),
        (
            Some(bearer(sign_with("another-secret", &claims))),
            "invalid_signature",
        ),
        (
            Some(bearer(format!("{head}.{payload}.{other_sig}"))),
            "invalid_signature",
        ),
        (
            Some(bearer(sign(&with(
                claims.clone(),
                "exp",
                json!(now() - 3600),
            )))),
            "token_expired",
        ),
        (
            Some(bearer(sign(&without(claims.clone(), "exp")))),
            "invalid_claims",
        ),
        (
            Some(bearer(sign(&with(
                claims.clone(),
                "exp",
                json!("tomorrow"),
            )))),
            "invalid_claims",
        ),
        (
            Some(bearer(sign(&without(claims.clone(), "id")))),
            "invalid_claims",
        ),
        (
            Some(bearer(sign(&with(claims.clone(), "id", json!("1"))))),
            "invalid_claims",
        ),
        (
            Some(bearer(sign(&with(claims.clone(), "id", json!(1.5))))),
            "invalid_claims",
        ),
        (
            Some(bearer(sign(&without(claims.clone(), "uuid")))),
            "invalid_claims",
        ),
        (
            Some(bearer(sign(&with(claims.clone(), "uuid", json!(42))))),
            "invalid_claims",
        ),
        (
            Some(bearer(sign(&with(
                claims.clone(),
                "nbf",
                json!(now() + 3600),
            )))),
            "invalid_claims",
        ),
        (Some(bearer("x".repeat(9 * 1024))), "invalid_token"),
    ];
    assert!(cases.len() >= 20);
    for (authorization, reason) in &cases {
        check(&h, authorization.as_deref(), reason);
    }
    // And the genuine article passes, with any casing of the scheme.
    for scheme in ["Bearer", "bearer", "BEARER"] {
        let answer = h.post_raw(&[("authorization", &format!("{scheme} {valid}"))], PING);
        assert_eq!(answer.status, 200, "{scheme}");
    }
}

fn sign_with(secret: &str, claims: &Value) -> String {
    quilt_mcp::auth::sign_token(&quilt_mcp::config::Secret::new(secret), claims).unwrap()
}

#[test]
fn issuer_and_audience_are_checked_only_when_configured() {
    let h = Harness::start_without_mock(
        &closed_port_url(),
        &[
            ("MCP_JWT_ISSUER", "https://quilt.example.com"),
            ("MCP_JWT_AUDIENCE", "quilt-mcp-api"),
        ],
    );
    let claims = json!({"id": 1, "uuid": "u", "exp": now() + 600, "iss": "https://quilt.example.com", "aud": "quilt-mcp-api"});
    let bearer = |c: &Value| format!("Bearer {}", sign(c));
    assert_eq!(
        h.post_raw(&[("authorization", &bearer(&claims))], PING)
            .status,
        200
    );
    check(
        &h,
        Some(&bearer(&with(
            claims.clone(),
            "iss",
            json!("https://evil.example.com"),
        ))),
        "invalid_issuer",
    );
    check(
        &h,
        Some(&bearer(&with(claims.clone(), "aud", json!("someone-else")))),
        "invalid_audience",
    );
    check(
        &h,
        Some(&bearer(&without(claims.clone(), "iss"))),
        "invalid_claims",
    );
    check(
        &h,
        Some(&bearer(&without(claims.clone(), "aud"))),
        "invalid_claims",
    );

    // Unconfigured: a token with any iss/aud is fine.
    let open = Harness::start_without_mock(&closed_port_url(), &[]);
    let answer = open.post_raw(
        &[(
            "authorization",
            &bearer(&with(claims, "aud", json!("whatever"))),
        )],
        PING,
    );
    assert_eq!(answer.status, 200);
}

#[test]
fn a_one_megabyte_authorization_header_is_refused_without_harm() {
    let h = Harness::start_without_mock(&closed_port_url(), &[]);
    let huge = format!("Bearer {}", "a".repeat(1024 * 1024));
    let result = h
        .agent
        .post(&h.url("/mcp"))
        .header("authorization", &huge)
        .send(PING);
    // hyper refuses oversized headers itself (431) or closes the connection; either way no 200.
    if let Ok(response) = result {
        assert!(
            matches!(response.status().as_u16(), 401 | 431),
            "{}",
            response.status()
        );
    }
    assert_eq!(h.get("/health").status, 200);
}
