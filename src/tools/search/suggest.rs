//! `search_suggest`: proposes searches from what the user has typed so far, using the caller's
//! real buckets and packages.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::catalog::queries::PACKAGES_LIST;
use crate::tools::search::catalog_search::visible_buckets;
use crate::tools::{Annotations, Ctx, Tool, ToolError, decode, typed};

/// Buckets whose packages `search_suggest` looks at.
const SUGGEST_BUCKETS: usize = 5;

/// Arguments of `search_suggest`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SearchSuggestArgs {
    /// What the user has typed so far.
    pub partial_query: String,
    /// Kinds to suggest: `query` (completions from package names), `filter` (buckets to limit to),
    /// `scope` (which scope fits), or `auto` (all).
    #[serde(default = "auto")]
    pub suggestion_types: Vec<String>,
    /// At most this many suggestions, 1 to 50.
    #[serde(default = "ten")]
    #[schemars(range(min = 1, max = 50))]
    pub limit: u32,
}

fn auto() -> Vec<String> {
    vec!["auto".into()]
}

fn ten() -> u32 {
    10
}

/// One suggested search.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Suggestion {
    /// `query`, `filter` or `scope`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub text: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bucket: Option<String>,
    pub reason: String,
}

/// What `search_suggest` answers.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Suggestions {
    pub partial_query: String,
    pub returned: usize,
    pub suggestions: Vec<Suggestion>,
}

/// The answer to `PackagesList`, as far as suggestions read it.
#[derive(Debug, Deserialize)]
struct PackagesListData {
    packages: PackagePage,
}

#[derive(Debug, Deserialize)]
struct PackagePage {
    page: Vec<PackageName>,
}

#[derive(Debug, Deserialize)]
struct PackageName {
    name: String,
}

pub const SEARCH_SUGGEST: Tool = Tool {
    name: "search_suggest",
    title: "Suggest searches",
    description: "Suggest searches for what the user has typed so far: package names and buckets from the catalog that match it, and the scope that fits.",
    annotations: Annotations::READ_ONLY,
    input_schema: || schemars::schema_for!(SearchSuggestArgs),
    output_schema: Some(|| schemars::schema_for!(Suggestions)),
    call: |ctx, args| typed(ctx, args, search_suggest),
};

async fn search_suggest(ctx: &Ctx, args: SearchSuggestArgs) -> Result<Suggestions, ToolError> {
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
    let types = args.suggestion_types;
    for kind in &types {
        if !["auto", "query", "filter", "scope"].contains(&kind.as_str()) {
            return Err(ToolError::invalid(
                "suggestion_types",
                format!("{kind:?} is not one of auto, query, filter, scope"),
            ));
        }
    }
    // An empty list asks for nothing in particular: suggest every kind, as `auto` does.
    let wants = |kind: &str| types.is_empty() || types.iter().any(|t| t == "auto" || t == kind);
    let lower = partial.to_lowercase();
    let buckets = visible_buckets(ctx).await?;
    let mut suggestions = Vec::new();
    if wants("query") {
        for bucket in buckets.iter().take(SUGGEST_BUCKETS) {
            let bucket = &bucket.name;
            let vars = json!({ "bucket": bucket, "filter": partial, "page": 1, "perPage": 10, "order": "NAME" });
            let found = ctx
                .state
                .catalog
                .graphql_read(ctx.on_behalf(), PACKAGES_LIST, vars)
                .await?;
            let found: PackagesListData = decode(PACKAGES_LIST, found)?;
            for package in found.packages.page {
                let name = package.name;
                suggestions.push(Suggestion {
                    kind: "query",
                    reason: format!("package {name} in {bucket} matches {partial:?}"),
                    text: name,
                    scope: Some("package"),
                    bucket: Some(bucket.clone()),
                });
            }
        }
    }
    if wants("filter") {
        for bucket in &buckets {
            let tags = bucket.tags.iter().flatten();
            let tag_hit = tags.map(|t| t.to_lowercase()).any(|t| t.contains(&lower));
            let (name, title) = (&bucket.name, &bucket.title);
            if name.contains(&lower) || title.to_lowercase().contains(&lower) || tag_hit {
                suggestions.push(Suggestion {
                    kind: "filter",
                    text: partial.clone(),
                    scope: None,
                    bucket: Some(name.clone()),
                    reason: format!(
                        "bucket {name} ({title}) matches {partial:?}; search only there"
                    ),
                });
            }
        }
    }
    if wants("scope") {
        let package_words = ["package", "dataset", "revision", "version", "metadata"];
        let (scope, reason) = if package_words.iter().any(|w| lower.contains(w)) {
            ("package", "the words name packages rather than files")
        } else {
            ("file", "plain words match object keys and contents")
        };
        suggestions.push(Suggestion {
            kind: "scope",
            text: partial.clone(),
            scope: Some(scope),
            bucket: None,
            reason: reason.into(),
        });
    }
    suggestions.truncate(args.limit as usize);
    Ok(Suggestions {
        partial_query: partial,
        returned: suggestions.len(),
        suggestions,
    })
}
