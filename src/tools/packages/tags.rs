//! The tags of a package's revisions. The registry's GraphQL resolves a tag to a revision but
//! lists none, so they come from the catalog's search index, which holds one pointer document
//! (`ptr_name`, `ptr_tag`, parent `mnfst:<top hash>`) per tag. Best effort: when search is
//! down or refuses, the history still answers, naming only `latest`, and says why.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::json;

use crate::tools::Ctx;
use crate::tools::packages::revision::PackageRef;
use crate::tools::search::query::{SearchAnswer, escape_query};

/// Pointer documents read per package: far more tags than a package has in practice.
const MAX_POINTERS: usize = 1000;

/// A pointer document's fields, as far as tags need them.
#[derive(Debug, Deserialize)]
struct Pointer {
    ptr_name: Option<String>,
    ptr_tag: Option<String>,
    join_field: Option<Join>,
}

#[derive(Debug, Deserialize)]
struct Join {
    parent: Option<String>,
}

/// Whether a pointer is a tag an agent names: quilt3 also writes a pointer named by the push's
/// Unix time for every revision, which only repeats the revision's date.
fn is_named_tag(tag: &str) -> bool {
    !tag.is_empty() && !tag.bytes().all(|b| b.is_ascii_digit())
}

/// Top hash → its tags (without `latest`, which the revision list itself decides), or why
/// they could not be read.
pub async fn revision_tags(
    ctx: &Ctx,
    package: &PackageRef,
) -> Result<BTreeMap<String, Vec<String>>, String> {
    // The name, escaped, narrows the search; the exact name is checked below, as the
    // engine's analysis of `/` and `-` may match more.
    let name = escape_query(&package.name);
    let body = json!({
        "size": MAX_POINTERS,
        "query": { "bool": { "must": [
            { "exists": { "field": "ptr_tag" } },
            { "query_string": { "query": format!("ptr_name:{name}"), "default_operator": "AND" } },
        ] } },
    })
    .to_string();
    let index = format!("{}_packages", package.bucket);
    let size = MAX_POINTERS.to_string();
    let query = [
        ("index", index.as_str()),
        ("action", "freeform"),
        ("body", body.as_str()),
        ("size", size.as_str()),
    ];
    let answer = ctx
        .state
        .catalog
        .search(ctx.on_behalf(), &query)
        .await
        .map_err(|e| {
            format!("tags other than latest are unknown: the search service failed ({e})")
        })?;
    let answer: SearchAnswer = serde_json::from_value(answer).map_err(|e| {
        format!("tags other than latest are unknown: unexpected search answer ({e})")
    })?;
    if answer.error.is_some() {
        return Err(
            "tags other than latest are unknown: the search service refused the query".into(),
        );
    }
    let mut tags: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for hit in answer.hits.hits {
        let Ok(pointer) = serde_json::from_value::<Pointer>(hit.source) else {
            continue;
        };
        let (Some(name), Some(tag), Some(parent)) = (
            pointer.ptr_name,
            pointer.ptr_tag,
            pointer.join_field.and_then(|j| j.parent),
        ) else {
            continue;
        };
        let Some(hash) = parent.strip_prefix("mnfst:") else {
            continue;
        };
        if name == package.name && tag != "latest" && is_named_tag(&tag) {
            tags.entry(hash.to_string()).or_default().push(tag);
        }
    }
    for list in tags.values_mut() {
        list.sort();
        list.dedup();
    }
    Ok(tags)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    #[test]
    fn timestamp_pointers_are_not_tags() {
        assert!(is_named_tag("v1.0"));
        assert!(is_named_tag("release-2026.04"));
        assert!(!is_named_tag("1697040000"));
        assert!(!is_named_tag(""));
    }

    #[test]
    fn pointer_documents_decode() {
        let doc: Value = json!({"ptr_name": "a/b", "ptr_tag": "v1",
            "join_field": {"name": "ptr", "parent": "mnfst:abc"}, "ptr_last_modified": "x"});
        let pointer: Pointer = serde_json::from_value(doc).unwrap();
        assert_eq!(pointer.ptr_tag.as_deref(), Some("v1"));
        assert_eq!(
            pointer.join_field.and_then(|j| j.parent).as_deref(),
            Some("mnfst:abc")
        );
    }
}
