//! `athena_query_execute` runs one read-only statement and returns its first page of results;
//! `athena_query_results` reads further pages of a finished query by its execution id,
//! without running it again.

use schemars::JsonSchema;
use serde::Deserialize;

use super::default_data_catalog;
use super::results::OutputFormat;
use super::run::{
    AthenaQueryResult, DEFAULT_MAX_RESULTS, RunArgs, caller_athena, check_page_args, execute, page,
    read_cursor,
};
use crate::aws::athena::{AthenaError, AthenaErrorKind};
use crate::tools::{Annotations, Ctx, Tool, ToolError, typed};

fn default_max_results() -> u32 {
    DEFAULT_MAX_RESULTS
}

/// Arguments of `athena_query_execute`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AthenaQueryExecuteArgs {
    /// One SQL statement in Athena's (Trino) dialect. Use double quotes for identifiers with
    /// special characters, never backticks: `SELECT * FROM "my-table" LIMIT 10`. Only SELECT,
    /// WITH, SHOW, DESCRIBE, EXPLAIN and VALUES run unless the operator allows writes.
    pub query: String,
    /// The database unqualified table names refer to (athena_databases_list shows them).
    #[serde(default)]
    pub database_name: String,
    /// The Athena workgroup; by default the operator's, else one found for you (named in the
    /// result).
    #[serde(default)]
    pub workgroup_name: String,
    /// The data catalog: `AwsDataCatalog` (Glue) or another athena_databases_list shows, such
    /// as the Tabulator catalog.
    #[serde(default = "default_data_catalog")]
    pub data_catalog_name: String,
    /// Rows to return, 1 to 10000. Up to 1000 rows are also kept within 16 KiB of result (a
    /// longer page is cut and `next_token` continues after it); above 1000, whole pages up to
    /// 1 MiB.
    #[serde(default = "default_max_results")]
    #[schemars(range(min = 1, max = 10000))]
    pub max_results: u32,
    /// `json` (typed row objects), `csv`, or `table` (Markdown). `parquet` is refused.
    #[serde(default)]
    pub output_format: OutputFormat,
}

pub const ATHENA_QUERY_EXECUTE: Tool = Tool {
    name: "athena_query_execute",
    title: "Run an Athena SQL query",
    description: "Run one read-only SQL statement on Amazon Athena with the caller's own AWS access and return its first page of results: columns with types, typed rows (json), csv or a Markdown table, the execution id, data scanned, cost estimate and engine time. Further pages: athena_query_results with the execution id and next_token.",
    annotations: Annotations::READ_ONLY,
    input_schema: || schemars::schema_for!(AthenaQueryExecuteArgs),
    output_schema: Some(|| schemars::schema_for!(AthenaQueryResult)),
    call: |ctx, args| typed(ctx, args, athena_query_execute),
};

#[tracing::instrument(skip_all, fields(catalog = %args.data_catalog_name))]
async fn athena_query_execute(
    ctx: &Ctx,
    args: AthenaQueryExecuteArgs,
) -> Result<AthenaQueryResult, ToolError> {
    let catalog = args.data_catalog_name.trim();
    if catalog.is_empty() {
        return Err(ToolError::invalid("data_catalog_name", "must not be empty"));
    }
    let database = Some(args.database_name.trim());
    let run = RunArgs {
        query: &args.query,
        catalog,
        database: database.filter(|d| !d.is_empty()),
        workgroup: Some(args.workgroup_name.as_str()),
        max_results: args.max_results,
        format: args.output_format,
    };
    execute(ctx, run).await
}

/// Arguments of `athena_query_results`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AthenaQueryResultsArgs {
    /// The `execution_id` of an earlier athena_query_execute (or tabulator query) result.
    pub execution_id: String,
    /// The `next_token` of the previous page; none for the first page.
    #[serde(default)]
    pub next_token: String,
    /// Rows to return, 1 to 10000 (as in athena_query_execute).
    #[serde(default = "default_max_results")]
    #[schemars(range(min = 1, max = 10000))]
    pub max_results: u32,
    /// `json`, `csv` or `table`.
    #[serde(default)]
    pub output_format: OutputFormat,
}

pub const ATHENA_QUERY_RESULTS: Tool = Tool {
    name: "athena_query_results",
    title: "Read more results of an Athena query",
    description: "Read a page of a finished Athena query's results by its execution id, without running the query again (no new cost): pass the next_token of the previous page.",
    annotations: Annotations::READ_ONLY,
    input_schema: || schemars::schema_for!(AthenaQueryResultsArgs),
    output_schema: Some(|| schemars::schema_for!(AthenaQueryResult)),
    call: |ctx, args| typed(ctx, args, athena_query_results),
};

#[tracing::instrument(skip_all, fields(execution_id = %args.execution_id))]
async fn athena_query_results(
    ctx: &Ctx,
    args: AthenaQueryResultsArgs,
) -> Result<AthenaQueryResult, ToolError> {
    let id = args.execution_id.trim();
    if id.is_empty() || id.len() > 128 {
        return Err(ToolError::invalid(
            "execution_id",
            "must be the execution_id of an earlier query result",
        ));
    }
    check_page_args(args.max_results, args.output_format)?;
    let cursor = read_cursor(Some(args.next_token.as_str()))?;
    let athena = caller_athena(ctx).await?;
    let execution = athena.execution(id).await.map_err(|e| match e.kind {
        AthenaErrorKind::InvalidRequest(_) => ToolError::NotFound(format!(
            "{e}; execution ids come from athena_query_execute results, and only their own caller can read them"
        )),
        _ => e.into(),
    })?;
    let still = |state: &str| {
        AthenaError::new(
            "athena:GetQueryResults",
            id,
            AthenaErrorKind::InvalidRequest(format!(
                "the query is {state}, so it has no results to read"
            )),
        )
    };
    match execution.state.as_str() {
        "SUCCEEDED" => {}
        "FAILED" => {
            let reason = execution.reason.clone().unwrap_or_default();
            let kind = AthenaErrorKind::QueryFailed(reason);
            return Err(AthenaError::new("athena:GetQueryExecution", id, kind).into());
        }
        other => return Err(still(other).into()),
    }
    page(
        &athena,
        &execution,
        cursor,
        args.max_results,
        args.output_format,
    )
    .await
}
