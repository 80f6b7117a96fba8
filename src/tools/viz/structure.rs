//! A package's structure for the summary tools: its files and sizes, from a hand-built
//! `organized_structure` (upstream's `{folder: [{"Key", "Size"}]}`) or read from a revision's
//! manifest through the catalog, with the counts the summaries and charts show.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::tools::packages::revision::{PackageRef, fetch_flat, hash_or_tag};
use crate::tools::{Ctx, ToolError};

/// The most groups a chart or table shows; the rest are summed as `other`.
pub const MAX_GROUPS: usize = 12;

/// One file of an `organized_structure` folder, as S3 listings name its fields.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct StructureFile {
    /// The file's key: a path inside the package, or a name inside its folder.
    #[serde(rename = "Key", alias = "key", alias = "logical_key")]
    pub key: String,
    /// Bytes.
    #[serde(rename = "Size", alias = "size", default)]
    pub size: Option<u64>,
}

/// Files by folder, as upstream's `organized_structure`: `{"data": [{"Key": "data/a.csv",
/// "Size": 120}]}`.
pub type OrganizedStructure = BTreeMap<String, Vec<StructureFile>>;

/// Where a package's structure comes from: a revision in the catalog, when `registry` is set.
#[derive(Debug, Default)]
pub struct PackageSource<'a> {
    pub registry: &'a str,
    pub package_name: &'a str,
    pub top_hash: &'a str,
    pub tag: &'a str,
}

/// A package's files and metadata.
#[derive(Debug, Default)]
pub struct Structure {
    /// Logical key and size, sorted by key.
    pub files: Vec<(String, u64)>,
    pub metadata: Map<String, Value>,
    /// The revision read, when read from the catalog.
    pub top_hash: Option<String>,
}

/// Files and bytes of one group (an extension or a folder).
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
pub struct Group {
    pub name: String,
    pub files: u64,
    pub bytes: u64,
}

/// The counts a summary shows.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct Totals {
    pub files: u64,
    pub bytes: u64,
    /// By extension, most files first (`(none)` for names without one).
    pub file_types: Vec<Group>,
    /// By top-level folder, most bytes first (`(root)` for files at the top).
    pub folders: Vec<Group>,
}

/// The structure the arguments give: read from the catalog when `source.registry` is set,
/// else from `organized_structure` (one of them is needed).
pub async fn load(
    ctx: &Ctx,
    source: &PackageSource<'_>,
    organized: &OrganizedStructure,
    metadata: &Map<String, Value>,
) -> Result<Structure, ToolError> {
    if !source.registry.trim().is_empty() {
        let package = PackageRef::parse(source.package_name, source.registry)?;
        let rev = hash_or_tag(source.top_hash, source.tag)?;
        let (revision, entries) = fetch_flat(ctx, &package, &rev).await?;
        let mut merged = match revision.user_meta {
            Some(Value::Object(meta)) => meta,
            _ => Map::new(),
        };
        merged.extend(metadata.clone());
        return Ok(Structure {
            files: entries
                .into_iter()
                .map(|(key, entry)| (key, entry.size.unwrap_or(0)))
                .collect(),
            metadata: merged,
            top_hash: Some(revision.hash),
        });
    }
    if organized.values().all(Vec::is_empty) {
        return Err(ToolError::invalid(
            "organized_structure",
            "give the package's files as organized_structure ({\"folder\": [{\"Key\": \"folder/a.csv\", \"Size\": 120}]}), or registry and package_name to read a revision",
        ));
    }
    Ok(from_organized(organized, metadata))
}

/// The structure of an `organized_structure`: a key with a `/` is a path in the package,
/// a bare name sits in its folder (`""`, `.` and `root` mean the top).
pub fn from_organized(organized: &OrganizedStructure, metadata: &Map<String, Value>) -> Structure {
    let mut files = BTreeMap::new();
    for (folder, listed) in organized {
        let folder = folder.trim().trim_matches('/');
        for file in listed {
            let key = file.key.trim().trim_start_matches('/');
            let key = if key.contains('/') || matches!(folder, "" | "." | "root") {
                key.to_string()
            } else {
                format!("{folder}/{key}")
            };
            if !key.is_empty() && !key.ends_with('/') {
                files.insert(key, file.size.unwrap_or(0));
            }
        }
    }
    Structure {
        files: files.into_iter().collect(),
        metadata: metadata.clone(),
        top_hash: None,
    }
}

/// A file's extension, lowercase, `(none)` without one (`.gz` keeps the type before it).
pub fn extension(key: &str) -> String {
    let name = key.rsplit('/').next().unwrap_or(key).to_ascii_lowercase();
    let parts: Vec<&str> = name.split('.').skip(1).collect();
    match parts.as_slice() {
        [] => "(none)".into(),
        [.., inner, "gz"] => format!("{inner}.gz"),
        [.., last] => (*last).to_string(),
    }
}

/// A file's top-level folder, `(root)` at the top.
pub fn top_folder(key: &str) -> String {
    match key.split_once('/') {
        Some((folder, _)) => format!("{folder}/"),
        None => "(root)".into(),
    }
}

impl Structure {
    /// Counts by extension and by top-level folder, the largest groups first, at most
    /// [`MAX_GROUPS`] each (the rest summed as `other`).
    pub fn totals(&self) -> Totals {
        let group = |name_of: fn(&str) -> String| {
            let mut groups: BTreeMap<String, (u64, u64)> = BTreeMap::new();
            for (key, size) in &self.files {
                let slot = groups.entry(name_of(key)).or_default();
                slot.0 += 1;
                slot.1 += size;
            }
            groups
                .into_iter()
                .map(|(name, (files, bytes))| Group { name, files, bytes })
                .collect::<Vec<_>>()
        };
        let mut file_types = group(extension);
        file_types.sort_by(|a, b| b.files.cmp(&a.files).then(a.name.cmp(&b.name)));
        let mut folders = group(top_folder);
        folders.sort_by(|a, b| b.bytes.cmp(&a.bytes).then(a.name.cmp(&b.name)));
        Totals {
            files: self.files.len() as u64,
            bytes: self.files.iter().map(|(_, size)| size).sum(),
            file_types: capped(file_types),
            folders: capped(folders),
        }
    }
}

/// The first [`MAX_GROUPS`] - 1 groups and the rest summed as `other`.
fn capped(mut groups: Vec<Group>) -> Vec<Group> {
    if groups.len() <= MAX_GROUPS {
        return groups;
    }
    let rest = groups.split_off(MAX_GROUPS - 1);
    groups.push(Group {
        name: format!("other ({} more)", rest.len()),
        files: rest.iter().map(|g| g.files).sum(),
        bytes: rest.iter().map(|g| g.bytes).sum(),
    });
    groups
}

/// Bytes as people read them: `1.5 MB`.
pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KB", "MB", "GB", "TB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit < UNITS.len() - 1 {
        value /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn organized_structures_give_paths_and_totals() {
        let organized: OrganizedStructure = serde_json::from_value(json!({
            "data": [{"Key": "data/a.csv", "Size": 10}, {"Key": "b.CSV", "Size": 5}],
            "root": [{"key": "README.md", "size": 3}],
            "raw": [{"Key": "raw/r1.fastq.gz"}],
        }))
        .unwrap();
        let structure = from_organized(&organized, &Map::new());
        let keys: Vec<&str> = structure.files.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            keys,
            ["README.md", "data/a.csv", "data/b.CSV", "raw/r1.fastq.gz"]
        );
        let totals = structure.totals();
        assert_eq!((totals.files, totals.bytes), (4, 18));
        assert_eq!(
            totals.file_types[0],
            Group {
                name: "csv".into(),
                files: 2,
                bytes: 15
            }
        );
        assert_eq!(totals.folders[0].name, "data/");
        assert!(totals.file_types.iter().any(|g| g.name == "fastq.gz"));
        assert_eq!(human_bytes(1_500_000), "1.5 MB");
        assert_eq!(extension("a/b"), "(none)");
    }

    #[test]
    fn many_groups_end_in_other() {
        let files = (0..20).map(|i| (format!("f.e{i}"), 1)).collect();
        let totals = Structure {
            files,
            ..Structure::default()
        }
        .totals();
        assert_eq!(totals.file_types.len(), MAX_GROUPS);
        assert_eq!(totals.file_types.last().unwrap().files, 9);
    }
}
