//! Tabulator tables: a bucket's SQL views over files inside its packages. Anyone who can see
//! the bucket may list them; creating, replacing, renaming and deleting need catalog admin
//! rights. The table's YAML is built in `tabulator_config.rs`.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::catalog::Operation;
use crate::catalog::queries::{LIST_TABULATOR_TABLES, RENAME_TABULATOR_TABLE, SET_TABULATOR_TABLE};
use crate::tools::admin::common::{Call, decode, run, success};
use crate::tools::budget::{TEXT_BUDGET, take_within};
use crate::tools::navigation::quilt_uri::bucket_arg;
use crate::tools::tabulator::table_yaml::{Column, ParserFormat, TableSpec, build};
use crate::tools::{Annotations, Ctx, Tool, ToolError, typed};

/// One Tabulator table: its name and YAML definition.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
pub struct Table {
    pub name: String,
    pub config: String,
}

/// A table name argument, trimmed and not empty (the catalog checks the rest).
fn table_name(field: &str, value: &str) -> Result<String, ToolError> {
    let name = value.trim();
    if name.is_empty() {
        return Err(ToolError::invalid(
            field,
            "must not be empty; give a table name",
        ));
    }
    Ok(name.to_string())
}

/// The table names of a `BucketConfig` answer, after the typed error arms.
fn tables_after(op: Operation, result: Value) -> Result<Vec<String>, ToolError> {
    success(op, &result)?;
    let tables = result
        .get("tabulatorTables")
        .cloned()
        .unwrap_or(Value::Null);
    let tables: Vec<Table> = decode(op, tables)?;
    Ok(tables.into_iter().map(|t| t.name).collect())
}

/// Sends a `SetTabulatorTable` (a null `config` deletes) and returns the bucket's table names.
async fn set_table(
    ctx: &Ctx,
    bucket: &str,
    table: &str,
    config: Option<&str>,
) -> Result<Vec<String>, ToolError> {
    let variables = json!({ "bucketName": bucket, "tableName": table, "config": config });
    let root = "bucketSetTabulatorTable";
    let result = run(ctx, SET_TABULATOR_TABLE, root, Call::Write, variables).await?;
    tables_after(SET_TABULATOR_TABLE, result)
}

// ---------------------------------------------------------------------------------------------

/// Arguments of `tabulator_tables_list`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TabulatorTablesListArgs {
    /// The bucket, as `s3://bucket` or `bucket`.
    pub bucket: String,
    /// Skip this many tables first: the `next_offset` of an answer cut at its 16 KiB budget.
    #[serde(default)]
    pub offset: usize,
}

/// A bucket's Tabulator tables.
#[derive(Debug, Serialize, JsonSchema)]
pub struct TablesList {
    pub bucket: String,
    pub tables: Vec<Table>,
    /// How many tables the bucket has, shown or not.
    pub count: usize,
    /// True when tables were left out to keep the answer within its size budget.
    pub truncated: bool,
    /// The `offset` that lists the tables left out.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_offset: Option<usize>,
}

pub const TABULATOR_TABLES_LIST: Tool = Tool {
    name: "tabulator_tables_list",
    title: "List Tabulator tables",
    description: "List a bucket's Tabulator tables (SQL tables over files inside its packages), each with its YAML definition: columns, package and logical-key patterns, parser.",
    annotations: Annotations::READ_ONLY,
    input_schema: || schemars::schema_for!(TabulatorTablesListArgs),
    output_schema: Some(|| schemars::schema_for!(TablesList)),
    call: |ctx, args| typed(ctx, args, tabulator_tables_list),
};

async fn tabulator_tables_list(
    ctx: &Ctx,
    args: TabulatorTablesListArgs,
) -> Result<TablesList, ToolError> {
    tables_list(ctx, &args.bucket, "bucket", args.offset).await
}

/// Lists a bucket's tables from `offset` on, within the text budget (also the
/// `tabulator://{bucket}/tables` resource); `field` names the argument that held the bucket.
pub async fn tables_list(
    ctx: &Ctx,
    bucket: &str,
    field: &str,
    offset: usize,
) -> Result<TablesList, ToolError> {
    let bucket = bucket_arg(field, bucket)?;
    let variables = json!({ "name": bucket });
    let data = ctx
        .state
        .catalog
        .graphql_read(ctx.on_behalf(), LIST_TABULATOR_TABLES, variables)
        .await?;
    let config = data.get("bucketConfig").cloned().unwrap_or(Value::Null);
    if config.is_null() {
        return Err(ToolError::NotFound(format!(
            "no bucket `{bucket}` that this user can see; bucket_list shows the buckets"
        )));
    }
    let tables = config
        .get("tabulatorTables")
        .cloned()
        .unwrap_or(Value::Null);
    let tables: Vec<Table> = decode(LIST_TABULATOR_TABLES, tables)?;
    let count = tables.len();
    // Each YAML definition is a few hundred bytes; a bucket with many is listed in pages.
    let from_offset: Vec<Table> = tables.into_iter().skip(offset).collect();
    let (tables, left_out) = take_within(from_offset, TEXT_BUDGET - 256);
    Ok(TablesList {
        bucket,
        next_offset: (left_out > 0).then_some(offset + tables.len()),
        truncated: left_out > 0,
        count,
        tables,
    })
}

// ---------------------------------------------------------------------------------------------

fn default_true() -> bool {
    true
}

/// Arguments of `tabulator_table_create`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TabulatorTableCreateArgs {
    /// The bucket, as `s3://bucket` or `bucket`.
    pub bucket_name: String,
    /// The table's name; an existing table of that name is replaced.
    pub table_name: String,
    /// The columns, in file order for csv/tsv (for parquet, names match the file's columns).
    pub schema: Vec<Column>,
    /// Regular expression over package names (`namespace/name`); named groups such as
    /// `(?<study>[^/]+)` become columns. E.g. `^team/(?<study>[^/]+)$`.
    pub package_pattern: String,
    /// Regular expression over the logical keys (paths) inside those packages; named groups become
    /// columns. E.g. `results/(?<sample_id>[^/]+)_counts\.csv$`.
    pub logical_key_pattern: String,
    /// File format: `csv` (default), `tsv` (csv with a tab delimiter) or `parquet`.
    #[serde(default)]
    pub parser_format: ParserFormat,
    /// For csv/tsv: the one-character field delimiter; empty (the default) means `,` for csv
    /// and a tab for tsv.
    #[serde(default)]
    pub parser_delimiter: String,
    /// For csv/tsv: whether the first row holds column names (default true).
    #[serde(default = "default_true")]
    pub parser_header: bool,
    /// For csv/tsv: rows to skip at the top of each file, written as the parser's `skip_rows`
    /// when above 0.
    #[serde(default)]
    pub parser_skip_rows: u32,
    /// A note for people reading the definition, kept as a YAML comment at its top; none by
    /// default.
    #[serde(default)]
    pub description: String,
}

/// A table written: where, its YAML, and the bucket's tables after the change.
#[derive(Debug, Serialize, JsonSchema)]
pub struct TableWritten {
    pub bucket_name: String,
    pub table_name: String,
    pub config: String,
    pub tables: Vec<String>,
}

pub const TABULATOR_TABLE_CREATE: Tool = Tool {
    name: "tabulator_table_create",
    title: "Create or replace a Tabulator table",
    description: "Define a Tabulator table on a bucket from typed columns, a package-name regex, a logical-key regex and parser options; the YAML is built and shown. Replaces a table of the same name. Needs catalog admin rights.",
    annotations: Annotations::DESTRUCTIVE,
    input_schema: || schemars::schema_for!(TabulatorTableCreateArgs),
    output_schema: Some(|| schemars::schema_for!(TableWritten)),
    call: |ctx, args| typed(ctx, args, tabulator_table_create),
};

async fn tabulator_table_create(
    ctx: &Ctx,
    args: TabulatorTableCreateArgs,
) -> Result<TableWritten, ToolError> {
    let bucket = bucket_arg("bucket_name", &args.bucket_name)?;
    let table = table_name("table_name", &args.table_name)?;
    let config = build(&TableSpec {
        schema: &args.schema,
        package_pattern: &args.package_pattern,
        logical_key_pattern: &args.logical_key_pattern,
        format: args.parser_format,
        delimiter: Some(args.parser_delimiter.as_str()).filter(|d| !d.is_empty()),
        header: args.parser_header,
        skip_rows: args.parser_skip_rows,
        description: Some(args.description.as_str()).filter(|d| !d.trim().is_empty()),
    })?;
    let tables = set_table(ctx, &bucket, &table, Some(&config)).await?;
    Ok(TableWritten {
        bucket_name: bucket,
        table_name: table,
        config,
        tables,
    })
}

/// Arguments of `tabulator_table_delete`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TabulatorTableDeleteArgs {
    /// The bucket, as `s3://bucket` or `bucket`.
    pub bucket_name: String,
    /// The table to delete.
    pub table_name: String,
}

/// A table deleted, and the bucket's tables after it.
#[derive(Debug, Serialize, JsonSchema)]
pub struct TableDeleted {
    pub bucket_name: String,
    pub table_name: String,
    pub deleted: bool,
    pub tables: Vec<String>,
}

pub const TABULATOR_TABLE_DELETE: Tool = Tool {
    name: "tabulator_table_delete",
    title: "Delete a Tabulator table",
    description: "Delete a bucket's Tabulator table definition (the package files stay). Needs catalog admin rights.",
    annotations: Annotations::DESTRUCTIVE,
    input_schema: || schemars::schema_for!(TabulatorTableDeleteArgs),
    output_schema: Some(|| schemars::schema_for!(TableDeleted)),
    call: |ctx, args| typed(ctx, args, tabulator_table_delete),
};

async fn tabulator_table_delete(
    ctx: &Ctx,
    args: TabulatorTableDeleteArgs,
) -> Result<TableDeleted, ToolError> {
    let bucket = bucket_arg("bucket_name", &args.bucket_name)?;
    let table = table_name("table_name", &args.table_name)?;
    let tables = set_table(ctx, &bucket, &table, None).await?;
    Ok(TableDeleted {
        bucket_name: bucket,
        table_name: table,
        deleted: true,
        tables,
    })
}

/// Arguments of `tabulator_table_rename`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TabulatorTableRenameArgs {
    /// The bucket, as `s3://bucket` or `bucket`.
    pub bucket_name: String,
    /// The table's current name.
    pub table_name: String,
    /// The table's new name.
    pub new_table_name: String,
}

/// A table renamed, and the bucket's tables after it.
#[derive(Debug, Serialize, JsonSchema)]
pub struct TableRenamed {
    pub bucket_name: String,
    pub table_name: String,
    pub new_table_name: String,
    pub tables: Vec<String>,
}

pub const TABULATOR_TABLE_RENAME: Tool = Tool {
    name: "tabulator_table_rename",
    title: "Rename a Tabulator table",
    description: "Rename a bucket's Tabulator table; queries must then use the new name. Needs catalog admin rights.",
    annotations: Annotations::DESTRUCTIVE,
    input_schema: || schemars::schema_for!(TabulatorTableRenameArgs),
    output_schema: Some(|| schemars::schema_for!(TableRenamed)),
    call: |ctx, args| typed(ctx, args, tabulator_table_rename),
};

async fn tabulator_table_rename(
    ctx: &Ctx,
    args: TabulatorTableRenameArgs,
) -> Result<TableRenamed, ToolError> {
    let bucket = bucket_arg("bucket_name", &args.bucket_name)?;
    let table = table_name("table_name", &args.table_name)?;
    let new_table = table_name("new_table_name", &args.new_table_name)?;
    let variables = json!({ "bucketName": bucket, "tableName": table, "newTableName": new_table });
    let root = "bucketRenameTabulatorTable";
    let result = run(ctx, RENAME_TABULATOR_TABLE, root, Call::Write, variables).await?;
    Ok(TableRenamed {
        tables: tables_after(RENAME_TABULATOR_TABLE, result)?,
        bucket_name: bucket,
        table_name: table,
        new_table_name: new_table,
    })
}
