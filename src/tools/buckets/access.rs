//! What the caller may do on buckets, found without writing anything: a one-key listing proves
//! listing, a HeadObject of the key it found proves reading. Writing cannot be proven without
//! writing, and these tools never write probe objects, so write access is reported as
//! `unknown` with the reason (the catalog's bucket list and the caller's role are shown, since
//! they are all the catalog tells).

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::aws::error::{S3Error, S3ErrorKind};
use crate::aws::s3::{CallerS3, ListRequest, ObjectLocation};
use crate::catalog::queries::{AUTH_STATUS, LIST_BUCKETS};
use crate::tools::buckets::objects::caller_s3;
use crate::tools::navigation::links::bucket_name;
use crate::tools::{Annotations, Ctx, Tool, ToolError, typed};

/// Buckets probed by one `discover_permissions` call at most (two S3 requests each).
const MAX_BUCKETS: usize = 25;
/// Why write access is never proven.
const WRITE_UNKNOWN: &str = "write access cannot be told without writing, and these tools never write probe objects; bucket_objects_put reports AccessDenied if it is not allowed";

/// The outcome of one probe.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Verdict {
    Allowed,
    Denied,
    Unknown,
}

impl Verdict {
    fn word(self) -> &'static str {
        match self {
            Verdict::Allowed => "allowed",
            Verdict::Denied => "denied",
            Verdict::Unknown => "unknown",
        }
    }

    fn flag(self) -> Value {
        match self {
            Verdict::Allowed => json!(true),
            Verdict::Denied => json!(false),
            Verdict::Unknown => Value::Null,
        }
    }
}

/// One probe's verdict, how it was found, and why when it is not `allowed`.
#[derive(Clone, Debug)]
struct Check {
    verdict: Verdict,
    how: String,
    why: Option<String>,
}

impl Check {
    fn json(&self) -> Value {
        json!({ "result": self.verdict.word(), "how": self.how, "why": self.why })
    }

    fn from_error(how: String, error: &S3Error) -> Check {
        let verdict = match error.kind {
            S3ErrorKind::AccessDenied => Verdict::Denied,
            _ => Verdict::Unknown,
        };
        Check {
            verdict,
            how,
            why: Some(error.to_string()),
        }
    }
}

/// What the probes found on one bucket.
#[derive(Clone, Debug)]
struct BucketAccess {
    list: Check,
    read: Check,
    write: Check,
}

impl BucketAccess {
    /// One word for the whole: `read` means list and read proven, write unknown.
    fn level(&self) -> &'static str {
        use Verdict::*;
        match (self.list.verdict, self.read.verdict, self.write.verdict) {
            (_, Allowed, Allowed) => "read_write",
            (_, Allowed, Denied) => "read_only",
            (_, Allowed, Unknown) => "read",
            (Allowed, Denied, _) => "list_only",
            (Allowed, Unknown, _) => "list",
            (Denied, _, _) => "no_access",
            _ => "unknown",
        }
    }
}

/// Lists one key (proving `s3:ListBucket`), then heads it (proving `s3:GetObject`).
async fn probe(s3: &CallerS3, bucket: &str) -> BucketAccess {
    let one = ListRequest {
        max_keys: 1,
        ..ListRequest::default()
    };
    let list_how = format!("ListObjectsV2 s3://{bucket} max-keys=1");
    let (list, first_key) = match s3.list(bucket, &one).await {
        Ok(page) => {
            let check = Check {
                verdict: Verdict::Allowed,
                how: list_how,
                why: None,
            };
            (check, page.objects.into_iter().next().map(|o| o.key))
        }
        Err(error) => (Check::from_error(list_how, &error), None),
    };
    let read = match first_key {
        Some(key) => {
            let at = ObjectLocation {
                bucket: bucket.to_string(),
                key,
                version_id: None,
            };
            let how = format!("HeadObject {}", at.uri());
            match s3.head(&at).await {
                Ok(_) => Check {
                    verdict: Verdict::Allowed,
                    how,
                    why: None,
                },
                Err(error) => Check::from_error(how, &error),
            }
        }
        None => Check {
            verdict: Verdict::Unknown,
            how: "HeadObject of a listed key".into(),
            why: Some(match list.verdict {
                Verdict::Allowed => "the bucket is empty: there is no object to read".into(),
                _ => "no object to try: the bucket could not be listed".into(),
            }),
        },
    };
    let write = Check {
        verdict: Verdict::Unknown,
        how: "not probed".into(),
        why: Some(WRITE_UNKNOWN.into()),
    };
    BucketAccess { list, read, write }
}

/// The caller's catalog buckets (`bucketConfigs`) by name; `fresh` skips the short read cache.
async fn catalog_buckets(ctx: &Ctx, fresh: bool) -> Result<BTreeMap<String, Value>, ToolError> {
    let catalog = &ctx.state.catalog;
    let data = if fresh {
        catalog
            .graphql(ctx.on_behalf(), LIST_BUCKETS, Value::Null)
            .await?
    } else {
        catalog
            .graphql_read(ctx.on_behalf(), LIST_BUCKETS, Value::Null)
            .await?
    };
    let list = data.get("bucketConfigs").and_then(Value::as_array);
    Ok(list
        .into_iter()
        .flatten()
        .filter_map(|b| Some((b.get("name")?.as_str()?.to_string(), b.clone())))
        .collect())
}

/// The caller's name and active role, as the catalog tells them.
async fn caller_role(ctx: &Ctx) -> Result<Value, ToolError> {
    let data = ctx
        .state
        .catalog
        .graphql_read(ctx.on_behalf(), AUTH_STATUS, Value::Null)
        .await?;
    let me = data.get("me").cloned().unwrap_or(Value::Null);
    Ok(json!({
        "name": me.get("name"),
        "is_admin": me.get("isAdmin"),
        "role": me.pointer("/role/name"),
    }))
}

/// Which checks `check_bucket_access` reports.
fn operations(asked: Option<&[String]>) -> Result<[bool; 3], ToolError> {
    let Some(asked) = asked.filter(|a| !a.is_empty()) else {
        return Ok([true; 3]);
    };
    let mut wanted = [false; 3];
    for operation in asked {
        match operation.trim().to_ascii_lowercase().as_str() {
            "list" => wanted[0] = true,
            "read" => wanted[1] = true,
            "write" => wanted[2] = true,
            other => {
                return Err(ToolError::invalid(
                    "operations",
                    format!("{other:?} is not one of list, read, write"),
                ));
            }
        }
    }
    Ok(wanted)
}

// ---------------------------------------------------------------------------------------------

/// Arguments of `check_bucket_access`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckBucketAccessArgs {
    /// The bucket, as `my-bucket` or `s3://my-bucket`.
    pub bucket: String,
    /// Which of `list`, `read`, `write` to report (default: all). Reading is found through a
    /// listing, so `read` lists one key too.
    #[serde(default)]
    pub operations: Option<Vec<String>>,
}

pub const CHECK_BUCKET_ACCESS: Tool = Tool {
    name: "check_bucket_access",
    title: "Check access to a bucket",
    description: "What this catalog user can do on one bucket, found without writing: list (a one-key listing), read (HeadObject of a listed key); write is reported unknown, since proving it would mean writing. Shows whether the catalog lists the bucket for this user, and their role.",
    annotations: Annotations::READ_ONLY,
    input_schema: || schemars::schema_for!(CheckBucketAccessArgs),
    output_schema: None,
    call: |ctx, args| typed(ctx, args, check_bucket_access),
};

#[tracing::instrument(skip_all, fields(bucket = %args.bucket))]
async fn check_bucket_access(ctx: &Ctx, args: CheckBucketAccessArgs) -> Result<Value, ToolError> {
    let bucket = bucket_name("bucket", &args.bucket)?;
    let [list, read, write] = operations(args.operations.as_deref())?;
    let s3 = caller_s3(ctx).await?;
    let known = catalog_buckets(ctx, false).await?;
    let access = probe(&s3, &bucket).await;
    let mut checks = serde_json::Map::new();
    for (wanted, name, check) in [
        (list, "list", &access.list),
        (read, "read", &access.read),
        (write, "write", &access.write),
    ] {
        if wanted {
            checks.insert(name.into(), check.json());
        }
    }
    let listed = known.get(&bucket);
    let mut guidance = Vec::new();
    if listed.is_none() {
        guidance.push(format!(
            "s3://{bucket} is not among this user's catalog buckets (bucket_list shows them)"
        ));
    }
    if access.list.verdict == Verdict::Denied {
        guidance
            .push("this user's role may not list the bucket; a catalog admin can grant it".into());
    }
    if write {
        guidance.push(WRITE_UNKNOWN.to_string());
    }
    Ok(json!({
        "bucket": bucket,
        "permission_level": access.level(),
        "access_summary": {
            "can_list": access.list.verdict.flag(),
            "can_read": access.read.verdict.flag(),
            "can_write": access.write.verdict.flag(),
        },
        "checks": checks,
        "catalog": {
            "listed": listed.is_some(),
            "title": listed.and_then(|b| b.get("title")),
            "browsable": listed.and_then(|b| b.get("browsable")),
            "user": caller_role(ctx).await?,
        },
        "guidance": guidance,
    }))
}

// ---------------------------------------------------------------------------------------------

/// Arguments of `discover_permissions`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DiscoverPermissionsArgs {
    /// Buckets to check (default: every bucket the catalog lists for this user), at most 25.
    #[serde(default)]
    pub check_buckets: Option<Vec<String>>,
    /// Also check buckets in `check_buckets` that the catalog does not list for this user (other
    /// stacks or accounts); by default they are skipped and named in `skipped`.
    #[serde(default)]
    pub include_cross_account: bool,
    /// Read the catalog's bucket list afresh instead of a copy up to 10 s old. Probe results
    /// are never cached, so they are always fresh.
    #[serde(default)]
    pub force_refresh: bool,
}

pub const DISCOVER_PERMISSIONS: Tool = Tool {
    name: "discover_permissions",
    title: "Discover bucket permissions",
    description: "This catalog user's buckets (from the catalog, or the ones named) with what they can do on each: list and read are probed without writing, write is reported unknown; grouped by permission level, with the user's catalog role.",
    annotations: Annotations::READ_ONLY,
    input_schema: || schemars::schema_for!(DiscoverPermissionsArgs),
    output_schema: None,
    call: |ctx, args| typed(ctx, args, discover_permissions),
};

/// The buckets to probe (sorted, at most `MAX_BUCKETS`), the ones skipped, and notes on both.
fn choose_buckets(
    asked: Option<Vec<String>>,
    known: &BTreeMap<String, Value>,
    include_cross_account: bool,
) -> (Vec<String>, Vec<String>, Vec<String>) {
    let (mut names, mut skipped) = (Vec::new(), Vec::new());
    match asked {
        None => names.extend(known.keys().cloned()),
        Some(list) => {
            for name in list {
                if known.contains_key(&name) || include_cross_account {
                    names.push(name);
                } else {
                    skipped.push(name);
                }
            }
        }
    }
    names.sort();
    names.dedup();
    let mut notes = Vec::new();
    if names.len() > MAX_BUCKETS {
        notes.push(format!(
            "only the first {MAX_BUCKETS} of {} buckets were checked; name others in check_buckets",
            names.len()
        ));
        names.truncate(MAX_BUCKETS);
    }
    if !skipped.is_empty() {
        notes.push("buckets the catalog does not list for this user were skipped; include_cross_account=true checks them too".into());
    }
    (names, skipped, notes)
}

#[tracing::instrument(skip_all)]
async fn discover_permissions(
    ctx: &Ctx,
    args: DiscoverPermissionsArgs,
) -> Result<Value, ToolError> {
    let asked = match &args.check_buckets {
        Some(list) if !list.is_empty() => Some(
            list.iter()
                .enumerate()
                .map(|(i, b)| bucket_name(&format!("check_buckets[{i}]"), b))
                .collect::<Result<Vec<_>, _>>()?,
        ),
        _ => None,
    };
    let s3 = caller_s3(ctx).await?;
    let known = catalog_buckets(ctx, args.force_refresh).await?;
    let (names, skipped, notes) = choose_buckets(asked, &known, args.include_cross_account);
    let mut rows = Vec::with_capacity(names.len());
    let mut categorized: BTreeMap<&'static str, Vec<String>> = BTreeMap::new();
    for name in names {
        let access = probe(&s3, &name).await;
        let level = access.level();
        categorized.entry(level).or_default().push(name.clone());
        let problem = [&access.list, &access.read]
            .into_iter()
            .find(|c| c.verdict != Verdict::Allowed)
            .and_then(|c| c.why.clone());
        rows.push(json!({
            "name": name,
            "title": known.get(&name).and_then(|b| b.get("title")),
            "in_catalog": known.contains_key(&name),
            "permission_level": level,
            "can_list": access.list.verdict.flag(),
            "can_read": access.read.verdict.flag(),
            "can_write": access.write.verdict.flag(),
            "detail": problem,
        }));
    }
    Ok(json!({
        "user": caller_role(ctx).await?,
        "buckets": rows,
        "categorized": categorized,
        "total_buckets_checked": rows.len(),
        "skipped": skipped,
        "write": WRITE_UNKNOWN,
        "notes": notes,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(verdict: Verdict) -> Check {
        Check {
            verdict,
            how: String::new(),
            why: None,
        }
    }

    #[test]
    fn levels_say_only_what_was_proven() {
        use Verdict::*;
        let level = |l, r, w| {
            BucketAccess {
                list: check(l),
                read: check(r),
                write: check(w),
            }
            .level()
        };
        assert_eq!(level(Allowed, Allowed, Unknown), "read");
        assert_eq!(level(Allowed, Allowed, Allowed), "read_write");
        assert_eq!(level(Allowed, Allowed, Denied), "read_only");
        assert_eq!(level(Allowed, Denied, Unknown), "list_only");
        assert_eq!(level(Allowed, Unknown, Unknown), "list");
        assert_eq!(level(Denied, Unknown, Unknown), "no_access");
        assert_eq!(level(Unknown, Unknown, Unknown), "unknown");
    }

    #[test]
    fn operations_are_checked() {
        assert_eq!(operations(None).unwrap(), [true; 3]);
        let read = ["READ".to_string()];
        assert_eq!(operations(Some(&read)).unwrap(), [false, true, false]);
        let bad = ["delete".to_string()];
        assert!(
            operations(Some(&bad))
                .unwrap_err()
                .to_string()
                .contains("operations")
        );
    }
}
