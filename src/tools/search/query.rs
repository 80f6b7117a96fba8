//! Building catalog searches and reading their answers, without any I/O: which indices a scope
//! searches, the query DSL, escaping, and turning raw hits into results an agent can use.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::tools::navigation::quilt_uri::quilt_uri;

/// What to search.
// Serialize too: schemars writes a field's `default` into the schema only for a type it can
// encode, and results name the scope.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
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

/// How `search_catalog` orders packages (scope `package`), through the registry's package
/// search rather than the search proxy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Order {
    /// Best match first.
    Relevance,
    /// Most recently modified first.
    Newest,
    /// By name, A to Z.
    Name,
    /// Largest first (total bytes of the latest revision); needs an August 2026 or newer catalog.
    Size,
}

impl Order {
    /// The order's name as agents write it.
    pub fn name(self) -> &'static str {
        match self {
            Order::Relevance => "relevance",
            Order::Newest => "newest",
            Order::Name => "name",
            Order::Size => "size",
        }
    }

    /// The `PackageOrdering` expression of a registry from August 2026 on (null: relevance).
    pub fn ordering(self) -> Option<&'static str> {
        match self {
            Order::Relevance => None,
            Order::Newest => Some("sys:modified:desc"),
            Order::Name => Some("sys:name:asc"),
            Order::Size => Some("sys:size:desc"),
        }
    }

    /// The `SearchResultOrder` of an older registry; size has none.
    pub fn before_august_2026(self) -> Option<&'static str> {
        match self {
            Order::Relevance => Some("BEST_MATCH"),
            Order::Newest => Some("NEWEST"),
            Order::Name => Some("LEX_ASC"),
            Order::Size => None,
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

/// The search service's answer, as far as the tools read it (Elasticsearch's response shape).
#[derive(Debug, Default, Deserialize)]
pub struct SearchAnswer {
    pub took: Option<u64>,
    #[serde(default)]
    pub hits: Hits,
    pub aggregations: Option<Aggregations>,
    /// Set, instead of hits, when the engine refused the query.
    pub error: Option<SearchError>,
}

/// The hits of an answer: the total and one page.
#[derive(Debug, Default, Deserialize)]
pub struct Hits {
    pub total: Option<Total>,
    #[serde(default)]
    pub hits: Vec<RawHit>,
}

/// `hits.total`: a number in old engines, `{value, relation}` in newer ones.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum Total {
    Count(u64),
    Counted { value: u64 },
}

/// One hit as the engine sends it. `_source` is the indexed document; it stays JSON because
/// `include_metadata` hands it over whole, and it is read through [`Source`].
#[derive(Debug, Deserialize)]
pub struct RawHit {
    #[serde(rename = "_index")]
    pub index: String,
    #[serde(rename = "_score")]
    pub score: Option<f64>,
    #[serde(rename = "_source", default)]
    pub source: Value,
}

/// The `count_only` aggregation: documents per index.
#[derive(Debug, Deserialize)]
pub struct Aggregations {
    pub by_index: IndexCounts,
}

/// The terms of the `by_index` aggregation.
#[derive(Debug, Deserialize)]
pub struct IndexCounts {
    #[serde(default)]
    pub buckets: Vec<IndexCount>,
}

/// How many documents matched in one index.
#[derive(Debug, Deserialize)]
pub struct IndexCount {
    pub key: String,
    pub doc_count: u64,
}

/// The engine's refusal: usually an object with causes, sometimes plain text.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum SearchError {
    Text(String),
    Detailed {
        #[serde(default)]
        root_cause: Vec<Cause>,
        reason: Option<String>,
    },
}

/// One cause of a refusal.
#[derive(Debug, Deserialize)]
pub struct Cause {
    pub reason: Option<String>,
}

impl SearchError {
    /// The most specific reason the engine gave.
    pub fn reason(&self) -> String {
        match self {
            SearchError::Text(text) => text.clone(),
            SearchError::Detailed { root_cause, reason } => root_cause
                .iter()
                .find_map(|c| c.reason.clone())
                .or_else(|| reason.clone())
                .unwrap_or_else(|| "no reason given".into()),
        }
    }
}

/// The indexed document's fields that results show: objects (`key` ...), package pointers
/// (`ptr_*`), manifests (`mnfst_*`) and package entries (`entry_*`).
#[derive(Debug, Default, Deserialize)]
struct Source {
    key: Option<String>,
    version_id: Option<String>,
    size: Option<u64>,
    last_modified: Option<String>,
    content: Option<String>,
    join_field: Option<JoinField>,
    ptr_name: Option<String>,
    ptr_tag: Option<String>,
    ptr_last_modified: Option<String>,
    mnfst_hash: Option<String>,
    mnfst_message: Option<String>,
    mnfst_last_modified: Option<String>,
    /// The revision's user metadata, as JSON text.
    mnfst_metadata: Option<String>,
    entry_lk: Option<String>,
    entry_pk: Option<String>,
    entry_size: Option<u64>,
}

/// Which kind of package document a hit in a `_packages` index is.
#[derive(Debug, Deserialize)]
struct JoinField {
    name: String,
}

/// One search result. Every kind carries `bucket` and `score`; `source` (the whole indexed
/// document) only with `include_metadata`.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Hit {
    /// A package (its name and tag).
    Package {
        bucket: String,
        package_name: String,
        tag: Option<String>,
        modified: Option<String>,
        score: Option<f64>,
        catalog_url: String,
        /// The package's Quilt+ URI: at the revision's hash when known, else at its tag.
        quilt_uri: String,
        /// The revision's top hash, total bytes and message (searches with `order`).
        #[serde(skip_serializing_if = "Option::is_none")]
        hash: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        size: Option<u64>,
        #[serde(skip_serializing_if = "Option::is_none")]
        message: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        source: Option<Value>,
    },
    /// A package revision (manifest); `metadata` is the revision's own free-form metadata.
    PackageRevision {
        bucket: String,
        hash: String,
        message: Option<String>,
        modified: Option<String>,
        score: Option<f64>,
        metadata: Option<Value>,
        preview: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        source: Option<Value>,
    },
    /// A file inside a package.
    PackageEntry {
        bucket: String,
        logical_key: Option<String>,
        physical_key: Option<String>,
        size: Option<u64>,
        score: Option<f64>,
        #[serde(skip_serializing_if = "Option::is_none")]
        source: Option<Value>,
    },
    /// An object in a bucket.
    File {
        bucket: String,
        key: String,
        version_id: Option<String>,
        size: Option<u64>,
        modified: Option<String>,
        score: Option<f64>,
        preview: Option<String>,
        s3_uri: String,
        catalog_url: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        source: Option<Value>,
    },
}

/// One raw hit as a result: kind, bucket, what it names, size, time, score, a short preview and
/// its catalog link. `catalog` is the catalog's base URL. A document whose fields do not have
/// the types the index mapping gives them is an error naming the index.
pub fn normalize_hit(hit: RawHit, catalog: &str, include_metadata: bool) -> Result<Hit, String> {
    let bucket = bucket_of_index(&hit.index).to_string();
    let doc: Source = serde_json::from_value(hit.source.clone()).map_err(|e| {
        format!(
            "a document in the index {} is not as expected: {e}",
            hit.index
        )
    })?;
    let source = include_metadata.then_some(hit.source);
    let score = hit.score;
    let kind = doc.join_field.as_ref().map(|j| j.name.as_str());
    let result = match (hit.index.contains("_packages"), kind) {
        (true, Some("ptr")) => {
            let name = doc.ptr_name.unwrap_or_default();
            let tag = doc.ptr_tag.clone().unwrap_or_else(|| "latest".into());
            let quilt_uri = match tag.as_str() {
                "latest" => quilt_uri(&bucket, &name, None, None),
                tag => format!("{}:{tag}", quilt_uri(&bucket, &name, None, None)),
            };
            Hit::Package {
                catalog_url: format!("{catalog}/b/{bucket}/packages/{name}/tree/{tag}/"),
                quilt_uri,
                bucket,
                package_name: name,
                tag: doc.ptr_tag,
                modified: doc.ptr_last_modified,
                score,
                hash: None,
                size: None,
                message: None,
                source,
            }
        }
        (true, Some("mnfst")) => Hit::PackageRevision {
            bucket,
            hash: doc.mnfst_hash.unwrap_or_default(),
            preview: doc.mnfst_message.as_deref().map(text_preview),
            message: doc.mnfst_message,
            modified: doc.mnfst_last_modified,
            score,
            metadata: (doc.mnfst_metadata.as_deref()).and_then(|m| serde_json::from_str(m).ok()),
            source,
        },
        (true, _) => Hit::PackageEntry {
            bucket,
            logical_key: doc.entry_lk,
            physical_key: doc.entry_pk,
            size: doc.entry_size,
            score,
            source,
        },
        (false, _) => {
            let key = doc.key.unwrap_or_default();
            let catalog_url = match &doc.version_id {
                Some(v) => format!("{catalog}/b/{bucket}/tree/{key}?version={v}"),
                None => format!("{catalog}/b/{bucket}/tree/{key}"),
            };
            let preview = doc.content.filter(|c| !c.trim().is_empty());
            Hit::File {
                s3_uri: format!("s3://{bucket}/{key}"),
                catalog_url,
                bucket,
                key,
                version_id: doc.version_id,
                size: doc.size,
                modified: doc.last_modified,
                score,
                preview: preview.map(|c| text_preview(&c)),
                source,
            }
        }
    };
    Ok(result)
}

/// The total of a search answer.
pub fn total_of(answer: &SearchAnswer) -> u64 {
    match answer.hits.total {
        Some(Total::Count(n)) | Some(Total::Counted { value: n }) => n,
        None => 0,
    }
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
        let hit = |value: Value| -> RawHit { serde_json::from_value(value).unwrap() };
        let as_json = |hit: Hit| serde_json::to_value(hit).unwrap();
        let file = hit(
            json!({"_index": "b", "_score": 2.0, "_source": {"key": "x/y.csv", "version_id": "v1", "size": 5,
            "last_modified": "2026-01-01T00:00:00Z", "content": "col\n1\n"}}),
        );
        let result = as_json(normalize_hit(file, "https://c", false).unwrap());
        assert_eq!(result["kind"], "file");
        assert_eq!(
            result["catalog_url"],
            "https://c/b/b/tree/x/y.csv?version=v1"
        );
        assert_eq!(result["preview"], "col\n1");
        let package = hit(
            json!({"_index": "b_packages", "_score": 1.0, "_source": {"join_field": {"name": "ptr"},
            "ptr_name": "t/p", "ptr_tag": "latest"}}),
        );
        assert_eq!(
            as_json(normalize_hit(package, "https://c", false).unwrap())["catalog_url"],
            "https://c/b/b/packages/t/p/tree/latest/"
        );
        let answer = |value: Value| -> SearchAnswer { serde_json::from_value(value).unwrap() };
        assert_eq!(
            total_of(&answer(json!({"hits": {"total": {"value": 7}}}))),
            7
        );
        assert_eq!(total_of(&answer(json!({"hits": {"total": 3}}))), 3);
    }
}
