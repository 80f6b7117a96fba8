//! Buckets: which buckets the caller can see in the catalog.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::catalog::queries::LIST_BUCKETS;
use crate::tools::{Annotations, Ctx, Tool, ToolError, typed};

/// `bucket_list` takes no arguments.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BucketListArgs {}

/// The result of `bucket_list`.
#[derive(Debug, Serialize)]
pub struct BucketList {
    pub buckets: Vec<Value>,
    pub count: usize,
}

pub const BUCKET_LIST: Tool = Tool {
    name: "bucket_list",
    title: "List buckets",
    description: "List the S3 buckets this catalog user can see, with title, description, tags and whether they are browsable.",
    annotations: Annotations::READ_ONLY,
    input_schema: || schemars::schema_for!(BucketListArgs),
    call: |ctx, args| typed(ctx, args, bucket_list),
};

async fn bucket_list(ctx: &Ctx, _args: BucketListArgs) -> Result<BucketList, ToolError> {
    let mut data = ctx
        .state
        .catalog
        .graphql_read(ctx.on_behalf(), LIST_BUCKETS, Value::Null)
        .await?;
    let buckets = match data.get_mut("bucketConfigs").map(Value::take) {
        Some(Value::Array(buckets)) => buckets,
        _ => Vec::new(),
    };
    Ok(BucketList {
        count: buckets.len(),
        buckets,
    })
}
