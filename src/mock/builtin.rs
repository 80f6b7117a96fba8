//! The recordings compiled into the binary, so `quilt-mcp demo` and tests need no files at run time.

/// Every file in `tests/recordings/`, as `(file name, text)`, in matching order.
///
/// Add a new recording file here too; the `builtin_files_are_all_listed` test checks the list.
pub(crate) const FILES: &[(&str, &str)] = &[
    // Refusals first: they are per-user wildcards, so order only matters for readers.
    (
        "auth_errors.json",
        include_str!("../../tests/recordings/auth_errors.json"),
    ),
    (
        "graphql_errors.json",
        include_str!("../../tests/recordings/graphql_errors.json"),
    ),
    (
        "config.json",
        include_str!("../../tests/recordings/config.json"),
    ),
    (
        "identity.json",
        include_str!("../../tests/recordings/identity.json"),
    ),
    (
        "buckets.json",
        include_str!("../../tests/recordings/buckets.json"),
    ),
    (
        "credentials.json",
        include_str!("../../tests/recordings/credentials.json"),
    ),
    (
        "browsing.json",
        include_str!("../../tests/recordings/browsing.json"),
    ),
    (
        "packages.json",
        include_str!("../../tests/recordings/packages.json"),
    ),
    (
        "package_pushes.json",
        include_str!("../../tests/recordings/package_pushes.json"),
    ),
    (
        "package_roundtrip.json",
        include_str!("../../tests/recordings/package_roundtrip.json"),
    ),
    (
        "search.json",
        include_str!("../../tests/recordings/search.json"),
    ),
    (
        "tabulator.json",
        include_str!("../../tests/recordings/tabulator.json"),
    ),
    (
        "admin_users.json",
        include_str!("../../tests/recordings/admin_users.json"),
    ),
    (
        "admin_roles.json",
        include_str!("../../tests/recordings/admin_roles.json"),
    ),
    (
        "admin_sso.json",
        include_str!("../../tests/recordings/admin_sso.json"),
    ),
];
