//! `package_delete`: delete one revision of a package, or every revision, through the catalog's
//! `packageRevisionDelete` mutation; the data objects themselves are never touched.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::catalog::CatalogError;
use crate::catalog::queries::{GET_REVISION_HASH, PACKAGE_REVISION_DELETE, PACKAGE_REVISIONS};
use crate::tools::packages::revision::{PackageData, PackageRef, hash_or_tag, not_found};
use crate::tools::{Annotations, Ctx, Tool, ToolError, decode, typed};

/// Revisions deleted by one `package_delete` call at most.
const MAX_REVISIONS_DELETED: usize = 1_000;

/// Arguments of `package_delete`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PackageDeleteArgs {
    /// The package, `namespace/name` (may be left out when `registry` is a Quilt+ URI naming it).
    #[serde(default)]
    pub package_name: String,
    /// The bucket the package lives in, as `s3://bucket`, `bucket` or a Quilt+ URI
    /// (`quilt+s3://bucket#package=namespace/name`).
    pub registry: String,
    /// Delete only this revision (64-digit top hash); when empty, every revision goes.
    #[serde(default)]
    pub top_hash: String,
}

pub const PACKAGE_DELETE: Tool = Tool {
    name: "package_delete",
    title: "Delete a package",
    description: "Delete one revision of a package (top_hash), or the whole package (every revision), through the catalog; the data objects themselves are not touched.",
    annotations: Annotations::DESTRUCTIVE,
    input_schema: || schemars::schema_for!(PackageDeleteArgs),
    output_schema: Some(|| schemars::schema_for!(PackageDeleted)),
    call: |ctx, args| typed(ctx, args, package_delete),
};

/// A revision the catalog would not delete.
#[derive(Debug, Serialize, JsonSchema)]
pub struct FailedDelete {
    pub hash: String,
    pub error: String,
}

/// The result of `package_delete`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct PackageDeleted {
    pub package_name: String,
    pub registry: String,
    /// `revision` (one) or `package` (every revision).
    pub scope: &'static str,
    pub deleted_revisions: Vec<String>,
    pub failed: Vec<FailedDelete>,
    /// Always false: only the package's revisions go, never the data objects.
    pub objects_touched: bool,
}

/// The answer to `PackageRevisions`.
#[derive(Debug, Deserialize)]
struct RevisionsData {
    package: Option<RevisionsNode>,
}

#[derive(Debug, Deserialize)]
struct RevisionsNode {
    revisions: RevisionList,
}

#[derive(Debug, Deserialize)]
struct RevisionList {
    total: usize,
    page: Vec<HashOnly>,
}

/// A revision named by its hash (also the `GetRevisionHash` selection).
#[derive(Debug, Deserialize)]
struct HashOnly {
    hash: String,
}

/// Every revision hash of a package, newest first.
async fn revision_hashes(ctx: &Ctx, package: &PackageRef) -> Result<Vec<String>, ToolError> {
    let mut hashes = Vec::new();
    for page in 1.. {
        let mut vars = package.variables();
        vars["page"] = json!(page);
        vars["perPage"] = json!(100);
        let data = ctx
            .state
            .catalog
            .graphql(ctx.on_behalf(), PACKAGE_REVISIONS, vars)
            .await?;
        let answer: RevisionsData = decode(PACKAGE_REVISIONS, data)?;
        let list = answer
            .package
            .ok_or_else(|| not_found(package, None))?
            .revisions;
        let done = list.page.is_empty();
        hashes.extend(list.page.into_iter().map(|r| r.hash));
        if done || hashes.len() >= list.total || hashes.len() >= MAX_REVISIONS_DELETED {
            break;
        }
    }
    Ok(hashes)
}

/// Deletes one revision, checking the mutation's union.
async fn delete_revision(ctx: &Ctx, package: &PackageRef, hash: &str) -> Result<(), CatalogError> {
    let mut vars = package.variables();
    vars["hash"] = json!(hash);
    let data = ctx
        .state
        .catalog
        .graphql(ctx.on_behalf(), PACKAGE_REVISION_DELETE, vars)
        .await?;
    let result = data.get("packageRevisionDelete").unwrap_or(&Value::Null);
    CatalogError::check_union(PACKAGE_REVISION_DELETE.name, result).map(|_| ())
}

async fn package_delete(ctx: &Ctx, args: PackageDeleteArgs) -> Result<PackageDeleted, ToolError> {
    let package = PackageRef::parse(&args.package_name, &args.registry)?;
    let one_revision = !args.top_hash.trim().is_empty();
    let hashes = if one_revision {
        let hash = hash_or_tag(&args.top_hash, "")?;
        // Confirm the revision exists, so a typo is reported rather than "deleted".
        let mut vars = package.variables();
        vars["hashOrTag"] = json!(hash);
        let data = ctx
            .state
            .catalog
            .graphql(ctx.on_behalf(), GET_REVISION_HASH, vars)
            .await?;
        let answer: PackageData<HashOnly> = decode(GET_REVISION_HASH, data)?;
        answer.revision(&package, &hash)?;
        vec![hash]
    } else {
        revision_hashes(ctx, &package).await?
    };
    let (mut deleted, mut failed) = (Vec::new(), Vec::new());
    for hash in hashes {
        match delete_revision(ctx, &package, &hash).await {
            Ok(()) => deleted.push(hash),
            Err(e) if deleted.is_empty() && failed.is_empty() => return Err(e.into()),
            Err(e) => failed.push(FailedDelete {
                hash,
                error: e.to_string(),
            }),
        }
    }
    Ok(PackageDeleted {
        registry: package.registry(),
        package_name: package.name,
        scope: if one_revision { "revision" } else { "package" },
        deleted_revisions: deleted,
        failed,
        objects_touched: false,
    })
}
