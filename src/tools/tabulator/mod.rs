//! The tabulator toolset: a bucket's SQL tables over files inside its packages. `table_yaml.rs`
//! writes a table's YAML from typed arguments; `tables.rs` holds the table tools, `query.rs`
//! the query tools (over the athena toolset's flow).

pub mod query;
pub mod table_yaml;
pub mod tables;

use super::{Tool, Toolset};

pub const TOOLSET: Toolset = Toolset::Tabulator;

/// This area's rows of the tool table, in listing order.
pub const TOOLS: &[Tool] = &[
    tables::TABULATOR_TABLES_LIST,
    tables::TABULATOR_TABLE_CREATE,
    tables::TABULATOR_TABLE_DELETE,
    tables::TABULATOR_TABLE_RENAME,
    query::TABULATOR_LIST_BUCKETS,
    query::TABULATOR_QUERY_EXECUTE,
    query::TABULATOR_BUCKET_QUERY,
];
