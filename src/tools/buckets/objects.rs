//! S3 objects, seen through the caller's own temporary credentials: list a bucket (with folders
//! and pages), describe one object (or one version), and make a presigned download link.
//! Reading and writing bytes live in `bucket_object_read.rs` and `bucket_objects_put.rs`.

use std::time::{Duration, UNIX_EPOCH};

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::aws::s3::{CallerS3, ListPage, ListRequest, ObjectLocation};
use crate::tools::navigation::links::bucket_name;
use crate::tools::{Annotations, Ctx, Tool, ToolError, typed};

/// The longest presigned link SigV4 allows: 7 days.
const MAX_LINK_SECONDS: u64 = 604_800;
/// How long listing links live when `include_signed_urls` asks for them.
const LIST_LINK_SECONDS: u64 = 3_600;

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

fn rfc3339_in(seconds: u64) -> String {
    let at = crate::time::unix_now().max(0) as u64 + seconds;
    crate::time::format_rfc3339(UNIX_EPOCH + Duration::from_secs(at))
}

// ---------------------------------------------------------------------------------------------

/// Arguments of `bucket_objects_list`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BucketObjectsListArgs {
    /// The bucket, as `my-bucket` or `s3://my-bucket` (`s3://my-bucket/data/` also sets the prefix).
    pub bucket: String,
    /// Only keys starting with this, e.g. `data/2024/`.
    #[serde(default)]
    pub prefix: String,
    /// Group keys into folders at this character, usually `/`: keys below the next `/` after the
    /// prefix are listed once, in `folders`, instead of one by one.
    #[serde(default)]
    pub delimiter: Option<String>,
    /// Objects per page, 1 to 1000 (default 100).
    #[serde(default = "hundred")]
    #[schemars(range(min = 1, max = 1000))]
    pub max_keys: i32,
    /// The `next_continuation_token` of the previous page, to get the next one.
    #[serde(default)]
    pub continuation_token: String,
    /// Add a presigned download link (valid an hour) to every object; off by default because the
    /// links are long: bucket_object_link makes one for the object you need.
    #[serde(default)]
    pub include_signed_urls: bool,
}

fn hundred() -> i32 {
    100
}

pub const BUCKET_OBJECTS_LIST: Tool = Tool {
    name: "bucket_objects_list",
    title: "List objects in a bucket",
    description: "List the objects of an S3 bucket under a prefix, one page at a time (max_keys, continuation_token), optionally grouped into folders (delimiter `/`), with the caller's own S3 access.",
    annotations: Annotations::READ_ONLY,
    input_schema: || schemars::schema_for!(BucketObjectsListArgs),
    output_schema: None,
    call: |ctx, args| typed(ctx, args, bucket_objects_list),
};

#[tracing::instrument(skip_all, fields(bucket = %args.bucket, prefix = %args.prefix))]
async fn bucket_objects_list(ctx: &Ctx, args: BucketObjectsListArgs) -> Result<Value, ToolError> {
    let bucket = bucket_name("bucket", &args.bucket)?;
    let uri_prefix = args
        .bucket
        .trim()
        .strip_prefix("s3://")
        .and_then(|rest| rest.split_once('/'))
        .map(|(_, path)| path)
        .unwrap_or_default();
    let prefix = match (uri_prefix, args.prefix.as_str()) {
        (path, "") => path.to_string(),
        ("", prefix) => prefix.to_string(),
        _ => {
            return Err(ToolError::invalid(
                "prefix",
                "give the prefix either in `bucket` (s3://bucket/prefix) or in `prefix`, not both",
            ));
        }
    };
    if !(1..=1000).contains(&args.max_keys) {
        return Err(ToolError::invalid("max_keys", "must be between 1 and 1000"));
    }
    let delimiter = args.delimiter.as_deref().filter(|d| !d.is_empty());
    let token = Some(args.continuation_token.trim()).filter(|t| !t.is_empty());
    let s3 = caller_s3(ctx).await?;
    let request = ListRequest {
        prefix: &prefix,
        delimiter,
        max_keys: args.max_keys,
        continuation_token: token,
    };
    let page = s3.list(&bucket, &request).await?;
    let link_seconds = if args.include_signed_urls {
        Some(link_lifetime(
            LIST_LINK_SECONDS,
            s3.credentials_expire_at(),
        )?)
    } else {
        None
    };
    let objects = listed_objects(&s3, &bucket, &page, link_seconds).await?;
    Ok(json!({
        "bucket": bucket,
        "prefix": prefix,
        "delimiter": delimiter,
        "objects": objects,
        "folders": page.folders,
        "count": page.objects.len(),
        "is_truncated": page.is_truncated,
        "next_continuation_token": page.next_continuation_token,
        "signed_urls_expire_at": link_seconds.map(rfc3339_in),
    }))
}

/// The page's objects as the tool shows them, each with a link when `link_seconds` is set.
async fn listed_objects(
    s3: &CallerS3,
    bucket: &str,
    page: &ListPage,
    link_seconds: Option<u64>,
) -> Result<Vec<Value>, ToolError> {
    let mut objects = Vec::with_capacity(page.objects.len());
    for object in &page.objects {
        let at = ObjectLocation {
            bucket: bucket.to_string(),
            key: object.key.clone(),
            version_id: None,
        };
        let mut row = json!({
            "key": object.key,
            "s3_uri": at.uri(),
            "size": object.size,
            "last_modified": object.last_modified,
            "etag": object.etag,
            "storage_class": object.storage_class,
        });
        if let Some(seconds) = link_seconds {
            // Signed locally with the credentials already held: no S3 call, no exchange.
            let url = s3.presign_get(&at, Duration::from_secs(seconds)).await?;
            row["signed_url"] = json!(url);
        }
        objects.push(row);
    }
    Ok(objects)
}

// ---------------------------------------------------------------------------------------------

/// Arguments of `bucket_object_info`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BucketObjectInfoArgs {
    /// The object, `s3://bucket/path/to/file`, optionally with `?versionId=<id>` for one version.
    pub s3_uri: String,
}

pub const BUCKET_OBJECT_INFO: Tool = Tool {
    name: "bucket_object_info",
    title: "Describe an S3 object",
    description: "Size, content type, last change, ETag, version id, storage class and user metadata of one S3 object (or one version of it, with ?versionId= in the URI), without reading its bytes.",
    annotations: Annotations::READ_ONLY,
    input_schema: || schemars::schema_for!(BucketObjectInfoArgs),
    output_schema: None,
    call: |ctx, args| typed(ctx, args, bucket_object_info),
};

#[tracing::instrument(skip_all, fields(s3_uri = %args.s3_uri))]
async fn bucket_object_info(ctx: &Ctx, args: BucketObjectInfoArgs) -> Result<Value, ToolError> {
    let at = parse_s3_uri("s3_uri", &args.s3_uri)?;
    let s3 = caller_s3(ctx).await?;
    let info = s3.head(&at).await?;
    Ok(json!({
        "bucket": at.bucket,
        "key": at.key,
        "s3_uri": at.uri(),
        "size": info.size,
        "content_type": info.content_type,
        "last_modified": info.last_modified,
        "etag": info.etag,
        "version_id": info.version_id,
        "storage_class": info.storage_class,
        "metadata": info.metadata,
    }))
}

// ---------------------------------------------------------------------------------------------

/// Arguments of `bucket_object_link`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BucketObjectLinkArgs {
    /// The object, `s3://bucket/path/to/file`, optionally with `?versionId=<id>`.
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

pub const BUCKET_OBJECT_LINK: Tool = Tool {
    name: "bucket_object_link",
    title: "Make a download link",
    description: "A presigned HTTPS GET link to one S3 object (or version) that works without credentials until it expires; the expiry is cut to what the caller's temporary credentials allow.",
    annotations: Annotations::READ_ONLY,
    input_schema: || schemars::schema_for!(BucketObjectLinkArgs),
    output_schema: None,
    call: |ctx, args| typed(ctx, args, bucket_object_link),
};

#[tracing::instrument(skip_all, fields(s3_uri = %args.s3_uri))]
async fn bucket_object_link(ctx: &Ctx, args: BucketObjectLinkArgs) -> Result<Value, ToolError> {
    let at = parse_s3_uri("s3_uri", &args.s3_uri)?;
    if !(1..=MAX_LINK_SECONDS).contains(&args.expiration) {
        return Err(ToolError::invalid(
            "expiration",
            format!("must be between 1 and {MAX_LINK_SECONDS} seconds (7 days)"),
        ));
    }
    let s3 = caller_s3(ctx).await?;
    let seconds = link_lifetime(args.expiration, s3.credentials_expire_at())?;
    let url = s3.presign_get(&at, Duration::from_secs(seconds)).await?;
    Ok(json!({
        "bucket": at.bucket,
        "key": at.key,
        "s3_uri": at.uri(),
        "signed_url": url,
        "expiration_seconds": seconds,
        "requested_seconds": args.expiration,
        "limited_by_credentials": seconds < args.expiration,
        "expires_at": rfc3339_in(seconds),
    }))
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
