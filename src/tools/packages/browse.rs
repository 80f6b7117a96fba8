//! Browsing a package revision: its tree from the root or a folder, with depth and size limits,
//! the package metadata, and download links through one browsing session per call.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::catalog::browsing::revision_scope;
use crate::catalog::queries::{PACKAGE_DIR, PACKAGE_INFO};
use crate::catalog::{CatalogError, CatalogErrorKind};
use crate::tools::packages::list::{FlatEntry, PackageRef, fetch_flat, hash_or_tag, revision_of};
use crate::tools::{Annotations, Ctx, Tool, ToolError, typed};

/// Download links resolved per browse call: each costs one registry round trip.
const MAX_DOWNLOAD_LINKS: usize = 20;

/// Arguments of `package_browse`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PackageBrowseArgs {
    /// The package, `namespace/name`.
    pub package_name: String,
    /// The bucket, as `s3://bucket` or `bucket`.
    pub registry: String,
    /// A folder inside the package to start from; the root when empty.
    #[serde(default)]
    pub path: String,
    /// A revision's 64-digit top hash; wins over `tag`.
    #[serde(default)]
    pub top_hash: Option<String>,
    /// A revision tag; `latest` when neither is given.
    #[serde(default)]
    pub tag: Option<String>,
    /// Every entry below `path` (true) or only its direct children (false).
    #[serde(default = "yes")]
    pub recursive: bool,
    /// Include sizes, physical keys and content hashes.
    #[serde(default = "yes")]
    pub include_file_info: bool,
    /// With `recursive`, how many folder levels to show (0: all); deeper folders are summarised.
    #[serde(default)]
    pub max_depth: u32,
    /// Return at most this many entries (0: all).
    #[serde(default)]
    pub top: u32,
    /// Add download links (through a browsing session) for the first files returned.
    #[serde(default = "yes")]
    pub include_signed_urls: bool,
}

fn yes() -> bool {
    true
}

pub const PACKAGE_BROWSE: Tool = Tool {
    name: "package_browse",
    title: "Browse a package",
    description: "Show the files and folders of a package revision (latest, a tag or a top hash), from the root or a folder, with sizes, the package metadata, and download links for the first files.",
    annotations: Annotations::READ_ONLY,
    input_schema: || schemars::schema_for!(PackageBrowseArgs),
    output_schema: None,
    call: |ctx, args| typed(ctx, args, package_browse),
};

/// A browsed entry: a file, or a folder summarised at the depth limit.
#[derive(Debug, Serialize)]
struct Entry {
    logical_key: String,
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    size: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    files: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    physical_key: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    hash: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    download_url: Option<String>,
}

/// Files under `prefix`, down to `max_depth` levels (0: all); deeper ones fold into their folder.
fn entries_under(flat: &BTreeMap<String, FlatEntry>, prefix: &str, max_depth: u32) -> Vec<Entry> {
    let mut files = Vec::new();
    let mut folders: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    for (key, entry) in flat
        .range(prefix.to_string()..)
        .take_while(|(k, _)| k.starts_with(prefix))
    {
        let relative = &key[prefix.len()..];
        let segments: Vec<&str> = relative.split('/').collect();
        if max_depth > 0 && segments.len() > max_depth as usize {
            let folder = format!("{prefix}{}/", segments[..max_depth as usize].join("/"));
            let totals = folders.entry(folder).or_default();
            totals.0 += 1;
            totals.1 += entry.size.unwrap_or(0);
            continue;
        }
        files.push(Entry {
            logical_key: key.clone(),
            kind: "file",
            size: entry.size,
            files: None,
            physical_key: entry.physical_key.clone(),
            hash: entry.hash.clone(),
            download_url: None,
        });
    }
    let folded = folders.into_iter().map(|(key, (count, size))| Entry {
        logical_key: key,
        kind: "dir",
        size: Some(size),
        files: Some(count),
        physical_key: None,
        hash: None,
        download_url: None,
    });
    let mut all: Vec<Entry> = files.into_iter().chain(folded).collect();
    all.sort_by(|a, b| a.logical_key.cmp(&b.logical_key));
    all
}

/// The direct children of a folder (`PackageDir`).
async fn children(
    ctx: &Ctx,
    package: &PackageRef,
    rev: &str,
    path: &str,
) -> Result<Vec<Entry>, ToolError> {
    let mut vars = package.variables();
    vars["hashOrTag"] = json!(rev);
    vars["path"] = json!(path.trim_end_matches('/'));
    let data = ctx
        .state
        .catalog
        .graphql_read(ctx.on_behalf(), PACKAGE_DIR, vars)
        .await?;
    let revision = revision_of(&data, package, rev)?;
    let Some(dir) = revision.get("dir").filter(|d| !d.is_null()) else {
        return Err(ToolError::invalid(
            "path",
            format!("{path:?} is not a folder of this revision"),
        ));
    };
    let list = dir
        .get("children")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    Ok(list
        .iter()
        .map(|child| {
            let is_dir = child.get("__typename").and_then(Value::as_str) == Some("PackageDir");
            let path = child
                .get("path")
                .and_then(Value::as_str)
                .unwrap_or_default();
            Entry {
                logical_key: if is_dir {
                    format!("{}/", path.trim_end_matches('/'))
                } else {
                    path.to_string()
                },
                kind: if is_dir { "dir" } else { "file" },
                size: child.get("size").and_then(Value::as_f64).map(|s| s as u64),
                files: None,
                physical_key: child
                    .get("physicalKey")
                    .and_then(Value::as_str)
                    .map(str::to_string),
                hash: None,
                download_url: None,
            }
        })
        .collect())
}

async fn package_browse(ctx: &Ctx, args: PackageBrowseArgs) -> Result<Value, ToolError> {
    let package = PackageRef::parse(&args.package_name, &args.registry)?;
    let rev = hash_or_tag(args.top_hash.as_deref(), args.tag.as_deref())?;
    let path = args.path.trim().trim_start_matches('/');
    let prefix = if path.is_empty() || path.ends_with('/') {
        path.to_string()
    } else {
        format!("{path}/")
    };
    let mut vars = package.variables();
    vars["hashOrTag"] = json!(rev);
    let info = ctx
        .state
        .catalog
        .graphql_read(ctx.on_behalf(), PACKAGE_INFO, vars)
        .await?;
    let revision = revision_of(&info, &package, &rev)?;
    let hash = revision
        .get("hash")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    // Browse by the concrete hash from here on, so a push in between cannot mix two revisions.
    let mut entries = if args.recursive {
        let (_, flat) = fetch_flat(ctx, &package, &hash).await?;
        match flat.get_key_value(path) {
            // A path naming one file shows that file alone.
            Some((key, entry)) => {
                entries_under(&BTreeMap::from([(key.clone(), entry.clone())]), "", 0)
            }
            None => entries_under(&flat, &prefix, args.max_depth),
        }
    } else {
        children(ctx, &package, &hash, &prefix).await?
    };
    if entries.is_empty() && !prefix.is_empty() {
        return Err(ToolError::invalid(
            "path",
            format!("nothing under {path:?} in this revision"),
        ));
    }
    let found = entries.len();
    if args.top > 0 {
        entries.truncate(args.top as usize);
    }
    let mut links_note = Value::Null;
    if args.include_signed_urls {
        links_note = add_download_links(ctx, &package, &hash, &mut entries).await;
    }
    if !args.include_file_info {
        for entry in &mut entries {
            (entry.size, entry.physical_key, entry.hash) = (None, None, None);
        }
    }
    Ok(json!({
        "package_name": package.name,
        "registry": format!("s3://{}", package.bucket),
        "hash": hash,
        "modified": revision.get("modified"),
        "message": revision.get("message"),
        "metadata": revision.get("userMeta"),
        "total_entries": revision.get("totalEntries"),
        "total_bytes": revision.get("totalBytes"),
        "path": prefix,
        "found": found,
        "returned": entries.len(),
        "truncated": entries.len() < found,
        "entries": entries,
        "download_links": links_note,
        "catalog_url": package.catalog_url(ctx, Some(&hash)),
    }))
}

/// Resolves download links for the first files through one browsing session. A catalog that
/// refuses (a bucket that is not browsable) leaves the listing whole and says why.
async fn add_download_links(
    ctx: &Ctx,
    package: &PackageRef,
    hash: &str,
    entries: &mut [Entry],
) -> Value {
    let scope = revision_scope(&package.bucket, &package.name, hash);
    let files = entries.iter_mut().filter(|e| e.kind == "file");
    let mut resolved = 0;
    for entry in files.take(MAX_DOWNLOAD_LINKS) {
        match ctx
            .state
            .catalog
            .browse_url(ctx.on_behalf(), &scope, &entry.logical_key)
            .await
        {
            Ok(location) => {
                entry.download_url = Some(location.url().to_string());
                resolved += 1;
            }
            Err(e) => return json!({ "resolved": resolved, "error": link_error(&e) }),
        }
    }
    json!({ "resolved": resolved, "limit": MAX_DOWNLOAD_LINKS })
}

fn link_error(e: &CatalogError) -> String {
    match &e.kind {
        CatalogErrorKind::OperationError(m) if m.contains("BucketNotBrowsable") => {
            "this bucket is not browsable in the catalog, so no download links can be made".into()
        }
        _ => e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flat(keys: &[(&str, u64)]) -> BTreeMap<String, FlatEntry> {
        keys.iter()
            .map(|(k, size)| {
                let entry = FlatEntry {
                    physical_key: None,
                    size: Some(*size),
                    hash: None,
                    raw: Value::Null,
                };
                (k.to_string(), entry)
            })
            .collect()
    }

    #[test]
    fn depth_limits_fold_deeper_files_into_their_folders() {
        let map = flat(&[
            ("README.md", 1),
            ("a/x.csv", 2),
            ("a/b/y.csv", 3),
            ("a/b/c/z.csv", 4),
            ("ab.txt", 5),
        ]);
        let keys = |e: Vec<Entry>| {
            e.into_iter()
                .map(|e| (e.logical_key, e.kind, e.size))
                .collect::<Vec<_>>()
        };
        assert_eq!(keys(entries_under(&map, "", 0)).len(), 5);
        assert_eq!(
            keys(entries_under(&map, "", 1)),
            vec![
                ("README.md".into(), "file", Some(1)),
                ("a/".into(), "dir", Some(9)),
                ("ab.txt".into(), "file", Some(5))
            ]
        );
        assert_eq!(
            keys(entries_under(&map, "a/", 1)),
            vec![
                ("a/b/".into(), "dir", Some(7)),
                ("a/x.csv".into(), "file", Some(2))
            ]
        );
        assert!(entries_under(&map, "nope/", 0).is_empty());
    }
}
