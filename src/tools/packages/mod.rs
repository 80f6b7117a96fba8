//! The packages toolset: list, browse, read, compare, create, update and delete packages,
//! always through the catalog's own API (never by writing manifests to S3 directly).

pub mod browse;
pub mod delete;
pub mod diff;
pub mod file_fetch;
pub mod files;
pub mod from_s3;
mod glob;
pub mod history;
pub mod inline;
pub mod list;
pub mod push;
pub mod revision;
mod tags;
pub(crate) mod workflows;

use super::{Tool, Toolset};

pub const TOOLSET: Toolset = Toolset::Packages;

/// This area's rows of the tool table, in listing order.
pub const TOOLS: &[Tool] = &[
    list::PACKAGES_LIST,
    history::PACKAGE_HISTORY_TOOL,
    browse::PACKAGE_BROWSE,
    files::PACKAGE_FILE_TEXT,
    file_fetch::PACKAGE_FILE_FETCH,
    diff::PACKAGE_DIFF,
    push::PACKAGE_CREATE,
    from_s3::PACKAGE_CREATE_FROM_S3,
    push::PACKAGE_UPDATE,
    delete::PACKAGE_DELETE,
];
