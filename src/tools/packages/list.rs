//! Packages: list a bucket's packages. The shared pieces of the package tools (naming a
//! package and a revision, reading the flat entry map) live here too.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::catalog::queries::{self, GET_PACKAGE};
use crate::tools::navigation::links::{bucket_name, package_name};
use crate::tools::{Annotations, Ctx, Tool, ToolError, typed};

/// The most entries a flat map is asked for; bigger revisions are browsed folder by folder.
pub const MAX_FLAT_ENTRIES: i64 = 10_000;

/// A package in a bucket.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PackageRef {
    pub bucket: String,
    pub name: String,
}

impl PackageRef {
    /// Checks `package_name` (`namespace/name`) and `registry` (`s3://bucket` or `bucket`).
    pub fn parse(name: &str, registry: &str) -> Result<Self, ToolError> {
        Ok(PackageRef {
            bucket: bucket_name("registry", registry)?,
            name: package_name("package_name", name)?,
        })
    }

    /// GraphQL variables naming this package.
    pub fn variables(&self) -> Value {
        json!({ "bucket": self.bucket, "name": self.name })
    }

    /// The package's page in the catalog, at a revision (`latest` when none).
    pub fn catalog_url(&self, ctx: &Ctx, hash: Option<&str>) -> String {
        let base = &ctx.state.config.catalog_url;
        format!(
            "{base}/b/{}/packages/{}/tree/{}/",
            self.bucket,
            self.name,
            hash.unwrap_or("latest")
        )
    }
}

/// The revision named by a top hash or a tag (`latest` when neither is given).
pub fn hash_or_tag(top_hash: Option<&str>, tag: Option<&str>) -> Result<String, ToolError> {
    let nonblank = |v: Option<&str>| {
        v.map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    match (nonblank(top_hash), nonblank(tag)) {
        (Some(hash), _) if hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit()) => {
            Ok(hash.to_lowercase())
        }
        (Some(_), _) => Err(ToolError::invalid(
            "top_hash",
            "expected a 64-digit hexadecimal top hash",
        )),
        (None, Some(tag)) => Ok(tag),
        (None, None) => Ok("latest".into()),
    }
}

/// A package that is absent, or a revision that is, as the tool error an agent can act on.
pub fn not_found(package: &PackageRef, revision: Option<&str>) -> ToolError {
    match revision {
        None => ToolError::Failed(format!(
            "package {} not found in bucket {} (or this user cannot see it); packages_list shows what exists",
            package.name, package.bucket
        )),
        Some(rev) => ToolError::Failed(format!(
            "package {} in bucket {} has no revision {rev:?}; package_browse without a hash shows the latest",
            package.name, package.bucket
        )),
    }
}

/// The `package.revision` object of an answer, or the not-found error.
pub fn revision_of<'a>(
    data: &'a Value,
    package: &PackageRef,
    rev: &str,
) -> Result<&'a Value, ToolError> {
    let found = data
        .get("package")
        .filter(|p| !p.is_null())
        .ok_or_else(|| not_found(package, None))?;
    found
        .get("revision")
        .filter(|r| !r.is_null())
        .ok_or_else(|| not_found(package, Some(rev)))
}

/// One entry of a revision's flat map.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FlatEntry {
    pub physical_key: Option<String>,
    pub size: Option<u64>,
    /// The entry's content hash (`type:value`), when the manifest has one.
    pub hash: Option<String>,
    #[serde(skip)]
    pub raw: Value,
}

/// Reads `contentsFlatMap`; `None` when the revision has more entries than were asked for.
pub fn flat_map(revision: &Value) -> Option<BTreeMap<String, FlatEntry>> {
    let map = revision.get("contentsFlatMap")?.as_object()?;
    let entries = map
        .iter()
        .map(|(key, entry)| {
            let hash = entry.get("hash").and_then(|h| {
                Some(format!(
                    "{}:{}",
                    h.get("type")?.as_str()?,
                    h.get("value")?.as_str()?
                ))
            });
            let parsed = FlatEntry {
                physical_key: entry
                    .get("physicalKey")
                    .and_then(Value::as_str)
                    .map(str::to_string),
                size: entry.get("size").and_then(Value::as_f64).map(|s| s as u64),
                hash,
                raw: entry.clone(),
            };
            (key.clone(), parsed)
        })
        .collect();
    Some(entries)
}

/// Fetches a revision with its flat entry map (`GetPackage`).
pub async fn fetch_flat(
    ctx: &Ctx,
    package: &PackageRef,
    rev: &str,
) -> Result<(Value, BTreeMap<String, FlatEntry>), ToolError> {
    let mut vars = package.variables();
    vars["hashOrTag"] = json!(rev);
    vars["max"] = json!(MAX_FLAT_ENTRIES);
    let data = ctx
        .state
        .catalog
        .graphql_read(ctx.on_behalf(), GET_PACKAGE, vars)
        .await?;
    let revision = revision_of(&data, package, rev)?.clone();
    let entries = flat_map(&revision).ok_or_else(|| {
        ToolError::Failed(format!(
            "revision {rev} of {} has more than {MAX_FLAT_ENTRIES} entries; browse it with recursive=false, folder by folder",
            package.name
        ))
    })?;
    Ok((revision, entries))
}

// ---------------------------------------------------------------------------------------------

/// Ordering of `packages_list`.
#[derive(Clone, Copy, Debug, Default, Deserialize, JsonSchema)]
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
    /// The bucket, as `s3://bucket` or `bucket`.
    pub registry: String,
    /// Only packages whose name contains this text.
    #[serde(default)]
    pub filter: Option<String>,
    /// `modified` (newest first, the default) or `name`.
    #[serde(default)]
    pub order: PackageOrder,
    /// Page number, from 1.
    #[serde(default = "one")]
    #[schemars(range(min = 1))]
    pub page: u32,
    /// Packages per page, 1 to 100.
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
    output_schema: None,
    call: |ctx, args| typed(ctx, args, packages_list),
};

async fn packages_list(ctx: &Ctx, args: PackagesListArgs) -> Result<Value, ToolError> {
    let bucket = bucket_name("registry", &args.registry)?;
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
    let filter = args
        .filter
        .as_deref()
        .map(str::trim)
        .filter(|f| !f.is_empty());
    let vars = json!({ "bucket": bucket, "filter": filter, "page": args.page, "perPage": args.per_page, "order": order });
    let data = ctx
        .state
        .catalog
        .graphql_read(ctx.on_behalf(), queries::PACKAGES_LIST, vars)
        .await?;
    let Some(list) = data.get("packages").filter(|p| !p.is_null()) else {
        return Err(ToolError::Failed(format!(
            "bucket {bucket} is not in this catalog, or this user cannot see it"
        )));
    };
    let packages: Vec<Value> = list
        .get("page")
        .and_then(Value::as_array)
        .map(|page| {
            page.iter()
                .map(|p| {
                    let name = p.get("name").and_then(Value::as_str).unwrap_or_default();
                    let package = PackageRef {
                        bucket: bucket.clone(),
                        name: name.to_string(),
                    };
                    json!({
                        "name": name,
                        "modified": p.get("modified"),
                        "latest_hash": p.pointer("/revision/hash"),
                        "message": p.pointer("/revision/message"),
                        "catalog_url": package.catalog_url(ctx, None),
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(json!({
        "bucket": bucket,
        "total": list.get("total"),
        "page": args.page,
        "per_page": args.per_page,
        "returned": packages.len(),
        "packages": packages,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn revisions_are_a_full_hash_or_a_tag() {
        assert_eq!(hash_or_tag(None, None).unwrap(), "latest");
        assert_eq!(hash_or_tag(Some(""), Some("v1")).unwrap(), "v1");
        assert!(hash_or_tag(Some("abc"), None).is_err());
        let full = "A".repeat(64);
        assert_eq!(
            hash_or_tag(Some(&full), Some("v1")).unwrap(),
            "a".repeat(64)
        );
    }
}
