//! Querying Tabulator tables: the Tabulator data catalog is found as the catalog finds it
//! (`quilt-<stack>-tabulator`, from `config.json`), each bucket is a database in it, and the
//! queries run through the athena toolset's flow with the caller's own credentials.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::aws::athena::tabulator_catalog_name;
use crate::tools::athena::results::OutputFormat;
use crate::tools::athena::run::{
    AthenaQueryResult, DEFAULT_MAX_RESULTS, RunArgs, caller_athena, execute,
};
use crate::tools::budget::{TEXT_BUDGET, take_within};
use crate::tools::{Annotations, Ctx, Tool, ToolError, typed};

fn default_max_results() -> u32 {
    DEFAULT_MAX_RESULTS
}

/// The Tabulator data catalog of this catalog, or the error that says it has none.
pub(crate) async fn tabulator_catalog(ctx: &Ctx) -> Result<String, ToolError> {
    let config = ctx.state.catalog.config_json(&ctx.request_id).await?;
    tabulator_catalog_name(&config).ok_or_else(|| {
        ToolError::Failed(
            "this catalog has no Tabulator data catalog (its config.json names no analyticsBucket), so Tabulator tables cannot be queried here; athena_databases_list shows what can be"
                .into(),
        )
    })
}

/// Arguments of `tabulator_list_buckets` (none).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TabulatorListBucketsArgs {}

/// The result of `tabulator_list_buckets`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct TabulatorBuckets {
    /// The Tabulator data catalog, e.g. `quilt-example-stack-tabulator`.
    pub data_catalog: String,
    /// The buckets with Tabulator tables you can query (one database each).
    pub buckets: Vec<String>,
    pub count: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

pub const TABULATOR_LIST_BUCKETS: Tool = Tool {
    name: "tabulator_list_buckets",
    title: "List buckets queryable with Tabulator",
    description: "List the buckets (databases) of the catalog's Tabulator data catalog that the caller can query; tabulator_tables_list shows a bucket's tables and tabulator_bucket_query queries them.",
    annotations: Annotations::READ_ONLY,
    input_schema: || schemars::schema_for!(TabulatorListBucketsArgs),
    output_schema: Some(|| schemars::schema_for!(TabulatorBuckets)),
    call: |ctx, args| typed(ctx, args, tabulator_list_buckets),
};

async fn tabulator_list_buckets(
    ctx: &Ctx,
    _args: TabulatorListBucketsArgs,
) -> Result<TabulatorBuckets, ToolError> {
    tabulator_buckets(ctx).await
}

/// The Tabulator buckets the caller can query (also the `tabulator://buckets` resource).
pub(crate) async fn tabulator_buckets(ctx: &Ctx) -> Result<TabulatorBuckets, ToolError> {
    let catalog = tabulator_catalog(ctx).await?;
    let athena = caller_athena(ctx).await?;
    let listing = athena.databases(&catalog).await?;
    let names: Vec<String> = listing.items.into_iter().map(|d| d.name).collect();
    let count = names.len();
    let (buckets, left_out) = take_within(names, TEXT_BUDGET * 9 / 10);
    Ok(TabulatorBuckets {
        data_catalog: catalog,
        buckets,
        count,
        hint: (left_out > 0).then(|| format!("{left_out} more buckets are not shown")),
    })
}

/// Arguments of `tabulator_query_execute`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TabulatorQueryExecuteArgs {
    /// One read-only SQL statement; name tables as `"bucket-name"."table"`, or set
    /// `database_name` to a bucket and use the table alone. Double quotes, never backticks.
    pub query: String,
    /// A bucket (tabulator_list_buckets shows them) unqualified table names refer to.
    #[serde(default)]
    pub database_name: String,
    /// The Athena workgroup; by default the operator's, else one found for you.
    #[serde(default)]
    pub workgroup_name: String,
    /// Rows to return, 1 to 10000 (up to 1000 kept within 16 KiB; see athena_query_execute).
    #[serde(default = "default_max_results")]
    #[schemars(range(min = 1, max = 10000))]
    pub max_results: u32,
    /// `json`, `csv` or `table`; `parquet` is refused.
    #[serde(default)]
    pub output_format: OutputFormat,
}

pub const TABULATOR_QUERY_EXECUTE: Tool = Tool {
    name: "tabulator_query_execute",
    title: "Query Tabulator tables",
    description: "Run one read-only SQL statement on the catalog's Tabulator data catalog (each bucket a database, its Tabulator tables the tables) with the caller's own access; results as athena_query_execute gives them, further pages with athena_query_results.",
    annotations: Annotations::READ_ONLY,
    input_schema: || schemars::schema_for!(TabulatorQueryExecuteArgs),
    output_schema: Some(|| schemars::schema_for!(AthenaQueryResult)),
    call: |ctx, args| typed(ctx, args, tabulator_query_execute),
};

async fn tabulator_query_execute(
    ctx: &Ctx,
    args: TabulatorQueryExecuteArgs,
) -> Result<AthenaQueryResult, ToolError> {
    let catalog = tabulator_catalog(ctx).await?;
    let database = Some(args.database_name.trim());
    let run = RunArgs {
        query: &args.query,
        catalog: &catalog,
        database: database.filter(|d| !d.is_empty()),
        workgroup: Some(args.workgroup_name.as_str()),
        max_results: args.max_results,
        format: args.output_format,
    };
    execute(ctx, run).await
}

/// Arguments of `tabulator_bucket_query`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TabulatorBucketQueryArgs {
    /// The bucket whose Tabulator tables the query reads (its database); `s3://bucket` and
    /// `quilt+s3://bucket` are accepted.
    pub bucket_name: String,
    /// One read-only SQL statement over the bucket's tables, e.g.
    /// `SELECT sample_id, SUM(read_count) FROM rnaseq_samples GROUP BY 1`.
    pub query: String,
    /// The Athena workgroup; by default the operator's, else one found for you.
    #[serde(default)]
    pub workgroup_name: String,
    /// Rows to return, 1 to 10000 (up to 1000 kept within 16 KiB; see athena_query_execute).
    #[serde(default = "default_max_results")]
    #[schemars(range(min = 1, max = 10000))]
    pub max_results: u32,
    /// `json`, `csv` or `table`; `parquet` is refused.
    #[serde(default)]
    pub output_format: OutputFormat,
}

pub const TABULATOR_BUCKET_QUERY: Tool = Tool {
    name: "tabulator_bucket_query",
    title: "Query one bucket's Tabulator tables",
    description: "Run one read-only SQL statement on one bucket's Tabulator tables (tabulator_tables_list shows them), with the caller's own access; results as athena_query_execute gives them.",
    annotations: Annotations::READ_ONLY,
    input_schema: || schemars::schema_for!(TabulatorBucketQueryArgs),
    output_schema: Some(|| schemars::schema_for!(AthenaQueryResult)),
    call: |ctx, args| typed(ctx, args, tabulator_bucket_query),
};

async fn tabulator_bucket_query(
    ctx: &Ctx,
    args: TabulatorBucketQueryArgs,
) -> Result<AthenaQueryResult, ToolError> {
    let bucket = crate::tools::navigation::quilt_uri::bucket_arg("bucket_name", &args.bucket_name)?;
    let catalog = tabulator_catalog(ctx).await?;
    let run = RunArgs {
        query: &args.query,
        catalog: &catalog,
        database: Some(&bucket),
        workgroup: Some(args.workgroup_name.as_str()),
        max_results: args.max_results,
        format: args.output_format,
    };
    execute(ctx, run).await
}
