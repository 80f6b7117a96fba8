//! The navigation toolset: links into the catalog's web UI, Quilt+ URIs, the catalog's own
//! configuration, and the resources as a tool. Nothing here changes the catalog.

pub mod get_resource;
pub mod links;
pub mod quilt_uri;

use super::{Tool, Toolset};

pub const TOOLSET: Toolset = Toolset::Navigation;

/// This area's rows of the tool table, in listing order.
pub const TOOLS: &[Tool] = &[
    links::CATALOG_CONFIGURE,
    links::CATALOG_URI,
    links::CATALOG_URL,
    get_resource::GET_RESOURCE,
];
