//! The model's registry and catalog REST routes: `/config.json`, `/api/auth/get_credentials`,
//! `/api/search` (in `search.rs`), `/browse/<session>/<path>` and the presigned targets it
//! redirects to.

use bytes::Bytes;
use http::header::{CONTENT_TYPE, LOCATION};
use http::{HeaderMap, HeaderValue, StatusCode};
use serde_json::{Value, json};

use super::fault::Prepared;
use super::model::{Model, Refusal, User, registry_time};
use crate::http::{decode_path_lossy, encode_key_path};
use crate::time::unix_now;

/// How long the credentials the registry issues are valid, unless a test shortens it
/// ([`super::MockCatalog::set_credentials_ttl`]).
pub(crate) const CREDENTIALS_TTL_SECS: i64 = 12 * 3600;

/// What joins a session token to the time it dies: `mock-session-token-for-alice-until-<secs>`.
/// The faces read it back to refuse expired credentials, as AWS does.
const UNTIL: &str = "-until-";

/// A JSON answer.
pub(crate) fn json_answer(status: StatusCode, body: &Value) -> Prepared {
    let mut headers = HeaderMap::new();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    Prepared {
        status,
        headers,
        body: Bytes::from(body.to_string()),
    }
}

/// The registry's answer to a caller it refuses before reading the request.
pub(crate) fn refusal(refusal: Refusal) -> Prepared {
    match refusal {
        Refusal::Unauthenticated => json_answer(
            StatusCode::UNAUTHORIZED,
            &json!({ "message": "Token could not be deserialized" }),
        ),
        Refusal::Inactive => json_answer(
            StatusCode::FORBIDDEN,
            &json!({ "message": "Forbidden: this account is inactive" }),
        ),
    }
}

/// `GET /config.json`: public, the same for everyone.
pub(crate) fn config_json(model: &Model, base_url: &str) -> Prepared {
    let stack = &model.stack;
    let mut config = json!({
            "region": stack.region,
            "apiGatewayEndpoint": format!("{base_url}/api-gateway"),
            "alwaysRequiresAuth": true,
            "noDownload": false,
            "s3Proxy": base_url,
            "registryUrl": base_url,
            "passwordAuth": "DISABLED",
            "ssoAuth": "ENABLED",
            "ssoProviders": "okta",
            "analyticsBucket": format!("{}-analyticsbucket-1q2w3e4r5t6y", stack.stack_prefix),
            "serviceBucket": format!("{}-servicebucket-7u8i9o0p1a2s", stack.stack_prefix),
            "mode": "PRODUCT",
            "crc64Checksums": true,
            "qurator": true,
            "stackVersion": stack.stack_version,
            "packageRoot": "",
    });
    if !stack.tabulator {
        // Stacks without the analytics bucket have no Tabulator data catalog.
        if let Some(fields) = config.as_object_mut() {
            fields.remove("analyticsBucket");
        }
    }
    json_answer(StatusCode::OK, &config)
}

/// `GET /api/auth/get_credentials`: the caller's own temporary keys, valid for `ttl_secs`.
/// The access key is fixed per user (so tests can tell callers apart); the secret is made up,
/// and the session token carries its expiry, so the S3 and Athena faces can refuse it later.
pub(crate) fn credentials(user: &User, ttl_secs: i64) -> Prepared {
    let expires = unix_now() + ttl_secs;
    json_answer(
        StatusCode::OK,
        &json!({
            "AccessKeyId": user.access_key,
            "SecretAccessKey": format!("mock-secret-for-{}", user.name),
            "SessionToken": format!("mock-session-token-for-{}{UNTIL}{expires}", user.name),
            "Expiration": registry_time(expires),
        }),
    )
}

/// Whether a signed request carries a session token this registry issued that has expired
/// (the `X-Amz-Security-Token` header, or the query parameter of a presigned URL).
pub(crate) fn session_token_expired(headers: &HeaderMap, query: &[(String, String)]) -> bool {
    let header = headers
        .get("x-amz-security-token")
        .and_then(|v| v.to_str().ok());
    let presigned = query
        .iter()
        .find(|(name, _)| name == "X-Amz-Security-Token")
        .map(|(_, value)| value.as_str());
    let Some(token) = header.or(presigned) else {
        return false;
    };
    let until = token
        .rsplit_once(UNTIL)
        .and_then(|(_, secs)| secs.parse::<i64>().ok());
    until.is_some_and(|secs| secs <= unix_now())
}

fn not_found(what: &str) -> Prepared {
    json_answer(StatusCode::NOT_FOUND, &json!({ "message": what }))
}

/// `GET /browse/<session>/<path>`: a redirect to a presigned URL of the file the session's
/// revision names at `path`. Sessions belong to the user who made them.
pub(crate) fn browse(model: &Model, caller: &User, rest: &str, base_url: &str) -> Prepared {
    let (session_id, path) = rest.split_once('/').unwrap_or((rest, ""));
    let Some(session) = model.sessions.get(session_id) else {
        return json_answer(
            StatusCode::NOT_FOUND,
            &json!({ "message": "SessionNotFound: the browsing session does not exist or has expired" }),
        );
    };
    if session.expires <= unix_now() {
        return json_answer(
            StatusCode::NOT_FOUND,
            &json!({ "message": "SessionNotFound: the browsing session has expired" }),
        );
    }
    if session.owner != caller.id {
        return json_answer(
            StatusCode::FORBIDDEN,
            &json!({ "message": "OwnerMismatch: the session belongs to another user" }),
        );
    }
    let path = decode_path_lossy(path);
    let entry = model
        .package(&session.bucket, &session.package)
        .and_then(|p| p.revision(&session.hash))
        .and_then(|r| r.entries.get(&path));
    let Some(entry) = entry else {
        return not_found(&format!(
            "{path} is not in {}@{}",
            session.package, session.hash
        ));
    };
    let version = entry.version_id.as_deref().unwrap_or_default();
    let location = format!(
        "{base_url}/presigned/{}/{}?versionId={version}&X-Amz-Expires=60&X-Amz-Signature={session_id}",
        entry.bucket,
        encode_key_path(&entry.key),
    );
    let mut headers = HeaderMap::new();
    if let Ok(value) = HeaderValue::from_str(&location) {
        headers.insert(LOCATION, value);
    }
    Prepared {
        status: StatusCode::FOUND,
        headers,
        body: Bytes::new(),
    }
}

/// `GET /presigned/<bucket>/<key>?versionId=…&X-Amz-Signature=<session>`: the bytes, for as
/// long as the session that signed the link lives (like a presigned S3 URL, no token needed).
pub(crate) fn presigned(
    model: &Model,
    rest: &str,
    query: &[(String, String)],
    range: Option<&str>,
) -> Prepared {
    let param = |name: &str| {
        query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let live = param("X-Amz-Signature")
        .and_then(|id| model.sessions.get(id))
        .is_some_and(|s| s.expires > unix_now());
    if !live {
        return super::s3::error(StatusCode::FORBIDDEN, "AccessDenied", "Request has expired");
    }
    let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
    let key = decode_path_lossy(key);
    // A presigned link is an S3 GET without the signing headers: the S3 face answers it.
    super::s3_face::read(model, bucket, &key, param("versionId"), false, range)
}
