//! Changing packages through the catalog's GraphQL mutations (never by writing to S3 directly):
//! create a revision from S3 objects, update the latest revision with more, delete revisions.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::catalog::CatalogError;
use crate::catalog::queries::{
    PACKAGE_CONSTRUCT, PACKAGE_PROMOTE, PACKAGE_REVISION_DELETE, PACKAGE_REVISIONS,
};
use crate::tools::packages::list::{PackageRef, fetch_flat, hash_or_tag, revision_of};
use crate::tools::{Annotations, Ctx, Tool, ToolError, typed};

/// Revisions deleted by one `package_delete` call at most.
const MAX_REVISIONS_DELETED: usize = 1_000;

/// One object to put in a package: its logical key and where it lives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewEntry {
    pub logical_key: String,
    pub physical_key: String,
}

/// Reads `s3://bucket/key[?versionId=…]` URIs into entries, named by file name (`flatten`) or
/// full key; two URIs landing on one logical key is an error naming both.
pub fn entries_from_uris(uris: &[String], flatten: bool) -> Result<Vec<NewEntry>, ToolError> {
    if uris.is_empty() {
        return Err(ToolError::invalid("s3_uris", "give at least one s3:// URI"));
    }
    let mut seen: BTreeMap<String, &str> = BTreeMap::new();
    let mut entries = Vec::with_capacity(uris.len());
    for (i, uri) in uris.iter().enumerate() {
        let field = format!("s3_uris[{i}]");
        let rest = uri
            .trim()
            .strip_prefix("s3://")
            .ok_or_else(|| ToolError::invalid(&field, format!("{uri:?} is not an s3:// URI")))?;
        let (bucket, key_and_version) = rest.split_once('/').unwrap_or((rest, ""));
        let key = key_and_version.split('?').next().unwrap_or_default();
        if bucket.is_empty() || key.is_empty() || key.ends_with('/') {
            return Err(ToolError::invalid(
                &field,
                format!("{uri:?} must name one object: s3://bucket/path/to/file"),
            ));
        }
        let logical_key = if flatten {
            key.rsplit('/').next().unwrap_or(key).to_string()
        } else {
            key.to_string()
        };
        if let Some(first) = seen.insert(logical_key.clone(), uri) {
            return Err(ToolError::invalid(
                &field,
                format!(
                    "{uri:?} and {first:?} would both be {logical_key:?}; use flatten=false or separate calls"
                ),
            ));
        }
        entries.push(NewEntry {
            logical_key,
            physical_key: uri.trim().to_string(),
        });
    }
    Ok(entries)
}

/// Arguments of `package_create` and `package_update`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PackagePushArgs {
    /// The package, `namespace/name`.
    pub package_name: String,
    /// S3 objects to put in it, e.g. `["s3://bucket/data/a.csv"]` (a `?versionId=` pins a version).
    pub s3_uris: Vec<String>,
    /// The bucket the package lives in, as `s3://bucket` or `bucket`.
    pub registry: String,
    /// Package metadata (a JSON object); `package_update` merges it into the existing metadata.
    #[serde(default)]
    pub metadata: Option<Map<String, Value>>,
    /// The revision's commit message.
    #[serde(default)]
    pub message: Option<String>,
    /// Name entries by file name only (true, the default) or by their full S3 key (false).
    #[serde(default = "yes")]
    pub flatten: bool,
    /// Copy the objects into the registry bucket (true) or reference them where they are (false).
    #[serde(default)]
    pub copy: bool,
}

fn yes() -> bool {
    true
}

pub const PACKAGE_CREATE: Tool = Tool {
    name: "package_create",
    title: "Create a package revision",
    description: "Create a package revision from S3 objects (referenced in place, or copied with copy=true), with metadata and a message; returns the new top hash and its catalog link.",
    annotations: Annotations::WRITE,
    input_schema: || schemars::schema_for!(PackagePushArgs),
    output_schema: None,
    call: |ctx, args| typed(ctx, args, package_create),
};

pub const PACKAGE_UPDATE: Tool = Tool {
    name: "package_update",
    title: "Add files to a package",
    description: "Make a new revision of an existing package: its latest entries plus the given S3 objects (same logical key: replaced), with metadata merged in.",
    annotations: Annotations::WRITE,
    input_schema: || schemars::schema_for!(PackagePushArgs),
    output_schema: None,
    call: |ctx, args| typed(ctx, args, package_update),
};

/// Sends `PackageConstruct` (then `PackagePromote` when copying) and reports the new revision.
pub(crate) async fn push(
    ctx: &Ctx,
    package: &PackageRef,
    entries: Vec<Value>,
    metadata: Option<Map<String, Value>>,
    message: String,
    copy: bool,
) -> Result<Value, ToolError> {
    let params = json!({
        "bucket": package.bucket, "name": package.name, "message": message,
        "userMeta": metadata, "workflow": Value::Null,
    });
    let count = entries.len();
    let vars = json!({ "params": params, "src": { "entries": entries } });
    let data = ctx
        .state
        .catalog
        .graphql(ctx.on_behalf(), PACKAGE_CONSTRUCT, vars)
        .await?;
    let result = CatalogError::check_union(
        PACKAGE_CONSTRUCT.name,
        data.get("packageConstruct").unwrap_or(&Value::Null),
    )?;
    let mut hash = result
        .pointer("/revision/hash")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    if copy {
        let src = json!({ "bucket": package.bucket, "name": package.name, "hash": hash });
        let vars = json!({ "params": params, "src": src, "destPrefix": Value::Null });
        let data = ctx
            .state
            .catalog
            .graphql(ctx.on_behalf(), PACKAGE_PROMOTE, vars)
            .await?;
        let promoted = CatalogError::check_union(
            PACKAGE_PROMOTE.name,
            data.get("packagePromote").unwrap_or(&Value::Null),
        )?;
        hash = promoted
            .pointer("/revision/hash")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
    }
    Ok(json!({
        "package_name": package.name,
        "registry": format!("s3://{}", package.bucket),
        "top_hash": hash,
        "message": message,
        "entries": count,
        "copied": copy,
        "catalog_url": package.catalog_url(ctx, Some(&hash)),
    }))
}

/// An entry as `PackageConstruct` takes it.
pub(crate) fn construct_entry(entry: &NewEntry) -> Value {
    json!({ "logicalKey": entry.logical_key, "physicalKey": entry.physical_key })
}

async fn package_create(ctx: &Ctx, args: PackagePushArgs) -> Result<Value, ToolError> {
    let package = PackageRef::parse(&args.package_name, &args.registry)?;
    let entries = entries_from_uris(&args.s3_uris, args.flatten)?;
    let message = args
        .message
        .unwrap_or_else(|| "Created with quilt-mcp package_create".into());
    let mut result = push(
        ctx,
        &package,
        entries.iter().map(construct_entry).collect(),
        args.metadata,
        message,
        args.copy,
    )
    .await?;
    result["files"] = json!(entries.iter().map(|e| &e.logical_key).collect::<Vec<_>>());
    Ok(result)
}

async fn package_update(ctx: &Ctx, args: PackagePushArgs) -> Result<Value, ToolError> {
    let package = PackageRef::parse(&args.package_name, &args.registry)?;
    let added = entries_from_uris(&args.s3_uris, args.flatten)?;
    let (latest, existing) = fetch_flat(ctx, &package, "latest").await?;
    let previous = latest
        .get("hash")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    // Existing entries keep their hash, size and metadata, so the catalog need not rehash them.
    let mut entries: BTreeMap<String, Value> = existing
        .iter()
        .map(|(key, entry)| {
            let mut value = json!({ "logicalKey": key, "physicalKey": entry.physical_key });
            for (field, source) in [("hash", "hash"), ("size", "size"), ("meta", "meta")] {
                if let Some(v) = entry.raw.get(source).filter(|v| !v.is_null()) {
                    value[field] = v.clone();
                }
            }
            (key.clone(), value)
        })
        .collect();
    let mut replaced = Vec::new();
    for entry in &added {
        if entries
            .insert(entry.logical_key.clone(), construct_entry(entry))
            .is_some()
        {
            replaced.push(entry.logical_key.clone());
        }
    }
    let mut metadata = latest
        .get("userMeta")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    metadata.extend(args.metadata.unwrap_or_default());
    let message = args
        .message
        .unwrap_or_else(|| "Updated with quilt-mcp package_update".into());
    let mut result = push(
        ctx,
        &package,
        entries.into_values().collect(),
        Some(metadata),
        message,
        args.copy,
    )
    .await?;
    result["previous_hash"] = json!(previous);
    result["files_added"] = json!(added.iter().map(|e| &e.logical_key).collect::<Vec<_>>());
    result["files_replaced"] = json!(replaced);
    Ok(result)
}

// ---------------------------------------------------------------------------------------------

/// Arguments of `package_delete`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PackageDeleteArgs {
    /// The package, `namespace/name`.
    pub package_name: String,
    /// The bucket, as `s3://bucket` or `bucket`.
    pub registry: String,
    /// Delete only this revision (64-digit top hash); without it, every revision goes.
    #[serde(default)]
    pub top_hash: Option<String>,
}

pub const PACKAGE_DELETE: Tool = Tool {
    name: "package_delete",
    title: "Delete a package",
    description: "Delete one revision of a package (top_hash), or the whole package (every revision), through the catalog; the data objects themselves are not touched.",
    annotations: Annotations::DESTRUCTIVE,
    input_schema: || schemars::schema_for!(PackageDeleteArgs),
    output_schema: None,
    call: |ctx, args| typed(ctx, args, package_delete),
};

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
        let found = data
            .get("package")
            .filter(|p| !p.is_null())
            .ok_or_else(|| crate::tools::packages::list::not_found(package, None))?;
        let batch: Vec<String> = found
            .pointer("/revisions/page")
            .and_then(Value::as_array)
            .map(|p| {
                p.iter()
                    .filter_map(|r| r.get("hash").and_then(Value::as_str).map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        let total = found
            .pointer("/revisions/total")
            .and_then(Value::as_u64)
            .unwrap_or(0) as usize;
        let done = batch.is_empty();
        hashes.extend(batch);
        if done || hashes.len() >= total || hashes.len() >= MAX_REVISIONS_DELETED {
            break;
        }
    }
    Ok(hashes)
}

async fn package_delete(ctx: &Ctx, args: PackageDeleteArgs) -> Result<Value, ToolError> {
    let package = PackageRef::parse(&args.package_name, &args.registry)?;
    let hashes = match args.top_hash.as_deref().filter(|h| !h.trim().is_empty()) {
        Some(hash) => {
            let hash = hash_or_tag(Some(hash), None)?;
            // Confirm the revision exists, so a typo is reported rather than "deleted".
            let mut vars = package.variables();
            vars["hashOrTag"] = json!(hash);
            let data = ctx
                .state
                .catalog
                .graphql(
                    ctx.on_behalf(),
                    crate::catalog::queries::GET_REVISION_HASH,
                    vars,
                )
                .await?;
            revision_of(&data, &package, &hash)?;
            vec![hash]
        }
        None => revision_hashes(ctx, &package).await?,
    };
    let (mut deleted, mut failed) = (Vec::new(), Vec::new());
    for hash in hashes {
        let mut vars = package.variables();
        vars["hash"] = json!(hash);
        let outcome = ctx
            .state
            .catalog
            .graphql(ctx.on_behalf(), PACKAGE_REVISION_DELETE, vars)
            .await;
        let checked = outcome.and_then(|data| {
            let result = data
                .get("packageRevisionDelete")
                .cloned()
                .unwrap_or(Value::Null);
            CatalogError::check_union(PACKAGE_REVISION_DELETE.name, &result).map(|_| ())
        });
        match checked {
            Ok(()) => deleted.push(hash),
            Err(e) if deleted.is_empty() && failed.is_empty() => return Err(e.into()),
            Err(e) => failed.push(json!({ "hash": hash, "error": e.to_string() })),
        }
    }
    Ok(json!({
        "package_name": package.name,
        "registry": format!("s3://{}", package.bucket),
        "scope": if args.top_hash.is_some() { "revision" } else { "package" },
        "deleted_revisions": deleted,
        "failed": failed,
        "objects_touched": false,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uris(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn uris_become_entries_and_collisions_name_both() {
        let entries = entries_from_uris(
            &uris(&["s3://b/x/a.csv", "s3://b/y/b.csv?versionId=v1"]),
            true,
        )
        .unwrap();
        assert_eq!(entries[0].logical_key, "a.csv");
        assert_eq!(
            entries[1],
            NewEntry {
                logical_key: "b.csv".into(),
                physical_key: "s3://b/y/b.csv?versionId=v1".into()
            }
        );
        let full = entries_from_uris(&uris(&["s3://b/x/a.csv"]), false).unwrap();
        assert_eq!(full[0].logical_key, "x/a.csv");
        let clash =
            entries_from_uris(&uris(&["s3://b/x/a.csv", "s3://b/y/a.csv"]), true).unwrap_err();
        assert!(
            clash.to_string().contains("s3_uris[1]") && clash.to_string().contains("x/a.csv"),
            "{clash}"
        );
        for bad in ["http://b/a", "s3://b", "s3://b/dir/", "s3:///a"] {
            assert!(entries_from_uris(&uris(&[bad]), true).is_err(), "{bad}");
        }
        assert!(
            entries_from_uris(&[], true)
                .unwrap_err()
                .to_string()
                .contains("s3_uris")
        );
    }
}
