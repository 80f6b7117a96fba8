//! The registry's search proxy (`GET /api/search?index=…&action=freeform&body=…`), run over
//! the model as an Elasticsearch index of it would answer.
//!
//! Each bucket has two indices, as Quilt's indexer writes them: `<bucket>` with one document
//! per current object (key, size, times, extension and the first KiB of text content), and
//! `<bucket>_packages` with a `ptr` document per package tag, a `mnfst` document per revision
//! and an `entry` document per file of the latest revision. One deviation, for agents' sake:
//! a `ptr` document also matches on its latest revision's message and metadata (the real
//! index reaches those through its parent `mnfst` document).
//!
//! The query DSL understood: `query_string` (words, `"phrases"`, `field:value`, `*`/`?`
//! wildcards, `AND`/`OR`/`NOT`, `+`/`-`, parentheses, backslash escapes), `bool` (`must`,
//! `filter`, `should`, `must_not`), `exists`, `match_all`, `term`/`terms`, `range`,
//! `wildcard`; `from`/`size`; and a `terms` aggregation on `_index`. Anything else is the
//! search engine's `parsing_exception`.

mod query_string;

use http::StatusCode;
use serde_json::{Map, Value, json};

use super::fault::Prepared;
use super::model::{Model, User, registry_time, sha256_hex};
use super::registry::json_answer;
use query_string::Expr;

/// How much of an object's text is indexed, as Quilt's default `indexContentBytes`.
const CONTENT_BYTES: usize = 1024;

/// One indexed document.
struct Doc {
    index: String,
    id: String,
    source: Value,
    /// Field → text the query matches against.
    text: Vec<(&'static str, String)>,
}

/// Answers one search request for `user`. The bool says whether it was a supported request.
pub(crate) fn answer(model: &Model, user: &User, query: &[(String, String)]) -> (Prepared, bool) {
    let param = |name: &str| {
        query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let action = param("action").unwrap_or("freeform");
    if action != "freeform" {
        return (
            engine_error(
                "illegal_argument_exception",
                &format!(
                    "action {action:?} is not supported by the embedded catalog; use freeform"
                ),
            ),
            false,
        );
    }
    let indices: Vec<&str> = param("index")
        .unwrap_or_default()
        .split(',')
        .filter(|s| !s.is_empty())
        .collect();
    if indices.is_empty() {
        return (
            json_answer(
                StatusCode::BAD_REQUEST,
                &json!({ "message": "index is required" }),
            ),
            true,
        );
    }
    for index in &indices {
        let bucket = index.strip_suffix("_packages").unwrap_or(index);
        if index.contains('*')
            || *index == "_all"
            || model.bucket(bucket).is_none()
            || !model.can_read(user, bucket)
        {
            let body = json!({ "message": format!("403 Forbidden: index {index} is not allowed for this user") });
            return (json_answer(StatusCode::FORBIDDEN, &body), true);
        }
    }
    let body: Value = match param("body").map(serde_json::from_str) {
        Some(Ok(body)) => body,
        Some(Err(e)) => {
            return (
                engine_error("parsing_exception", &format!("the body is not JSON: {e}")),
                true,
            );
        }
        None => json!({}),
    };
    let clause = body
        .get("query")
        .cloned()
        .unwrap_or(json!({ "match_all": {} }));
    let docs: Vec<Doc> = indices
        .iter()
        .flat_map(|index| documents(model, index))
        .collect();
    let mut hits = Vec::new();
    for doc in &docs {
        match score(&clause, doc) {
            Ok(Some(s)) => hits.push((s, doc)),
            Ok(None) => {}
            Err(reason) => return (engine_error("parsing_exception", &reason), true),
        }
    }
    hits.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.id.cmp(&b.1.id)));
    let size = body
        .get("size")
        .and_then(Value::as_u64)
        .or_else(|| param("size").and_then(|s| s.parse().ok()))
        .unwrap_or(10) as usize;
    let from = body.get("from").and_then(Value::as_u64).unwrap_or(0) as usize;
    let page: Vec<Value> = hits
        .iter()
        .skip(from)
        .take(size)
        .map(|(s, d)| json!({ "_index": d.index, "_id": d.id, "_score": s, "_source": d.source }))
        .collect();
    let mut answer = json!({
        "took": 1, "timed_out": false,
        "_shards": { "total": indices.len(), "successful": indices.len(), "skipped": 0, "failed": 0 },
        "hits": { "total": { "value": hits.len(), "relation": "eq" },
                  "max_score": hits.first().map(|h| h.0), "hits": page },
    });
    if let Some(aggs) = body
        .get("aggs")
        .or_else(|| body.get("aggregations"))
        .and_then(Value::as_object)
    {
        let mut out = Map::new();
        for (name, agg) in aggs {
            if agg.pointer("/terms/field").and_then(Value::as_str) != Some("_index") {
                return (
                    engine_error(
                        "parsing_exception",
                        &format!(
                            "aggregation {name:?}: only a terms aggregation on _index is supported"
                        ),
                    ),
                    false,
                );
            }
            let buckets: Vec<Value> = indices
                .iter()
                .map(|index| (index, hits.iter().filter(|h| h.1.index == *index).count()))
                .filter(|(_, n)| *n > 0)
                .map(|(index, n)| json!({ "key": index, "doc_count": n }))
                .collect();
            out.insert(name.clone(), json!({ "buckets": buckets }));
        }
        answer["aggregations"] = Value::Object(out);
    }
    (json_answer(StatusCode::OK, &answer), true)
}

/// How well one package revision matches a GraphQL package search's `searchString` (`None`:
/// no match), with the same query-string engine and ranking as the proxy's package documents:
/// its name, message and metadata, every word required. An empty string matches everything.
pub(crate) fn package_score(
    name: &str,
    revision: &super::model::Revision,
    search: &str,
) -> Result<Option<f64>, String> {
    if search.trim().is_empty() {
        return Ok(Some(1.0));
    }
    let expr = Expr::parse(search, false)?;
    let text = vec![
        ("ptr_name", name.to_string()),
        (
            "mnfst_message",
            revision.message.clone().unwrap_or_default(),
        ),
        ("mnfst_metadata", revision.user_meta.to_string()),
    ];
    Ok(expr.score(&text))
}

/// The search engine's error, passed through by the registry with HTTP 200.
fn engine_error(kind: &str, reason: &str) -> Prepared {
    json_answer(
        StatusCode::OK,
        &json!({ "error": { "root_cause": [{ "type": kind, "reason": reason }], "type": kind, "reason": reason }, "status": 400 }),
    )
}

fn iso(unix: i64) -> String {
    registry_time(unix)
}

/// The documents of one index.
fn documents(model: &Model, index: &str) -> Vec<Doc> {
    let mut docs = Vec::new();
    if let Some(bucket) = index.strip_suffix("_packages") {
        for package in model.packages.values().filter(|p| p.bucket == bucket) {
            let Some(latest) = package.latest() else {
                continue;
            };
            let meta_text = latest.user_meta.to_string();
            let message = latest.message.clone().unwrap_or_default();
            let mut tags: Vec<(&str, &str)> = vec![("latest", latest.hash.as_str())];
            tags.extend(package.tags.iter().map(|(t, h)| (t.as_str(), h.as_str())));
            for (tag, hash) in tags {
                let modified = package
                    .revision(hash)
                    .map(|r| r.modified)
                    .unwrap_or_default();
                docs.push(Doc {
                    index: index.into(),
                    id: format!("ptr:{}", sha256_hex(format!("{}/{tag}", package.name).as_bytes())),
                    source: json!({ "join_field": { "name": "ptr", "parent": format!("mnfst:{hash}") },
                                    "ptr_name": package.name, "ptr_tag": tag, "ptr_last_modified": iso(modified) }),
                    text: vec![("ptr_name", package.name.clone()), ("ptr_tag", tag.to_string()),
                               ("mnfst_message", message.clone()), ("mnfst_metadata", meta_text.clone())],
                });
            }
            for revision in &package.revisions {
                let metadata = revision.user_meta.to_string();
                docs.push(Doc {
                    index: index.into(),
                    id: format!("mnfst:{}", revision.hash),
                    source: json!({ "join_field": { "name": "mnfst" }, "mnfst_hash": revision.hash,
                        "mnfst_message": revision.message, "mnfst_metadata": metadata,
                        "mnfst_stats": { "total_bytes": revision.total_bytes(), "total_files": revision.entries.len() },
                        "mnfst_workflow": revision.workflow, "mnfst_last_modified": iso(revision.modified)}),
                    text: vec![("mnfst_message", revision.message.clone().unwrap_or_default()),
                               ("mnfst_metadata", metadata), ("mnfst_hash", revision.hash.clone())],
                });
            }
            for (key, entry) in &latest.entries {
                docs.push(Doc {
                    index: index.into(),
                    id: format!("entry:{}:{key}", latest.hash),
                    source: json!({ "join_field": { "name": "entry", "parent": format!("mnfst:{}", latest.hash) },
                        "entry_lk": key, "entry_pk": entry.physical_key(), "entry_size": entry.size,
                        "entry_hash": { "type": "SHA256", "value": entry.sha256 }, "entry_metadata": entry.meta.to_string() }),
                    text: vec![("entry_lk", key.clone()), ("entry_pk", entry.physical_key())],
                });
            }
        }
    } else if let Some(objects) = model.objects.get(index) {
        let packaged: std::collections::HashSet<&str> = model
            .packages
            .values()
            .filter_map(|p| p.latest())
            .flat_map(|r| r.entries.values())
            .filter(|e| e.bucket == index)
            .map(|e| e.key.as_str())
            .collect();
        for (key, versions) in objects {
            let Some(current) = versions.last() else {
                continue;
            };
            let ext = key
                .rsplit_once('.')
                .map(|(_, e)| format!(".{e}"))
                .unwrap_or_default();
            let content = text_content(&current.bytes);
            docs.push(Doc {
                index: index.into(),
                id: format!("{key}:{}", current.version_id),
                source: json!({ "key": key, "version_id": current.version_id, "size": current.size(),
                    "last_modified": iso(current.modified), "etag": current.etag, "ext": ext,
                    "content": content, "delete_marker": false, "event": "ObjectCreated:Put",
                    "updated": iso(current.modified), "s3_tags": null, "was_packaged": packaged.contains(key.as_str()) }),
                text: vec![("key", key.clone()), ("ext", ext.clone()), ("content", content)],
            });
        }
    }
    docs
}

/// The first KiB of an object if it is text (UTF-8 without NULs), else "".
fn text_content(bytes: &[u8]) -> String {
    let head = &bytes[..bytes.len().min(CONTENT_BYTES)];
    if head.contains(&0) {
        return String::new();
    }
    match std::str::from_utf8(head) {
        Ok(text) => text.to_string(),
        // Cut in the middle of a character: keep what came before it.
        Err(e) if e.error_len().is_none() => {
            String::from_utf8_lossy(&head[..e.valid_up_to()]).into_owned()
        }
        Err(_) => String::new(),
    }
}

/// The document's value of `field` (a top-level source key), for filters.
fn field_value<'d>(doc: &'d Doc, field: &str) -> Option<&'d Value> {
    doc.source.get(field).filter(|v| !v.is_null())
}

/// The score of `doc` under `clause`, `None` if it does not match.
fn score(clause: &Value, doc: &Doc) -> Result<Option<f64>, String> {
    let Some((kind, spec)) = clause.as_object().and_then(|o| o.iter().next()) else {
        return Err(format!(
            "a query clause must be an object with one key, got {clause}"
        ));
    };
    let yes = |matched: bool| Ok(matched.then_some(0.0));
    match kind.as_str() {
        "match_all" => Ok(Some(1.0)),
        "query_string" => {
            let text = spec
                .get("query")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let or = spec
                .get("default_operator")
                .and_then(Value::as_str)
                .is_some_and(|o| o.eq_ignore_ascii_case("or"));
            let expr = Expr::parse(text, or)
                .map_err(|e| format!("Failed to parse query [{text}]: {e}"))?;
            Ok(expr.score(&doc.text))
        }
        "exists" => yes(spec
            .get("field")
            .and_then(Value::as_str)
            .is_some_and(|f| field_value(doc, f).is_some())),
        "bool" => {
            let list = |name: &str| -> Vec<Value> {
                match spec.get(name) {
                    Some(Value::Array(items)) => items.clone(),
                    Some(single @ Value::Object(_)) => vec![single.clone()],
                    _ => Vec::new(),
                }
            };
            let mut total = 0.0;
            for c in list("must").iter().chain(&list("filter")) {
                match score(c, doc)? {
                    Some(s) => total += s,
                    None => return Ok(None),
                }
            }
            for c in list("must_not") {
                if score(&c, doc)?.is_some() {
                    return Ok(None);
                }
            }
            let should = list("should");
            let mut any = should.is_empty();
            for c in &should {
                if let Some(s) = score(c, doc)? {
                    total += s;
                    any = true;
                }
            }
            Ok(any.then_some(total.max(if list("must").is_empty() { 1.0 } else { 0.0 })))
        }
        "term" | "terms" | "range" | "wildcard" | "prefix" => {
            let Some((field, wanted)) = spec.as_object().and_then(|o| o.iter().next()) else {
                return Err(format!("{kind} needs a field"));
            };
            let value = field_value(doc, field);
            let as_text = |v: &Value| {
                v.as_str()
                    .map(str::to_lowercase)
                    .unwrap_or_else(|| v.to_string())
            };
            let matched = match kind.as_str() {
                "term" => value
                    .is_some_and(|v| as_text(v) == as_text(wanted.get("value").unwrap_or(wanted))),
                "terms" => value.is_some_and(|v| {
                    wanted
                        .as_array()
                        .is_some_and(|w| w.iter().any(|x| as_text(x) == as_text(v)))
                }),
                "wildcard" | "prefix" => {
                    let pattern = as_text(wanted.get("value").unwrap_or(wanted));
                    let pattern = if kind == "prefix" {
                        format!("{pattern}*")
                    } else {
                        pattern
                    };
                    value.is_some_and(|v| query_string::glob(&pattern, &as_text(v)))
                }
                _ => value.is_some_and(|v| in_range(v, wanted)),
            };
            yes(matched)
        }
        other => Err(format!("unknown query [{other}]")),
    }
}

/// `range` bounds (`gte`, `gt`, `lte`, `lt`) on a number or an RFC 3339 time.
fn in_range(value: &Value, bounds: &Value) -> bool {
    let number = |v: &Value| {
        v.as_f64().or_else(|| {
            v.as_str()
                .and_then(crate::time::parse_rfc3339)
                .map(|t| t as f64)
        })
    };
    let Some(x) = number(value) else { return false };
    let bound = |name: &str| bounds.get(name).and_then(number);
    bound("gte").is_none_or(|b| x >= b)
        && bound("gt").is_none_or(|b| x > b)
        && bound("lte").is_none_or(|b| x <= b)
        && bound("lt").is_none_or(|b| x < b)
}
