//! The registry's GraphQL package search (`searchPackages`, `searchMorePackages`) over the
//! model, with the proxy model's query engine and ranking (`mock::search::package_score`).
//!
//! Both releases: from August 2026 `firstPage(size, ordering: PackageOrdering)` answers the
//! union `PackagesFirstPageResult` (a bad `ordering` is its `InvalidInput` arm); before,
//! `firstPage(size, order: SearchResultOrder)` answers the page itself. The GraphQL face
//! validates each request against its release's schema, so only the right form reaches here.
//! Only buckets the caller can read are searched, on every page: a cursor carries the search,
//! never access. Cursors are the search, its order and the next offset, as base64 JSON (the
//! registry's are opaque too); a cursor that does not decode is the `InvalidInput` arm.

use std::cmp::Ordering;

use apollo_compiler::resolvers::{FieldError, ResolveInfo, ResolvedValue};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::query::visible_buckets;
use super::{Ctx, Node, invalid_input, json_field, object, operation_error, refuse};
use crate::mock::model::{Model, Package, Release, Revision, User, registry_time};
use crate::mock::search::package_score;

/// What a cursor starts with, so one from elsewhere is told apart at once.
const CURSOR_PREFIX: &str = "mock-packages:";
/// The page sizes the registry serves.
const MAX_PAGE: i64 = 1000;

/// One package search: what the result set and its cursors carry.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct PackageSearch {
    buckets: Option<Vec<String>>,
    search: String,
    latest_only: bool,
}

/// What a search is sorted by.
#[derive(Clone, Debug, Serialize, Deserialize)]
enum Key {
    Score,
    Modified,
    Name,
    Size,
    Entries,
    Hash,
    Workflow,
    /// A user-metadata value at a JSON pointer, read as a facet type.
    User {
        pointer: String,
        kind: String,
    },
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct Sort {
    key: Key,
    desc: bool,
}

const RELEVANCE: Sort = Sort {
    key: Key::Score,
    desc: true,
};

/// The cursor's content.
#[derive(Serialize, Deserialize)]
struct Cursor {
    search: PackageSearch,
    sort: Sort,
    offset: usize,
}

/// One matching revision.
struct Found<'m> {
    score: f64,
    package: &'m Package,
    revision: &'m Revision,
}

/// `Query.searchPackages` and `Query.searchMorePackages`.
pub(super) fn root<'a, 'm: 'a>(
    ctx: &'a Ctx<'m>,
    field: &str,
    args: &Value,
    info: &'a ResolveInfo<'a>,
) -> Result<ResolvedValue<'a>, FieldError> {
    let value = if field == "searchPackages" {
        match search_packages(ctx, args) {
            Ok(search) => return Ok(object(ctx, Node::PackageSearch(Box::new(search)))),
            Err(arm) => arm,
        }
    } else {
        more_packages(ctx, args)
    };
    Ok(json_field(ctx, info, value))
}

/// The search named by `searchPackages`' arguments, or the union arm that refuses it.
fn search_packages(ctx: &Ctx<'_>, args: &Value) -> Result<PackageSearch, Value> {
    for unmodeled in ["filter", "userMetaFilters"] {
        if args.get(unmodeled).is_some_and(|v| !v.is_null()) {
            return Err(operation_error(
                "Unsupported",
                &format!("the embedded catalog does not model `{unmodeled}`"),
            ));
        }
    }
    let buckets = args.get("buckets").and_then(Value::as_array).map(|list| {
        list.iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect()
    });
    let search = PackageSearch {
        buckets,
        search: super::text(args, "searchString").to_string(),
        latest_only: args
            .get("latestOnly")
            .and_then(Value::as_bool)
            .unwrap_or(false),
    };
    let model = ctx.model();
    if searched_buckets(&model, &ctx.caller, &search).is_empty() {
        return Err(json!({ "__typename": "EmptySearchResultSet", "_": null }));
    }
    // A search string the engine cannot parse is refused here, before any page.
    found(&model, &ctx.caller, &search)
        .map_err(|e| invalid_input("searchString", "QuerySyntaxError", &e))?;
    Ok(search)
}

/// A field of `PackagesSearchResultSet`: `total`, or `firstPage` in the release's form.
pub(super) fn result_set_field<'a, 'm: 'a>(
    ctx: &'a Ctx<'m>,
    search: &PackageSearch,
    field: &str,
    args: &Value,
    info: &'a ResolveInfo<'a>,
) -> Result<ResolvedValue<'a>, FieldError> {
    let model = ctx.model();
    let found = found(&model, &ctx.caller, search).map_err(refuse)?;
    let value = match field {
        "total" => Value::from(found.len()),
        "firstPage" => {
            let sort = match model.stack.release {
                Release::August2026 => match args.get("ordering") {
                    None | Some(Value::Null) => Ok(RELEVANCE),
                    Some(Value::String(expression)) => parse_ordering(expression),
                    Some(other) => Err(unparseable(&other.to_string())),
                },
                Release::January2026 => Ok(january_order(super::text(args, "order"))),
            };
            match sort {
                Ok(sort) => page(found, search, &sort, 0, args),
                Err(arm) => arm,
            }
        }
        _ => {
            return Err(refuse(format!(
                "the embedded catalog does not resolve PackagesSearchResultSet.{field}"
            )));
        }
    };
    drop(model);
    Ok(json_field(ctx, info, value))
}

/// `searchMorePackages(after, size)`: the page after a cursor, for the current caller.
fn more_packages(ctx: &Ctx<'_>, args: &Value) -> Value {
    let Some(cursor) = decode(super::text(args, "after")) else {
        return invalid_input(
            "after",
            "InvalidCursor",
            "not a cursor from this catalog's package search",
        );
    };
    let model = ctx.model();
    match found(&model, &ctx.caller, &cursor.search) {
        Ok(found) => page(found, &cursor.search, &cursor.sort, cursor.offset, args),
        Err(e) => invalid_input("after", "InvalidCursor", &e),
    }
}

/// The buckets a search covers for `caller`: those named (or all) that they can read.
fn searched_buckets(model: &Model, caller: &User, search: &PackageSearch) -> Vec<String> {
    visible_buckets(model, caller)
        .into_iter()
        .map(|b| b.name.clone())
        .filter(|b| {
            search
                .buckets
                .as_ref()
                .is_none_or(|named| named.contains(b))
        })
        .collect()
}

/// Every revision the search matches (only latest ones with `latestOnly`), unsorted.
fn found<'m>(
    model: &'m Model,
    caller: &User,
    search: &PackageSearch,
) -> Result<Vec<Found<'m>>, String> {
    let buckets = searched_buckets(model, caller, search);
    let mut out = Vec::new();
    for package in model.packages.values() {
        if !buckets.contains(&package.bucket) {
            continue;
        }
        let revisions: Vec<&Revision> = if search.latest_only {
            package.latest().into_iter().collect()
        } else {
            package.revisions.iter().collect()
        };
        for revision in revisions {
            if let Some(score) = package_score(&package.name, revision, &search.search)? {
                out.push(Found {
                    score,
                    package,
                    revision,
                });
            }
        }
    }
    Ok(out)
}

/// One page from `offset`, sorted, with the cursor of the next one (null on the last).
fn page(
    mut found: Vec<Found<'_>>,
    search: &PackageSearch,
    sort: &Sort,
    offset: usize,
    args: &Value,
) -> Value {
    let size = args.get("size").and_then(Value::as_i64).unwrap_or(30);
    if !(1..=MAX_PAGE).contains(&size) {
        return invalid_input(
            "size",
            "InvalidSize",
            &format!("size must be between 1 and {MAX_PAGE}"),
        );
    }
    let size = size as usize;
    found.sort_by(|a, b| compare(sort, a, b));
    let end = offset.saturating_add(size);
    let cursor = (end < found.len()).then(|| {
        encode(&Cursor {
            search: search.clone(),
            sort: sort.clone(),
            offset: end,
        })
    });
    let hits: Vec<Value> = found.iter().skip(offset).take(size).map(hit).collect();
    json!({ "__typename": "PackagesSearchResultSetPage", "cursor": cursor, "hits": hits })
}

fn hit(found: &Found<'_>) -> Value {
    let (package, revision) = (found.package, found.revision);
    let latest = package.latest().is_some_and(|l| l.hash == revision.hash);
    json!({
        "__typename": "SearchHitPackage",
        "id": format!("{}/{}@{}", package.bucket, package.name, revision.hash),
        "score": found.score, "bucket": package.bucket, "name": package.name,
        "pointer": if latest { "latest" } else { revision.hash.as_str() },
        "hash": revision.hash, "size": revision.total_bytes(),
        "modified": registry_time(revision.modified),
        "totalEntriesCount": revision.entries.len(), "comment": revision.message,
        "meta": revision.user_meta.to_string(), "workflow": revision.workflow,
        "matchingEntries": [],
    })
}

/// Orders two hits by `sort`, then by bucket, name and hash so pages never overlap. A user
/// metadata value that is missing (or not of the named type) sorts last either way.
fn compare(sort: &Sort, a: &Found<'_>, b: &Found<'_>) -> Ordering {
    let directed = |o: Ordering| if sort.desc { o.reverse() } else { o };
    let primary = match &sort.key {
        Key::Score => directed(a.score.total_cmp(&b.score)),
        Key::Modified => directed(a.revision.modified.cmp(&b.revision.modified)),
        Key::Name => directed(a.package.name.cmp(&b.package.name)),
        Key::Size => directed(a.revision.total_bytes().cmp(&b.revision.total_bytes())),
        Key::Entries => directed(a.revision.entries.len().cmp(&b.revision.entries.len())),
        Key::Hash => directed(a.revision.hash.cmp(&b.revision.hash)),
        Key::Workflow => directed(workflow_id(a).cmp(&workflow_id(b))),
        Key::User { pointer, kind } => {
            match (user_value(a, pointer, kind), user_value(b, pointer, kind)) {
                (Some(x), Some(y)) => directed(x.partial_cmp(&y).unwrap_or(Ordering::Equal)),
                (Some(_), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
                (None, None) => Ordering::Equal,
            }
        }
    };
    primary
        .then_with(|| a.package.bucket.cmp(&b.package.bucket))
        .then_with(|| a.package.name.cmp(&b.package.name))
        .then_with(|| a.revision.hash.cmp(&b.revision.hash))
}

fn workflow_id(found: &Found<'_>) -> String {
    let workflow = found.revision.workflow.as_ref();
    let id = workflow.and_then(|w| w.get("id")).and_then(Value::as_str);
    id.unwrap_or_default().to_string()
}

/// A user-metadata value as a sortable value of its facet type.
#[derive(PartialEq, PartialOrd)]
enum Sortable {
    Number(f64),
    Text(String),
    Flag(bool),
}

fn user_value(found: &Found<'_>, pointer: &str, kind: &str) -> Option<Sortable> {
    let value = found.revision.user_meta.pointer(pointer)?;
    match kind {
        "number" => value.as_f64().map(Sortable::Number),
        "boolean" => value.as_bool().map(Sortable::Flag),
        _ => value.as_str().map(|s| Sortable::Text(s.to_string())),
    }
}

/// The August 2026 `PackageOrdering` grammar: `sys:<field>:<dir>` or
/// `usr:<pointer>:<type>:<dir>` (right-anchored), lowercase and exact.
fn parse_ordering(expression: &str) -> Result<Sort, Value> {
    let bad = || Err(unparseable(expression));
    let (rest, dir) = match expression.rsplit_once(':') {
        Some((rest, "asc")) => (rest, false),
        Some((rest, "desc")) => (rest, true),
        _ => return bad(),
    };
    let key = if let Some(field) = rest.strip_prefix("sys:") {
        match field {
            "name" => Key::Name,
            "modified" => Key::Modified,
            "size" => Key::Size,
            "entries" => Key::Entries,
            "hash" => Key::Hash,
            "workflow" => Key::Workflow,
            "comment" => {
                return Err(invalid_input(
                    "ordering",
                    "UnsupportedSort",
                    "sys:comment cannot be sorted on: the comment has no keyword subfield yet",
                ));
            }
            _ => return bad(),
        }
    } else if let Some(rest) = rest.strip_prefix("usr:") {
        match rest.rsplit_once(':') {
            Some((pointer, kind))
                if pointer.starts_with('/')
                    && ["number", "datetime", "keyword", "text", "boolean"].contains(&kind) =>
            {
                Key::User {
                    pointer: pointer.to_string(),
                    kind: kind.to_string(),
                }
            }
            _ => return bad(),
        }
    } else {
        return bad();
    };
    Ok(Sort { key, desc: dir })
}

fn unparseable(expression: &str) -> Value {
    invalid_input(
        "ordering",
        "ordering",
        &format!(
            "cannot parse {expression:?}: expected `sys:<name|modified|size|entries|hash|workflow|comment>:<asc|desc>` or `usr:<json-pointer>:<number|datetime|keyword|text|boolean>:<asc|desc>`"
        ),
    )
}

/// A `SearchResultOrder` (before August 2026); validation admits only its values.
fn january_order(order: &str) -> Sort {
    let (key, desc) = match order {
        "NEWEST" => (Key::Modified, true),
        "OLDEST" => (Key::Modified, false),
        "LEX_ASC" => (Key::Name, false),
        "LEX_DESC" => (Key::Name, true),
        _ => (Key::Score, true),
    };
    Sort { key, desc }
}

fn encode(cursor: &Cursor) -> String {
    let text = serde_json::to_vec(cursor).unwrap_or_default();
    format!("{CURSOR_PREFIX}{}", URL_SAFE_NO_PAD.encode(text))
}

fn decode(text: &str) -> Option<Cursor> {
    let bytes = URL_SAFE_NO_PAD
        .decode(text.strip_prefix(CURSOR_PREFIX)?)
        .ok()?;
    serde_json::from_slice(&bytes).ok()
}
