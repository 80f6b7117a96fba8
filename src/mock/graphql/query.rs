//! Query resolvers: identity, buckets, packages and their revisions, folders and files.

use apollo_compiler::resolvers::{FieldError, ResolveInfo, ResolvedValue};
use serde_json::{Value, json};

use super::{Ctx, Node, json_field, object, operation_error, refuse, text};
use crate::mock::model::packages_folder as folder;
use crate::mock::model::{Bucket, Model, Revision, User, registry_time};

/// A bucket as `BucketConfig`.
pub(super) fn bucket_json(bucket: &Bucket) -> Value {
    let tables: Vec<Value> = bucket
        .tables
        .iter()
        .map(|(name, config)| json!({ "__typename": "TabulatorTable", "name": name, "config": config }))
        .collect();
    json!({
        "__typename": "BucketConfig",
        "name": bucket.name, "title": bucket.title, "description": bucket.description,
        "iconUrl": bucket.icon_url, "overviewUrl": bucket.overview_url,
        "tags": bucket.tags, "relevanceScore": bucket.relevance_score,
        "lastIndexed": bucket.last_indexed.map(registry_time), "browsable": bucket.browsable,
        "tabulatorTables": tables,
        "snsNotificationArn": null, "scannerParallelShardsDepth": null, "skipMetaDataIndexing": false,
        "fileExtensionsToIndex": null, "indexContentBytes": null, "prefixes": [],
    })
}

/// Buckets the caller sees in `bucketConfigs`: admins every bucket (the registry's admin
/// bypass), others the ones their active role may read.
pub(super) fn visible_buckets<'m>(model: &'m Model, caller: &User) -> Vec<&'m Bucket> {
    if caller.admin {
        model.buckets.iter().collect()
    } else {
        model.readable_buckets(caller)
    }
}

fn can_see(model: &Model, caller: &User, bucket: &str) -> bool {
    visible_buckets(model, caller)
        .iter()
        .any(|b| b.name == bucket)
}

pub(super) fn root<'a, 'm: 'a>(
    ctx: &'a Ctx<'m>,
    field: &str,
    args: &Value,
    info: &'a ResolveInfo<'a>,
) -> Result<ResolvedValue<'a>, FieldError> {
    let model = ctx.model();
    let caller = &ctx.caller;
    let value = match field {
        "me" => {
            let roles: Vec<Value> = caller
                .all_roles()
                .iter()
                .map(|r| json!({ "name": r }))
                .collect();
            json!({ "__typename": "Me", "name": caller.name, "email": caller.email, "isAdmin": caller.admin,
                    "role": { "name": caller.role }, "roles": roles })
        }
        "bucketConfigs" => Value::Array(
            visible_buckets(&model, caller)
                .into_iter()
                .map(bucket_json)
                .collect(),
        ),
        "bucketConfig" => visible_buckets(&model, caller)
            .into_iter()
            .find(|b| b.name == text(args, "name"))
            .map(bucket_json)
            .unwrap_or(Value::Null),
        "packages" => {
            let bucket = text(args, "bucket").to_string();
            if !can_see(&model, caller, &bucket) {
                return Ok(ResolvedValue::null());
            }
            let filter = args
                .get("filter")
                .and_then(Value::as_str)
                .map(str::to_string);
            return Ok(object(ctx, Node::PackageList { bucket, filter }));
        }
        "package" => {
            let (bucket, name) = (text(args, "bucket"), text(args, "name"));
            if !can_see(&model, caller, bucket) || model.package(bucket, name).is_none() {
                return Ok(ResolvedValue::null());
            }
            return Ok(object(
                ctx,
                Node::Package {
                    bucket: bucket.into(),
                    name: name.into(),
                },
            ));
        }
        "searchPackages" | "searchMorePackages" => {
            drop(model);
            return super::search::root(ctx, field, args, info);
        }
        "searchObjects" | "searchMoreObjects" => operation_error(
            "Unsupported",
            &format!(
                "{field} is not supported by the embedded catalog; search through GET /api/search"
            ),
        ),
        "admin" | "roles" if !caller.admin => return Err(refuse("Forbidden")),
        "admin" => return Ok(object(ctx, Node::AdminQueries)),
        "roles" => Value::Array(model.roles.iter().map(super::admin::role_json).collect()),
        _ => {
            return Err(refuse(format!(
                "the embedded catalog does not resolve Query.{field}"
            )));
        }
    };
    drop(model);
    Ok(json_field(ctx, info, value))
}

/// A revision's header fields as JSON.
fn revision_scalar(revision: &Revision, field: &str, args: &Value) -> Option<Value> {
    Some(match field {
        "hash" => json!(revision.hash),
        "modified" => json!(registry_time(revision.modified)),
        "message" => json!(revision.message),
        "metadata" => revision.metadata(),
        "userMeta" => revision.user_meta.clone(),
        "workflow" => revision
            .workflow
            .clone()
            .map(|mut w| {
                w["__typename"] = json!("PackageWorkflow");
                w
            })
            .unwrap_or(Value::Null),
        "totalEntries" => json!(revision.entries.len()),
        "totalBytes" => json!(revision.total_bytes()),
        "contentsFlatMap" => {
            let max = args.get("max").and_then(Value::as_u64).unwrap_or(1000) as usize;
            if revision.entries.len() > max {
                return Some(Value::Null);
            }
            let map: serde_json::Map<String, Value> = revision
                .entries
                .iter()
                .map(|(key, e)| {
                    (
                        key.clone(),
                        json!({ "physicalKey": e.physical_key(), "size": e.size,
                        "hash": { "type": "SHA256", "value": e.sha256 }, "meta": e.meta }),
                    )
                })
                .collect();
            Value::Object(map)
        }
        _ => return None,
    })
}

pub(super) fn package_field<'a, 'm: 'a>(
    ctx: &'a Ctx<'m>,
    node: &Node,
    field: &str,
    args: &Value,
    info: &'a ResolveInfo<'a>,
) -> Result<ResolvedValue<'a>, FieldError> {
    let model = ctx.model();
    let value = match node {
        Node::PackageList { bucket, filter } => {
            let needle = filter.as_deref().unwrap_or_default().to_lowercase();
            let mut packages: Vec<_> = model
                .packages
                .values()
                .filter(|p| &p.bucket == bucket && p.name.to_lowercase().contains(&needle))
                .collect();
            match field {
                "total" => json!(packages.len()),
                "page" => {
                    let number = args
                        .get("number")
                        .and_then(Value::as_u64)
                        .unwrap_or(1)
                        .max(1) as usize;
                    let per_page =
                        args.get("perPage").and_then(Value::as_u64).unwrap_or(30) as usize;
                    if text(args, "order") == "MODIFIED" {
                        packages.sort_by(|a, b| {
                            b.modified().cmp(&a.modified()).then(a.name.cmp(&b.name))
                        });
                    }
                    let page: Vec<Node> = packages
                        .into_iter()
                        .skip((number - 1).saturating_mul(per_page))
                        .take(per_page)
                        .map(|p| Node::Package {
                            bucket: p.bucket.clone(),
                            name: p.name.clone(),
                        })
                        .collect();
                    drop(model);
                    return Ok(ResolvedValue::list(
                        page.into_iter().map(|n| object(ctx, n)).collect::<Vec<_>>(),
                    ));
                }
                _ => return Err(refuse(format!("PackageList.{field} is not supported"))),
            }
        }
        Node::Package { bucket, name } => {
            let Some(package) = model.package(bucket, name) else {
                return Ok(ResolvedValue::null());
            };
            match field {
                "bucket" => json!(package.bucket),
                "name" => json!(package.name),
                "modified" => json!(registry_time(package.modified())),
                "revisions" => {
                    return Ok(object(
                        ctx,
                        Node::RevisionList {
                            bucket: bucket.clone(),
                            name: name.clone(),
                        },
                    ));
                }
                "revision" => {
                    let wanted = args
                        .get("hashOrTag")
                        .and_then(Value::as_str)
                        .unwrap_or("latest");
                    return Ok(match package.revision(wanted) {
                        Some(r) => object(
                            ctx,
                            Node::Revision {
                                bucket: bucket.clone(),
                                name: name.clone(),
                                hash: r.hash.clone(),
                            },
                        ),
                        None => ResolvedValue::null(),
                    });
                }
                _ => return Err(refuse(format!("Package.{field} is not supported"))),
            }
        }
        Node::RevisionList { bucket, name } => {
            let Some(package) = model.package(bucket, name) else {
                return Ok(ResolvedValue::null());
            };
            match field {
                "total" => json!(package.revisions.len()),
                "page" => {
                    let number = args
                        .get("number")
                        .and_then(Value::as_u64)
                        .unwrap_or(1)
                        .max(1) as usize;
                    let per_page =
                        args.get("perPage").and_then(Value::as_u64).unwrap_or(10) as usize;
                    let page: Vec<Node> = package
                        .revisions_newest_first()
                        .skip((number - 1).saturating_mul(per_page))
                        .take(per_page)
                        .map(|r| Node::Revision {
                            bucket: bucket.clone(),
                            name: name.clone(),
                            hash: r.hash.clone(),
                        })
                        .collect();
                    drop(model);
                    return Ok(ResolvedValue::list(
                        page.into_iter().map(|n| object(ctx, n)).collect::<Vec<_>>(),
                    ));
                }
                _ => {
                    return Err(refuse(format!(
                        "PackageRevisionList.{field} is not supported"
                    )));
                }
            }
        }
        Node::Revision { bucket, name, hash } => {
            let Some(revision) = model.package(bucket, name).and_then(|p| p.revision(hash)) else {
                return Ok(ResolvedValue::null());
            };
            if let Some(value) = revision_scalar(revision, field, args) {
                value
            } else {
                match field {
                    "dir" => {
                        let path = text(args, "path");
                        return Ok(match folder(revision, path) {
                            Some(f) => object(
                                ctx,
                                Node::Dir {
                                    bucket: bucket.clone(),
                                    name: name.clone(),
                                    hash: hash.clone(),
                                    path: f.path,
                                },
                            ),
                            None => ResolvedValue::null(),
                        });
                    }
                    "file" => {
                        let path = text(args, "path");
                        match revision.entries.get(path) {
                            Some(e) => {
                                json!({ "__typename": "PackageFile", "path": path, "size": e.size,
                                               "physicalKey": e.physical_key(), "metadata": e.meta })
                            }
                            None => Value::Null,
                        }
                    }
                    _ => return Err(refuse(format!("PackageRevision.{field} is not supported"))),
                }
            }
        }
        Node::Dir {
            bucket,
            name,
            hash,
            path,
        } => {
            let found = model
                .package(bucket, name)
                .and_then(|p| p.revision(hash))
                .and_then(|r| folder(r, path));
            let Some(folder) = found else {
                return Ok(ResolvedValue::null());
            };
            match field {
                "path" => json!(folder.path),
                "size" => json!(folder.size),
                "metadata" => Value::Null,
                "children" => {
                    let mut children: Vec<Node> = Vec::new();
                    for (key, e) in &folder.files {
                        let file = json!({ "path": key, "size": e.size, "physicalKey": e.physical_key(), "metadata": e.meta });
                        let Value::Object(map) = file else { continue };
                        children.push(Node::Json("PackageFile".into(), map));
                    }
                    for (dir, _) in &folder.dirs {
                        children.push(Node::Dir {
                            bucket: bucket.clone(),
                            name: name.clone(),
                            hash: hash.clone(),
                            path: dir.clone(),
                        });
                    }
                    // Sorted by path, files and folders together, as the registry lists them.
                    children.sort_by(|a, b| child_path(a).cmp(child_path(b)));
                    drop(model);
                    return Ok(ResolvedValue::list(
                        children
                            .into_iter()
                            .map(|n| object(ctx, n))
                            .collect::<Vec<_>>(),
                    ));
                }
                _ => return Err(refuse(format!("PackageDir.{field} is not supported"))),
            }
        }
        _ => return Err(refuse(format!("{field} is not a package field"))),
    };
    drop(model);
    Ok(json_field(ctx, info, value))
}

fn child_path(node: &Node) -> &str {
    match node {
        Node::Dir { path, .. } => path,
        Node::Json(_, map) => map.get("path").and_then(Value::as_str).unwrap_or_default(),
        _ => "",
    }
}
