//! The buckets toolset: the buckets a caller can see, their objects (list, read, link, write)
//! and what the caller may do on them, all with the caller's own credentials.

pub mod access;
pub mod content;
pub(crate) mod encoding;
pub mod image;
pub mod list;
pub mod object_read;
pub mod objects;
pub mod objects_list;
pub mod objects_put;
pub mod permissions;
pub mod restore;
pub(crate) mod target;

use super::{Tool, Toolset};

pub const TOOLSET: Toolset = Toolset::Buckets;

/// This area's rows of the tool table, in listing order.
pub const TOOLS: &[Tool] = &[
    list::BUCKET_LIST,
    objects_list::BUCKET_OBJECTS_LIST,
    objects::BUCKET_OBJECT_INFO,
    object_read::BUCKET_OBJECT_TEXT,
    object_read::BUCKET_OBJECT_FETCH,
    objects::BUCKET_OBJECT_LINK,
    objects_put::BUCKET_OBJECTS_PUT,
    restore::BUCKET_OBJECT_RESTORE,
    access::CHECK_BUCKET_ACCESS,
    permissions::DISCOVER_PERMISSIONS,
];
