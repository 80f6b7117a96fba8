//! The catalog GraphQL operations quilt-mcp sends, one file each under `schema/queries/`.
//!
//! The text lives in `.graphql` files, not Rust strings, so it can be read, diffed and validated
//! as GraphQL: `tests/graphql_operations.rs` checks every entry of [`ALL`] against [`SCHEMA`].
//! Selections several operations share (a user, a role, the `InvalidInput` arm) are fragments
//! in `schema/queries/fragments/`, appended to each operation that spreads them.

/// One named GraphQL operation, embedded from `schema/queries/<name>.graphql` with its fragments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Operation {
    /// The operation name, which is also the file name without `.graphql`.
    pub name: &'static str,
    /// The document sent as the request's `query`: exactly one operation, then the fragments
    /// it uses (shared selections from `schema/queries/fragments/`), comments kept.
    pub text: &'static str,
}

/// An [`Operation`] embedding `schema/queries/<name>.graphql`, so the name and the file cannot
/// disagree, followed by each `schema/queries/fragments/<fragment>.graphql` it spreads (nested
/// ones too): the text sent is still one document, and validation refuses a fragment missing
/// from the list or listed but unused.
macro_rules! operation {
    ($name:literal $(, $fragment:literal)*) => {
        Operation {
            name: $name,
            text: concat!(
                include_str!(concat!("../../schema/queries/", $name, ".graphql")),
                $(include_str!(concat!("../../schema/queries/fragments/", $fragment, ".graphql")),)*
            ),
        }
    };
}

/// The part of the catalog schema the operations rely on; the tests validate against it.
pub const SCHEMA: &str = include_str!("../../schema/catalog.graphql");

/// The same part as a registry released before August 2026 serves it (the package search's
/// older `firstPage`, no `restoreObject`). Operations that need the newer form have a fallback
/// or a clear error; the tests check every operation against both.
pub const SCHEMA_JANUARY_2026: &str = include_str!("../../schema/catalog-2026-01.graphql");

// Identity, buckets and browsing sessions.

/// Who the caller is: identity, admin flag, active role and the roles they may switch to.
pub const AUTH_STATUS: Operation = operation!("AuthStatus");

/// Every bucket the caller can see, with what an agent needs to pick one.
pub const LIST_BUCKETS: Operation = operation!("ListBuckets");

/// Opens a short-lived browsing session for one package revision, for credential-free reads.
pub const BROWSING_SESSION_CREATE: Operation =
    operation!("BrowsingSessionCreate", "InvalidInputErrors");

// Packages: reading.

/// One page of a bucket's packages, each with its latest revision's hash and message.
pub const PACKAGES_LIST: Operation = operation!("PackagesList");

/// A package and one of its revisions (by top hash or tag), with metadata and totals.
pub const PACKAGE_INFO: Operation = operation!("PackageInfo");

/// One revision with every entry in a flat map (null when there are more than $max entries).
pub const GET_PACKAGE: Operation = operation!("GetPackage");

/// Resolves a tag such as "latest" to the top hash of the revision it names.
pub const GET_REVISION_HASH: Operation = operation!("GetRevisionHash");

/// One page of a package's revisions; `total` says how many pages to ask for.
pub const PACKAGE_REVISIONS: Operation = operation!("PackageRevisions");

/// One page of a package's revisions, newest first, with metadata, workflow and totals.
pub const PACKAGE_HISTORY: Operation = operation!("PackageHistory");

/// The children of one directory of a revision ("" is the root; no trailing slash).
pub const PACKAGE_DIR: Operation = operation!("PackageDir");

/// One file of a revision, by logical path.
pub const PACKAGE_FILE: Operation = operation!("PackageFile");

// Packages: writing.

/// Pushes a new revision built from entries that already sit in S3 (no data is copied).
pub const PACKAGE_CONSTRUCT: Operation = operation!("PackageConstruct", "InvalidInputErrors");

/// Copies a revision, data included, into params.bucket (which must be a configured successor).
pub const PACKAGE_PROMOTE: Operation = operation!("PackagePromote", "InvalidInputErrors");

/// Restores an archived object, or extends its restored copy (June 2026 registry and newer).
pub const RESTORE_OBJECT: Operation = operation!("RestoreObject", "InvalidInputErrors");

/// Deletes one revision; a whole package goes by deleting each of its revisions.
pub const PACKAGE_REVISION_DELETE: Operation = operation!("PackageRevisionDelete");

// Search.

/// First page of a package search; pass the cursor to SearchMorePackages for the next ones.
pub const SEARCH_PACKAGES: Operation =
    operation!("SearchPackages", "InvalidInputErrors", "PackagesSearchPage");

/// SearchPackages as a registry released before August 2026 takes it (`order:`, the page
/// itself); sent once that registry refused SearchPackages.
pub const SEARCH_PACKAGES_JANUARY_2026: Operation = operation!(
    "SearchPackagesJanuary2026",
    "InvalidInputErrors",
    "PackagesSearchPage"
);

/// The package search page after `$after` (a cursor from SearchPackages or from this query).
pub const SEARCH_MORE_PACKAGES: Operation = operation!(
    "SearchMorePackages",
    "InvalidInputErrors",
    "PackagesSearchPage"
);

/// First page of an object (S3 key) search; pass the cursor to SearchMoreObjects for the next ones.
pub const SEARCH_OBJECTS: Operation = operation!("SearchObjects", "InvalidInputErrors");

/// The object search page after `$after` (a cursor from SearchObjects or from this query).
pub const SEARCH_MORE_OBJECTS: Operation = operation!("SearchMoreObjects", "InvalidInputErrors");

// Administration: users and roles.

/// Every user of the stack, with their roles.
pub const LIST_USERS: Operation = operation!("ListUsers", "UserFields", "RoleFields");

/// One user by name; `get` is null when there is no such user.
pub const GET_USER: Operation = operation!("GetUser", "UserFields", "RoleFields");

/// Creates a user with an active role and, optionally, extra roles.
pub const CREATE_USER: Operation = operation!(
    "CreateUser",
    "UserFields",
    "RoleFields",
    "InvalidInputErrors"
);

/// Deletes a user; `mutate` is null when there is no such user.
pub const DELETE_USER: Operation = operation!("DeleteUser", "InvalidInputErrors");

/// Changes a user's email; `mutate` is null when there is no such user.
pub const SET_USER_EMAIL: Operation = operation!(
    "SetUserEmail",
    "UserFields",
    "RoleFields",
    "InvalidInputErrors"
);

/// Grants or revokes a user's admin flag; `mutate` is null when there is no such user.
pub const SET_USER_ADMIN: Operation = operation!(
    "SetUserAdmin",
    "UserFields",
    "RoleFields",
    "InvalidInputErrors"
);

/// Activates or deactivates a user; `mutate` is null when there is no such user.
pub const SET_USER_ACTIVE: Operation = operation!(
    "SetUserActive",
    "UserFields",
    "RoleFields",
    "InvalidInputErrors"
);

/// Starts a password reset for a user; `mutate` is null when there is no such user.
pub const RESET_USER_PASSWORD: Operation = operation!("ResetUserPassword", "InvalidInputErrors");

/// Sets a user's active role and extra roles (added to the current ones when $append).
pub const SET_USER_ROLE: Operation = operation!(
    "SetUserRole",
    "UserFields",
    "RoleFields",
    "InvalidInputErrors"
);

/// Adds extra roles to a user; `mutate` is null when there is no such user.
pub const ADD_USER_ROLES: Operation = operation!(
    "AddUserRoles",
    "UserFields",
    "RoleFields",
    "InvalidInputErrors"
);

/// Removes roles from a user; $fallback becomes the active role if that one is removed.
pub const REMOVE_USER_ROLES: Operation = operation!(
    "RemoveUserRoles",
    "UserFields",
    "RoleFields",
    "InvalidInputErrors"
);

/// Every role of the stack, managed or not.
pub const LIST_ROLES: Operation = operation!("ListRoles", "RoleFields");

/// The SSO configuration; `ssoConfig` is null when none is set.
pub const GET_SSO_CONFIG: Operation = operation!("GetSSOConfig");

/// Replaces the SSO configuration; a null $config removes it (and the result is null).
pub const SET_SSO_CONFIG: Operation = operation!("SetSSOConfig", "InvalidInputErrors");

// Tabulator.

/// A bucket's Tabulator tables, each with its YAML definition.
pub const LIST_TABULATOR_TABLES: Operation = operation!("ListTabulatorTables");

/// Creates or replaces a bucket's Tabulator table; a null $config deletes it.
pub const SET_TABULATOR_TABLE: Operation = operation!("SetTabulatorTable", "InvalidInputErrors");

/// Renames a bucket's Tabulator table.
pub const RENAME_TABULATOR_TABLE: Operation =
    operation!("RenameTabulatorTable", "InvalidInputErrors");

/// Whether Tabulator open query is on for the stack.
pub const GET_OPEN_QUERY_STATUS: Operation = operation!("GetOpenQueryStatus");

/// Turns Tabulator open query on or off for the stack.
pub const SET_OPEN_QUERY: Operation = operation!("SetOpenQuery");

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
    PACKAGE_HISTORY,
    PACKAGE_DIR,
    PACKAGE_FILE,
    PACKAGE_CONSTRUCT,
    PACKAGE_PROMOTE,
    PACKAGE_REVISION_DELETE,
    RESTORE_OBJECT,
    SEARCH_PACKAGES,
    SEARCH_PACKAGES_JANUARY_2026,
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
