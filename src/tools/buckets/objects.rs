//! S3 objects, seen through the caller's own temporary credentials: describe one object (or one
//! version) and make a presigned download link, with the helpers the other object tools share.
//! Listing, reading and writing live in `objects_list.rs`, `object_read.rs` and `objects_put.rs`.

use std::time::{Duration, UNIX_EPOCH};

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::aws::s3::{CallerS3, ObjectLocation};
use crate::tools::buckets::restore::{RestoreStatus, restore_status};
use crate::tools::buckets::target::{ObjectTarget, object_target};
use crate::tools::navigation::links::bucket_name;
use crate::tools::{Annotations, Ctx, Tool, ToolError, typed};

/// The longest presigned link SigV4 allows: 7 days.
const MAX_LINK_SECONDS: u64 = 604_800;

/// The caller's S3: their cached credentials (exchanged at most once here, usually not at all).
pub(crate) async fn caller_s3(ctx: &Ctx) -> Result<CallerS3, ToolError> {
    Ok(CallerS3::connect(&ctx.state.s3, &ctx.state.catalog, ctx.on_behalf()).await?)
}

/// Reads `s3://bucket/key` with an optional `?versionId=…` (any other query is refused).
pub(crate) fn parse_s3_uri(field: &str, uri: &str) -> Result<ObjectLocation, ToolError> {
    let text = uri.trim();
    let bad = |why: &str| ToolError::invalid(field, format!("{uri:?} {why}"));
    let rest = text
        .strip_prefix("s3://")
        .ok_or_else(|| bad("is not an s3:// URI, e.g. `s3://my-bucket/data/file.csv`"))?;
    let (path, query) = match rest.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (rest, None),
    };
    let (bucket, key) = path.split_once('/').unwrap_or((path, ""));
    let bucket = bucket_name(field, bucket)?;
    if key.is_empty() || key.ends_with('/') {
        return Err(bad("must name one object: s3://bucket/path/to/file"));
    }
    let version_id = match query {
        None => None,
        Some(query) => match query.strip_prefix("versionId=") {
            Some(version) if !version.is_empty() && !version.contains('&') => {
                Some(version.to_string())
            }
            _ => return Err(bad("may only carry `?versionId=<id>` after the key")),
        },
    };
    Ok(ObjectLocation {
        bucket,
        key: key.to_string(),
        version_id,
    })
}

/// A presigned link's lifetime: what was asked, cut to what the caller's credentials allow.
pub(crate) fn link_lifetime(asked: u64, credentials_expire_at: i64) -> Result<u64, ToolError> {
    let left = credentials_expire_at - crate::time::unix_now();
    let allowed = u64::try_from(left).unwrap_or(0);
    if allowed == 0 {
        return Err(ToolError::Failed(
            "this catalog user's temporary credentials have expired; retry in a moment (they are renewed on the next call)".into(),
        ));
    }
    Ok(asked.min(allowed))
}

/// The RFC 3339 time `seconds` from now.
pub(crate) fn rfc3339_in(seconds: u64) -> String {
    let at = crate::time::unix_now().max(0) as u64 + seconds;
    crate::time::format_rfc3339(UNIX_EPOCH + Duration::from_secs(at))
}

// ---------------------------------------------------------------------------------------------

/// Arguments of `bucket_object_info`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BucketObjectInfoArgs {
    /// The object, `s3://bucket/path/to/file`, optionally with `?versionId=<id>`; or a package
    /// file, `quilt+s3://bucket#package=namespace/name[@top_hash|:tag]&path=logical/key`, read
    /// as the object (and version) its entry points at.
    pub s3_uri: String,
}

/// The result of `bucket_object_info`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct BucketObjectInfo {
    pub bucket: String,
    pub key: String,
    pub s3_uri: String,
    pub size: Option<u64>,
    pub content_type: Option<String>,
    pub last_modified: Option<String>,
    pub etag: Option<String>,
    pub version_id: Option<String>,
    pub storage_class: Option<String>,
    /// The package file's Quilt+ URI (pinned to the revision's top hash), when `s3_uri` named
    /// one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quilt_uri: Option<String>,
    /// The object's user metadata (`x-amz-meta-*`), names without the prefix.
    pub metadata: BTreeMap<String, String>,
    /// For an archived object (GLACIER, DEEP_ARCHIVE): whether it is restored and readable;
    /// absent for objects read directly. bucket_object_restore starts a restore.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub restore: Option<RestoreStatus>,
}

pub const BUCKET_OBJECT_INFO: Tool = Tool {
    name: "bucket_object_info",
    title: "Describe an S3 object",
    description: "Size, content type, last change, ETag, version id, storage class, restore status (archived objects) and user metadata of one S3 object (or one version of it, with ?versionId= in the URI), without reading its bytes.",
    annotations: Annotations::READ_ONLY,
    input_schema: || schemars::schema_for!(BucketObjectInfoArgs),
    output_schema: Some(|| schemars::schema_for!(BucketObjectInfo)),
    call: |ctx, args| typed(ctx, args, bucket_object_info),
};

#[tracing::instrument(skip_all, fields(s3_uri = %args.s3_uri))]
async fn bucket_object_info(
    ctx: &Ctx,
    args: BucketObjectInfoArgs,
) -> Result<BucketObjectInfo, ToolError> {
    let ObjectTarget { at, quilt_uri } = object_target(ctx, "s3_uri", &args.s3_uri).await?;
    let s3 = caller_s3(ctx).await?;
    let info = s3.head(&at).await?;
    Ok(BucketObjectInfo {
        s3_uri: at.uri(),
        bucket: at.bucket,
        key: at.key,
        size: info.size,
        content_type: info.content_type,
        last_modified: info.last_modified,
        etag: info.etag,
        version_id: info.version_id,
        restore: restore_status(info.storage_class.as_deref(), info.restore.as_deref()),
        storage_class: info.storage_class,
        quilt_uri,
        metadata: info.metadata,
    })
}

// ---------------------------------------------------------------------------------------------

/// Arguments of `bucket_object_link`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BucketObjectLinkArgs {
    /// The object, `s3://bucket/path/to/file`, optionally with `?versionId=<id>`; or a package
    /// file, `quilt+s3://bucket#package=namespace/name[@top_hash|:tag]&path=logical/key`, read
    /// as the object (and version) its entry points at.
    pub s3_uri: String,
    /// Seconds the link should work, 1 to 604800 (7 days; default 3600). It never outlives the
    /// caller's temporary credentials: `expiration_seconds` says what was granted.
    #[serde(default = "hour")]
    #[schemars(range(min = 1, max = 604800))]
    pub expiration: u64,
}

fn hour() -> u64 {
    3_600
}

/// The result of `bucket_object_link`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct BucketObjectLink {
    pub bucket: String,
    pub key: String,
    pub s3_uri: String,
    pub signed_url: String,
    /// Seconds the link works: what was asked, cut to the credentials' remaining life.
    pub expiration_seconds: u64,
    pub requested_seconds: u64,
    pub limited_by_credentials: bool,
    pub expires_at: String,
    /// The package file's Quilt+ URI (pinned to the revision's top hash), when `s3_uri` named
    /// one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quilt_uri: Option<String>,
}

pub const BUCKET_OBJECT_LINK: Tool = Tool {
    name: "bucket_object_link",
    title: "Make a download link",
    description: "A presigned HTTPS GET link to one S3 object (or version) that works without credentials until it expires; the expiry is cut to what the caller's temporary credentials allow.",
    annotations: Annotations::READ_ONLY,
    input_schema: || schemars::schema_for!(BucketObjectLinkArgs),
    output_schema: Some(|| schemars::schema_for!(BucketObjectLink)),
    call: |ctx, args| typed(ctx, args, bucket_object_link),
};

#[tracing::instrument(skip_all, fields(s3_uri = %args.s3_uri))]
async fn bucket_object_link(
    ctx: &Ctx,
    args: BucketObjectLinkArgs,
) -> Result<BucketObjectLink, ToolError> {
    if !(1..=MAX_LINK_SECONDS).contains(&args.expiration) {
        return Err(ToolError::invalid(
            "expiration",
            format!("must be between 1 and {MAX_LINK_SECONDS} seconds (7 days)"),
        ));
    }
    let ObjectTarget { at, quilt_uri } = object_target(ctx, "s3_uri", &args.s3_uri).await?;
    let s3 = caller_s3(ctx).await?;
    let seconds = link_lifetime(args.expiration, s3.credentials_expire_at())?;
    let url = s3.presign_get(&at, Duration::from_secs(seconds)).await?;
    Ok(BucketObjectLink {
        s3_uri: at.uri(),
        bucket: at.bucket,
        key: at.key,
        signed_url: url,
        expiration_seconds: seconds,
        requested_seconds: args.expiration,
        limited_by_credentials: seconds < args.expiration,
        expires_at: rfc3339_in(seconds),
        quilt_uri,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s3_uris_name_one_object_and_maybe_a_version() {
        let at = parse_s3_uri("s3_uri", " s3://example-data/results/counts.csv ").unwrap();
        assert_eq!(
            (at.bucket.as_str(), at.key.as_str(), at.version_id),
            ("example-data", "results/counts.csv", None)
        );
        let v = parse_s3_uri("s3_uri", "s3://b-1/a b.txt?versionId=3HL4kq").unwrap();
        assert_eq!(v.version_id.as_deref(), Some("3HL4kq"));
        assert_eq!(v.key, "a b.txt");
        for bad in [
            "example-data/a.csv",
            "s3://example-data",
            "s3://example-data/",
            "s3://example-data/dir/",
            "s3://Bad_Bucket/a",
            "s3://example-data/a.csv?partNumber=1",
            "s3://example-data/a.csv?versionId=",
            "s3://example-data/a.csv?versionId=a&x=1",
        ] {
            let error = parse_s3_uri("s3_uri", bad).unwrap_err();
            assert!(error.to_string().contains("s3_uri"), "{bad}: {error}");
        }
    }

    #[test]
    fn links_never_outlive_the_credentials() {
        let now = crate::time::unix_now();
        assert_eq!(link_lifetime(3600, now + 86_400).unwrap(), 3600);
        // The clock may tick between the two readings.
        assert!((999..=1000).contains(&link_lifetime(604_800, now + 1000).unwrap()));
        assert!(link_lifetime(60, now - 5).is_err());
    }
}
