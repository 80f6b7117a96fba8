//! Catalog search through the registry's search proxy: `search_catalog` runs a query,
//! `search_explain` shows how one would run. `search_suggest` is in `suggest.rs`.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::catalog::CatalogErrorKind;
use crate::catalog::queries::LIST_BUCKETS;
use crate::tools::budget::{TEXT_BUDGET, encoded_len, take_within};
use crate::tools::navigation::quilt_uri::bucket_arg;
use crate::tools::search::cursor::{Asked, At, Cursor};
use crate::tools::search::packages;
use crate::tools::search::query::{
    Hit, Order, Scope, SearchAnswer, bucket_of_index, dsl, escape_query, indices, normalize_hit,
    total_of,
};
use crate::tools::{Annotations, Ctx, Tool, ToolError, decode, typed};

/// How many buckets one search may span before a refused search is retried on fewer.
const RETRY_BUCKETS: usize = 10;
/// The search engine's default `index.max_result_window`: `offset + limit` may not pass it.
const MAX_WINDOW: u32 = 10_000;

/// A bucket as `ListBuckets` names it; the search tools read only these fields.
#[derive(Debug, Deserialize)]
pub struct BucketConfig {
    pub name: String,
    pub title: String,
    pub tags: Option<Vec<String>>,
}

/// The answer to `ListBuckets`, as far as search reads it.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListBucketsData {
    bucket_configs: Vec<BucketConfig>,
}

/// The buckets the caller can see, from the catalog.
pub async fn visible_buckets(ctx: &Ctx) -> Result<Vec<BucketConfig>, ToolError> {
    let data = ctx
        .state
        .catalog
        .graphql_read(ctx.on_behalf(), LIST_BUCKETS, Value::Null)
        .await?;
    let ListBucketsData { bucket_configs } = decode(LIST_BUCKETS, data)?;
    Ok(bucket_configs)
}

/// The caller's visible buckets (from the catalog), or the one they named.
pub(super) async fn buckets_for(ctx: &Ctx, bucket: &str) -> Result<Vec<String>, ToolError> {
    if !bucket.trim().is_empty() {
        return Ok(vec![bucket_arg("bucket", bucket)?]);
    }
    let buckets = visible_buckets(ctx).await?;
    Ok(buckets.into_iter().map(|b| b.name).collect())
}

pub(super) fn checked_query(query: &str) -> Result<String, ToolError> {
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
    /// Words to look for, e.g. `liver counts csv`; `*` and `?` are wildcards, other symbols are
    /// literal. May be left out with `cursor`.
    #[serde(default)]
    pub query: String,
    /// `file` (objects, the default), `packageEntry` (files inside packages), `package`, or `global` (all).
    #[serde(default)]
    #[schemars(extend("default" = "file"))]
    pub scope: Option<Scope>,
    /// Only this bucket (`s3://bucket`, `bucket` or `quilt+s3://bucket`); empty searches every bucket you can see.
    #[serde(default)]
    pub bucket: String,
    /// Scope `package` only: `relevance`, `newest`, `name` or `size` (largest first; needs an
    /// August 2026 or newer catalog). Results are then one per package (its latest revision),
    /// with hash and size. Left out: the search proxy's relevance, one result per package tag.
    #[serde(default)]
    pub order: Option<Order>,
    /// `next_cursor` of the previous answer, to read the next page of the same search
    /// (`query`, `scope`, `bucket` and `order` come with it and may be left out).
    #[serde(default)]
    pub cursor: String,
    /// The search backend; only `elasticsearch` exists.
    #[serde(default = "elasticsearch")]
    pub backend: String,
    /// At most this many results, 1 to 1000. Whatever the limit, one answer holds at most 16 KiB
    /// of text: past that it stops early, sets `truncated` and gives `next_offset`.
    #[serde(default = "fifty")]
    #[schemars(range(min = 1, max = 1000))]
    pub limit: u32,
    /// Skip this many results first (`next_offset` of the previous answer; `cursor` is
    /// simpler); `offset + limit` may not pass 10000. Not with `order`.
    #[serde(default)]
    pub offset: u32,
    /// Include each hit's full indexed document (large: it holds the indexed text).
    #[serde(default)]
    pub include_metadata: bool,
    /// Include how the query was run (indices and DSL); searches with `order` run no DSL and
    /// have none.
    #[serde(default)]
    pub explain_query: bool,
    /// Return only the number of matches, per bucket.
    #[serde(default)]
    pub count_only: bool,
}

fn elasticsearch() -> String {
    "elasticsearch".into()
}
pub(super) fn fifty() -> u32 {
    50
}

/// What `search_catalog` answers. `counts` comes with `count_only`; `returned` and `results`
/// without it; `explanation` with `explain_query`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct SearchCatalog {
    pub query: String,
    pub scope: Scope,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order: Option<Order>,
    pub buckets: Vec<String>,
    pub buckets_not_searched: Vec<String>,
    /// Every match, not only those returned; the same on every page.
    pub total: u64,
    pub took_ms: Option<u64>,
    /// Matches per bucket.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub counts: Option<BTreeMap<String, u64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub returned: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub results: Option<Vec<Hit>>,
    /// True when results were left out to keep the answer within its size budget.
    pub truncated: bool,
    /// The `offset` that reads the next results, when there are more.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_offset: Option<u32>,
    /// Pass as `cursor` to read the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub explanation: Option<Explanation>,
}

/// How a search runs: what `explain_query` and `search_explain` show.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Explanation {
    pub escaped_query: String,
    pub indices: Vec<String>,
    /// The exact search-engine query (Elasticsearch DSL), as sent.
    pub dsl: Value,
    pub filter: &'static str,
    pub endpoint: String,
    pub syntax: &'static str,
}

pub const SEARCH_CATALOG: Tool = Tool {
    name: "search_catalog",
    title: "Search the catalog",
    description: "Search objects and packages in every bucket you can see (or one bucket), by scope; results carry kind, bucket, key or package, size, time, score, a preview and a catalog link. Packages can be ordered (relevance, newest, name, size). For more results pass next_cursor back as cursor. count_only gives counts per bucket.",
    annotations: Annotations::READ_ONLY,
    input_schema: || schemars::schema_for!(SearchCatalogArgs),
    output_schema: Some(|| schemars::schema_for!(SearchCatalog)),
    call: |ctx, args| typed(ctx, args, search_catalog),
};

/// One search to run: the query, where, and which page.
pub(super) struct Search<'a> {
    pub scope: Scope,
    pub escaped: &'a str,
    pub limit: u32,
    pub offset: u32,
    pub count_only: bool,
}

/// Runs one search over `buckets`.
async fn run(
    ctx: &Ctx,
    search: &Search<'_>,
    buckets: &[String],
) -> Result<SearchAnswer, ToolError> {
    let index = indices(search.scope, buckets).join(",");
    let body = dsl(
        search.scope,
        search.escaped,
        search.limit,
        search.count_only,
    );
    let body = with_offset(body, search.offset).to_string();
    let size = if search.count_only {
        "0".to_string()
    } else {
        search.limit.to_string()
    };
    let query = [
        ("index", index.as_str()),
        ("action", "freeform"),
        ("body", body.as_str()),
        ("size", size.as_str()),
    ];
    let answer = ctx.state.catalog.search(ctx.on_behalf(), &query).await?;
    let answer: SearchAnswer = serde_json::from_value(answer).map_err(|e| {
        ToolError::Failed(format!("unexpected answer from the search service: {e}"))
    })?;
    if let Some(error) = &answer.error {
        return Err(ToolError::Failed(format!(
            "the search service refused the query: {}",
            error.reason()
        )));
    }
    Ok(answer)
}

/// The DSL with `from` set to `offset` (a count has no pages).
fn with_offset(mut body: Value, offset: u32) -> Value {
    if let Some(from) = body.get_mut("from") {
        *from = Value::from(offset);
    }
    body
}

/// One search as the call and its cursor name it together.
pub(super) struct Resolved {
    pub query: String,
    pub scope: Scope,
    /// The bucket's name, or "" for every visible bucket.
    pub bucket: String,
    pub order: Option<Order>,
    /// Where this page starts, and the first page's total, when continuing.
    pub at: Option<(At, u64)>,
}

/// The search to run: the arguments, or the cursor's search (checked against them).
fn resolve(args: &SearchCatalogArgs) -> Result<Resolved, ToolError> {
    let bucket = if args.bucket.trim().is_empty() {
        String::new()
    } else {
        bucket_arg("bucket", &args.bucket)?
    };
    let text = args.cursor.trim();
    if text.is_empty() {
        return Ok(Resolved {
            query: args.query.clone(),
            scope: args.scope.unwrap_or_default(),
            bucket,
            order: args.order,
            at: None,
        });
    }
    let cursor = Cursor::decode(text)?;
    cursor.check(&Asked {
        query: &args.query,
        scope: args.scope,
        bucket: &bucket,
        order: args.order,
    })?;
    if args.offset != 0 {
        return Err(ToolError::invalid(
            "offset",
            "give `cursor` or `offset`, not both",
        ));
    }
    if args.count_only {
        return Err(ToolError::invalid(
            "count_only",
            "a count has no pages: leave out `cursor`",
        ));
    }
    Ok(Resolved {
        query: cursor.query,
        scope: cursor.scope,
        bucket: cursor.bucket,
        order: cursor.order,
        at: Some((cursor.at, cursor.total)),
    })
}

async fn search_catalog(ctx: &Ctx, args: SearchCatalogArgs) -> Result<SearchCatalog, ToolError> {
    if args.backend != "elasticsearch" {
        return Err(ToolError::invalid(
            "backend",
            "the only search backend is `elasticsearch`",
        ));
    }
    if !(1..=1000).contains(&args.limit) {
        return Err(ToolError::invalid("limit", "must be between 1 and 1000"));
    }
    let search = resolve(&args)?;
    if search.order.is_some() && search.scope != Scope::Package {
        return Err(ToolError::invalid(
            "order",
            "orders packages only: use it with scope `package` (other scopes rank by relevance)",
        ));
    }
    if search.order.is_some() && args.offset != 0 {
        return Err(ToolError::invalid(
            "offset",
            "a search with `order` pages by `cursor` (pass `next_cursor`), not `offset`",
        ));
    }
    let offset = match &search.at {
        Some((At::Offset { offset }, _)) => *offset,
        Some((At::Registry { .. }, _)) if search.order.is_none() => {
            return Err(ToolError::invalid("cursor", "does not fit its own search"));
        }
        _ => args.offset,
    };
    if offset.saturating_add(args.limit) > MAX_WINDOW {
        return Err(ToolError::invalid(
            "offset",
            format!("offset + limit may not pass {MAX_WINDOW}; narrow the query instead"),
        ));
    }
    let escaped = checked_query(&search.query)?;
    let mut buckets = buckets_for(ctx, &search.bucket).await?;
    if buckets.is_empty() {
        return Err(ToolError::Failed(
            "this user can see no buckets in the catalog, so there is nothing to search".into(),
        ));
    }
    if let Some(order) = search.order
        && !args.count_only
    {
        return packages::ordered(ctx, &args, &search, order, &escaped, buckets).await;
    }
    let skipped = if buckets.len() > RETRY_BUCKETS {
        buckets.split_off(RETRY_BUCKETS)
    } else {
        Vec::new()
    };
    let all: Vec<String> = buckets.iter().chain(&skipped).cloned().collect();
    let run_search = Search {
        scope: search.scope,
        escaped: &escaped,
        limit: args.limit,
        offset,
        count_only: args.count_only,
    };
    // Search every bucket first; if the proxy refuses that many indices, fall back to the first few.
    let (answer, searched) = match run(ctx, &run_search, &all).await {
        Err(ToolError::Catalog(e))
            if e.kind == CatalogErrorKind::Forbidden && !skipped.is_empty() =>
        {
            (run(ctx, &run_search, &buckets).await?, buckets.clone())
        }
        other => (other?, all.clone()),
    };
    let not_searched: Vec<String> = all.into_iter().filter(|b| !searched.contains(b)).collect();
    let explanation = args
        .explain_query
        .then(|| explanation(ctx, &run_search, &searched));
    let mut result = SearchCatalog {
        query: search.query.clone(),
        scope: search.scope,
        order: None,
        buckets: searched,
        buckets_not_searched: not_searched,
        total: total_of(&answer),
        took_ms: answer.took,
        counts: None,
        returned: None,
        results: None,
        truncated: false,
        next_offset: None,
        next_cursor: None,
        explanation,
    };
    if args.count_only {
        result.counts = Some(counts_per_bucket(&answer));
        return Ok(result);
    }
    let catalog = &ctx.state.config.catalog_url;
    let hits: Result<Vec<Hit>, String> = (answer.hits.hits.into_iter())
        .map(|hit| normalize_hit(hit, catalog, args.include_metadata))
        .collect();
    // Room for the longest cursor this answer can carry, besides the hits.
    let reserve = cursor_of(&search, result.total, At::Offset { offset: u32::MAX }).len();
    add_page(
        &mut result,
        hits.map_err(ToolError::Failed)?,
        (args.limit, offset),
        reserve,
    );
    result.next_cursor = result
        .next_offset
        .map(|next| cursor_of(&search, result.total, At::Offset { offset: next }));
    Ok(result)
}

pub(super) fn cursor_of(search: &Resolved, total: u64, at: At) -> String {
    Cursor {
        query: search.query.clone(),
        scope: search.scope,
        bucket: search.bucket.clone(),
        order: search.order,
        total,
        at,
    }
    .encode()
}

/// Puts as many hits into `result` as fit the text budget, and says where the next page starts:
/// after a cut, or when the page was full and more matched.
fn add_page(
    result: &mut SearchCatalog,
    hits: Vec<Hit>,
    (limit, offset): (u32, u32),
    reserve: usize,
) {
    // Room for the hits: the budget less the rest of the answer and the paging fields.
    let room = TEXT_BUDGET.saturating_sub(encoded_len(&*result) + 64 + reserve);
    let (hits, left_out) = take_within(hits, room);
    let returned = hits.len();
    let read = offset as u64 + returned as u64;
    if left_out > 0 || (read < result.total && returned as u32 == limit) {
        result.next_offset = Some(offset + returned as u32);
    }
    result.truncated = left_out > 0;
    result.returned = Some(returned);
    result.results = Some(hits);
}

/// Matches per bucket from the `count_only` aggregation (a bucket's object and package indices
/// add up).
fn counts_per_bucket(answer: &SearchAnswer) -> BTreeMap<String, u64> {
    let mut counts = BTreeMap::new();
    let per_index = answer.aggregations.iter().flat_map(|a| &a.by_index.buckets);
    for entry in per_index {
        let bucket = bucket_of_index(&entry.key).to_string();
        *counts.entry(bucket).or_insert(0) += entry.doc_count;
    }
    counts
}

pub(super) fn explanation(ctx: &Ctx, search: &Search<'_>, buckets: &[String]) -> Explanation {
    let filter = match search.scope {
        Scope::File => "objects only (the bucket indices)",
        Scope::PackageEntry => {
            "package entries only (documents with `entry_lk` in the package indices)"
        }
        Scope::Package => {
            "package names and tags only (documents with `ptr_name` in the package indices)"
        }
        Scope::Global => "objects and every kind of package document",
    };
    let body = dsl(
        search.scope,
        search.escaped,
        search.limit,
        search.count_only,
    );
    Explanation {
        escaped_query: search.escaped.to_string(),
        indices: indices(search.scope, buckets),
        dsl: with_offset(body, search.offset),
        filter,
        endpoint: format!(
            "GET {}/api/search?action=freeform",
            ctx.state.config.registry_url
        ),
        syntax: "words must all match (AND); * and ? are wildcards; other reserved symbols are searched literally",
    }
}
