//! Catalog search through the registry's search proxy: `search_catalog` runs a query,
//! `search_explain` shows how one would run, `search_suggest` proposes queries from the caller's
//! real buckets and packages.

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::catalog::CatalogErrorKind;
use crate::catalog::queries::{LIST_BUCKETS, PACKAGES_LIST};
use crate::tools::navigation::links::bucket_name;
use crate::tools::search::query::{
    Scope, bucket_of_index, dsl, escape_query, indices, normalize_hit, total_of,
};
use crate::tools::{Annotations, Ctx, Tool, ToolError, typed};

/// How many buckets one search may span before a refused search is retried on fewer.
const RETRY_BUCKETS: usize = 10;
/// Buckets whose packages `search_suggest` looks at.
const SUGGEST_BUCKETS: usize = 5;

/// The caller's visible buckets (from the catalog), or the one they named.
async fn buckets_for(ctx: &Ctx, bucket: &str) -> Result<Vec<String>, ToolError> {
    if !bucket.trim().is_empty() {
        return Ok(vec![bucket_name("bucket", bucket)?]);
    }
    let data = ctx
        .state
        .catalog
        .graphql_read(ctx.on_behalf(), LIST_BUCKETS, Value::Null)
        .await?;
    Ok(data
        .get("bucketConfigs")
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .filter_map(|b| b.get("name").and_then(Value::as_str).map(str::to_string))
                .collect()
        })
        .unwrap_or_default())
}

fn checked_query(query: &str) -> Result<String, ToolError> {
    let escaped = escape_query(query);
    if escaped.is_empty() {
        return Err(ToolError::invalid(
            "query",
            "must contain something to search for",
        ));
    }
    Ok(escaped)
}

// ---------------------------------------------------------------------------------------------

/// Arguments of `search_catalog`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SearchCatalogArgs {
    /// Words to look for, e.g. `liver counts csv`; `*` and `?` are wildcards, other symbols are literal.
    pub query: String,
    /// `file` (objects, the default), `packageEntry` (files inside packages), `package`, or `global` (all).
    #[serde(default)]
    pub scope: Scope,
    /// Only this bucket (`s3://bucket` or `bucket`); empty searches every bucket you can see.
    #[serde(default)]
    pub bucket: String,
    /// The search backend; only `elasticsearch` exists.
    #[serde(default = "elasticsearch")]
    pub backend: String,
    /// At most this many results, 1 to 1000.
    #[serde(default = "fifty")]
    #[schemars(range(min = 1, max = 1000))]
    pub limit: u32,
    /// Include each hit's full indexed document.
    #[serde(default)]
    pub include_metadata: bool,
    /// Include how the query was run (indices and DSL).
    #[serde(default)]
    pub explain_query: bool,
    /// Return only the number of matches, per bucket.
    #[serde(default)]
    pub count_only: bool,
}

fn elasticsearch() -> String {
    "elasticsearch".into()
}
fn fifty() -> u32 {
    50
}

pub const SEARCH_CATALOG: Tool = Tool {
    name: "search_catalog",
    title: "Search the catalog",
    description: "Search objects and packages in every bucket you can see (or one bucket), by scope; results carry kind, bucket, key or package, size, time, score, a preview and a catalog link. count_only gives counts per bucket.",
    annotations: Annotations::READ_ONLY,
    input_schema: || schemars::schema_for!(SearchCatalogArgs),
    output_schema: None,
    call: |ctx, args| typed(ctx, args, search_catalog),
};

/// Runs one search over `buckets`.
async fn run(
    ctx: &Ctx,
    scope: Scope,
    buckets: &[String],
    escaped: &str,
    limit: u32,
    count_only: bool,
) -> Result<Value, ToolError> {
    let index = indices(scope, buckets).join(",");
    let body = dsl(scope, escaped, limit, count_only).to_string();
    let size = if count_only {
        "0".to_string()
    } else {
        limit.to_string()
    };
    let query = [
        ("index", index.as_str()),
        ("action", "freeform"),
        ("body", body.as_str()),
        ("size", size.as_str()),
    ];
    let answer = ctx.state.catalog.search(ctx.on_behalf(), &query).await?;
    if let Some(error) = answer.get("error").filter(|e| !e.is_null()) {
        let reason = error
            .pointer("/root_cause/0/reason")
            .or_else(|| error.get("reason"))
            .and_then(Value::as_str)
            .map(str::to_string)
            .unwrap_or_else(|| error.to_string());
        return Err(ToolError::Failed(format!(
            "the search service refused the query: {reason}"
        )));
    }
    Ok(answer)
}

async fn search_catalog(ctx: &Ctx, args: SearchCatalogArgs) -> Result<Value, ToolError> {
    if args.backend != "elasticsearch" {
        return Err(ToolError::invalid(
            "backend",
            "the only search backend is `elasticsearch`",
        ));
    }
    if !(1..=1000).contains(&args.limit) {
        return Err(ToolError::invalid("limit", "must be between 1 and 1000"));
    }
    let escaped = checked_query(&args.query)?;
    let mut buckets = buckets_for(ctx, &args.bucket).await?;
    if buckets.is_empty() {
        return Err(ToolError::Failed(
            "this user can see no buckets in the catalog, so there is nothing to search".into(),
        ));
    }
    let skipped = if buckets.len() > RETRY_BUCKETS {
        buckets.split_off(RETRY_BUCKETS)
    } else {
        Vec::new()
    };
    let all: Vec<String> = buckets.iter().chain(&skipped).cloned().collect();
    // Search every bucket first; if the proxy refuses that many indices, fall back to the first few.
    let (answer, searched) =
        match run(ctx, args.scope, &all, &escaped, args.limit, args.count_only).await {
            Err(ToolError::Catalog(e))
                if e.kind == CatalogErrorKind::Forbidden && !skipped.is_empty() =>
            {
                (
                    run(
                        ctx,
                        args.scope,
                        &buckets,
                        &escaped,
                        args.limit,
                        args.count_only,
                    )
                    .await?,
                    buckets.clone(),
                )
            }
            other => (other?, all.clone()),
        };
    let not_searched: Vec<&String> = all.iter().filter(|b| !searched.contains(b)).collect();
    let mut result = json!({
        "query": args.query,
        "scope": args.scope.name(),
        "buckets": searched,
        "buckets_not_searched": not_searched,
        "total": total_of(&answer),
        "took_ms": answer.get("took"),
    });
    if args.count_only {
        let per_bucket: Map<String, Value> = answer
            .pointer("/aggregations/by_index/buckets")
            .and_then(Value::as_array)
            .map(|list| {
                let mut counts = Map::new();
                for entry in list {
                    let bucket = bucket_of_index(
                        entry.get("key").and_then(Value::as_str).unwrap_or_default(),
                    )
                    .to_string();
                    let count = entry.get("doc_count").and_then(Value::as_u64).unwrap_or(0);
                    let previous = counts.get(&bucket).and_then(Value::as_u64).unwrap_or(0);
                    counts.insert(bucket, json!(previous + count));
                }
                counts
            })
            .unwrap_or_default();
        result["counts"] = Value::Object(per_bucket);
    } else {
        let catalog = &ctx.state.config.catalog_url;
        let hits = answer
            .pointer("/hits/hits")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let results: Vec<Value> = hits
            .iter()
            .map(|hit| normalize_hit(hit, catalog, args.include_metadata))
            .collect();
        result["returned"] = json!(results.len());
        result["results"] = json!(results);
    }
    if args.explain_query {
        result["explanation"] = explanation(
            ctx,
            args.scope,
            &searched,
            &escaped,
            args.limit,
            args.count_only,
        );
    }
    Ok(result)
}

fn explanation(
    ctx: &Ctx,
    scope: Scope,
    buckets: &[String],
    escaped: &str,
    limit: u32,
    count_only: bool,
) -> Value {
    let filter = match scope {
        Scope::File => "objects only (the bucket indices)",
        Scope::PackageEntry => {
            "package entries only (documents with `entry_lk` in the package indices)"
        }
        Scope::Package => {
            "package names and tags only (documents with `ptr_name` in the package indices)"
        }
        Scope::Global => "objects and every kind of package document",
    };
    json!({
        "escaped_query": escaped,
        "indices": indices(scope, buckets),
        "dsl": dsl(scope, escaped, limit, count_only),
        "filter": filter,
        "endpoint": format!("GET {}/api/search?action=freeform", ctx.state.config.registry_url),
        "syntax": "words must all match (AND); * and ? are wildcards; other reserved symbols are searched literally",
    })
}

// ---------------------------------------------------------------------------------------------

/// Arguments of `search_explain`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SearchExplainArgs {
    /// The query to explain.
    pub query: String,
    /// The scope it would run in (default `global`).
    #[serde(default = "global")]
    pub scope: Scope,
    /// The bucket it would be limited to; empty means every bucket you can see.
    #[serde(default)]
    pub bucket: String,
}

fn global() -> Scope {
    Scope::Global
}

pub const SEARCH_EXPLAIN: Tool = Tool {
    name: "search_explain",
    title: "Explain a search",
    description: "Show how search_catalog would run a query: the escaped query, the buckets and indices it searches, the exact search DSL and the scope's filter. Runs no search.",
    annotations: Annotations::READ_ONLY,
    input_schema: || schemars::schema_for!(SearchExplainArgs),
    output_schema: None,
    call: |ctx, args| typed(ctx, args, search_explain),
};

async fn search_explain(ctx: &Ctx, args: SearchExplainArgs) -> Result<Value, ToolError> {
    let escaped = checked_query(&args.query)?;
    let buckets = buckets_for(ctx, &args.bucket).await?;
    let mut result = explanation(ctx, args.scope, &buckets, &escaped, 50, false);
    result["query"] = json!(args.query);
    result["scope"] = json!(args.scope.name());
    result["buckets"] = json!(buckets);
    Ok(result)
}

// ---------------------------------------------------------------------------------------------

/// Arguments of `search_suggest`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SearchSuggestArgs {
    /// What the user has typed so far.
    pub partial_query: String,
    /// Kinds to suggest: `query` (completions from package names), `filter` (buckets to limit to),
    /// `scope` (which scope fits), or `auto` (all, the default).
    #[serde(default)]
    pub suggestion_types: Option<Vec<String>>,
    /// At most this many suggestions, 1 to 50.
    #[serde(default = "ten")]
    #[schemars(range(min = 1, max = 50))]
    pub limit: u32,
}

fn ten() -> u32 {
    10
}

pub const SEARCH_SUGGEST: Tool = Tool {
    name: "search_suggest",
    title: "Suggest searches",
    description: "Suggest searches for what the user has typed so far: package names and buckets from the catalog that match it, and the scope that fits.",
    annotations: Annotations::READ_ONLY,
    input_schema: || schemars::schema_for!(SearchSuggestArgs),
    output_schema: None,
    call: |ctx, args| typed(ctx, args, search_suggest),
};

async fn search_suggest(ctx: &Ctx, args: SearchSuggestArgs) -> Result<Value, ToolError> {
    let partial = args.partial_query.trim().to_string();
    if partial.is_empty() {
        return Err(ToolError::invalid(
            "partial_query",
            "type at least one character",
        ));
    }
    if !(1..=50).contains(&args.limit) {
        return Err(ToolError::invalid("limit", "must be between 1 and 50"));
    }
    let types = args.suggestion_types.unwrap_or_else(|| vec!["auto".into()]);
    for kind in &types {
        if !["auto", "query", "filter", "scope"].contains(&kind.as_str()) {
            return Err(ToolError::invalid(
                "suggestion_types",
                format!("{kind:?} is not one of auto, query, filter, scope"),
            ));
        }
    }
    let wants = |kind: &str| types.iter().any(|t| t == "auto" || t == kind);
    let lower = partial.to_lowercase();
    let data = ctx
        .state
        .catalog
        .graphql_read(ctx.on_behalf(), LIST_BUCKETS, Value::Null)
        .await?;
    let buckets: Vec<Value> = data
        .get("bucketConfigs")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut suggestions = Vec::new();
    if wants("query") {
        for bucket in buckets
            .iter()
            .filter_map(|b| b.get("name").and_then(Value::as_str))
            .take(SUGGEST_BUCKETS)
        {
            let vars = json!({ "bucket": bucket, "filter": partial, "page": 1, "perPage": 10, "order": "NAME" });
            let found = ctx
                .state
                .catalog
                .graphql_read(ctx.on_behalf(), PACKAGES_LIST, vars)
                .await?;
            for package in found
                .pointer("/packages/page")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let name = package
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                suggestions.push(json!({
                    "type": "query", "text": name, "scope": "package", "bucket": bucket,
                    "reason": format!("package {name} in {bucket} matches {partial:?}"),
                }));
            }
        }
    }
    if wants("filter") {
        for bucket in &buckets {
            let name = bucket
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let title = bucket
                .get("title")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let tags = bucket
                .get("tags")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            let tag_hit = tags
                .iter()
                .filter_map(Value::as_str)
                .any(|t| t.to_lowercase().contains(&lower));
            if name.contains(&lower) || title.to_lowercase().contains(&lower) || tag_hit {
                suggestions.push(json!({
                    "type": "filter", "text": partial, "bucket": name,
                    "reason": format!("bucket {name} ({title}) matches {partial:?}; search only there"),
                }));
            }
        }
    }
    if wants("scope") {
        let package_words = ["package", "dataset", "revision", "version", "metadata"];
        let scope = if package_words.iter().any(|w| lower.contains(w)) {
            "package"
        } else {
            "file"
        };
        suggestions.push(json!({
            "type": "scope", "text": partial, "scope": scope,
            "reason": if scope == "package" { "the words name packages rather than files" } else { "plain words match object keys and contents" },
        }));
    }
    suggestions.truncate(args.limit as usize);
    Ok(
        json!({ "partial_query": partial, "returned": suggestions.len(), "suggestions": suggestions }),
    )
}
