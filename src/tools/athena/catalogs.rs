//! What the caller can query: `athena_databases_list` (data catalogs and their databases),
//! `athena_tables_list` (a database's tables, optionally by pattern) and `athena_table_schema`
//! (one table's columns and partitions), read from Athena's metadata API, so no query runs.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::default_data_catalog;
use super::run::caller_athena;
use crate::aws::athena::catalogs::{ColumnInfo, TableInfo};
use crate::aws::athena::{AthenaError, AthenaErrorKind};
use crate::tools::budget::{TEXT_BUDGET, encoded_len, take_within};
use crate::tools::{Annotations, Ctx, Tool, ToolError, typed};

/// Arguments of `athena_databases_list`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AthenaDatabasesListArgs {
    /// Only this data catalog; by default every catalog the caller can see.
    #[serde(default)]
    pub data_catalog_name: String,
}

/// A data catalog and its databases.
#[derive(Debug, Serialize, JsonSchema)]
pub struct CatalogDatabases {
    pub data_catalog: String,
    /// GLUE, LAMBDA (Tabulator's), HIVE or FEDERATED.
    pub catalog_type: Option<String>,
    pub databases: Vec<String>,
    /// Set when the databases could not be listed (e.g. no permission); the others still are.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The result of `athena_databases_list`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct AthenaDatabasesList {
    pub catalogs: Vec<CatalogDatabases>,
    /// The workgroup queries would run in for you now.
    pub workgroup: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

pub const ATHENA_DATABASES_LIST: Tool = Tool {
    name: "athena_databases_list",
    title: "List Athena data catalogs and databases",
    description: "List the Athena data catalogs (Glue's AwsDataCatalog, the Tabulator catalog, …) and their databases that the caller can see, and the workgroup queries would run in. Start here before athena_tables_list or athena_query_execute.",
    annotations: Annotations::READ_ONLY,
    input_schema: || schemars::schema_for!(AthenaDatabasesListArgs),
    output_schema: Some(|| schemars::schema_for!(AthenaDatabasesList)),
    call: |ctx, args| typed(ctx, args, athena_databases_list),
};

async fn athena_databases_list(
    ctx: &Ctx,
    args: AthenaDatabasesListArgs,
) -> Result<AthenaDatabasesList, ToolError> {
    let athena = caller_athena(ctx).await?;
    let names: Vec<(String, Option<String>)> = match Some(args.data_catalog_name.trim()) {
        Some(name) if !name.is_empty() => vec![(name.to_string(), None)],
        _ => athena
            .data_catalogs()
            .await?
            .items
            .into_iter()
            .map(|c| (c.name, c.catalog_type))
            .collect(),
    };
    let mut catalogs = Vec::with_capacity(names.len());
    for (name, catalog_type) in names {
        let (databases, error) = match athena.databases(&name).await {
            Ok(listing) => (listing.items.into_iter().map(|d| d.name).collect(), None),
            // One catalog the caller may not read must not hide the others.
            Err(e) if args.data_catalog_name.trim().is_empty() => (Vec::new(), Some(e.to_string())),
            Err(e) => return Err(e.into()),
        };
        catalogs.push(CatalogDatabases {
            data_catalog: name,
            catalog_type,
            databases,
            error,
        });
    }
    let workgroup = athena.workgroup(&ctx.state.athena, None).await.ok();
    let mut result = AthenaDatabasesList {
        catalogs,
        workgroup,
        hint: None,
    };
    if encoded_len(&result) > TEXT_BUDGET {
        for catalog in &mut result.catalogs {
            let (kept, left_out) =
                take_within(std::mem::take(&mut catalog.databases), TEXT_BUDGET / 4);
            catalog.databases = kept;
            if left_out > 0 {
                result.hint = Some("some catalogs have more databases than shown; pass data_catalog_name to list one catalog".into());
            }
        }
    }
    Ok(result)
}

/// The `athena://databases` resource: the catalogs and databases, the workgroup, and how to
/// write a query for them.
#[derive(Debug, Serialize)]
pub(crate) struct AthenaOverview {
    #[serde(flatten)]
    listed: AthenaDatabasesList,
    how_to_query: &'static str,
}

/// What `athena://databases` reads.
pub(crate) async fn athena_databases_overview(ctx: &Ctx) -> Result<AthenaOverview, ToolError> {
    let args = AthenaDatabasesListArgs {
        data_catalog_name: String::new(),
    };
    Ok(AthenaOverview {
        listed: athena_databases_list(ctx, args).await?,
        how_to_query: "athena_query_execute runs one read-only statement in Athena's Trino SQL: name tables as \"database\".\"table\" (or set database_name), quote identifiers with double quotes, never backticks; pass data_catalog_name for a catalog other than AwsDataCatalog (the Tabulator catalog holds one database per bucket). Add a LIMIT or a WHERE on partition columns: Athena bills $5 per TB scanned. More pages: athena_query_results with the execution_id and next_token.",
    })
}

// ---------------------------------------------------------------------------------------------

/// Arguments of `athena_tables_list`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AthenaTablesListArgs {
    /// The database (athena_databases_list shows them).
    pub database: String,
    /// The data catalog.
    #[serde(default = "default_data_catalog")]
    pub data_catalog_name: String,
    /// Only tables whose names match this SQL LIKE pattern (`%` any text, `_` one character,
    /// `*` also any text), e.g. `user_%`.
    #[serde(default)]
    pub table_pattern: String,
}

/// A table in a listing.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ListedTable {
    pub name: String,
    pub table_type: Option<String>,
    pub column_count: usize,
}

/// The result of `athena_tables_list`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct AthenaTablesList {
    pub data_catalog: String,
    pub database: String,
    pub tables: Vec<ListedTable>,
    pub count: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

pub const ATHENA_TABLES_LIST: Tool = Tool {
    name: "athena_tables_list",
    title: "List tables in an Athena database",
    description: "List the tables of one database of an Athena data catalog, optionally filtered by a LIKE pattern; athena_table_schema then shows a table's columns.",
    annotations: Annotations::READ_ONLY,
    input_schema: || schemars::schema_for!(AthenaTablesListArgs),
    output_schema: Some(|| schemars::schema_for!(AthenaTablesList)),
    call: |ctx, args| typed(ctx, args, athena_tables_list),
};

/// A LIKE pattern as the regular expression Athena's ListTableMetadata filters names with.
fn like_to_regex(pattern: &str) -> String {
    let mut regex = String::from("^");
    for c in pattern.chars() {
        match c {
            '%' | '*' => regex.push_str(".*"),
            '_' => regex.push('.'),
            c if c.is_ascii_alphanumeric() => regex.push(c),
            c => {
                regex.push('\\');
                regex.push(c);
            }
        }
    }
    regex.push('$');
    regex
}

/// The names a listing needs, or a clear error for empty ones.
fn names<'a>(pairs: &[(&str, &'a str)]) -> Result<Vec<&'a str>, ToolError> {
    pairs
        .iter()
        .map(|(field, value)| {
            let value = value.trim();
            match value.is_empty() {
                true => Err(ToolError::invalid(*field, "must not be empty")),
                false => Ok(value),
            }
        })
        .collect()
}

/// A metadata error, with the next step for a database or catalog that is not there.
fn not_found_or(error: AthenaError, what: &str) -> ToolError {
    match &error.kind {
        AthenaErrorKind::InvalidRequest(message) | AthenaErrorKind::Service { message, .. }
            if message.to_ascii_lowercase().contains("not found") =>
        {
            ToolError::NotFound(format!("{error}; {what}"))
        }
        _ => error.into(),
    }
}

async fn athena_tables_list(
    ctx: &Ctx,
    args: AthenaTablesListArgs,
) -> Result<AthenaTablesList, ToolError> {
    let found = names(&[
        ("database", &args.database),
        ("data_catalog_name", &args.data_catalog_name),
    ])?;
    let (database, catalog) = (found[0], found[1]);
    let expression = Some(args.table_pattern.trim())
        .filter(|p| !p.is_empty())
        .map(like_to_regex);
    let athena = caller_athena(ctx).await?;
    let listing = athena
        .tables(catalog, database, expression.as_deref())
        .await
        .map_err(|e| not_found_or(e, "athena_databases_list shows the databases"))?;
    let tables: Vec<ListedTable> = listing
        .items
        .into_iter()
        .map(|t| ListedTable {
            column_count: t.columns.len(),
            name: t.name,
            table_type: t.table_type,
        })
        .collect();
    let total = tables.len();
    let (tables, left_out) = take_within(tables, TEXT_BUDGET * 9 / 10);
    let hint = (left_out > 0 || listing.cut).then(|| {
        format!("{left_out} more tables are not shown; narrow the list with table_pattern")
    });
    Ok(AthenaTablesList {
        data_catalog: catalog.to_string(),
        database: database.to_string(),
        count: total,
        tables,
        hint,
    })
}

// ---------------------------------------------------------------------------------------------

/// Arguments of `athena_table_schema`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AthenaTableSchemaArgs {
    /// The database holding the table.
    pub database: String,
    /// The table (athena_tables_list shows them).
    pub table: String,
    /// The data catalog.
    #[serde(default = "default_data_catalog")]
    pub data_catalog_name: String,
}

/// A column of a table.
#[derive(Debug, Serialize, JsonSchema)]
pub struct TableColumn {
    pub name: String,
    #[serde(rename = "type")]
    pub type_name: Option<String>,
    pub comment: Option<String>,
}

impl From<ColumnInfo> for TableColumn {
    fn from(c: ColumnInfo) -> Self {
        TableColumn {
            name: c.name,
            type_name: c.type_name,
            comment: c.comment,
        }
    }
}

/// The result of `athena_table_schema`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct AthenaTableSchema {
    pub data_catalog: String,
    pub database: String,
    pub table: String,
    pub table_type: Option<String>,
    pub columns: Vec<TableColumn>,
    /// Partition columns: a WHERE on them limits what a query scans (and costs).
    pub partitions: Vec<TableColumn>,
    /// The table's parameters (location, format, …).
    pub parameters: BTreeMap<String, String>,
    pub create_time: Option<String>,
}

pub const ATHENA_TABLE_SCHEMA: Tool = Tool {
    name: "athena_table_schema",
    title: "Show an Athena table's columns",
    description: "Show one Athena table's columns with their types and comments, its partition columns and parameters (location, format), from the metadata API (no query runs).",
    annotations: Annotations::READ_ONLY,
    input_schema: || schemars::schema_for!(AthenaTableSchemaArgs),
    output_schema: Some(|| schemars::schema_for!(AthenaTableSchema)),
    call: |ctx, args| typed(ctx, args, athena_table_schema),
};

async fn athena_table_schema(
    ctx: &Ctx,
    args: AthenaTableSchemaArgs,
) -> Result<AthenaTableSchema, ToolError> {
    let found = names(&[
        ("database", &args.database),
        ("table", &args.table),
        ("data_catalog_name", &args.data_catalog_name),
    ])?;
    let (database, table, catalog) = (found[0], found[1], found[2]);
    let athena = caller_athena(ctx).await?;
    let info: TableInfo = athena
        .table(catalog, database, table)
        .await
        .map_err(|e| not_found_or(e, "athena_tables_list shows the tables of a database"))?;
    let mut parameters = info.parameters;
    // A table can carry many parameters; the budget keeps the ones that fit.
    while encoded_len(&parameters) > TEXT_BUDGET / 2 {
        let Some(last) = parameters.keys().next_back().cloned() else {
            break;
        };
        parameters.remove(&last);
    }
    Ok(AthenaTableSchema {
        data_catalog: catalog.to_string(),
        database: database.to_string(),
        table: info.name,
        table_type: info.table_type,
        columns: info.columns.into_iter().map(TableColumn::from).collect(),
        partitions: info
            .partition_keys
            .into_iter()
            .map(TableColumn::from)
            .collect(),
        parameters,
        create_time: info.create_time,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_patterns_become_anchored_regexes() {
        assert_eq!(like_to_regex("user_%"), "^user..*$");
        assert_eq!(like_to_regex("fact_*"), "^fact..*$");
        assert_eq!(like_to_regex("a-b"), "^a\\-b$");
    }
}
