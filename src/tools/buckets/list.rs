//! Buckets: which buckets the caller can see in the catalog.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::catalog::queries::LIST_BUCKETS;
use crate::tools::{Annotations, Ctx, Tool, ToolError, decode, typed};

/// `bucket_list` takes no arguments.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BucketListArgs {}

/// One bucket, as the catalog describes it (the `ListBuckets` selection, field names kept).
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Bucket {
    pub name: String,
    pub title: String,
    pub description: Option<String>,
    pub icon_url: Option<String>,
    pub overview_url: Option<String>,
    pub tags: Option<Vec<String>>,
    pub relevance_score: i64,
    /// Whether package files in it can be read through browsing sessions.
    pub browsable: bool,
    pub last_indexed: Option<String>,
}

/// The answer to `ListBuckets`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListBucketsData {
    bucket_configs: Vec<Bucket>,
}

/// The result of `bucket_list`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct BucketList {
    pub buckets: Vec<Bucket>,
    pub count: usize,
}

pub const BUCKET_LIST: Tool = Tool {
    name: "bucket_list",
    title: "List buckets",
    description: "List the S3 buckets this catalog user can see, with title, description, tags and whether they are browsable.",
    annotations: Annotations::READ_ONLY,
    input_schema: || schemars::schema_for!(BucketListArgs),
    output_schema: Some(|| schemars::schema_for!(BucketList)),
    call: |ctx, args| typed(ctx, args, bucket_list),
};

async fn bucket_list(ctx: &Ctx, _args: BucketListArgs) -> Result<BucketList, ToolError> {
    let buckets = catalog_buckets(ctx, false).await?;
    Ok(BucketList {
        count: buckets.len(),
        buckets,
    })
}

/// The caller's catalog buckets (`bucketConfigs`); `fresh` skips the short read cache.
pub(crate) async fn catalog_buckets(ctx: &Ctx, fresh: bool) -> Result<Vec<Bucket>, ToolError> {
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
    let ListBucketsData { bucket_configs } = decode(LIST_BUCKETS, data)?;
    Ok(bucket_configs)
}
