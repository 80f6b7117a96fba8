//! Comparing two package revisions (of one package or two): entries added, removed and
//! modified (by content hash), and metadata changes. Long change lists are cut to the result
//! budget at a logical key; `next_after` continues from there.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::tools::budget::{TEXT_BUDGET, encoded_len, take_within};
use crate::tools::packages::revision::{FlatEntry, FlatRevision, Naming, PackageRef, fetch_flat};
use crate::tools::{Annotations, Ctx, Tool, ToolError, typed};

/// Arguments of `package_diff`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PackageDiffArgs {
    /// The first (older) package, `namespace/name` (or give `package1_uri`).
    #[serde(default)]
    pub package1_name: String,
    /// The second (newer) package; the same name compares two revisions of one package (or
    /// give `package2_uri`).
    #[serde(default)]
    pub package2_name: String,
    /// The bucket of both, as `s3://bucket` or `bucket`; not needed for a side given by URI.
    #[serde(default)]
    pub registry: String,
    /// The first revision as a Quilt+ URI, `quilt+s3://bucket#package=namespace/name@top_hash`
    /// (or `:tag`), in place of `package1_name`, `package1_hash` and `registry`.
    #[serde(default)]
    pub package1_uri: String,
    /// The second revision as a Quilt+ URI, in place of `package2_name`, `package2_hash` and
    /// `registry`.
    #[serde(default)]
    pub package2_uri: String,
    /// The first revision's top hash; latest when empty.
    #[serde(default)]
    pub package1_hash: String,
    /// The second revision's top hash; latest when empty.
    #[serde(default)]
    pub package2_hash: String,
    /// List only changes to logical keys after this one: the `next_after` of an answer that
    /// was cut (the counts stay whole).
    #[serde(default)]
    pub after: String,
}

pub const PACKAGE_DIFF: Tool = Tool {
    name: "package_diff",
    title: "Compare package revisions",
    description: "Compare two package revisions (two hashes of one package, or two packages): entries added, removed and modified by content hash, and metadata keys changed. Lists longer than about 16 KiB are cut; `next_after` continues them.",
    annotations: Annotations::READ_ONLY,
    input_schema: || schemars::schema_for!(PackageDiffArgs),
    output_schema: Some(|| schemars::schema_for!(PackageDiff)),
    call: |ctx, args| typed(ctx, args, package_diff),
};

/// An entry only one side has.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
pub struct Listed {
    pub logical_key: String,
    pub size: Option<u64>,
}

/// An entry both sides have, with different contents.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
pub struct Modified {
    pub logical_key: String,
    pub size_before: Option<u64>,
    pub size_after: Option<u64>,
}

/// One change, in logical-key order (for cutting the lists at one key).
#[derive(Debug, Serialize)]
#[serde(untagged)]
enum Change {
    Added(Listed),
    Removed(Listed),
    Modified(Modified),
}

/// How many entries changed, over the whole revisions.
#[derive(Debug, Default, PartialEq, Serialize, JsonSchema)]
pub struct Counts {
    pub added: usize,
    pub removed: usize,
    pub modified: usize,
    pub unchanged: usize,
}

/// The entries part of a diff.
#[derive(Debug, Default, Serialize, JsonSchema)]
pub struct EntriesDiff {
    pub counts: Counts,
    pub added: Vec<Listed>,
    pub removed: Vec<Listed>,
    pub modified: Vec<Modified>,
}

/// A metadata value before and after.
#[derive(Debug, PartialEq, Serialize, JsonSchema)]
pub struct Changed {
    pub before: Value,
    pub after: Value,
}

/// Top-level metadata keys added, removed and changed (values are free-form user metadata).
#[derive(Debug, PartialEq, Serialize, JsonSchema)]
pub struct MetadataDiff {
    pub added: Map<String, Value>,
    pub removed: Map<String, Value>,
    pub changed: BTreeMap<String, Changed>,
}

/// One side of the comparison.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Side {
    pub name: String,
    pub hash: String,
    pub modified: Option<String>,
    /// The Quilt+ URI of this revision.
    pub uri: String,
}

/// The result of `package_diff`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct PackageDiff {
    pub package1: Side,
    pub package2: Side,
    pub registry: String,
    pub identical: bool,
    #[serde(flatten)]
    pub entries: EntriesDiff,
    pub metadata: MetadataDiff,
    /// Whether changes after the listed ones were left out (the counts are whole).
    pub truncated: bool,
    /// Where the lists go on: pass it as `after`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_after: Option<String>,
}

/// One side's package and revision, from its URI or from its name, hash and the registry.
fn side(
    uri_field: &str,
    uri: &str,
    name_field: &str,
    name: &str,
    hash_field: &str,
    hash: &str,
    registry: &str,
) -> Result<(PackageRef, String), ToolError> {
    let target = Naming {
        uri_field,
        uri,
        registry,
        name_field,
        name,
        hash_field,
        top_hash: hash,
        tag: "",
    }
    .resolve()?;
    if target.path.is_some() {
        return Err(ToolError::invalid(
            uri_field,
            "package_diff compares whole revisions: leave &path= out of the URI",
        ));
    }
    Ok((target.package, target.rev))
}

/// Every change between two flat maps, in logical-key order, and the counts.
fn changes(
    before: &BTreeMap<String, FlatEntry>,
    after: &BTreeMap<String, FlatEntry>,
) -> (Vec<Change>, Counts) {
    let mut counts = Counts::default();
    let mut changes: BTreeMap<&str, Change> = BTreeMap::new();
    for (key, new) in after {
        let listed = |size| Listed {
            logical_key: key.clone(),
            size,
        };
        let change = match before.get(key) {
            None => Change::Added(listed(new.size)),
            // Without content hashes, a different physical key is the best evidence of a change.
            Some(old)
                if (old.hash.is_some() && old.hash != new.hash)
                    || (old.hash.is_none() && old.physical_key != new.physical_key) =>
            {
                Change::Modified(Modified {
                    logical_key: key.clone(),
                    size_before: old.size,
                    size_after: new.size,
                })
            }
            Some(_) => {
                counts.unchanged += 1;
                continue;
            }
        };
        changes.insert(key, change);
    }
    for (key, old) in before {
        if !after.contains_key(key) {
            let removed = Listed {
                logical_key: key.clone(),
                size: old.size,
            };
            changes.insert(key, Change::Removed(removed));
        }
    }
    for change in changes.values() {
        match change {
            Change::Added(_) => counts.added += 1,
            Change::Removed(_) => counts.removed += 1,
            Change::Modified(_) => counts.modified += 1,
        }
    }
    (changes.into_values().collect(), counts)
}

/// The differences between two flat maps: the changes after the key `after` that fit in
/// `room` bytes, and whether any were left out.
pub fn diff_entries(
    before: &BTreeMap<String, FlatEntry>,
    after_map: &BTreeMap<String, FlatEntry>,
    after: &str,
    room: usize,
) -> (EntriesDiff, bool) {
    let (all, counts) = changes(before, after_map);
    let listed: Vec<Change> = all
        .into_iter()
        .filter(|c| after.is_empty() || key_of(c) > after)
        .collect();
    let (kept, left_out) = take_within(listed, room);
    let mut diff = EntriesDiff {
        counts,
        ..EntriesDiff::default()
    };
    for change in kept {
        match change {
            Change::Added(l) => diff.added.push(l),
            Change::Removed(l) => diff.removed.push(l),
            Change::Modified(m) => diff.modified.push(m),
        }
    }
    (diff, left_out > 0)
}

fn key_of(change: &Change) -> &str {
    match change {
        Change::Added(l) | Change::Removed(l) => &l.logical_key,
        Change::Modified(m) => &m.logical_key,
    }
}

/// Top-level metadata keys added, removed and changed.
pub fn diff_metadata(before: Option<&Value>, after: Option<&Value>) -> MetadataDiff {
    let empty = Map::new();
    let old = before.and_then(Value::as_object).unwrap_or(&empty);
    let new = after.and_then(Value::as_object).unwrap_or(&empty);
    let only = |one: &Map<String, Value>, other: &Map<String, Value>| -> Map<String, Value> {
        one.iter()
            .filter(|(k, _)| !other.contains_key(*k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    };
    let changed = new
        .iter()
        .filter_map(|(k, v)| {
            old.get(k).filter(|o| *o != v).map(|o| {
                let change = Changed {
                    before: o.clone(),
                    after: v.clone(),
                };
                (k.clone(), change)
            })
        })
        .collect();
    MetadataDiff {
        added: only(new, old),
        removed: only(old, new),
        changed,
    }
}

async fn package_diff(ctx: &Ctx, args: PackageDiffArgs) -> Result<PackageDiff, ToolError> {
    let (first, rev1) = side(
        "package1_uri",
        &args.package1_uri,
        "package1_name",
        &args.package1_name,
        "package1_hash",
        &args.package1_hash,
        &args.registry,
    )?;
    let (second, rev2) = side(
        "package2_uri",
        &args.package2_uri,
        "package2_name",
        &args.package2_name,
        "package2_hash",
        &args.package2_hash,
        &args.registry,
    )?;
    let (one, two) = tokio::join!(
        fetch_flat(ctx, &first, &rev1),
        fetch_flat(ctx, &second, &rev2)
    );
    let ((revision1, entries1), (revision2, entries2)) = (one?, two?);
    let side = |package: &PackageRef, revision: &FlatRevision| Side {
        name: package.name.clone(),
        hash: revision.hash.clone(),
        modified: revision.modified.clone(),
        uri: package.quilt_uri(Some(&revision.hash), None),
    };
    let mut result = PackageDiff {
        package1: side(&first, &revision1),
        package2: side(&second, &revision2),
        registry: first.registry(),
        identical: revision1.hash == revision2.hash,
        entries: EntriesDiff::default(),
        metadata: diff_metadata(revision1.user_meta.as_ref(), revision2.user_meta.as_ref()),
        truncated: false,
        next_after: None,
    };
    // Room for the lists: the budget less the rest of the answer and the cut notice.
    let room = TEXT_BUDGET.saturating_sub(encoded_len(&result) + 200);
    let (entries, truncated) = diff_entries(&entries1, &entries2, args.after.trim(), room);
    result.truncated = truncated;
    if truncated {
        let last = [
            entries.added.last().map(|l| &l.logical_key),
            entries.removed.last().map(|l| &l.logical_key),
            entries.modified.last().map(|m| &m.logical_key),
        ];
        result.next_after = last.into_iter().flatten().max().cloned();
    }
    result.entries = entries;
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tools::packages::revision::EntryHash;
    use serde_json::json;

    fn entry(hash: &str, size: u64) -> FlatEntry {
        FlatEntry {
            physical_key: Some(format!("s3://b/{hash}")),
            size: Some(size),
            hash: Some(EntryHash {
                kind: "SHA256".into(),
                value: hash.into(),
            }),
            meta: None,
        }
    }

    fn map(entries: &[(&str, FlatEntry)]) -> BTreeMap<String, FlatEntry> {
        entries
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect()
    }

    #[test]
    fn added_removed_modified_and_unchanged() {
        let before = map(&[
            ("a", entry("1", 1)),
            ("b", entry("2", 2)),
            ("c", entry("3", 3)),
        ]);
        let after = map(&[
            ("a", entry("1", 1)),
            ("b", entry("9", 5)),
            ("d", entry("4", 4)),
        ]);
        let (diff, cut) = diff_entries(&before, &after, "", TEXT_BUDGET);
        assert!(!cut);
        assert_eq!(
            diff.counts,
            Counts {
                added: 1,
                removed: 1,
                modified: 1,
                unchanged: 1
            }
        );
        assert_eq!(
            diff.modified[0],
            Modified {
                logical_key: "b".into(),
                size_before: Some(2),
                size_after: Some(5)
            }
        );
        let meta = diff_metadata(
            Some(&json!({"x": 1, "y": 2})),
            Some(&json!({"y": 3, "z": 4})),
        );
        assert_eq!(
            serde_json::to_value(meta).unwrap(),
            json!({"added": {"z": 4}, "removed": {"x": 1}, "changed": {"y": {"before": 2, "after": 3}}})
        );
    }

    #[test]
    fn lists_are_cut_at_a_key_and_continue_after_it() {
        let before = map(&[("a", entry("1", 1)), ("c", entry("3", 3))]);
        let after = map(&[
            ("b", entry("2", 2)),
            ("c", entry("9", 9)),
            ("d", entry("4", 4)),
        ]);
        // Room for one change only: `a` (removed).
        let (first, cut) = diff_entries(&before, &after, "", 1);
        assert!(cut);
        assert_eq!((first.removed.len(), first.added.len()), (1, 0));
        assert_eq!(first.counts.added, 2, "counts stay whole");
        let (rest, cut) = diff_entries(&before, &after, "a", TEXT_BUDGET);
        assert!(!cut);
        let added: Vec<&str> = rest.added.iter().map(|l| l.logical_key.as_str()).collect();
        assert_eq!(
            (added, rest.modified.len(), rest.removed.len()),
            (vec!["b", "d"], 1, 0)
        );
    }
}
