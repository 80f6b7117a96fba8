//! `package_history`: a package's revisions, newest first, each with its top hash, date,
//! message, the tags it is known by (from the search index, see `tags.rs`), a short summary of its metadata and its totals, so an agent
//! can pick a revision to browse or compare without knowing a hash beforehand.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::catalog::queries::PACKAGE_HISTORY;
use crate::tools::budget::{TEXT_BUDGET, take_within};
use crate::tools::packages::revision::{Naming, PackageRef, Target, not_found, optional_size};
use crate::tools::packages::tags::revision_tags;
use crate::tools::{Annotations, Ctx, Tool, ToolError, decode, typed};

/// The most revisions one call returns.
const MAX_LIMIT: u32 = 100;
/// Room left in the result budget for everything around the revision list.
const ENVELOPE: usize = 1024;
/// Top-level metadata keys shown per revision; the rest are only counted.
const SUMMARY_KEYS: usize = 8;
/// Longest text value shown in a metadata summary, in characters.
const SUMMARY_TEXT: usize = 80;

/// Arguments of `package_history`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PackageHistoryArgs {
    /// The package, `namespace/name` (or give `uri`).
    #[serde(default)]
    pub package_name: String,
    /// The bucket, as `s3://bucket` or `bucket` (or give `uri`).
    #[serde(default)]
    pub registry: String,
    /// A Quilt+ URI naming the package, and optionally its revision and a path:
    /// `quilt+s3://bucket#package=namespace/name[@top_hash|:tag][&path=…]`, in place of
    /// `registry`, `package_name`, `top_hash` and `tag`.
    #[serde(default)]
    pub uri: String,
    /// Skip this many revisions (newest first): the `next_offset` of a previous answer.
    #[serde(default)]
    pub offset: u32,
    /// Revisions per answer, 1 to 100; fewer come back when they would not fit in about 16 KiB.
    #[serde(default = "twenty")]
    #[schemars(range(min = 1, max = 100))]
    pub limit: u32,
}

fn twenty() -> u32 {
    20
}

pub const PACKAGE_HISTORY_TOOL: Tool = Tool {
    name: "package_history",
    title: "Package history",
    description: "List a package's revisions, newest first: top hash, date, message, tags, a short metadata summary and totals, a page at a time (`next_offset` continues). Pass a listed hash as `top_hash` to package_browse or package_diff.",
    annotations: Annotations::READ_ONLY,
    input_schema: || schemars::schema_for!(PackageHistoryArgs),
    output_schema: Some(|| schemars::schema_for!(PackageHistory)),
    call: |ctx, args| typed(ctx, args, package_history),
};

/// The answer to `PackageHistory`.
#[derive(Debug, Deserialize)]
struct HistoryData {
    package: Option<HistoryPackage>,
}

#[derive(Debug, Deserialize)]
struct HistoryPackage {
    revisions: HistoryList,
}

#[derive(Debug, Deserialize)]
struct HistoryList {
    total: u32,
    page: Vec<HistoryNode>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct HistoryNode {
    hash: String,
    modified: Option<String>,
    message: Option<String>,
    user_meta: Option<Value>,
    workflow: Option<WorkflowNode>,
    total_entries: Option<u64>,
    #[serde(default, deserialize_with = "optional_size")]
    total_bytes: Option<u64>,
}

#[derive(Debug, Deserialize)]
struct WorkflowNode {
    id: Option<String>,
}

/// One revision of `package_history`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct HistoryRevision {
    pub top_hash: String,
    pub modified: Option<String>,
    pub message: Option<String>,
    /// Tags naming this revision: `latest` for the newest, and the package's named tags as
    /// the catalog's search index holds them (pointers named by a push time are left out).
    pub tags: Vec<String>,
    /// The package metadata at this revision, shortened: up to 8 top-level keys, long text
    /// cut, nested objects and lists replaced by their size.
    pub metadata_summary: Option<Value>,
    /// Top-level metadata keys not shown in the summary.
    pub metadata_keys_omitted: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub workflow: Option<String>,
    pub total_entries: Option<u64>,
    pub total_bytes: Option<u64>,
    /// The Quilt+ URI of this revision: pass it as `uri` to package_browse or package_diff.
    pub uri: String,
    pub catalog_url: String,
}

/// The result of `package_history`: one page of revisions, newest first.
#[derive(Debug, Serialize, JsonSchema)]
pub struct PackageHistory {
    pub package_name: String,
    pub registry: String,
    /// Revisions of the package, on every page.
    pub total: u32,
    pub offset: u32,
    pub returned: usize,
    pub revisions: Vec<HistoryRevision>,
    /// Where the next page starts; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_offset: Option<u32>,
    /// Why the tags may be incomplete, when the search index could not be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags_note: Option<String>,
}

/// A short form of package metadata: scalars kept (long text cut), objects and lists sized.
/// Returns the summary and how many top-level keys were left out.
fn summarise(meta: &Value) -> (Option<Value>, usize) {
    let Value::Object(fields) = meta else {
        return match meta {
            Value::Null => (None, 0),
            other => (Some(short(other)), 0),
        };
    };
    if fields.is_empty() {
        return (None, 0);
    }
    let summary: Map<String, Value> = fields
        .iter()
        .take(SUMMARY_KEYS)
        .map(|(key, value)| (key.clone(), short(value)))
        .collect();
    (
        Some(Value::Object(summary)),
        fields.len().saturating_sub(SUMMARY_KEYS),
    )
}

/// One metadata value, shortened for a summary.
fn short(value: &Value) -> Value {
    match value {
        Value::String(text) if text.chars().count() > SUMMARY_TEXT => {
            let cut: String = text.chars().take(SUMMARY_TEXT).collect();
            json!(format!("{cut}…"))
        }
        Value::Object(fields) => json!(format!("{{{} keys}}", fields.len())),
        Value::Array(items) if items.iter().all(|i| !i.is_object() && !i.is_array()) => {
            // A short list of scalars (tags, keywords) says more shown than counted.
            let shown = json!(items);
            if shown.to_string().len() <= SUMMARY_TEXT {
                shown
            } else {
                json!(format!("[{} items]", items.len()))
            }
        }
        Value::Array(items) => json!(format!("[{} items]", items.len())),
        other => other.clone(),
    }
}

/// Fetches registry pages of `per_page` revisions and keeps those from `offset` on, at most
/// `limit` of them: the registry pages by number, the tool by offset.
async fn fetch_window(
    ctx: &Ctx,
    package: &PackageRef,
    offset: u32,
    limit: u32,
) -> Result<(u32, Vec<HistoryNode>), ToolError> {
    let per_page = limit;
    let first_page = offset / per_page + 1;
    let skip = (offset % per_page) as usize;
    let mut total = 0;
    let mut nodes = Vec::new();
    // An offset between page boundaries needs the next page as well.
    for page in first_page..=first_page + u32::from(skip > 0) {
        let mut vars = package.variables();
        vars["page"] = json!(page);
        vars["perPage"] = json!(per_page);
        let data = ctx
            .state
            .catalog
            .graphql_read(ctx.on_behalf(), PACKAGE_HISTORY, vars)
            .await?;
        let answer: HistoryData = decode(PACKAGE_HISTORY, data)?;
        let list = answer
            .package
            .ok_or_else(|| not_found(package, None))?
            .revisions;
        total = list.total;
        let last = list.page.len() < per_page as usize;
        nodes.extend(list.page);
        if last {
            break;
        }
    }
    let window = nodes.into_iter().skip(skip).take(limit as usize).collect();
    Ok((total, window))
}

async fn package_history(ctx: &Ctx, args: PackageHistoryArgs) -> Result<PackageHistory, ToolError> {
    let Target { package, rev, path } = Naming {
        uri_field: "uri",
        uri: &args.uri,
        registry: &args.registry,
        name_field: "package_name",
        name: &args.package_name,
        hash_field: "uri",
        top_hash: "",
        tag: "",
    }
    .resolve()?;
    if rev != "latest" || path.is_some() {
        return Err(ToolError::invalid(
            "uri",
            "the history lists every revision of the whole package: name it without @top_hash, :tag or &path=",
        ));
    }
    if !(1..=MAX_LIMIT).contains(&args.limit) {
        return Err(ToolError::invalid("limit", "must be between 1 and 100"));
    }
    let (total, nodes) = fetch_window(ctx, &package, args.offset, args.limit).await?;
    if args.offset > 0 && args.offset >= total {
        return Err(ToolError::invalid(
            "offset",
            format!("the package has {total} revisions; offset must be below that"),
        ));
    }
    let (mut tags, tags_note) = match revision_tags(ctx, &package).await {
        Ok(tags) => (tags, None),
        Err(why) => (Default::default(), Some(why)),
    };
    let revisions: Vec<HistoryRevision> = nodes
        .into_iter()
        .enumerate()
        .map(|(index, node)| {
            let newest = args.offset == 0 && index == 0;
            let mut named = tags.remove(&node.hash).unwrap_or_default();
            if newest {
                named.insert(0, "latest".into());
            }
            let (metadata_summary, metadata_keys_omitted) =
                summarise(node.user_meta.as_ref().unwrap_or(&Value::Null));
            HistoryRevision {
                catalog_url: package.catalog_url(ctx, Some(&node.hash)),
                uri: package.quilt_uri(Some(&node.hash), None),
                tags: named,
                top_hash: node.hash,
                modified: node.modified,
                message: node.message,
                metadata_summary,
                metadata_keys_omitted,
                workflow: node.workflow.and_then(|w| w.id),
                total_entries: node.total_entries,
                total_bytes: node.total_bytes,
            }
        })
        .collect();
    let (revisions, _) = take_within(revisions, TEXT_BUDGET - ENVELOPE);
    let returned = revisions.len();
    let end = args.offset + returned as u32;
    Ok(PackageHistory {
        registry: package.registry(),
        package_name: package.name,
        total,
        offset: args.offset,
        returned,
        revisions,
        next_offset: (end < total).then_some(end),
        tags_note,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_summaries_keep_scalars_and_size_the_rest() {
        let long = "x".repeat(200);
        let meta = json!({"a": 1, "b": long, "c": {"d": 1, "e": 2}, "f": ["rna", "mouse"],
            "g": [{"x": 1}], "h": true, "i": null, "j": 2, "k": 3, "l": 4});
        let (summary, omitted) = summarise(&meta);
        let summary = summary.unwrap();
        assert_eq!(omitted, 2);
        assert_eq!(summary["a"], 1);
        assert_eq!(
            summary["b"].as_str().unwrap().chars().count(),
            SUMMARY_TEXT + 1
        );
        assert_eq!(summary["c"], "{2 keys}");
        assert_eq!(summary["f"], json!(["rna", "mouse"]));
        assert_eq!(summary["g"], "[1 items]");
        assert_eq!(summarise(&Value::Null), (None, 0));
        assert_eq!(summarise(&json!({})), (None, 0));
    }
}
