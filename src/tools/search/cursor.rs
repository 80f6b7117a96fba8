//! `search_catalog`'s cursor: an opaque string that carries the search it belongs to (query,
//! scope, bucket, order), the total of its first page, and where the next page starts. The
//! server keeps nothing between calls (any instance can answer the next page), so the cursor
//! holds all of it, as base64 JSON with a digest: a cursor that was cut, altered or made up is
//! refused with a clear error instead of running some other search. The digest is not a secret
//! seal and need not be: a cursor grants nothing, since every page runs with the caller's own
//! token and the catalog checks their access again.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::tools::ToolError;
use crate::tools::search::query::{Order, Scope};

/// The format's version, first in every cursor.
const VERSION: &str = "qs1";
/// Mixed into the digest, so another tool's token of the same shape does not pass.
const DOMAIN: &[u8] = b"quilt-mcp search_catalog cursor\n";

/// One search and where its next page starts.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Cursor {
    /// The query as the caller wrote it.
    pub query: String,
    pub scope: Scope,
    /// The bucket it was limited to ("" for every visible bucket).
    pub bucket: String,
    pub order: Option<Order>,
    /// The total the first page reported.
    pub total: u64,
    pub at: At,
}

/// Where the next page starts.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum At {
    /// The search proxy: skip this many hits.
    Offset { offset: u32 },
    /// The registry's package search: the page after `after` (the first page when `None`),
    /// asked with `size`, less the first `skip` hits an earlier answer already returned (an
    /// answer cut by the text budget ends mid-page).
    Registry {
        after: Option<String>,
        size: u32,
        skip: u32,
    },
}

fn digest(payload: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(DOMAIN);
    hasher.update(payload.as_bytes());
    let sum = hasher.finalize();
    sum[..12].iter().map(|b| format!("{b:02x}")).collect()
}

impl Cursor {
    /// The cursor as the opaque string handed to the caller.
    pub fn encode(&self) -> String {
        let json = serde_json::to_vec(self).unwrap_or_default();
        let payload = URL_SAFE_NO_PAD.encode(json);
        format!("{VERSION}.{payload}.{}", digest(&payload))
    }

    /// Reads a cursor this server gave; anything else is an invalid `cursor`.
    pub fn decode(text: &str) -> Result<Cursor, ToolError> {
        let refused = || {
            ToolError::invalid(
                "cursor",
                "is not a cursor search_catalog gave (it was cut, altered or made up); pass `next_cursor` from the previous answer unchanged, or search again without `cursor`",
            )
        };
        let mut parts = text.trim().split('.');
        let (Some(VERSION), Some(payload), Some(sum), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(refused());
        };
        if digest(payload) != sum {
            return Err(refused());
        }
        let json = URL_SAFE_NO_PAD.decode(payload).map_err(|_| refused())?;
        serde_json::from_slice(&json).map_err(|_| refused())
    }
}

/// What the caller asked for alongside a cursor: each given part must be the cursor's own.
pub struct Asked<'a> {
    pub query: &'a str,
    pub scope: Option<Scope>,
    /// The bucket's name ("" when not given).
    pub bucket: &'a str,
    pub order: Option<Order>,
}

impl Cursor {
    /// Refuses a cursor of another search: a query, scope, bucket or order the caller gave
    /// that differs from the cursor's. Parts left out are taken from the cursor.
    pub fn check(&self, asked: &Asked<'_>) -> Result<(), ToolError> {
        let other = |field: &str, theirs: &str, ours: &str| {
            ToolError::invalid(
                "cursor",
                format!(
                    "belongs to another search: its {field} is {ours}, this call's is {theirs}; leave `{field}` out (or pass the same) to read the next page, or search again without `cursor`"
                ),
            )
        };
        let query = asked.query.trim();
        if !query.is_empty() && query != self.query.trim() {
            return Err(other(
                "query",
                &format!("{query:?}"),
                &format!("{:?}", self.query),
            ));
        }
        if let Some(scope) = asked.scope
            && scope != self.scope
        {
            return Err(other("scope", scope.name(), self.scope.name()));
        }
        if !asked.bucket.is_empty() && asked.bucket != self.bucket {
            let ours = if self.bucket.is_empty() {
                "every visible bucket".to_string()
            } else {
                self.bucket.clone()
            };
            return Err(other("bucket", asked.bucket, &ours));
        }
        if let Some(order) = asked.order
            && Some(order) != self.order
        {
            let ours = self
                .order
                .map(Order::name)
                .unwrap_or("none (the search proxy)");
            return Err(other("order", order.name(), ours));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cursor() -> Cursor {
        Cursor {
            query: "rnaseq".into(),
            scope: Scope::Package,
            bucket: String::new(),
            order: Some(Order::Newest),
            total: 7,
            at: At::Registry {
                after: Some("opaque".into()),
                size: 2,
                skip: 0,
            },
        }
    }

    #[test]
    fn a_cursor_reads_back_and_an_altered_one_is_refused() {
        let text = cursor().encode();
        assert_eq!(Cursor::decode(&text).unwrap(), cursor());
        let payload = text.split('.').nth(1).unwrap();
        let mut json: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
        json["total"] = 1000.into();
        let forged = format!(
            "{VERSION}.{}.{}",
            URL_SAFE_NO_PAD.encode(json.to_string()),
            text.rsplit('.').next().unwrap()
        );
        for bad in [forged.as_str(), "", "qs1..", "abc", &text[..text.len() - 1]] {
            let error = Cursor::decode(bad).unwrap_err().to_string();
            assert!(error.contains("`cursor`"), "{bad:?}: {error}");
        }
    }

    #[test]
    fn only_the_same_search_may_continue() {
        let same = Asked {
            query: " rnaseq ",
            scope: None,
            bucket: "",
            order: Some(Order::Newest),
        };
        cursor().check(&same).unwrap();
        let error = cursor()
            .check(&Asked {
                query: "liver",
                ..same
            })
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("another search") && error.contains("liver"),
            "{error}"
        );
        let scoped = Asked {
            scope: Some(Scope::File),
            ..same
        };
        assert!(cursor().check(&scoped).is_err());
        let ordered = Asked {
            order: Some(Order::Name),
            ..same
        };
        assert!(cursor().check(&ordered).is_err());
    }
}
