//! Building catalog searches and reading their answers, without any I/O: which indices a scope
//! searches, the query DSL, escaping, and turning raw hits into results an agent can use.

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

/// What to search.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, JsonSchema)]
pub enum Scope {
    /// Objects in buckets.
    #[default]
    #[serde(rename = "file")]
    File,
    /// Files inside packages.
    #[serde(rename = "packageEntry")]
    PackageEntry,
    /// Packages (by name, tag and metadata).
    #[serde(rename = "package")]
    Package,
    /// Objects and packages.
    #[serde(rename = "global")]
    Global,
}

impl Scope {
    /// The scope's name as agents write it.
    pub fn name(self) -> &'static str {
        match self {
            Scope::File => "file",
            Scope::PackageEntry => "packageEntry",
            Scope::Package => "package",
            Scope::Global => "global",
        }
    }
}

/// The indices a scope searches in the given buckets: objects live in `<bucket>`, packages in
/// `<bucket>_packages`.
pub fn indices(scope: Scope, buckets: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    for bucket in buckets {
        match scope {
            Scope::File => out.push(bucket.clone()),
            Scope::PackageEntry | Scope::Package => out.push(format!("{bucket}_packages")),
            Scope::Global => {
                out.push(bucket.clone());
                out.push(format!("{bucket}_packages"));
            }
        }
    }
    out
}

/// Escapes the query-string syntax's reserved characters so a natural query is read as words.
/// `*` and `?` stay wildcards; `<` and `>` cannot be escaped in that syntax, so they are dropped.
pub fn escape_query(query: &str) -> String {
    let mut out = String::with_capacity(query.len() + 8);
    for c in query.chars() {
        match c {
            '<' | '>' => out.push(' '),
            '+' | '-' | '=' | '&' | '|' | '!' | '(' | ')' | '{' | '}' | '[' | ']' | '^' | '"'
            | '~' | ':' | '\\' | '/' => {
                out.push('\\');
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The search DSL for `query` in `scope`; `count_only` asks for counts per index and no hits.
pub fn dsl(scope: Scope, escaped: &str, limit: u32, count_only: bool) -> Value {
    let text = json!({ "query_string": { "query": escaped, "default_operator": "AND" } });
    let query = match scope {
        Scope::File | Scope::Global => text,
        Scope::Package => {
            json!({ "bool": { "must": [{ "exists": { "field": "ptr_name" } }, text] } })
        }
        Scope::PackageEntry => {
            json!({ "bool": { "must": [{ "exists": { "field": "entry_lk" } }, text] } })
        }
    };
    if count_only {
        json!({
            "size": 0, "track_total_hits": true, "query": query,
            "aggs": { "by_index": { "terms": { "field": "_index", "size": 1000 } } },
        })
    } else {
        json!({ "from": 0, "size": limit, "query": query })
    }
}

/// The bucket an index belongs to (`<bucket>`, `<bucket>_packages`, either with a reindex suffix).
pub fn bucket_of_index(index: &str) -> &str {
    let base = index.split("-reindex").next().unwrap_or(index);
    base.strip_suffix("_packages").unwrap_or(base)
}

fn text_preview(text: &str) -> String {
    let trimmed = text.trim();
    let end = trimmed.floor_char_boundary(200);
    trimmed[..end].to_string()
}

/// One raw hit as a result: kind, bucket, what it names, size, time, score, a short preview and
/// its catalog link. `catalog` is the catalog's base URL.
pub fn normalize_hit(hit: &Value, catalog: &str, include_metadata: bool) -> Value {
    let index = hit
        .get("_index")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let bucket = bucket_of_index(index);
    let source = hit.get("_source").cloned().unwrap_or(Value::Null);
    let text = |key: &str| source.get(key).and_then(Value::as_str).map(str::to_string);
    let score = hit.get("_score").cloned().unwrap_or(Value::Null);
    let kind = source.pointer("/join_field/name").and_then(Value::as_str);
    let mut result = match (index.contains("_packages"), kind) {
        (true, Some("ptr")) => {
            let name = text("ptr_name").unwrap_or_default();
            json!({
                "kind": "package", "bucket": bucket, "package_name": name, "tag": text("ptr_tag"),
                "modified": text("ptr_last_modified"), "score": score,
                "catalog_url": format!("{catalog}/b/{bucket}/packages/{name}/tree/{}/", text("ptr_tag").unwrap_or_else(|| "latest".into())),
            })
        }
        (true, Some("mnfst")) => {
            let hash = text("mnfst_hash").unwrap_or_default();
            let metadata =
                text("mnfst_metadata").and_then(|m| serde_json::from_str::<Value>(&m).ok());
            json!({
                "kind": "package_revision", "bucket": bucket, "hash": hash, "message": text("mnfst_message"),
                "modified": text("mnfst_last_modified"), "score": score, "metadata": metadata,
                "preview": text("mnfst_message").map(|m| text_preview(&m)),
            })
        }
        (true, _) => json!({
            "kind": "package_entry", "bucket": bucket, "logical_key": text("entry_lk"), "physical_key": text("entry_pk"),
            "size": source.get("entry_size"), "score": score,
        }),
        (false, _) => {
            let key = text("key").unwrap_or_default();
            let version = text("version_id");
            let link = match &version {
                Some(v) => format!("{catalog}/b/{bucket}/tree/{key}?version={v}"),
                None => format!("{catalog}/b/{bucket}/tree/{key}"),
            };
            json!({
                "kind": "file", "bucket": bucket, "key": key, "version_id": version, "size": source.get("size"),
                "modified": text("last_modified"), "score": score,
                "preview": text("content").filter(|c| !c.trim().is_empty()).map(|c| text_preview(&c)),
                "s3_uri": format!("s3://{bucket}/{key}"), "catalog_url": link,
            })
        }
    };
    if include_metadata && let Some(object) = result.as_object_mut() {
        object.insert("source".into(), source);
    }
    result
}

/// The total of a search answer (`hits.total` as a number or `{value}`).
pub fn total_of(answer: &Value) -> u64 {
    let total = answer.pointer("/hits/total");
    total
        .and_then(Value::as_u64)
        .or_else(|| total.and_then(|t| t.get("value")).and_then(Value::as_u64))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserved_characters_are_escaped_and_angle_brackets_dropped() {
        assert_eq!(escape_query("a+b (c) d:e"), r"a\+b \(c\) d\:e");
        assert_eq!(escape_query("s3://bucket/key"), r"s3\:\/\/bucket\/key");
        assert_eq!(escape_query("size > 100  &&  x"), r"size 100 \&\& x");
        assert_eq!(escape_query(r#"say "hi" \ ~2"#), r#"say \"hi\" \\ \~2"#);
        assert_eq!(escape_query("*.csv?"), "*.csv?", "wildcards stay");
    }

    #[test]
    fn scopes_pick_their_indices() {
        let buckets = vec!["a".to_string(), "b".to_string()];
        assert_eq!(indices(Scope::File, &buckets), ["a", "b"]);
        assert_eq!(
            indices(Scope::Package, &buckets),
            ["a_packages", "b_packages"]
        );
        assert_eq!(indices(Scope::Global, &buckets[..1]), ["a", "a_packages"]);
        assert_eq!(bucket_of_index("a_packages-reindex-v2"), "a");
    }

    #[test]
    fn hits_become_results_with_links() {
        let file = json!({"_index": "b", "_score": 2.0, "_source": {"key": "x/y.csv", "version_id": "v1", "size": 5,
            "last_modified": "2026-01-01T00:00:00Z", "content": "col\n1\n"}});
        let result = normalize_hit(&file, "https://c", false);
        assert_eq!(
            result["catalog_url"],
            "https://c/b/b/tree/x/y.csv?version=v1"
        );
        assert_eq!(result["preview"], "col\n1");
        let package = json!({"_index": "b_packages", "_score": 1.0, "_source": {"join_field": {"name": "ptr"},
            "ptr_name": "t/p", "ptr_tag": "latest"}});
        assert_eq!(
            normalize_hit(&package, "https://c", false)["catalog_url"],
            "https://c/b/b/packages/t/p/tree/latest/"
        );
        assert_eq!(total_of(&json!({"hits": {"total": {"value": 7}}})), 7);
        assert_eq!(total_of(&json!({"hits": {"total": 3}})), 3);
    }
}
