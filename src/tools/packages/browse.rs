//! Browsing a package revision: its tree from the root or a folder, with depth and size limits,
//! the package metadata, and download links through one browsing session per call. A listing
//! larger than the result budget is cut and says at which `offset` the rest starts.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::catalog::browsing::revision_scope;
use crate::catalog::queries::{PACKAGE_DIR, PACKAGE_INFO};
use crate::catalog::{CatalogError, CatalogErrorKind};
use crate::tools::budget::{TEXT_BUDGET, encoded_len, take_within};
use crate::tools::packages::revision::{
    FlatEntry, MAX_FLAT_ENTRIES, Naming, PackageData, PackageRef, Target, fetch_flat, one_path,
    optional_size,
};
use crate::tools::{Annotations, Ctx, Tool, ToolError, decode, typed};

/// Download links resolved per browse call: each costs one registry round trip.
const MAX_DOWNLOAD_LINKS: usize = 20;

/// Arguments of `package_browse`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PackageBrowseArgs {
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
    /// A folder inside the package to start from (or one file); the root when empty.
    #[serde(default)]
    pub path: String,
    /// A revision's 64-digit top hash; wins over `tag`.
    #[serde(default)]
    pub top_hash: String,
    /// A revision tag, used when `top_hash` is empty.
    #[serde(default = "latest")]
    pub tag: String,
    /// Every entry below `path` (true) or only its direct children (false).
    #[serde(default = "yes")]
    pub recursive: bool,
    /// Include sizes, physical keys and content hashes.
    #[serde(default = "yes")]
    pub include_file_info: bool,
    /// With `recursive`, how many folder levels to show (0: all); deeper folders are summarised.
    #[serde(default)]
    pub max_depth: u32,
    /// Return at most this many entries (up to 10000). 0, the default, returns as many as fit
    /// in about 16 KiB and says at which `offset` the rest starts.
    #[serde(default)]
    #[schemars(range(max = 10000))]
    pub top: u32,
    /// Skip this many entries first: the `next_offset` of an answer that was cut.
    #[serde(default)]
    pub offset: u32,
    /// Add download links (through a browsing session) for the first 20 files returned.
    #[serde(default = "yes")]
    pub include_signed_urls: bool,
}

fn yes() -> bool {
    true
}

fn latest() -> String {
    "latest".into()
}

pub const PACKAGE_BROWSE: Tool = Tool {
    name: "package_browse",
    title: "Browse a package",
    description: "Show the files and folders of a package revision (latest, a tag or a top hash), from the root or a folder, with sizes, the package metadata, and download links for the first files. A long listing is cut to about 16 KiB; `next_offset` says where the rest starts.",
    annotations: Annotations::READ_ONLY,
    input_schema: || schemars::schema_for!(PackageBrowseArgs),
    output_schema: Some(|| schemars::schema_for!(PackageBrowse)),
    call: |ctx, args| typed(ctx, args, package_browse),
};

/// A browsed entry: a file, or a folder (summarised at the depth limit).
#[derive(Debug, Serialize, JsonSchema)]
pub struct Entry {
    pub logical_key: String,
    /// `file` or `dir`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    /// Files folded into a folder summarised at the depth limit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub files: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub physical_key: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hash: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub download_url: Option<String>,
}

/// What became of the download links asked for.
#[derive(Debug, Serialize, JsonSchema)]
pub struct DownloadLinks {
    pub resolved: usize,
    /// The most links made per call.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<usize>,
    /// Why no (more) links could be made.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The result of `package_browse`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct PackageBrowse {
    pub package_name: String,
    pub registry: String,
    pub hash: String,
    pub modified: Option<String>,
    pub message: Option<String>,
    /// The package metadata: free-form user data.
    pub metadata: Option<Value>,
    pub total_entries: Option<u64>,
    pub total_bytes: Option<u64>,
    pub path: String,
    /// Entries under `path` (before `offset`, `top` and the size budget).
    pub found: usize,
    pub offset: usize,
    pub returned: usize,
    /// Whether entries after the returned ones were left out.
    pub truncated: bool,
    /// Where the rest starts: pass it as `offset`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_offset: Option<usize>,
    /// How to get the rest, when cut.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    pub entries: Vec<Entry>,
    /// Null when links were not asked for.
    pub download_links: Option<DownloadLinks>,
    /// The Quilt+ URI of this revision (and of `path` in it, when one was given).
    pub uri: String,
    pub catalog_url: String,
}

/// The revision's summary (the `PackageInfo` selection).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct InfoRevision {
    hash: String,
    modified: Option<String>,
    message: Option<String>,
    user_meta: Option<Value>,
    total_entries: Option<u64>,
    #[serde(default, deserialize_with = "optional_size")]
    total_bytes: Option<u64>,
}

/// A folder's listing (the `PackageDir` selection).
#[derive(Debug, Deserialize)]
struct DirRevision {
    dir: Option<Dir>,
}

#[derive(Debug, Deserialize)]
struct Dir {
    children: Vec<Child>,
}

#[derive(Debug, Deserialize)]
#[serde(tag = "__typename")]
enum Child {
    #[serde(rename_all = "camelCase")]
    PackageFile {
        path: String,
        #[serde(default, deserialize_with = "optional_size")]
        size: Option<u64>,
        physical_key: Option<String>,
    },
    PackageDir {
        path: String,
        #[serde(default, deserialize_with = "optional_size")]
        size: Option<u64>,
    },
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
            hash: entry.hash_text(),
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
    let answer: PackageData<DirRevision> = decode(PACKAGE_DIR, data)?;
    let Some(dir) = answer.revision(package, rev)?.dir else {
        return Err(ToolError::invalid(
            "path",
            format!("{path:?} is not a folder of this revision"),
        ));
    };
    let entry = |logical_key, kind, size, physical_key| Entry {
        logical_key,
        kind,
        size,
        files: None,
        physical_key,
        hash: None,
        download_url: None,
    };
    Ok(dir
        .children
        .into_iter()
        .map(|child| match child {
            Child::PackageFile {
                path,
                size,
                physical_key,
            } => entry(path, "file", size, physical_key),
            Child::PackageDir { path, size } => entry(
                format!("{}/", path.trim_end_matches('/')),
                "dir",
                size,
                None,
            ),
        })
        .collect())
}

async fn package_browse(ctx: &Ctx, args: PackageBrowseArgs) -> Result<PackageBrowse, ToolError> {
    let Target {
        package,
        rev,
        path: uri_path,
    } = Naming::standard(
        &args.uri,
        &args.registry,
        &args.package_name,
        &args.top_hash,
        &args.tag,
    )
    .resolve()?;
    if i64::from(args.top) > MAX_FLAT_ENTRIES {
        return Err(ToolError::invalid(
            "top",
            format!(
                "at most {MAX_FLAT_ENTRIES}; 0 returns what fits and says where the rest starts"
            ),
        ));
    }
    let path = one_path("path", &args.path, uri_path)?;
    let path = path.trim().trim_start_matches('/');
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
    let answer: PackageData<InfoRevision> = decode(PACKAGE_INFO, info)?;
    let revision = answer.revision(&package, &rev)?;
    let hash = revision.hash.clone();
    // Browse by the concrete hash from here on, so a push in between cannot mix two revisions.
    let entries = if args.recursive {
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
    let offset = args.offset as usize;
    let mut page: Vec<Entry> = entries.into_iter().skip(offset).collect();
    if args.top > 0 {
        page.truncate(args.top as usize);
    }
    if !args.include_file_info {
        for entry in &mut page {
            (entry.size, entry.physical_key, entry.hash) = (None, None, None);
        }
    }
    let mut links = None;
    if args.include_signed_urls {
        links = Some(add_download_links(ctx, &package, &hash, &mut page).await);
    }
    let mut result = PackageBrowse {
        package_name: package.name.clone(),
        registry: package.registry(),
        hash: hash.clone(),
        modified: revision.modified,
        message: revision.message,
        metadata: revision.user_meta,
        total_entries: revision.total_entries,
        total_bytes: revision.total_bytes,
        path: prefix,
        found,
        offset,
        returned: 0,
        truncated: false,
        next_offset: None,
        hint: None,
        entries: Vec::new(),
        download_links: links,
        uri: package.quilt_uri(Some(&hash), Some(path)),
        catalog_url: package.catalog_url(ctx, Some(&hash)),
    };
    if args.top == 0 {
        // Room for the entries: the budget less the rest of the answer and its cut notice.
        let room = TEXT_BUDGET.saturating_sub(encoded_len(&result) + 300);
        page = take_within(page, room).0;
    }
    if let Some(links) = result.download_links.as_mut() {
        links.resolved = page.iter().filter(|e| e.download_url.is_some()).count();
    }
    let next = offset + page.len();
    result.returned = page.len();
    result.truncated = next < found;
    if result.truncated {
        result.next_offset = Some(next);
        result.hint = Some(format!(
            "{} more entries: call again with offset={next}, or narrow with path or max_depth",
            found - next
        ));
    }
    result.entries = page;
    Ok(result)
}

/// Resolves download links for the first files through one browsing session. A catalog that
/// refuses (a bucket that is not browsable) leaves the listing whole and says why.
async fn add_download_links(
    ctx: &Ctx,
    package: &PackageRef,
    hash: &str,
    entries: &mut [Entry],
) -> DownloadLinks {
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
            Err(e) => {
                return DownloadLinks {
                    resolved,
                    limit: None,
                    error: Some(link_error(&e)),
                };
            }
        }
    }
    DownloadLinks {
        resolved,
        limit: Some(MAX_DOWNLOAD_LINKS),
        error: None,
    }
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
                    meta: None,
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
