//! What the caller may do on buckets, found without writing anything: a one-key listing proves
//! listing, a HeadObject of the key it found proves reading. Writing cannot be proven without
//! writing, and these tools never write probe objects, so write access is reported as
//! `unknown` with the reason (the catalog's bucket list and the caller's role are shown, since
//! they are all the catalog tells).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::aws::error::{S3Error, S3ErrorKind};
use crate::aws::s3::{CallerS3, ListRequest, ObjectLocation};
use crate::catalog::queries::AUTH_STATUS;
use crate::tools::buckets::list::catalog_buckets;
use crate::tools::buckets::objects::caller_s3;
use crate::tools::navigation::quilt_uri::bucket_arg;
use crate::tools::{Annotations, Ctx, Tool, ToolError, decode, typed};

/// Why write access is never proven.
pub(crate) const WRITE_UNKNOWN: &str = "write access cannot be told without writing, and these tools never write probe objects; bucket_objects_put reports AccessDenied if it is not allowed";

/// The outcome of one probe.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Allowed,
    Denied,
    Unknown,
}

impl Verdict {
    /// Allowed is true, denied false, unknown absent (null).
    pub(crate) fn flag(self) -> Option<bool> {
        match self {
            Verdict::Allowed => Some(true),
            Verdict::Denied => Some(false),
            Verdict::Unknown => None,
        }
    }
}

/// One probe's verdict, how it was found, and why when it is not `allowed`.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct Check {
    #[serde(rename = "result")]
    pub verdict: Verdict,
    pub how: String,
    pub why: Option<String>,
}

/// One word for what the probes proved on a bucket; `read` means list and read proven, write
/// unknown (these tools never write to find out).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PermissionLevel {
    ReadWrite,
    ReadOnly,
    Read,
    ListOnly,
    List,
    NoAccess,
    Unknown,
}

impl Check {
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
pub(crate) struct BucketAccess {
    pub list: Check,
    pub read: Check,
    pub write: Check,
}

impl BucketAccess {
    /// One word for the whole: `read` means list and read proven, write unknown.
    pub(crate) fn level(&self) -> PermissionLevel {
        use Verdict::*;
        match (self.list.verdict, self.read.verdict, self.write.verdict) {
            (_, Allowed, Allowed) => PermissionLevel::ReadWrite,
            (_, Allowed, Denied) => PermissionLevel::ReadOnly,
            (_, Allowed, Unknown) => PermissionLevel::Read,
            (Allowed, Denied, _) => PermissionLevel::ListOnly,
            (Allowed, Unknown, _) => PermissionLevel::List,
            (Denied, _, _) => PermissionLevel::NoAccess,
            _ => PermissionLevel::Unknown,
        }
    }
}

/// Lists one key (proving `s3:ListBucket`), then heads it (proving `s3:GetObject`).
pub(crate) async fn probe(s3: &CallerS3, bucket: &str) -> BucketAccess {
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

/// The caller as the catalog tells them (`AuthStatus`).
#[derive(Debug, Default, Serialize, JsonSchema)]
pub struct CallerRole {
    pub name: Option<String>,
    pub is_admin: Option<bool>,
    /// The active role's name.
    pub role: Option<String>,
}

/// The answer to `AuthStatus`, as far as these tools read it.
#[derive(Debug, Deserialize)]
struct AuthStatusData {
    me: Option<Me>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Me {
    name: Option<String>,
    is_admin: Option<bool>,
    role: Option<RoleName>,
}

#[derive(Debug, Deserialize)]
struct RoleName {
    name: Option<String>,
}

/// The caller's name and active role, as the catalog tells them.
pub(crate) async fn caller_role(ctx: &Ctx) -> Result<CallerRole, ToolError> {
    let data = ctx
        .state
        .catalog
        .graphql_read(ctx.on_behalf(), AUTH_STATUS, Value::Null)
        .await?;
    let AuthStatusData { me } = decode(AUTH_STATUS, data)?;
    Ok(me.map_or_else(CallerRole::default, |me| CallerRole {
        name: me.name,
        is_admin: me.is_admin,
        role: me.role.and_then(|r| r.name),
    }))
}

/// Which checks `check_bucket_access` reports (none named: all).
fn operations(asked: &[String]) -> Result<[bool; 3], ToolError> {
    if asked.is_empty() {
        return Ok([true; 3]);
    }
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
    /// The bucket, as `my-bucket`, `s3://my-bucket` or a Quilt+ URI (`quilt+s3://my-bucket`,
    /// or a package's, `quilt+s3://my-bucket#package=namespace/name`, naming its bucket).
    pub bucket: String,
    /// Which of `list`, `read`, `write` to report (default: all three). Reading is found
    /// through a listing, so `read` lists one key too.
    #[serde(default = "all_operations")]
    pub operations: Vec<String>,
}

fn all_operations() -> Vec<String> {
    ["list", "read", "write"].map(String::from).to_vec()
}

/// `access_summary`: each probe as true, false or null (unknown).
#[derive(Debug, Serialize, JsonSchema)]
pub struct AccessSummary {
    pub can_list: Option<bool>,
    pub can_read: Option<bool>,
    pub can_write: Option<bool>,
}

/// The checks asked for in `operations`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Checks {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub list: Option<Check>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub read: Option<Check>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub write: Option<Check>,
}

/// What the catalog says of the bucket and the caller.
#[derive(Debug, Serialize, JsonSchema)]
pub struct CatalogView {
    /// Whether the catalog lists the bucket for this user.
    pub listed: bool,
    pub title: Option<String>,
    pub browsable: Option<bool>,
    pub user: CallerRole,
}

/// The result of `check_bucket_access`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct CheckBucketAccess {
    pub bucket: String,
    pub permission_level: PermissionLevel,
    pub access_summary: AccessSummary,
    pub checks: Checks,
    pub catalog: CatalogView,
    pub guidance: Vec<String>,
}

pub const CHECK_BUCKET_ACCESS: Tool = Tool {
    name: "check_bucket_access",
    title: "Check access to a bucket",
    description: "What this catalog user can do on one bucket, found without writing: list (a one-key listing), read (HeadObject of a listed key); write is reported unknown, since proving it would mean writing. Shows whether the catalog lists the bucket for this user, and their role.",
    annotations: Annotations::READ_ONLY,
    input_schema: || schemars::schema_for!(CheckBucketAccessArgs),
    output_schema: Some(|| schemars::schema_for!(CheckBucketAccess)),
    call: |ctx, args| typed(ctx, args, check_bucket_access),
};

#[tracing::instrument(skip_all, fields(bucket = %args.bucket))]
async fn check_bucket_access(
    ctx: &Ctx,
    args: CheckBucketAccessArgs,
) -> Result<CheckBucketAccess, ToolError> {
    let bucket = bucket_arg("bucket", &args.bucket)?;
    let [list, read, write] = operations(&args.operations)?;
    let s3 = caller_s3(ctx).await?;
    let known = catalog_buckets(ctx, false).await?;
    let access = probe(&s3, &bucket).await;
    let listed = known.into_iter().find(|b| b.name == bucket);
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
    Ok(CheckBucketAccess {
        permission_level: access.level(),
        access_summary: AccessSummary {
            can_list: access.list.verdict.flag(),
            can_read: access.read.verdict.flag(),
            can_write: access.write.verdict.flag(),
        },
        checks: Checks {
            list: list.then(|| access.list.clone()),
            read: read.then(|| access.read.clone()),
            write: write.then(|| access.write.clone()),
        },
        catalog: CatalogView {
            listed: listed.is_some(),
            title: listed.as_ref().map(|b| b.title.clone()),
            browsable: listed.as_ref().map(|b| b.browsable),
            user: caller_role(ctx).await?,
        },
        bucket,
        guidance,
    })
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
        assert_eq!(level(Allowed, Allowed, Unknown), PermissionLevel::Read);
        assert_eq!(level(Allowed, Allowed, Allowed), PermissionLevel::ReadWrite);
        assert_eq!(level(Allowed, Allowed, Denied), PermissionLevel::ReadOnly);
        assert_eq!(level(Allowed, Denied, Unknown), PermissionLevel::ListOnly);
        assert_eq!(level(Allowed, Unknown, Unknown), PermissionLevel::List);
        assert_eq!(level(Denied, Unknown, Unknown), PermissionLevel::NoAccess);
        assert_eq!(level(Unknown, Unknown, Unknown), PermissionLevel::Unknown);
    }

    #[test]
    fn operations_are_checked() {
        assert_eq!(operations(&[]).unwrap(), [true; 3]);
        assert_eq!(operations(&all_operations()).unwrap(), [true; 3]);
        let read = ["READ".to_string()];
        assert_eq!(operations(&read).unwrap(), [false, true, false]);
        let bad = ["delete".to_string()];
        assert!(
            operations(&bad)
                .unwrap_err()
                .to_string()
                .contains("operations")
        );
    }
}
