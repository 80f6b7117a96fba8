//! Mutation resolvers: browsing sessions, package pushes and deletes, Tabulator tables.

use apollo_compiler::resolvers::{FieldError, ResolveInfo, ResolvedValue};
use serde_json::{Value, json};

use super::query::bucket_json;
use super::{Ctx, Node, invalid_input, json_field, object, operation_error, refuse, text};
use crate::mock::model::packages_error::PushError;
use crate::mock::model::{Model, PushEntry, PushParams, registry_time};
use crate::time::unix_now;

pub(super) fn field<'a, 'm: 'a>(
    ctx: &'a Ctx<'m>,
    node: &Node,
    field: &str,
    args: &Value,
    info: &'a ResolveInfo<'a>,
) -> Result<ResolvedValue<'a>, FieldError> {
    if let Node::PushSuccess { bucket, name, hash } = node {
        return Ok(match field {
            "package" => object(
                ctx,
                Node::Package {
                    bucket: bucket.clone(),
                    name: name.clone(),
                },
            ),
            "revision" => object(
                ctx,
                Node::Revision {
                    bucket: bucket.clone(),
                    name: name.clone(),
                    hash: hash.clone(),
                },
            ),
            _ => {
                return Err(refuse(format!(
                    "PackagePushSuccess.{field} is not supported"
                )));
            }
        });
    }
    let caller = ctx.caller.clone();
    let mut model = ctx.model();
    let value = match field {
        "browsingSessionCreate" => browsing_session(&mut model, caller.id, args),
        "packageConstruct" => {
            let params = push_params(args);
            let entries = construct_entries(args);
            let (bucket, name) = (params.bucket.clone(), params.name.clone());
            match model.construct(caller.id, params, entries) {
                Ok(hash) => {
                    drop(model);
                    return Ok(object(ctx, Node::PushSuccess { bucket, name, hash }));
                }
                Err(e) => push_error(e),
            }
        }
        "packagePromote" => {
            let params = push_params(args);
            let src = args.get("src").cloned().unwrap_or(Value::Null);
            let source = (text(&src, "bucket"), text(&src, "name"), text(&src, "hash"));
            let dest_prefix = args.get("destPrefix").and_then(Value::as_str);
            let (bucket, name) = (params.bucket.clone(), params.name.clone());
            match model.promote(caller.id, params, source, dest_prefix) {
                Ok(hash) => {
                    drop(model);
                    return Ok(object(ctx, Node::PushSuccess { bucket, name, hash }));
                }
                Err(e) => push_error(e),
            }
        }
        "packageRevisionDelete" => {
            match model.delete_revision(
                caller.id,
                text(args, "bucket"),
                text(args, "name"),
                text(args, "hash"),
            ) {
                Ok(()) => json!({ "__typename": "PackageRevisionDeleteSuccess", "_": true }),
                Err(PushError::Failed(name, message)) => operation_error(name, &message),
                Err(PushError::Invalid(_, name, message)) => operation_error(name, &message),
            }
        }
        "restoreObject" => restore(&mut model, caller.id, args),
        "bucketSetTabulatorTable" | "bucketRenameTabulatorTable" if !caller.admin => {
            return Err(refuse("Forbidden"));
        }
        "bucketSetTabulatorTable" => set_table(&mut model, args),
        "bucketRenameTabulatorTable" => rename_table(&mut model, args),
        "admin" if !caller.admin => return Err(refuse("Forbidden")),
        "admin" => {
            drop(model);
            return Ok(object(ctx, Node::AdminMutations));
        }
        _ => {
            return Err(refuse(format!(
                "the embedded catalog does not resolve Mutation.{field}"
            )));
        }
    };
    drop(model);
    Ok(json_field(ctx, info, value))
}

fn push_params(args: &Value) -> PushParams {
    let params = args.get("params").cloned().unwrap_or(Value::Null);
    PushParams {
        bucket: text(&params, "bucket").to_string(),
        name: text(&params, "name").to_string(),
        message: params
            .get("message")
            .and_then(Value::as_str)
            .map(str::to_string),
        user_meta: params.get("userMeta").cloned().unwrap_or(Value::Null),
        workflow: params
            .get("workflow")
            .and_then(Value::as_str)
            .map(str::to_string),
    }
}

fn construct_entries(args: &Value) -> Vec<PushEntry> {
    args.pointer("/src/entries")
        .and_then(Value::as_array)
        .map(|entries| {
            entries
                .iter()
                .map(|e| PushEntry {
                    logical_key: text(e, "logicalKey").to_string(),
                    physical_key: text(e, "physicalKey").to_string(),
                    meta: e.get("meta").cloned().unwrap_or(Value::Null),
                })
                .collect()
        })
        .unwrap_or_default()
}

fn push_error(error: PushError) -> Value {
    match error {
        PushError::Invalid(path, name, message) => invalid_input(&path, name, &message),
        PushError::Failed(name, message) => operation_error(name, &message),
    }
}

/// `restoreObject(bucket, key, version, tier, days)`. The tier only changes how long S3
/// takes; the model's delay is the stack's `restore_delay_secs` for every tier.
fn restore(model: &mut Model, caller: i64, args: &Value) -> Value {
    let version = args.get("version").and_then(Value::as_str);
    let days = args.get("days").and_then(Value::as_i64).unwrap_or(0);
    let at = (text(args, "bucket"), text(args, "key"), version);
    match model.restore_object(caller, at, days, unix_now()) {
        Ok(already) => json!({ "__typename": "RestoreObjectSuccess", "alreadyRestored": already }),
        Err(e) => push_error(e),
    }
}

/// `browsingSessionCreate(scope: "quilt+s3://bucket#package=name@hash", ttl)`.
fn browsing_session(model: &mut Model, caller: i64, args: &Value) -> Value {
    let scope = text(args, "scope");
    let ttl = args
        .get("ttl")
        .and_then(Value::as_i64)
        .unwrap_or(180)
        .clamp(1, 3600);
    let parsed = scope
        .strip_prefix("quilt+s3://")
        .and_then(|rest| rest.split_once("#package="))
        .and_then(|(bucket, rest)| {
            let rest = rest.split('&').next().unwrap_or(rest);
            let (name, hash) = rest.split_once('@')?;
            Some((bucket.to_string(), name.to_string(), hash.to_string()))
        });
    let Some((bucket, name, hash)) = parsed else {
        return invalid_input(
            "scope",
            "InvalidScope",
            "scope must be quilt+s3://<bucket>#package=<name>@<top hash>",
        );
    };
    let Some(config) = model.bucket(&bucket) else {
        return operation_error(
            "BucketNotFound",
            &format!("Bucket {bucket} is not in this stack"),
        );
    };
    if !config.browsable {
        return operation_error(
            "BucketNotBrowsable",
            &format!("Bucket {bucket} is not browsable"),
        );
    }
    let readable = model
        .users
        .iter()
        .find(|u| u.id == caller)
        .is_some_and(|u| model.can_read(u, &bucket));
    if !readable {
        return operation_error("Forbidden", &format!("you may not read s3://{bucket}"));
    }
    let Some(revision) = model
        .package(&bucket, &name)
        .and_then(|p| p.revision(&hash))
    else {
        return invalid_input(
            "scope",
            "PackageNotFound",
            &format!("{name}@{hash} does not exist in s3://{bucket}"),
        );
    };
    let hash = revision.hash.clone();
    let id = format!("bs_{}", model.mint("session"));
    let expires = unix_now() + ttl;
    model.sessions.insert(
        id.clone(),
        crate::mock::model::BrowsingSession {
            owner: caller,
            bucket,
            package: name,
            hash,
            expires,
        },
    );
    json!({ "__typename": "BrowsingSession", "id": id, "expires": registry_time(expires) })
}

/// Table names the registry accepts.
fn valid_table_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// The registry checks a table's YAML and regular expressions; the model checks the parts an
/// agent gets wrong: the three sections, and balanced brackets in each pattern.
fn check_table_config(config: &str) -> Result<(), String> {
    for section in ["schema:", "source:", "parser:"] {
        if !config.lines().any(|l| l.trim_start().starts_with(section)) {
            return Err(format!("the configuration has no `{section}` section"));
        }
    }
    for line in config.lines() {
        let trimmed = line.trim();
        for key in ["package_name:", "logical_key:"] {
            if let Some(pattern) = trimmed.strip_prefix(key) {
                balanced(pattern.trim())
                    .map_err(|e| format!("source.{}: {e}", key.trim_end_matches(':')))?;
            }
        }
    }
    Ok(())
}

fn balanced(pattern: &str) -> Result<(), String> {
    let mut stack = Vec::new();
    let mut escaped = false;
    for (i, c) in pattern.chars().enumerate() {
        match (escaped, c) {
            (true, _) => escaped = false,
            (false, '\\') => escaped = true,
            (false, '(' | '[') => stack.push((c, i)),
            (false, ')') if stack.pop().map(|s| s.0) != Some('(') => {
                return Err(format!("unbalanced ) at position {i}"));
            }
            (false, ']') if stack.pop().map(|s| s.0) != Some('[') => {
                return Err(format!("unbalanced ] at position {i}"));
            }
            _ => {}
        }
    }
    match stack.pop() {
        Some(('(', at)) => Err(format!(
            "missing ), unterminated subpattern at position {at}"
        )),
        Some((_, at)) => Err(format!("unterminated character set at position {at}")),
        None => Ok(()),
    }
}

fn set_table(model: &mut Model, args: &Value) -> Value {
    let (bucket, table) = (text(args, "bucketName"), text(args, "tableName"));
    let config = args.get("config").and_then(Value::as_str);
    if !valid_table_name(table) {
        return invalid_input(
            "tableName",
            "InvalidTableName",
            "Table name must match ^[a-z0-9_]+$",
        );
    }
    let Some(index) = model.buckets.iter().position(|b| b.name == bucket) else {
        return operation_error(
            "BucketNotFound",
            &format!("Bucket {bucket} is not in this stack"),
        );
    };
    match config {
        None => {
            if model.buckets[index].tables.remove(table).is_none() {
                return operation_error(
                    "TableNotFound",
                    &format!("Table {table} does not exist in {bucket}"),
                );
            }
        }
        Some(config) => {
            if let Err(e) = check_table_config(config) {
                return invalid_input("config", "InvalidConfig", &e);
            }
            model.buckets[index]
                .tables
                .insert(table.to_string(), config.to_string());
        }
    }
    bucket_json(&model.buckets[index])
}

fn rename_table(model: &mut Model, args: &Value) -> Value {
    let (bucket, table, new) = (
        text(args, "bucketName"),
        text(args, "tableName"),
        text(args, "newTableName"),
    );
    if !valid_table_name(new) {
        return invalid_input(
            "newTableName",
            "InvalidTableName",
            "Table name must match ^[a-z0-9_]+$",
        );
    }
    let Some(index) = model.buckets.iter().position(|b| b.name == bucket) else {
        return operation_error(
            "BucketNotFound",
            &format!("Bucket {bucket} is not in this stack"),
        );
    };
    let tables = &mut model.buckets[index].tables;
    if tables.contains_key(new) {
        return invalid_input(
            "newTableName",
            "TableExists",
            &format!("Table {new} already exists in {bucket}"),
        );
    }
    let Some(config) = tables.remove(table) else {
        return operation_error(
            "TableNotFound",
            &format!("Table {table} does not exist in {bucket}"),
        );
    };
    tables.insert(new.to_string(), config);
    bucket_json(&model.buckets[index])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_with_open_groups_are_refused_where_they_break() {
        assert!(balanced(r"^team/(?<study>[^/]+)$").is_ok());
        assert_eq!(
            balanced("results/(?<x>[^/]+"),
            Err("missing ), unterminated subpattern at position 8".into())
        );
        assert!(balanced(r"a\(b").is_ok());
    }
}
