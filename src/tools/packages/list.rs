//! `packages_list`: a bucket's packages, newest first or by name, a page at a time.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::catalog::queries;
use crate::tools::navigation::quilt_uri::bucket_arg;
use crate::tools::packages::revision::PackageRef;
use crate::tools::{Annotations, Ctx, Tool, ToolError, decode, typed};

/// Ordering of `packages_list`.
// Serialize too: schemars writes a parameter's default only for types it can serialize.
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum PackageOrder {
    /// Alphabetical.
    Name,
    /// Most recently modified first.
    #[default]
    Modified,
}

/// Arguments of `packages_list`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PackagesListArgs {
    /// The bucket, as `s3://bucket`, `bucket` or a Quilt+ URI (`quilt+s3://bucket`).
    pub registry: String,
    /// Only packages whose name contains this text; all when empty.
    #[serde(default)]
    pub filter: String,
    /// `modified` (newest first, the default) or `name`.
    #[serde(default)]
    pub order: PackageOrder,
    /// Page number, from 1.
    #[serde(default = "one")]
    #[schemars(range(min = 1))]
    pub page: u32,
    /// Packages per page, 1 to 100 (the default 30 keeps the answer small).
    #[serde(default = "thirty")]
    #[schemars(range(min = 1, max = 100))]
    pub per_page: u32,
}

fn one() -> u32 {
    1
}
fn thirty() -> u32 {
    30
}

pub const PACKAGES_LIST: Tool = Tool {
    name: "packages_list",
    title: "List packages",
    description: "List the packages in a bucket, newest first or by name, with a name filter and pages; each with its latest top hash, message and catalog link.",
    annotations: Annotations::READ_ONLY,
    input_schema: || schemars::schema_for!(PackagesListArgs),
    output_schema: Some(|| schemars::schema_for!(PackagesList)),
    call: |ctx, args| typed(ctx, args, packages_list),
};

/// The answer to `PackagesList`.
#[derive(Debug, Deserialize)]
struct PackagesListData {
    /// Null when the bucket is unknown or hidden from the caller.
    packages: Option<PackagePage>,
}

#[derive(Debug, Deserialize)]
struct PackagePage {
    total: u64,
    page: Vec<ListedNode>,
}

#[derive(Debug, Deserialize)]
struct ListedNode {
    name: String,
    modified: Option<String>,
    revision: Option<LatestRevision>,
}

#[derive(Debug, Deserialize)]
struct LatestRevision {
    hash: String,
    message: Option<String>,
}

/// One package of `packages_list`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ListedPackage {
    pub name: String,
    pub modified: Option<String>,
    pub latest_hash: Option<String>,
    pub message: Option<String>,
    /// The Quilt+ URI of the latest revision: `uri` for package_browse or package_history.
    pub uri: String,
    pub catalog_url: String,
}

/// The result of `packages_list`: one page.
#[derive(Debug, Serialize, JsonSchema)]
pub struct PackagesList {
    pub bucket: String,
    /// Packages matching the filter, on every page.
    pub total: u64,
    pub page: u32,
    pub per_page: u32,
    pub returned: usize,
    pub packages: Vec<ListedPackage>,
}

async fn packages_list(ctx: &Ctx, args: PackagesListArgs) -> Result<PackagesList, ToolError> {
    let bucket = bucket_arg("registry", &args.registry)?;
    if args.page == 0 {
        return Err(ToolError::invalid("page", "pages are numbered from 1"));
    }
    if !(1..=100).contains(&args.per_page) {
        return Err(ToolError::invalid("per_page", "must be between 1 and 100"));
    }
    let order = match args.order {
        PackageOrder::Name => "NAME",
        PackageOrder::Modified => "MODIFIED",
    };
    let filter = Some(args.filter.trim()).filter(|f| !f.is_empty());
    let vars = json!({ "bucket": bucket, "filter": filter, "page": args.page, "perPage": args.per_page, "order": order });
    let data = ctx
        .state
        .catalog
        .graphql_read(ctx.on_behalf(), queries::PACKAGES_LIST, vars)
        .await?;
    let answer: PackagesListData = decode(queries::PACKAGES_LIST, data)?;
    let Some(list) = answer.packages else {
        return Err(ToolError::Failed(format!(
            "bucket {bucket} is not in this catalog, or this user cannot see it"
        )));
    };
    let packages: Vec<ListedPackage> = list
        .page
        .into_iter()
        .map(|node| {
            let package = PackageRef {
                bucket: bucket.clone(),
                name: node.name,
            };
            let (latest_hash, message) = match node.revision {
                Some(r) => (Some(r.hash), r.message),
                None => (None, None),
            };
            ListedPackage {
                uri: package.quilt_uri(latest_hash.as_deref(), None),
                catalog_url: package.catalog_url(ctx, None),
                name: package.name,
                modified: node.modified,
                latest_hash,
                message,
            }
        })
        .collect();
    Ok(PackagesList {
        bucket,
        total: list.total,
        page: args.page,
        per_page: args.per_page,
        returned: packages.len(),
        packages,
    })
}
