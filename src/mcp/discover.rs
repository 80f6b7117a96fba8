//! The 2026-07-28 side of results: `server/discover`, and the fields every modern result
//! carries (`resultType`, the server's identity in `_meta`, and the caching hints `ttlMs` and
//! `cacheScope` on the cacheable ones).

use serde_json::{Map, Value, json};

use crate::mcp::era::{self, Era, META_SERVER_INFO};
use crate::mcp::methods::{self, Answer};
use crate::mcp::transport::RequestContext;

/// How long a client may keep a cacheable result, and whether it may share it between callers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CacheHint {
    /// How long the result may be reused, in milliseconds.
    pub ttl_ms: u64,
    /// `"public"` (the same for every caller) or `"private"` (depends on the caller).
    pub scope: &'static str,
}

/// Our static tables (resources, templates, prompts) change only with a deploy.
const STATIC_TTL_MS: u64 = 300_000;

/// The caching hint of a method's result; `None` for results that are not cacheable.
/// Private wherever the answer depends on the caller: `tools/list` and the instructions in
/// `server/discover` follow the caller's toolsets and admin status (kept for
/// `ADMIN_STATUS_TTL`), `resources/read` reads with the caller's permissions (kept for the
/// resource cache's TTL).
pub fn cache_hint(ctx: &RequestContext, method: &str) -> Option<CacheHint> {
    let private_ttl = crate::state::ADMIN_STATUS_TTL.as_millis() as u64;
    let hint = match method {
        "tools/list" | "server/discover" => CacheHint {
            ttl_ms: private_ttl,
            scope: "private",
        },
        "resources/read" => CacheHint {
            ttl_ms: ctx.state.config.resource_cache_ttl.as_millis() as u64,
            scope: "private",
        },
        "resources/list" | "resources/templates/list" | "prompts/list" => CacheHint {
            ttl_ms: STATIC_TTL_MS,
            scope: "public",
        },
        _ => return None,
    };
    Some(hint)
}

/// `server/discover`: the versions we speak, the modern capabilities and this caller's
/// instructions. Identity and caching hints are added by [`modern_fields`] like any result.
pub async fn discover(ctx: &RequestContext) -> Value {
    json!({
        "supportedVersions": era::supported_versions(),
        "capabilities": methods::capabilities(ctx, Era::Modern),
        "instructions": methods::instructions(ctx).await,
    })
}

/// The fields a modern result gains: `resultType`, the caching hint if any, and the server's
/// identity in `_meta`.
fn modern_fields(hint: Option<CacheHint>) -> Map<String, Value> {
    let mut fields = Map::new();
    fields.insert("resultType".into(), json!("complete"));
    if let Some(hint) = hint {
        fields.insert("ttlMs".into(), json!(hint.ttl_ms));
        fields.insert("cacheScope".into(), json!(hint.scope));
    }
    fields
}

/// Adds the modern fields to a result.
pub fn decorate(answer: Answer, hint: Option<CacheHint>) -> Answer {
    let fields = modern_fields(hint);
    let server_info = methods::server_info();
    match answer {
        Answer::Value(mut value) => {
            if let Value::Object(object) = &mut value {
                object.extend(fields);
                let meta = object
                    .entry("_meta")
                    .or_insert_with(|| Value::Object(Map::new()));
                if let Value::Object(meta) = meta {
                    meta.insert(META_SERVER_INFO.into(), server_info);
                }
            }
            Answer::Value(value)
        }
        // `tools/list` is encoded once and shared: splice the fields in rather than decode
        // tens of kilobytes per request. It is an object we encoded ourselves, with no `_meta`.
        Answer::Encoded(encoded) => {
            let mut extra = fields;
            extra.insert("_meta".into(), json!({ META_SERVER_INFO: server_info }));
            Answer::Encoded(splice(&encoded, &extra).into())
        }
    }
}

/// Appends `extra`'s members to an encoded JSON object.
fn splice(encoded: &str, extra: &Map<String, Value>) -> String {
    let members = serde_json::to_string(extra).unwrap_or_else(|_| "{}".into());
    // A map always encodes as `{…}`, so the braces are one byte each at both ends.
    let members = &members[1..members.len() - 1];
    let body = encoded.trim_end();
    let Some(open) = body.strip_suffix('}') else {
        return encoded.to_string();
    };
    let separator = if open.trim_end().ends_with('{') || members.is_empty() {
        ""
    } else {
        ","
    };
    format!("{open}{separator}{members}}}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spliced_members_make_the_same_object() {
        let extra = modern_fields(Some(CacheHint {
            ttl_ms: 5,
            scope: "private",
        }));
        for encoded in [r#"{"tools":[{"a":"}"}]}"#, "{}", "{ }"] {
            let spliced: Value = serde_json::from_str(&splice(encoded, &extra)).unwrap();
            let mut expected: Value = serde_json::from_str(encoded).unwrap();
            expected.as_object_mut().unwrap().extend(extra.clone());
            assert_eq!(spliced, expected, "{encoded}");
        }
    }
}
