//! The dataset files (`tests/dataset/`), embedded in the binary, and their serde types.
//!
//! `catalog.json` holds the catalog's settings, roles, users and buckets; `packages.json` every
//! package revision; `objects/<bucket>/<key>` the current bytes of every S3 object and
//! `history/<bucket>/<key>@<n>` its older versions (1 the oldest). The loader in
//! [`super::Model::pristine`] turns them into the model; the README beside them describes the
//! world they make.

use std::collections::BTreeMap;

use include_dir::{Dir, include_dir};
use serde::Deserialize;
use serde_json::Value;

/// The dataset folder, compiled in so `demo` and the tests need no files at run time.
static DATASET: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/tests/dataset");

/// `catalog.json`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CatalogFile {
    #[allow(dead_code)] // for readers of the file
    pub description: String,
    pub config: StackConfig,
    /// When objects not named in `object_times` were last modified.
    pub objects_modified: String,
    /// `bucket/key` → last-modified time of the current version.
    #[serde(default)]
    pub object_times: BTreeMap<String, String>,
    /// `bucket/key@n` → last-modified time of an older version.
    #[serde(default)]
    pub history_times: BTreeMap<String, String>,
    /// `bucket/key` → the archive storage class (`GLACIER`, `DEEP_ARCHIVE`) of the current
    /// version: reading it takes a restore first.
    #[serde(default)]
    pub archived: BTreeMap<String, String>,
    pub roles: Vec<RoleFile>,
    pub users: Vec<UserFile>,
    pub buckets: Vec<BucketFile>,
    pub sso_config: Option<SsoFile>,
    #[serde(default)]
    pub tabulator_open_query: bool,
}

/// The stack's settings that `config.json` reports.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct StackConfig {
    pub region: String,
    pub stack_prefix: String,
    pub stack_version: String,
}

/// One role and what it may do per bucket (`read` or `write`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RoleFile {
    pub id: String,
    pub name: String,
    /// `managed` or `unmanaged`.
    pub kind: String,
    pub arn: String,
    pub buckets: BTreeMap<String, String>,
}

/// One user.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct UserFile {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub admin: bool,
    pub active: bool,
    pub service: bool,
    pub sso_only: bool,
    pub role: Option<String>,
    #[serde(default)]
    pub extra_roles: Vec<String>,
    pub date_joined: String,
    pub last_login: String,
    pub role_assignment_disabled: bool,
    pub admin_assignment_disabled: bool,
    pub access_key: String,
    pub api_key: String,
    #[allow(dead_code)] // for readers of the file and the README
    pub what: String,
}

/// One bucket as `bucketConfigs` shows it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct BucketFile {
    pub name: String,
    pub title: String,
    pub description: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    pub icon_url: Option<String>,
    pub overview_url: Option<String>,
    pub relevance_score: i64,
    pub browsable: bool,
    pub last_indexed: Option<String>,
    #[serde(default)]
    pub tabulator_tables: Vec<TableFile>,
}

/// A Tabulator table: a name and its YAML configuration.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TableFile {
    pub name: String,
    pub config: String,
}

/// The SSO configuration.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SsoFile {
    pub text: String,
    pub timestamp: String,
    pub uploader: String,
}

/// One package in `packages.json`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PackageFile {
    pub bucket: String,
    pub name: String,
    /// Oldest first; the last is `latest`.
    pub revisions: Vec<RevisionFile>,
}

/// One revision: its message, metadata and entries.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RevisionFile {
    pub modified: String,
    pub message: String,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub user_meta: Value,
    #[serde(default)]
    pub workflow: Option<Value>,
    /// Logical key → object key in the package's bucket, with `@n` for an older version.
    #[serde(default)]
    pub entries: BTreeMap<String, String>,
    /// Every current object under `object_prefix`, as `logical_prefix` + the rest of its key.
    #[serde(default)]
    pub entries_under: Vec<EntriesUnder>,
    /// Logical key → that entry's metadata.
    #[serde(default)]
    pub entry_meta: BTreeMap<String, Value>,
}

/// A folder of objects taken into a revision whole.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct EntriesUnder {
    pub logical_prefix: String,
    pub object_prefix: String,
}

/// The parsed `catalog.json` and `packages.json`.
pub(crate) fn catalog_and_packages() -> Result<(CatalogFile, Vec<PackageFile>), String> {
    let read = |name: &str| -> Result<&'static str, String> {
        DATASET
            .get_file(name)
            .and_then(|f| f.contents_utf8())
            .ok_or_else(|| format!("the dataset has no readable {name}"))
    };
    let catalog = serde_json::from_str(read("catalog.json")?)
        .map_err(|e| format!("dataset catalog.json: {e}"))?;
    let packages = serde_json::from_str(read("packages.json")?)
        .map_err(|e| format!("dataset packages.json: {e}"))?;
    Ok((catalog, packages))
}

/// One dataset file's bytes by its path below `tests/dataset/` (the docs site's pages).
pub(crate) fn file(path: &str) -> Option<&'static [u8]> {
    DATASET.get_file(path).map(|f| f.contents())
}

/// Every file under `folder` (`objects` or `history`) as (path below it, bytes), in path order.
pub(crate) fn files_under(folder: &str) -> Vec<(String, &'static [u8])> {
    let mut out = Vec::new();
    if let Some(dir) = DATASET.get_dir(folder) {
        collect(dir, folder, &mut out);
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

fn collect(dir: &Dir<'static>, root: &str, out: &mut Vec<(String, &'static [u8])>) {
    for file in dir.files() {
        let path = file.path().to_string_lossy();
        if let Some(below) = path.strip_prefix(root).map(|p| p.trim_start_matches('/')) {
            out.push((below.to_string(), file.contents()));
        }
    }
    for sub in dir.dirs() {
        collect(sub, root, out);
    }
}
