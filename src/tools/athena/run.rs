//! The flow every query tool shares (athena_query_execute, athena_query_results and the
//! Tabulator query tools): check the statement, pick the workgroup, run the query to its end
//! with the caller's credentials, then read one budgeted page of its results.

use schemars::JsonSchema;
use serde::Serialize;

use super::results::{
    Column, Cursor, Formatted, OutputFormat, RawRow, cost_estimate_usd, format_rows,
};
use super::sql;
use crate::aws::athena::CallerAthena;
use crate::aws::athena::query::{Execution, MAX_PAGE_ROWS, QueryRequest};
use crate::tools::budget::{TEXT_BUDGET, encoded_len};
use crate::tools::{Ctx, ToolError};

/// The default (and upstream's) `max_results`; up to this many rows are also kept within the
/// result budget.
pub const DEFAULT_MAX_RESULTS: u32 = 1000;
/// The most rows one call returns.
pub const MAX_RESULTS: u32 = 10_000;
/// The hard ceiling on one result's text when more than the default rows are asked for.
const LARGE_BUDGET: usize = 1024 * 1024;

/// The caller's Athena: their cached credentials (exchanged at most once here).
pub(crate) async fn caller_athena(ctx: &Ctx) -> Result<CallerAthena, ToolError> {
    Ok(CallerAthena::connect(&ctx.state.athena, &ctx.state.catalog, ctx.on_behalf()).await?)
}

/// One query to run.
#[derive(Clone, Debug)]
pub struct RunArgs<'a> {
    pub query: &'a str,
    pub catalog: &'a str,
    pub database: Option<&'a str>,
    pub workgroup: Option<&'a str>,
    pub max_results: u32,
    pub format: OutputFormat,
}

/// A query's results, one page.
#[derive(Debug, Serialize, JsonSchema)]
pub struct AthenaQueryResult {
    /// Athena's id of this run: athena_query_results reads more of its results by it.
    pub execution_id: String,
    pub state: String,
    /// The workgroup the query ran in.
    pub workgroup: String,
    pub data_catalog: Option<String>,
    pub database: Option<String>,
    /// DML, DDL or UTILITY.
    pub statement_type: Option<String>,
    pub format: OutputFormat,
    pub columns: Vec<Column>,
    #[serde(flatten)]
    pub formatted: Formatted,
    /// Rows in this page.
    pub row_count: usize,
    /// More rows follow: pass `next_token` to athena_query_results.
    pub truncated: bool,
    pub next_token: Option<String>,
    /// Set when rows follow: how to get them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    pub data_scanned_bytes: i64,
    /// Athena's price for the data scanned ($5 per TB, 10 MB minimum), in US dollars.
    pub cost_estimate_usd: f64,
    /// Time the engine spent, in milliseconds.
    pub engine_time_ms: i64,
    /// Time from submission to the end, queueing included, in milliseconds.
    pub total_time_ms: i64,
}

/// Refuses what cannot be answered before anything is sent to Athena.
pub fn check_page_args(max_results: u32, format: OutputFormat) -> Result<(), ToolError> {
    if !(1..=MAX_RESULTS).contains(&max_results) {
        return Err(ToolError::invalid(
            "max_results",
            format!("must be between 1 and {MAX_RESULTS}"),
        ));
    }
    if format == OutputFormat::Parquet {
        return Err(ToolError::invalid(
            "output_format",
            "parquet is not offered: a binary file does not belong in a tool result, and Athena already keeps the full result as CSV in the workgroup's output location; use csv (compact) or json (typed values)",
        ));
    }
    Ok(())
}

/// Checks, gates and runs one query, and returns its first page.
pub async fn execute(ctx: &Ctx, args: RunArgs<'_>) -> Result<AthenaQueryResult, ToolError> {
    check_page_args(args.max_results, args.format)?;
    let checked = sql::check(args.query).map_err(|p| ToolError::invalid("query", p.message))?;
    let settings = ctx.state.athena.settings();
    sql::gate(&checked, settings.allow_writes).map_err(|m| ToolError::invalid("query", m))?;
    let mut athena = caller_athena(ctx).await?;
    let workgroup = athena.workgroup(&ctx.state.athena, args.workgroup).await?;
    let request = QueryRequest {
        sql: args.query,
        catalog: args.catalog,
        database: args.database,
        workgroup: &workgroup,
    };
    let renew = || CallerAthena::connect(&ctx.state.athena, &ctx.state.catalog, ctx.on_behalf());
    let execution = athena.run(&request, settings.query_timeout, renew).await?;
    page(
        &athena,
        &execution,
        Cursor::default(),
        args.max_results,
        args.format,
    )
    .await
}

/// Rows read with where each one sits, so a cut can continue right after the last shown.
struct Fetched {
    rows: Vec<(RawRow, Cursor)>,
    columns: Vec<Column>,
    /// Where reading stopped: the next row after the last one read, `None` at the end.
    after: Option<Cursor>,
}

/// Reads up to `want` rows from `cursor` on.
async fn fetch(
    athena: &CallerAthena,
    execution: &Execution,
    cursor: Cursor,
    want: usize,
) -> Result<Fetched, ToolError> {
    let mut fetched = Fetched {
        rows: Vec::new(),
        columns: Vec::new(),
        after: Some(cursor),
    };
    while let Some(at) = fetched.after.take() {
        let left = want - fetched.rows.len();
        let ask = i32::try_from(left + at.skip)
            .unwrap_or(MAX_PAGE_ROWS)
            .min(MAX_PAGE_ROWS);
        let page = athena
            .results(execution, at.page_token.as_deref(), ask)
            .await?;
        if fetched.columns.is_empty() {
            fetched.columns = page.columns.iter().map(Column::from).collect();
        }
        let available = page.rows.len();
        for (index, row) in page.rows.into_iter().enumerate().skip(at.skip).take(left) {
            let position = Cursor {
                page_token: at.page_token.clone(),
                skip: index,
            };
            fetched.rows.push((row, position));
        }
        let used = (at.skip + left).min(available);
        fetched.after = if used < available {
            Some(Cursor {
                page_token: at.page_token.clone(),
                skip: used,
            })
        } else {
            page.next_token.map(|token| Cursor {
                page_token: Some(token),
                skip: 0,
            })
        };
        if fetched.rows.len() >= want {
            break;
        }
    }
    Ok(fetched)
}

/// One page of a finished query's results from `cursor`, kept within the budget.
pub async fn page(
    athena: &CallerAthena,
    execution: &Execution,
    cursor: Cursor,
    max_results: u32,
    format: OutputFormat,
) -> Result<AthenaQueryResult, ToolError> {
    let fetched = fetch(athena, execution, cursor, max_results as usize).await?;
    let budget = match max_results <= DEFAULT_MAX_RESULTS {
        true => TEXT_BUDGET,
        false => LARGE_BUDGET,
    };
    let (rows, positions): (Vec<RawRow>, Vec<Cursor>) = fetched.rows.into_iter().unzip();
    let mut result = AthenaQueryResult {
        execution_id: execution.id.clone(),
        state: execution.state.clone(),
        workgroup: execution.workgroup.clone().unwrap_or_default(),
        data_catalog: execution.catalog.clone(),
        database: execution.database.clone(),
        statement_type: execution.statement_type.clone(),
        format,
        columns: fetched.columns,
        formatted: Formatted::default(),
        row_count: 0,
        truncated: false,
        next_token: None,
        hint: None,
        data_scanned_bytes: execution.data_scanned_bytes,
        cost_estimate_usd: cost_estimate_usd(execution.data_scanned_bytes),
        engine_time_ms: execution.engine_time_ms,
        total_time_ms: execution.total_time_ms,
    };
    let mut keep = rows.len();
    // Ends: every turn that does not return keeps fewer rows, and zero rows always return.
    loop {
        result.formatted = format_rows(format, &result.columns, &rows[..keep]);
        result.row_count = keep;
        let next = match positions.get(keep) {
            Some(position) => Some(position.clone()),
            None => fetched.after.clone(),
        };
        result.truncated = next.is_some();
        result.next_token = next.as_ref().map(Cursor::encode);
        result.hint = next.map(|next| {
            format!(
                "more rows follow{}: call athena_query_results with execution_id {:?} and next_token {:?}",
                if keep < rows.len() { " (this page was cut to stay within the result budget)" } else { "" },
                execution.id,
                next.encode()
            )
        });
        let size = encoded_len(&result);
        if size <= budget || keep == 0 {
            return Ok(result);
        }
        // The rows that fit, with a tenth spare: rows vary in length.
        let fit = keep * budget * 9 / 10 / size;
        keep = fit.min(keep - 1);
    }
}

/// Checks a `next_token` from an earlier page.
pub fn read_cursor(next_token: Option<&str>) -> Result<Cursor, ToolError> {
    match next_token.map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(Cursor::default()),
        Some(text) => Cursor::decode(text).ok_or_else(|| {
            ToolError::invalid(
                "next_token",
                "is not a next_token this server gave; pass the one from the previous page, or none for the first",
            )
        }),
    }
}
