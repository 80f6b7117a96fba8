//! The admin toolset: users, roles and stack-wide settings. Listed only to callers the catalog
//! reports as admins. `common.rs` holds what every admin tool and resource shares.

pub mod common;
pub mod roles;
pub mod settings;
pub mod users;

use super::{Tool, Toolset};

pub const TOOLSET: Toolset = Toolset::Admin;

/// This area's rows of the tool table, in listing order.
pub const TOOLS: &[Tool] = &[
    users::ADMIN_USERS_LIST,
    users::ADMIN_USER_GET,
    users::ADMIN_USER_CREATE,
    users::ADMIN_USER_DELETE,
    users::ADMIN_USER_SET_EMAIL,
    users::ADMIN_USER_SET_ADMIN,
    users::ADMIN_USER_SET_ACTIVE,
    users::ADMIN_USER_RESET_PASSWORD,
    roles::ADMIN_ROLES_LIST,
    roles::ADMIN_USER_SET_ROLE,
    roles::ADMIN_USER_ADD_ROLES,
    roles::ADMIN_USER_REMOVE_ROLES,
    settings::ADMIN_SSO_CONFIG_SET,
    settings::ADMIN_SSO_CONFIG_REMOVE,
    settings::ADMIN_TABULATOR_OPEN_QUERY_SET,
];
