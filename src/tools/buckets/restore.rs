//! Archived (Glacier) objects: `bucket_object_restore` asks the registry to restore one (its
//! `restoreObject` mutation, June 2026 and newer), and the restore state S3 reports on HEAD
//! (`x-amz-restore`) read into a status `bucket_object_info` shows too.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::catalog::queries::RESTORE_OBJECT;
use crate::catalog::{CatalogError, CatalogErrorKind};
use crate::tools::buckets::objects::caller_s3;
use crate::tools::buckets::target::object_target;
use crate::tools::{Annotations, Ctx, Tool, ToolError, decode, typed};

/// The longest restore we ask for; S3 itself has no small bound, a year is plenty for a copy.
const MAX_DAYS: i64 = 365;

/// Arguments of `bucket_object_restore`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BucketObjectRestoreArgs {
    /// The archived object, `s3://bucket/path/to/file`, optionally with `?versionId=<id>`, or
    /// a package file as `quilt+s3://bucket#package=ns/name[@top_hash|:tag]&path=logical/key`
    /// (its physical object is restored).
    pub s3_uri: String,
    /// A version to restore, in place of `?versionId=` in the URI; empty: the current version.
    #[serde(default)]
    pub version_id: String,
    /// How fast (and at what cost) S3 restores: `standard` (hours), `bulk` (slowest,
    /// cheapest) or `expedited` (minutes; not for DEEP_ARCHIVE).
    #[serde(default = "standard")]
    pub tier: String,
    /// Days the restored copy stays readable, 1 to 365.
    #[serde(default = "week")]
    #[schemars(range(min = 1, max = 365))]
    pub days: i64,
}

fn standard() -> String {
    "standard".into()
}

fn week() -> i64 {
    7
}

/// An archived object's restore, as S3's HEAD reports it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, JsonSchema)]
pub struct RestoreStatus {
    /// `in_progress`, `restored` (readable until `expires`) or `not_restored`.
    pub state: &'static str,
    /// When the restored copy goes away (S3's HTTP date), once restored.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
    /// Whether GET (bucket_object_fetch, bucket_object_text) can read it now.
    pub readable: bool,
}

/// The restore status of an object in `storage_class` whose HEAD carried `header`
/// (`x-amz-restore`); `None` for an object that needs no restore.
pub(crate) fn restore_status(
    storage_class: Option<&str>,
    header: Option<&str>,
) -> Option<RestoreStatus> {
    let archived = matches!(storage_class, Some("GLACIER" | "DEEP_ARCHIVE"));
    let Some(header) = header else {
        return archived.then_some(RestoreStatus {
            state: "not_restored",
            expires: None,
            readable: false,
        });
    };
    // `ongoing-request="false", expiry-date="Fri, 21 Dec 2012 00:00:00 GMT"`
    let ongoing = header.contains("ongoing-request=\"true\"");
    let expires = header
        .split_once("expiry-date=\"")
        .and_then(|(_, rest)| rest.split_once('"'))
        .map(|(date, _)| date.to_string());
    Some(RestoreStatus {
        state: if ongoing { "in_progress" } else { "restored" },
        readable: !ongoing,
        expires: expires.filter(|_| !ongoing),
    })
}

/// The result of `bucket_object_restore`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct BucketObjectRestored {
    pub s3_uri: String,
    pub bucket: String,
    pub key: String,
    pub version_id: Option<String>,
    pub tier: String,
    pub days: i64,
    /// `restore_started`, or `already_restored` (a restored copy existed: its expiry was
    /// extended to `days` from now).
    pub status: &'static str,
    pub already_restored: bool,
    /// What S3 reports right after the call, when the caller may read the object.
    pub restore: Option<RestoreStatus>,
    /// How to follow up.
    pub next_step: String,
}

pub const BUCKET_OBJECT_RESTORE: Tool = Tool {
    name: "bucket_object_restore",
    title: "Restore an archived S3 object",
    description: "Ask the catalog to restore an archived (Glacier or Deep Archive) S3 object, or one version of it, for `days` days so it can be read; a restored copy has its expiry extended. Restores take minutes (expedited) to hours (standard, bulk): bucket_object_info shows the progress. Needs write access to the bucket and a catalog from June 2026 or newer.",
    annotations: Annotations::WRITE,
    input_schema: || schemars::schema_for!(BucketObjectRestoreArgs),
    output_schema: Some(|| schemars::schema_for!(BucketObjectRestored)),
    call: |ctx, args| typed(ctx, args, bucket_object_restore),
};

/// The success arm of `restoreObject`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RestoreSuccess {
    already_restored: bool,
}

/// A tier name as the registry's `GlacierRestoreTier` spells it.
fn tier(name: &str) -> Result<&'static str, ToolError> {
    match name.trim().to_ascii_lowercase().as_str() {
        "standard" => Ok("STANDARD"),
        "bulk" => Ok("BULK"),
        "expedited" => Ok("EXPEDITED"),
        _ => Err(ToolError::invalid(
            "tier",
            format!("{name:?} is not a restore tier; use standard, bulk or expedited"),
        )),
    }
}

/// The registry's schema has no `restoreObject` before its June 2026 release: it answers with
/// a validation error naming the field, which becomes an error naming the release needed.
fn explain_missing_mutation(error: CatalogError) -> ToolError {
    let missing = match &error.kind {
        CatalogErrorKind::GraphQl(messages) | CatalogErrorKind::FieldRefused { messages, .. } => {
            messages
                .iter()
                .any(|m| m.contains("restoreObject") || m.contains("GlacierRestoreTier"))
        }
        _ => false,
    };
    if !missing {
        return error.into();
    }
    ToolError::Failed(
        "this catalog's registry does not offer restoreObject (added in the June 2026 Quilt catalog release; older releases such as January 2026 lack it): ask the catalog's administrator to upgrade, or restore the object with the AWS console or `aws s3api restore-object`".into(),
    )
}

#[tracing::instrument(skip_all, fields(s3_uri = %args.s3_uri))]
async fn bucket_object_restore(
    ctx: &Ctx,
    args: BucketObjectRestoreArgs,
) -> Result<BucketObjectRestored, ToolError> {
    let mut at = object_target(ctx, "s3_uri", &args.s3_uri).await?.at;
    let version = args.version_id.trim();
    match (&at.version_id, version) {
        (_, "") => {}
        (None, v) => at.version_id = Some(v.to_string()),
        (Some(in_uri), v) if in_uri == v => {}
        (Some(in_uri), v) => {
            return Err(ToolError::invalid(
                "version_id",
                format!("{v:?} differs from the URI's versionId {in_uri:?}; give one of them"),
            ));
        }
    }
    let tier_name = tier(&args.tier)?;
    if !(1..=MAX_DAYS).contains(&args.days) {
        return Err(ToolError::invalid(
            "days",
            format!("must be between 1 and {MAX_DAYS}, not {}", args.days),
        ));
    }
    let vars = json!({
        "bucket": at.bucket, "key": at.key, "version": at.version_id,
        "tier": tier_name, "days": args.days,
    });
    let data = ctx
        .state
        .catalog
        .graphql(ctx.on_behalf(), RESTORE_OBJECT, vars)
        .await
        .map_err(explain_missing_mutation)?;
    let result = data.get("restoreObject").unwrap_or(&Value::Null);
    let result = CatalogError::check_union(RESTORE_OBJECT.name, result)?;
    let success: RestoreSuccess = decode(RESTORE_OBJECT, result.clone())?;
    // What S3 says now; a caller who may restore but not read still gets the answer above.
    let restore = match caller_s3(ctx).await {
        Ok(s3) => s3.head(&at).await.ok().and_then(|info| {
            restore_status(info.storage_class.as_deref(), info.restore.as_deref())
        }),
        Err(_) => None,
    };
    let next_step = match restore.as_ref().map(|r| r.readable) {
        Some(true) => {
            "the restored copy is readable now: bucket_object_fetch or bucket_object_text"
                .to_string()
        }
        _ => format!(
            "S3 is restoring it ({} tier); call bucket_object_info with this s3_uri to see when `restore.state` is `restored`, then read it",
            args.tier.trim().to_ascii_lowercase()
        ),
    };
    Ok(BucketObjectRestored {
        s3_uri: at.uri(),
        bucket: at.bucket,
        key: at.key,
        version_id: at.version_id,
        tier: tier_name.to_ascii_lowercase(),
        days: args.days,
        status: if success.already_restored {
            "already_restored"
        } else {
            "restore_started"
        },
        already_restored: success.already_restored,
        restore,
        next_step,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn restore_headers_become_a_status() {
        assert_eq!(restore_status(None, None), None);
        assert_eq!(restore_status(Some("STANDARD_IA"), None), None);
        assert_eq!(
            restore_status(Some("GLACIER"), None).map(|s| s.state),
            Some("not_restored")
        );
        let ongoing = restore_status(Some("GLACIER"), Some("ongoing-request=\"true\"")).unwrap();
        assert_eq!((ongoing.state, ongoing.readable), ("in_progress", false));
        let done = restore_status(
            Some("DEEP_ARCHIVE"),
            Some("ongoing-request=\"false\", expiry-date=\"Fri, 21 Dec 2012 00:00:00 GMT\""),
        )
        .unwrap();
        assert_eq!(done.state, "restored");
        assert_eq!(
            done.expires.as_deref(),
            Some("Fri, 21 Dec 2012 00:00:00 GMT")
        );
        assert!(tier("Bulk").is_ok() && tier("fast").is_err());
    }
}
