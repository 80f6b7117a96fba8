//! The search toolset: catalog search through the registry's search proxy. `query.rs` builds
//! the searches and reads their answers without I/O; `catalog_search.rs` holds `search_catalog`,
//! `explain.rs` `search_explain`, `packages.rs` the registry's package search (ordered packages,
//! both releases), `cursor.rs` the paging cursor, `suggest.rs` the suggestions, and
//! `docs_search.rs` searches the Quilt docs site (not the catalog).

pub mod catalog_search;
pub mod cursor;
pub mod docs_search;
pub mod explain;
pub mod packages;
pub mod query;
pub mod suggest;

use super::{Tool, Toolset};

pub const TOOLSET: Toolset = Toolset::Search;

/// This area's rows of the tool table, in listing order.
pub const TOOLS: &[Tool] = &[
    catalog_search::SEARCH_CATALOG,
    explain::SEARCH_EXPLAIN,
    suggest::SEARCH_SUGGEST,
    docs_search::SEARCH_DOCS_QUILT_BIO,
];
