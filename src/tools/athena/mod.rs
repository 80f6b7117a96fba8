//! The athena toolset: SQL over the data lake with the caller's own credentials. `sql.rs` is
//! the read-only gate, `run.rs` the run-and-page flow the query tools share (the Tabulator
//! query tools too), `results.rs` the formats; the rows are in the files beside them.

pub mod catalogs;
pub mod query_execute;
pub mod query_validate;
pub mod results;
pub mod run;
pub mod sql;

use super::{Tool, Toolset};

pub const TOOLSET: Toolset = Toolset::Athena;

/// The data catalog Athena names Glue's by default.
pub const DEFAULT_DATA_CATALOG: &str = "AwsDataCatalog";

/// This area's rows of the tool table, in listing order.
pub const TOOLS: &[Tool] = &[
    catalogs::ATHENA_DATABASES_LIST,
    catalogs::ATHENA_TABLES_LIST,
    catalogs::ATHENA_TABLE_SCHEMA,
    query_execute::ATHENA_QUERY_EXECUTE,
    query_execute::ATHENA_QUERY_RESULTS,
    query_validate::ATHENA_QUERY_VALIDATE,
];

fn default_data_catalog() -> String {
    DEFAULT_DATA_CATALOG.to_string()
}
