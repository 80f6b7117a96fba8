//! The catalog GraphQL operations quilt-mcp sends, one file each under `schema/queries/`.
//!
//! The text lives in `.graphql` files, not Rust strings, so it can be read, diffed and validated
//! as GraphQL: `tests/graphql_operations.rs` checks every entry of [`ALL`] against [`SCHEMA`].

/// One named GraphQL operation, embedded from `schema/queries/<name>.graphql`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Operation {
    /// The operation name, which is also the file name without `.graphql`.
    pub name: &'static str,
    /// The document sent as the request's `query`: exactly one operation, comments kept.
    pub text: &'static str,
}

/// The part of the catalog schema the operations rely on; the tests validate against it.
pub const SCHEMA: &str = include_str!("../../schema/catalog.graphql");

// Identity, buckets and browsing sessions.

/// Who the caller is: identity, admin flag, active role and the roles they may switch to.
pub const AUTH_STATUS: Operation = Operation {
    name: "AuthStatus",
    text: include_str!("../../schema/queries/AuthStatus.graphql"),
};

/// Every bucket the caller can see, with what an agent needs to pick one.
pub const LIST_BUCKETS: Operation = Operation {
    name: "ListBuckets",
    text: include_str!("../../schema/queries/ListBuckets.graphql"),
};

/// Opens a short-lived browsing session for one package revision, for credential-free reads.
pub const BROWSING_SESSION_CREATE: Operation = Operation {
    name: "BrowsingSessionCreate",
    text: include_str!("../../schema/queries/BrowsingSessionCreate.graphql"),
};

// Packages: reading.

/// One page of a bucket's packages, each with its latest revision's hash and message.
pub const PACKAGES_LIST: Operation = Operation {
    name: "PackagesList",
    text: include_str!("../../schema/queries/PackagesList.graphql"),
};

/// A package and one of its revisions (by top hash or tag), with metadata and totals.
pub const PACKAGE_INFO: Operation = Operation {
    name: "PackageInfo",
    text: include_str!("../../schema/queries/PackageInfo.graphql"),
};

/// One revision with every entry in a flat map (null when there are more than $max entries).
pub const GET_PACKAGE: Operation = Operation {
    name: "GetPackage",
    text: include_str!("../../schema/queries/GetPackage.graphql"),
};

/// Resolves a tag such as "latest" to the top hash of the revision it names.
pub const GET_REVISION_HASH: Operation = Operation {
    name: "GetRevisionHash",
    text: include_str!("../../schema/queries/GetRevisionHash.graphql"),
};

/// One page of a package's revisions; `total` says how many pages to ask for.
pub const PACKAGE_REVISIONS: Operation = Operation {
    name: "PackageRevisions",
    text: include_str!("../../schema/queries/PackageRevisions.graphql"),
};

/// The children of one directory of a revision ("" is the root; no trailing slash).
pub const PACKAGE_DIR: Operation = Operation {
    name: "PackageDir",
    text: include_str!("../../schema/queries/PackageDir.graphql"),
};

/// One file of a revision, by logical path.
pub const PACKAGE_FILE: Operation = Operation {
    name: "PackageFile",
    text: include_str!("../../schema/queries/PackageFile.graphql"),
};

// Packages: writing.

/// Pushes a new revision built from entries that already sit in S3 (no data is copied).
pub const PACKAGE_CONSTRUCT: Operation = Operation {
    name: "PackageConstruct",
    text: include_str!("../../schema/queries/PackageConstruct.graphql"),
};

/// Copies a revision, data included, into params.bucket (which must be a configured successor).
pub const PACKAGE_PROMOTE: Operation = Operation {
    name: "PackagePromote",
    text: include_str!("../../schema/queries/PackagePromote.graphql"),
};

/// Deletes one revision; a whole package goes by deleting each of its revisions.
pub const PACKAGE_REVISION_DELETE: Operation = Operation {
    name: "PackageRevisionDelete",
    text: include_str!("../../schema/queries/PackageRevisionDelete.graphql"),
};

// Search.

/// First page of a package search; pass the cursor to SearchMorePackages for the next ones.
pub const SEARCH_PACKAGES: Operation = Operation {
    name: "SearchPackages",
    text: include_str!("../../schema/queries/SearchPackages.graphql"),
};

/// The package search page after `$after` (a cursor from SearchPackages or from this query).
pub const SEARCH_MORE_PACKAGES: Operation = Operation {
    name: "SearchMorePackages",
    text: include_str!("../../schema/queries/SearchMorePackages.graphql"),
};

/// First page of an object (S3 key) search; pass the cursor to SearchMoreObjects for the next ones.
pub const SEARCH_OBJECTS: Operation = Operation {
    name: "SearchObjects",
    text: include_str!("../../schema/queries/SearchObjects.graphql"),
};

/// The object search page after `$after` (a cursor from SearchObjects or from this query).
pub const SEARCH_MORE_OBJECTS: Operation = Operation {
    name: "SearchMoreObjects",
    text: include_str!("../../schema/queries/SearchMoreObjects.graphql"),
};

// Administration: users and roles.

/// Every user of the stack, with their roles.
pub const LIST_USERS: Operation = Operation {
    name: "ListUsers",
    text: include_str!("../../schema/queries/ListUsers.graphql"),
};

/// One user by name; `get` is null when there is no such user.
pub const GET_USER: Operation = Operation {
    name: "GetUser",
    text: include_str!("../../schema/queries/GetUser.graphql"),
};

/// Creates a user with an active role and, optionally, extra roles.
pub const CREATE_USER: Operation = Operation {
    name: "CreateUser",
    text: include_str!("../../schema/queries/CreateUser.graphql"),
};

/// Deletes a user; `mutate` is null when there is no such user.
pub const DELETE_USER: Operation = Operation {
    name: "DeleteUser",
    text: include_str!("../../schema/queries/DeleteUser.graphql"),
};

/// Changes a user's email; `mutate` is null when there is no such user.
pub const SET_USER_EMAIL: Operation = Operation {
    name: "SetUserEmail",
    text: include_str!("../../schema/queries/SetUserEmail.graphql"),
};

/// Grants or revokes a user's admin flag; `mutate` is null when there is no such user.
pub const SET_USER_ADMIN: Operation = Operation {
    name: "SetUserAdmin",
    text: include_str!("../../schema/queries/SetUserAdmin.graphql"),
};

/// Activates or deactivates a user; `mutate` is null when there is no such user.
pub const SET_USER_ACTIVE: Operation = Operation {
    name: "SetUserActive",
    text: include_str!("../../schema/queries/SetUserActive.graphql"),
};

/// Starts a password reset for a user; `mutate` is null when there is no such user.
pub const RESET_USER_PASSWORD: Operation = Operation {
    name: "ResetUserPassword",
    text: include_str!("../../schema/queries/ResetUserPassword.graphql"),
};

/// Sets a user's active role and extra roles (added to the current ones when $append).
pub const SET_USER_ROLE: Operation = Operation {
    name: "SetUserRole",
    text: include_str!("../../schema/queries/SetUserRole.graphql"),
};

/// Adds extra roles to a user; `mutate` is null when there is no such user.
pub const ADD_USER_ROLES: Operation = Operation {
    name: "AddUserRoles",
    text: include_str!("../../schema/queries/AddUserRoles.graphql"),
};

/// Removes roles from a user; $fallback becomes the active role if that one is removed.
pub const REMOVE_USER_ROLES: Operation = Operation {
    name: "RemoveUserRoles",
    text: include_str!("../../schema/queries/RemoveUserRoles.graphql"),
};

/// Every role of the stack, managed or not.
pub const LIST_ROLES: Operation = Operation {
    name: "ListRoles",
    text: include_str!("../../schema/queries/ListRoles.graphql"),
};

/// The SSO configuration; `ssoConfig` is null when none is set.
pub const GET_SSO_CONFIG: Operation = Operation {
    name: "GetSSOConfig",
    text: include_str!("../../schema/queries/GetSSOConfig.graphql"),
};

/// Replaces the SSO configuration; a null $config removes it (and the result is null).
pub const SET_SSO_CONFIG: Operation = Operation {
    name: "SetSSOConfig",
    text: include_str!("../../schema/queries/SetSSOConfig.graphql"),
};

// Tabulator.

/// A bucket's Tabulator tables, each with its YAML definition.
pub const LIST_TABULATOR_TABLES: Operation = Operation {
    name: "ListTabulatorTables",
    text: include_str!("../../schema/queries/ListTabulatorTables.graphql"),
};

/// Creates or replaces a bucket's Tabulator table; a null $config deletes it.
pub const SET_TABULATOR_TABLE: Operation = Operation {
    name: "SetTabulatorTable",
    text: include_str!("../../schema/queries/SetTabulatorTable.graphql"),
};

/// Renames a bucket's Tabulator table.
pub const RENAME_TABULATOR_TABLE: Operation = Operation {
    name: "RenameTabulatorTable",
    text: include_str!("../../schema/queries/RenameTabulatorTable.graphql"),
};

/// Whether Tabulator open query is on for the stack.
pub const GET_OPEN_QUERY_STATUS: Operation = Operation {
    name: "GetOpenQueryStatus",
    text: include_str!("../../schema/queries/GetOpenQueryStatus.graphql"),
};

/// Turns Tabulator open query on or off for the stack.
pub const SET_OPEN_QUERY: Operation = Operation {
    name: "SetOpenQuery",
    text: include_str!("../../schema/queries/SetOpenQuery.graphql"),
};

/// Every operation, for the schema test; a file missing here fails that test.
pub static ALL: &[Operation] = &[
    AUTH_STATUS,
    LIST_BUCKETS,
    BROWSING_SESSION_CREATE,
    PACKAGES_LIST,
    PACKAGE_INFO,
    GET_PACKAGE,
    GET_REVISION_HASH,
    PACKAGE_REVISIONS,
    PACKAGE_DIR,
    PACKAGE_FILE,
    PACKAGE_CONSTRUCT,
    PACKAGE_PROMOTE,
    PACKAGE_REVISION_DELETE,
    SEARCH_PACKAGES,
    SEARCH_MORE_PACKAGES,
    SEARCH_OBJECTS,
    SEARCH_MORE_OBJECTS,
    LIST_USERS,
    GET_USER,
    CREATE_USER,
    DELETE_USER,
    SET_USER_EMAIL,
    SET_USER_ADMIN,
    SET_USER_ACTIVE,
    RESET_USER_PASSWORD,
    SET_USER_ROLE,
    ADD_USER_ROLES,
    REMOVE_USER_ROLES,
    LIST_ROLES,
    GET_SSO_CONFIG,
    SET_SSO_CONFIG,
    LIST_TABULATOR_TABLES,
    SET_TABULATOR_TABLE,
    RENAME_TABULATOR_TABLE,
    GET_OPEN_QUERY_STATUS,
    SET_OPEN_QUERY,
];
