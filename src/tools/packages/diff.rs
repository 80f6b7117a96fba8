//! Comparing two package revisions (of one package or two): entries added, removed and
//! modified (by content hash), and metadata changes.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::tools::packages::list::{FlatEntry, PackageRef, fetch_flat, hash_or_tag};
use crate::tools::{Annotations, Ctx, Tool, ToolError, typed};

/// Each list in a diff is capped; the counts are always whole.
const MAX_LISTED: usize = 1_000;

/// Arguments of `package_diff`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PackageDiffArgs {
    /// The first (older) package, `namespace/name`.
    pub package1_name: String,
    /// The second (newer) package; the same name compares two revisions of one package.
    pub package2_name: String,
    /// The bucket of both, as `s3://bucket` or `bucket`.
    pub registry: String,
    /// The first revision's top hash; latest when empty.
    #[serde(default)]
    pub package1_hash: String,
    /// The second revision's top hash; latest when empty.
    #[serde(default)]
    pub package2_hash: String,
}

pub const PACKAGE_DIFF: Tool = Tool {
    name: "package_diff",
    title: "Compare package revisions",
    description: "Compare two package revisions (two hashes of one package, or two packages): entries added, removed and modified by content hash, and metadata keys changed.",
    annotations: Annotations::READ_ONLY,
    input_schema: || schemars::schema_for!(PackageDiffArgs),
    output_schema: None,
    call: |ctx, args| typed(ctx, args, package_diff),
};

fn side(
    hash_field: &str,
    name_field: &str,
    name: &str,
    registry: &str,
    hash: &str,
) -> Result<(PackageRef, String), ToolError> {
    let package = PackageRef::parse(name, registry).map_err(|e| match e {
        ToolError::InvalidArgument { field, message } if field == "package_name" => {
            ToolError::invalid(name_field, message)
        }
        other => other,
    })?;
    let rev = hash_or_tag(Some(hash), None).map_err(|e| match e {
        ToolError::InvalidArgument { message, .. } => ToolError::invalid(hash_field, message),
        other => other,
    })?;
    Ok((package, rev))
}

/// The differences between two flat maps.
pub fn diff_entries(
    before: &BTreeMap<String, FlatEntry>,
    after: &BTreeMap<String, FlatEntry>,
) -> Value {
    let (mut added, mut removed, mut modified, mut unchanged) =
        (Vec::new(), Vec::new(), Vec::new(), 0usize);
    for (key, new) in after {
        match before.get(key) {
            None => added.push(json!({ "logical_key": key, "size": new.size })),
            // Without content hashes, a different physical key is the best evidence of a change.
            Some(old)
                if (old.hash.is_some() && old.hash != new.hash)
                    || (old.hash.is_none() && old.physical_key != new.physical_key) =>
            {
                modified.push(
                    json!({ "logical_key": key, "size_before": old.size, "size_after": new.size }),
                )
            }
            Some(_) => unchanged += 1,
        }
    }
    for (key, old) in before {
        if !after.contains_key(key) {
            removed.push(json!({ "logical_key": key, "size": old.size }));
        }
    }
    let counts = json!({ "added": added.len(), "removed": removed.len(), "modified": modified.len(), "unchanged": unchanged });
    for list in [&mut added, &mut removed, &mut modified] {
        list.truncate(MAX_LISTED);
    }
    json!({ "counts": counts, "added": added, "removed": removed, "modified": modified })
}

/// Top-level metadata keys added, removed and changed.
pub fn diff_metadata(before: &Value, after: &Value) -> Value {
    let empty = Map::new();
    let old = before.as_object().unwrap_or(&empty);
    let new = after.as_object().unwrap_or(&empty);
    let added: Map<String, Value> = new
        .iter()
        .filter(|(k, _)| !old.contains_key(*k))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let removed: Map<String, Value> = old
        .iter()
        .filter(|(k, _)| !new.contains_key(*k))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let changed: Map<String, Value> = new
        .iter()
        .filter_map(|(k, v)| {
            old.get(k)
                .filter(|o| *o != v)
                .map(|o| (k.clone(), json!({ "before": o, "after": v })))
        })
        .collect();
    json!({ "added": added, "removed": removed, "changed": changed })
}

async fn package_diff(ctx: &Ctx, args: PackageDiffArgs) -> Result<Value, ToolError> {
    let (first, rev1) = side(
        "package1_hash",
        "package1_name",
        &args.package1_name,
        &args.registry,
        &args.package1_hash,
    )?;
    let (second, rev2) = side(
        "package2_hash",
        "package2_name",
        &args.package2_name,
        &args.registry,
        &args.package2_hash,
    )?;
    let (one, two) = tokio::join!(
        fetch_flat(ctx, &first, &rev1),
        fetch_flat(ctx, &second, &rev2)
    );
    let ((revision1, entries1), (revision2, entries2)) = (one?, two?);
    let hash = |r: &Value| {
        r.get("hash")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let mut result = diff_entries(&entries1, &entries2);
    result["package1"] = json!({ "name": first.name, "hash": hash(&revision1), "modified": revision1.get("modified") });
    result["package2"] = json!({ "name": second.name, "hash": hash(&revision2), "modified": revision2.get("modified") });
    result["registry"] = json!(format!("s3://{}", first.bucket));
    result["identical"] = json!(hash(&revision1) == hash(&revision2));
    let null = Value::Null;
    result["metadata"] = diff_metadata(
        revision1.get("userMeta").unwrap_or(&null),
        revision2.get("userMeta").unwrap_or(&null),
    );
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(hash: &str, size: u64) -> FlatEntry {
        FlatEntry {
            physical_key: Some(format!("s3://b/{hash}")),
            size: Some(size),
            hash: Some(hash.into()),
            raw: Value::Null,
        }
    }

    #[test]
    fn added_removed_modified_and_unchanged() {
        let before: BTreeMap<_, _> = [
            ("a", entry("1", 1)),
            ("b", entry("2", 2)),
            ("c", entry("3", 3)),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        let after: BTreeMap<_, _> = [
            ("a", entry("1", 1)),
            ("b", entry("9", 5)),
            ("d", entry("4", 4)),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        let diff = diff_entries(&before, &after);
        assert_eq!(
            diff["counts"],
            json!({"added": 1, "removed": 1, "modified": 1, "unchanged": 1})
        );
        assert_eq!(
            diff["modified"][0],
            json!({"logical_key": "b", "size_before": 2, "size_after": 5})
        );
        let meta = diff_metadata(&json!({"x": 1, "y": 2}), &json!({"y": 3, "z": 4}));
        assert_eq!(
            meta,
            json!({"added": {"z": 4}, "removed": {"x": 1}, "changed": {"y": {"before": 2, "after": 3}}})
        );
    }
}
