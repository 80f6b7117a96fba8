//! `bucket_objects_list`: one page of a bucket's objects (and folders, with a delimiter), seen
//! through the caller's own temporary credentials, kept within the result budget.

use std::time::Duration;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::aws::s3::{CallerS3, ListPage, ListRequest, ObjectLocation};
use crate::tools::buckets::objects::{caller_s3, link_lifetime, rfc3339_in};
use crate::tools::budget::{TEXT_BUDGET, encoded_len};
use crate::tools::navigation::quilt_uri::bucket_arg;
use crate::tools::{Annotations, Ctx, Tool, ToolError, typed};

/// How long listing links live when `include_signed_urls` asks for them.
const LIST_LINK_SECONDS: u64 = 3_600;
/// The default page size (upstream's); pages up to this size are kept within the budget.
const DEFAULT_MAX_KEYS: i32 = 100;

/// Arguments of `bucket_objects_list`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BucketObjectsListArgs {
    /// The bucket, as `my-bucket` or `s3://my-bucket` (`s3://my-bucket/data/` also sets the prefix),
    /// or a Quilt+ URI (`quilt+s3://my-bucket`, or a package's, naming its bucket).
    pub bucket: String,
    /// Only keys starting with this, e.g. `data/2024/`.
    #[serde(default)]
    pub prefix: String,
    /// Group keys into folders at this character, usually `/`: keys below the next `/` after the
    /// prefix are listed once, in `folders`, instead of one by one. Empty: no grouping.
    #[serde(default)]
    pub delimiter: String,
    /// Entries (objects and folders) per page, 1 to 1000. A page of up to 100 entries is also
    /// kept within 16 KiB of result: a longer one is cut short (`hint` says so) and
    /// `next_continuation_token` continues right after its last entry. Above 100, whole pages.
    #[serde(default = "default_max_keys")]
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

fn default_max_keys() -> i32 {
    DEFAULT_MAX_KEYS
}

/// One object of a listing page.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ListedObject {
    pub key: String,
    pub s3_uri: String,
    pub size: u64,
    pub last_modified: Option<String>,
    pub etag: Option<String>,
    pub storage_class: Option<String>,
    /// Present only when `include_signed_urls` asked for links.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signed_url: Option<String>,
}

/// The result of `bucket_objects_list`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct BucketObjectsList {
    pub bucket: String,
    pub prefix: String,
    pub delimiter: Option<String>,
    pub objects: Vec<ListedObject>,
    pub folders: Vec<String>,
    pub count: usize,
    pub is_truncated: bool,
    pub next_continuation_token: Option<String>,
    pub signed_urls_expire_at: Option<String>,
    /// Set when the page was cut to stay within the result budget: says how to go on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

pub const BUCKET_OBJECTS_LIST: Tool = Tool {
    name: "bucket_objects_list",
    title: "List objects in a bucket",
    description: "List the objects of an S3 bucket under a prefix, one page at a time (max_keys, continuation_token), optionally grouped into folders (delimiter `/`), with the caller's own S3 access.",
    annotations: Annotations::READ_ONLY,
    input_schema: || schemars::schema_for!(BucketObjectsListArgs),
    output_schema: Some(|| schemars::schema_for!(BucketObjectsList)),
    call: |ctx, args| typed(ctx, args, bucket_objects_list),
};

/// The prefix, from `s3://bucket/prefix` or from `prefix` (not both).
fn listing_prefix(args: &BucketObjectsListArgs) -> Result<String, ToolError> {
    let uri_prefix = args
        .bucket
        .trim()
        .strip_prefix("s3://")
        .and_then(|rest| rest.split_once('/'))
        .map(|(_, path)| path)
        .unwrap_or_default();
    match (uri_prefix, args.prefix.as_str()) {
        (path, "") => Ok(path.to_string()),
        ("", prefix) => Ok(prefix.to_string()),
        _ => Err(ToolError::invalid(
            "prefix",
            "give the prefix either in `bucket` (s3://bucket/prefix) or in `prefix`, not both",
        )),
    }
}

#[tracing::instrument(skip_all, fields(bucket = %args.bucket, prefix = %args.prefix))]
async fn bucket_objects_list(
    ctx: &Ctx,
    args: BucketObjectsListArgs,
) -> Result<BucketObjectsList, ToolError> {
    let bucket = bucket_arg("bucket", &args.bucket)?;
    let prefix = listing_prefix(&args)?;
    if !(1..=1000).contains(&args.max_keys) {
        return Err(ToolError::invalid("max_keys", "must be between 1 and 1000"));
    }
    let delimiter = Some(args.delimiter.as_str()).filter(|d| !d.is_empty());
    let token = Some(args.continuation_token.trim()).filter(|t| !t.is_empty());
    let s3 = caller_s3(ctx).await?;
    let link_seconds = if args.include_signed_urls {
        Some(link_lifetime(
            LIST_LINK_SECONDS,
            s3.credentials_expire_at(),
        )?)
    } else {
        None
    };
    let budgeted = args.max_keys <= DEFAULT_MAX_KEYS;
    let mut max_keys = args.max_keys;
    // Ends: every turn that does not return lists fewer entries, and one entry always returns.
    loop {
        let request = ListRequest {
            prefix: &prefix,
            delimiter,
            max_keys,
            continuation_token: token,
        };
        let page = s3.list(&bucket, &request).await?;
        let entries = page.objects.len() + page.folders.len();
        let objects = listed_objects(&s3, &bucket, &page, link_seconds).await?;
        let mut listing = BucketObjectsList {
            bucket: bucket.clone(),
            prefix: prefix.clone(),
            delimiter: delimiter.map(str::to_string),
            count: objects.len(),
            objects,
            folders: page.folders,
            is_truncated: page.is_truncated,
            next_continuation_token: page.next_continuation_token,
            signed_urls_expire_at: link_seconds.map(rfc3339_in),
            hint: None,
        };
        if max_keys < args.max_keys {
            listing.hint = Some(format!(
                "this page was cut to {max_keys} entries to keep the result within 16 KiB; next_continuation_token continues right after the last one (max_keys above {DEFAULT_MAX_KEYS} gives whole pages)"
            ));
        }
        let size = encoded_len(&listing);
        if !budgeted || size <= TEXT_BUDGET || max_keys == 1 {
            return Ok(listing);
        }
        // A page of the entries that fit, re-listed from the same place so the continuation
        // token S3 gives resumes exactly after them. A tenth is kept spare: rows vary in length.
        let fit = entries * TEXT_BUDGET * 9 / 10 / size;
        max_keys = i32::try_from(fit).unwrap_or(1).clamp(1, max_keys - 1);
    }
}

/// The page's objects as the tool shows them, each with a link when `link_seconds` is set.
async fn listed_objects(
    s3: &CallerS3,
    bucket: &str,
    page: &ListPage,
    link_seconds: Option<u64>,
) -> Result<Vec<ListedObject>, ToolError> {
    let mut objects = Vec::with_capacity(page.objects.len());
    for object in &page.objects {
        let at = ObjectLocation {
            bucket: bucket.to_string(),
            key: object.key.clone(),
            version_id: None,
        };
        let signed_url = match link_seconds {
            // Signed locally with the credentials already held: no S3 call, no exchange.
            Some(seconds) => Some(s3.presign_get(&at, Duration::from_secs(seconds)).await?),
            None => None,
        };
        objects.push(ListedObject {
            key: object.key.clone(),
            s3_uri: at.uri(),
            size: object.size,
            last_modified: object.last_modified.clone(),
            etag: object.etag.clone(),
            storage_class: object.storage_class.clone(),
            signed_url,
        });
    }
    Ok(objects)
}
