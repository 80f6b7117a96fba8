//! Changing packages through the catalog's GraphQL mutations (never by writing to S3 directly):
//! create a revision from S3 objects, or update the latest revision with more.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::catalog::queries::{PACKAGE_CONSTRUCT, PACKAGE_PROMOTE};
use crate::catalog::{CatalogError, Operation};
use crate::tools::packages::inline::{PackageFile, write_inline};
use crate::tools::packages::revision::{PackageRef, fetch_flat};
use crate::tools::packages::workflows::{self, workflow_param};
use crate::tools::{Annotations, Ctx, Tool, ToolError, decode, typed};

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
        return Err(ToolError::invalid(
            "s3_uris",
            "give at least one s3:// URI (or inline entries in `files`)",
        ));
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

/// Arguments of `package_create`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PackageCreateArgs {
    /// The package, `namespace/name` (may be left out when `registry` is a Quilt+ URI naming it).
    #[serde(default)]
    pub package_name: String,
    /// S3 objects to put in it, e.g. `["s3://bucket/data/a.csv"]` (a `?versionId=` pins a version).
    #[serde(default)]
    pub s3_uris: Vec<String>,
    /// The bucket the package lives in, as `s3://bucket`, `bucket` or a Quilt+ URI
    /// (`quilt+s3://bucket#package=namespace/name`).
    pub registry: String,
    /// Package metadata (a JSON object).
    #[serde(default)]
    pub metadata: Map<String, Value>,
    /// The revision's commit message.
    #[serde(default = "created_message")]
    pub message: String,
    /// Name entries by file name only (true) or by their full S3 key (false).
    #[serde(default = "yes")]
    pub flatten: bool,
    /// Copy the objects into the registry bucket (true) or reference them where they are (false).
    #[serde(default)]
    pub copy: bool,
    /// Inline entries, up to 100, as the visualization tools return them in `files`:
    /// `[{"logical_key": "notes.md", "text": "# Notes", "media_type": "text/markdown"}]`
    /// (or `base64` for bytes). Each is written to `s3://<registry>/<package_name>/<logical_key>`.
    #[serde(default)]
    pub files: Vec<PackageFile>,
    /// Replace objects already at the inline entries' keys (a new current version; the bucket
    /// is versioned, so the old one stays readable by its version id and earlier revisions
    /// still point at it). By default (false) an existing object is left unchanged and the
    /// call refused, naming the entry.
    #[serde(default)]
    pub overwrite: bool,
    /// A workflow id from the bucket's `.quilt/workflows/config.yml`, checked by the
    /// catalog (a refusal names the bucket's workflows). Empty: the bucket's default workflow;
    /// `none`: no workflow (allowed where the bucket does not require one).
    #[serde(
        default,
        deserialize_with = "crate::tools::packages::workflows::null_as_empty"
    )]
    pub workflow: String,
}

/// Arguments of `package_update`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PackageUpdateArgs {
    /// The package, `namespace/name` (may be left out when `registry` is a Quilt+ URI naming it).
    #[serde(default)]
    pub package_name: String,
    /// S3 objects to add, e.g. `["s3://bucket/data/a.csv"]` (a `?versionId=` pins a version).
    #[serde(default)]
    pub s3_uris: Vec<String>,
    /// The bucket the package lives in, as `s3://bucket`, `bucket` or a Quilt+ URI
    /// (`quilt+s3://bucket#package=namespace/name`).
    pub registry: String,
    /// Metadata merged into the latest revision's metadata (your keys win).
    #[serde(default)]
    pub metadata: Map<String, Value>,
    /// The revision's commit message.
    #[serde(default = "updated_message")]
    pub message: String,
    /// Name entries by file name only (true) or by their full S3 key (false).
    #[serde(default = "yes")]
    pub flatten: bool,
    /// Copy the objects into the registry bucket (true) or reference them where they are (false).
    #[serde(default)]
    pub copy: bool,
    /// Inline entries, up to 100, as the visualization tools return them in `files`:
    /// `[{"logical_key": "notes.md", "text": "# Notes", "media_type": "text/markdown"}]`
    /// (or `base64` for bytes). Each is written to `s3://<registry>/<package_name>/<logical_key>`.
    #[serde(default)]
    pub files: Vec<PackageFile>,
    /// Replace objects already at the inline entries' keys (a new current version; the bucket
    /// is versioned, so the old one stays readable by its version id and earlier revisions
    /// still point at it). By default (false) an existing object is left unchanged and the
    /// call refused, naming the entry.
    #[serde(default)]
    pub overwrite: bool,
    /// A workflow id from the bucket's `.quilt/workflows/config.yml`, checked by the
    /// catalog (a refusal names the bucket's workflows). Empty: the bucket's default workflow;
    /// `none`: no workflow (allowed where the bucket does not require one).
    #[serde(
        default,
        deserialize_with = "crate::tools::packages::workflows::null_as_empty"
    )]
    pub workflow: String,
}

fn yes() -> bool {
    true
}

fn created_message() -> String {
    "Created with quilt-mcp package_create".into()
}

fn updated_message() -> String {
    "Updated with quilt-mcp package_update".into()
}

pub const PACKAGE_CREATE: Tool = Tool {
    name: "package_create",
    title: "Create a package revision",
    description: "Create a package revision from S3 objects (referenced in place, or copied with copy=true) and inline `files` (text or base64, e.g. the visualization tools' output; written with your S3 access to s3://<registry>/<package_name>/<logical_key>, never over an existing object unless overwrite=true, which writes a new current version over it: the bucket keeps the old one), with metadata and a message; returns the new top hash and its catalog link.",
    // Not destructive, even with `overwrite`: Quilt registry buckets are versioned and every
    // revision pins its objects' version ids, so an overwrite makes a new current version and
    // loses nothing a revision (or anyone holding the old version id) references. Without
    // `overwrite` nothing existing is touched at all. Not idempotent: each call adds a revision.
    annotations: Annotations::WRITE,
    input_schema: || schemars::schema_for!(PackageCreateArgs),
    output_schema: Some(|| schemars::schema_for!(PackageCreated)),
    call: |ctx, args| typed(ctx, args, package_create),
};

pub const PACKAGE_UPDATE: Tool = Tool {
    name: "package_update",
    title: "Add files to a package",
    description: "Make a new revision of an existing package: its latest entries plus the given S3 objects and inline `files` (written with your S3 access to s3://<registry>/<package_name>/<logical_key>, never over an existing object unless overwrite=true, which writes a new current version over it: the bucket keeps the old one and earlier revisions still read it; same logical key: replaced in the package), with metadata merged in.",
    // Not destructive, for the reason given at package_create: the buckets are versioned and
    // revisions pin version ids, so `overwrite` loses nothing a revision references.
    annotations: Annotations::WRITE,
    input_schema: || schemars::schema_for!(PackageUpdateArgs),
    output_schema: Some(|| schemars::schema_for!(PackageUpdated)),
    call: |ctx, args| typed(ctx, args, package_update),
};

/// The new revision, as every package-making tool reports it.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Pushed {
    pub package_name: String,
    pub registry: String,
    pub top_hash: String,
    pub message: String,
    /// Entries in the new revision.
    pub entries: usize,
    pub copied: bool,
    pub catalog_url: String,
    /// The new revision's Quilt+ URI, pinned to its top hash.
    pub quilt_uri: String,
    /// The workflow the catalog recorded (its default when none was named); null for none.
    pub workflow: Option<String>,
}

/// The result of `package_create`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct PackageCreated {
    #[serde(flatten)]
    pub pushed: Pushed,
    /// The logical keys of the new entries.
    pub files: Vec<String>,
}

/// The result of `package_update`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct PackageUpdated {
    #[serde(flatten)]
    pub pushed: Pushed,
    pub previous_hash: String,
    pub files_added: Vec<String>,
    /// Logical keys that were in the package and now point at the new objects.
    pub files_replaced: Vec<String>,
}

/// The success arm of `PackageConstruct` and `PackagePromote`.
#[derive(Debug, Deserialize)]
struct PushSuccess {
    revision: PushedRevision,
}

#[derive(Debug, Deserialize)]
struct PushedRevision {
    hash: String,
    #[serde(default)]
    workflow: Option<PushedWorkflow>,
}

#[derive(Debug, Deserialize)]
struct PushedWorkflow {
    id: Option<String>,
}

/// Runs a push mutation and reads the new revision from its success arm.
async fn push_mutation(
    ctx: &Ctx,
    op: Operation,
    field: &str,
    vars: Value,
) -> Result<PushedRevision, ToolError> {
    let data = ctx.state.catalog.graphql(ctx.on_behalf(), op, vars).await?;
    let result = CatalogError::check_union(op.name, data.get(field).unwrap_or(&Value::Null))?;
    let success: PushSuccess = decode(op, result.clone())?;
    Ok(success.revision)
}

/// What a push carries besides its entries.
pub(crate) struct PushOptions {
    pub metadata: Option<Map<String, Value>>,
    pub message: String,
    pub copy: bool,
    /// The `workflow` argument as given (see [`workflow_param`]).
    pub workflow: String,
}

/// Sends `PackageConstruct` (then `PackagePromote` when copying) and reports the new revision;
/// a workflow refusal is explained with the bucket's workflows.
pub(crate) async fn push(
    ctx: &Ctx,
    package: &PackageRef,
    entries: Vec<Value>,
    options: PushOptions,
) -> Result<Pushed, ToolError> {
    let workflow = options.workflow.as_str();
    match send_push(ctx, package, entries, &options).await {
        Ok(pushed) => Ok(pushed),
        Err(error) => Err(workflows::explain(ctx, package, workflow, error).await),
    }
}

async fn send_push(
    ctx: &Ctx,
    package: &PackageRef,
    entries: Vec<Value>,
    options: &PushOptions,
) -> Result<Pushed, ToolError> {
    let PushOptions {
        metadata,
        message,
        copy,
        workflow,
    } = options;
    let params = json!({
        "bucket": package.bucket, "name": package.name, "message": message,
        "userMeta": metadata, "workflow": workflow_param(workflow),
    });
    let count = entries.len();
    let vars = json!({ "params": params, "src": { "entries": entries } });
    let mut revision = push_mutation(ctx, PACKAGE_CONSTRUCT, "packageConstruct", vars).await?;
    if *copy {
        let src = json!({ "bucket": package.bucket, "name": package.name, "hash": revision.hash });
        let vars = json!({ "params": params, "src": src, "destPrefix": Value::Null });
        revision = push_mutation(ctx, PACKAGE_PROMOTE, "packagePromote", vars).await?;
    }
    let hash = revision.hash;
    Ok(Pushed {
        package_name: package.name.clone(),
        registry: package.registry(),
        catalog_url: package.catalog_url(ctx, Some(&hash)),
        quilt_uri: package.quilt_uri(Some(&hash), None),
        top_hash: hash,
        message: message.clone(),
        entries: count,
        copied: *copy,
        workflow: revision.workflow.and_then(|w| w.id),
    })
}

/// An entry as `PackageConstruct` takes it.
pub(crate) fn construct_entry(entry: &NewEntry) -> Value {
    json!({ "logicalKey": entry.logical_key, "physicalKey": entry.physical_key })
}

/// The call's S3 sources, then its inline entries, written to the bucket once all check out.
async fn new_entries(
    ctx: &Ctx,
    package: &PackageRef,
    s3_uris: &[String],
    flatten: bool,
    files: &[PackageFile],
    overwrite: bool,
) -> Result<Vec<NewEntry>, ToolError> {
    if files.is_empty() {
        return entries_from_uris(s3_uris, flatten);
    }
    let mut entries = if s3_uris.is_empty() {
        Vec::new()
    } else {
        entries_from_uris(s3_uris, flatten)?
    };
    let taken = entries.iter().map(|e| e.logical_key.as_str()).collect();
    let written = write_inline(ctx, package, files, &taken, overwrite).await?;
    entries.extend(written);
    Ok(entries)
}

async fn package_create(ctx: &Ctx, args: PackageCreateArgs) -> Result<PackageCreated, ToolError> {
    let package = PackageRef::parse(&args.package_name, &args.registry)?;
    let entries = new_entries(
        ctx,
        &package,
        &args.s3_uris,
        args.flatten,
        &args.files,
        args.overwrite,
    )
    .await?;
    // No metadata is null to the catalog, as upstream sends it.
    let metadata = Some(args.metadata).filter(|m| !m.is_empty());
    let options = PushOptions {
        metadata,
        message: args.message,
        copy: args.copy,
        workflow: args.workflow,
    };
    let pushed = push(
        ctx,
        &package,
        entries.iter().map(construct_entry).collect(),
        options,
    )
    .await?;
    Ok(PackageCreated {
        pushed,
        files: entries.into_iter().map(|e| e.logical_key).collect(),
    })
}

async fn package_update(ctx: &Ctx, args: PackageUpdateArgs) -> Result<PackageUpdated, ToolError> {
    let package = PackageRef::parse(&args.package_name, &args.registry)?;
    if args.files.is_empty() {
        // Refuse a call with nothing to add before asking the catalog anything.
        entries_from_uris(&args.s3_uris, args.flatten)?;
    }
    // The package must exist before anything is written under its prefix.
    let (latest, existing) = fetch_flat(ctx, &package, "latest").await?;
    let added = new_entries(
        ctx,
        &package,
        &args.s3_uris,
        args.flatten,
        &args.files,
        args.overwrite,
    )
    .await?;
    // Existing entries keep their hash, size and metadata, so the catalog need not rehash them.
    let mut entries: BTreeMap<String, Value> = existing
        .into_iter()
        .map(|(key, entry)| {
            let mut value = json!({ "logicalKey": key, "physicalKey": entry.physical_key });
            if let Some(hash) = entry.hash {
                value["hash"] = json!({ "type": hash.kind, "value": hash.value });
            }
            if let Some(size) = entry.size {
                value["size"] = json!(size);
            }
            if let Some(meta) = entry.meta.filter(|m| !m.is_null()) {
                value["meta"] = meta;
            }
            (key, value)
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
    let mut metadata = match latest.user_meta {
        Some(Value::Object(map)) => map,
        _ => Map::new(),
    };
    metadata.extend(args.metadata);
    let options = PushOptions {
        metadata: Some(metadata),
        message: args.message,
        copy: args.copy,
        workflow: args.workflow,
    };
    let pushed = push(ctx, &package, entries.into_values().collect(), options).await?;
    Ok(PackageUpdated {
        pushed,
        previous_hash: latest.hash,
        files_added: added.into_iter().map(|e| e.logical_key).collect(),
        files_replaced: replaced,
    })
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
