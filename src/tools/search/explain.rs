//! `search_explain`: how `search_catalog` would run a query, without running it.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::tools::search::catalog_search::{
    Explanation, Search, buckets_for, checked_query, explanation, fifty,
};
use crate::tools::search::query::Scope;
use crate::tools::{Annotations, Ctx, Tool, ToolError, typed};

/// Arguments of `search_explain`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SearchExplainArgs {
    /// The query to explain.
    pub query: String,
    /// The scope it would run in.
    #[serde(default = "global")]
    pub scope: Scope,
    /// The bucket it would be limited to; empty (the default) means every bucket you can see.
    #[serde(default)]
    pub bucket: String,
}

fn global() -> Scope {
    Scope::Global
}

/// What `search_explain` answers: the query, where it would run, and how.
#[derive(Debug, Serialize, JsonSchema)]
pub struct SearchExplain {
    pub query: String,
    pub scope: Scope,
    pub buckets: Vec<String>,
    #[serde(flatten)]
    pub explanation: Explanation,
}

pub const SEARCH_EXPLAIN: Tool = Tool {
    name: "search_explain",
    title: "Explain a search",
    description: "Show how search_catalog would run a query: the escaped query, the buckets and indices it searches, the exact search DSL and the scope's filter. Runs no search.",
    annotations: Annotations::READ_ONLY,
    input_schema: || schemars::schema_for!(SearchExplainArgs),
    output_schema: Some(|| schemars::schema_for!(SearchExplain)),
    call: |ctx, args| typed(ctx, args, search_explain),
};

async fn search_explain(ctx: &Ctx, args: SearchExplainArgs) -> Result<SearchExplain, ToolError> {
    let escaped = checked_query(&args.query)?;
    let buckets = buckets_for(ctx, &args.bucket).await?;
    let search = Search {
        scope: args.scope,
        escaped: &escaped,
        limit: fifty(),
        offset: 0,
        count_only: false,
    };
    Ok(SearchExplain {
        explanation: explanation(ctx, &search, &buckets),
        query: args.query,
        scope: args.scope,
        buckets,
    })
}
