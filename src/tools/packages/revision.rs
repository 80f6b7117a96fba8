//! The pieces every package tool shares: naming a package and a revision, the typed answers of
//! the catalog's package queries, and a revision's flat entry map.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer};
use serde_json::{Value, json};

use crate::catalog::queries::GET_PACKAGE;
use crate::tools::navigation::links::{bucket_name, package_name};
use crate::tools::navigation::quilt_uri::{QuiltUri, UriRevision, bucket_arg, quilt_uri};
use crate::tools::{Ctx, ToolError, decode};

/// The most entries a flat map is asked for; bigger revisions are browsed folder by folder.
pub const MAX_FLAT_ENTRIES: i64 = 10_000;

/// A package in a bucket.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PackageRef {
    pub bucket: String,
    pub name: String,
}

impl PackageRef {
    /// Checks `package_name` (`namespace/name`) and `registry`: `s3://bucket`, `bucket`, or a
    /// Quilt+ URI naming the bucket and perhaps the package, which then may stand in for an
    /// empty `package_name`. A URI naming a revision or a file is refused: the tools that take
    /// these two arguments act on the package itself.
    pub fn parse(name: &str, registry: &str) -> Result<Self, ToolError> {
        let name = name.trim();
        if !registry.trim().starts_with("quilt+s3://") {
            if name.is_empty() {
                return Err(ToolError::invalid(
                    "package_name",
                    "is required (or give registry as quilt+s3://bucket#package=namespace/name)",
                ));
            }
            return Ok(PackageRef {
                bucket: bucket_name("registry", registry)?,
                name: package_name("package_name", name)?,
            });
        }
        let uri = QuiltUri::parse("registry", registry)?;
        if uri.revision.is_some() || uri.path.is_some() {
            return Err(ToolError::invalid(
                "registry",
                format!(
                    "{registry:?} names a revision or a file; this tool acts on a package: give quilt+s3://{}#package=namespace/name",
                    uri.bucket
                ),
            ));
        }
        let name = match (uri.package, name) {
            (Some(in_uri), "") => in_uri,
            (Some(in_uri), given) if in_uri == given => in_uri,
            (Some(in_uri), given) => {
                return Err(ToolError::invalid(
                    "package_name",
                    format!("{given:?} differs from {in_uri}, which registry names; give one"),
                ));
            }
            (None, "") => {
                return Err(ToolError::invalid(
                    "package_name",
                    "is required: the registry URI names a bucket only",
                ));
            }
            (None, given) => package_name("package_name", given)?,
        };
        Ok(PackageRef {
            bucket: uri.bucket,
            name,
        })
    }

    /// GraphQL variables naming this package.
    pub fn variables(&self) -> Value {
        json!({ "bucket": self.bucket, "name": self.name })
    }

    /// The registry as tools report it, `s3://bucket`.
    pub fn registry(&self) -> String {
        format!("s3://{}", self.bucket)
    }

    /// The Quilt+ URI of this package at a revision (none: the latest), or of a path in it.
    pub fn quilt_uri(&self, hash: Option<&str>, path: Option<&str>) -> String {
        quilt_uri(&self.bucket, &self.name, hash, path)
    }

    /// The package's page in the catalog, at a revision (`latest` when none).
    pub fn catalog_url(&self, ctx: &Ctx, hash: Option<&str>) -> String {
        let base = &ctx.state.config.catalog_url;
        format!(
            "{base}/b/{}/packages/{}/tree/{}/",
            self.bucket,
            self.name,
            hash.unwrap_or("latest")
        )
    }
}

/// How a package tool's arguments name its package and revision: a Quilt+ URI, or a registry,
/// a package name and a top hash or tag. The field names are the tool's own, for errors.
pub struct Naming<'a> {
    pub uri_field: &'a str,
    pub uri: &'a str,
    pub registry: &'a str,
    pub name_field: &'a str,
    pub name: &'a str,
    pub hash_field: &'a str,
    pub top_hash: &'a str,
    /// `latest` or empty means no tag was asked for.
    pub tag: &'a str,
}

/// A package, a revision (hash or tag) and, when a URI named one, a path inside it.
#[derive(Debug)]
pub struct Target {
    pub package: PackageRef,
    pub rev: String,
    pub path: Option<String>,
}

impl<'a> Naming<'a> {
    /// The naming most package tools use: arguments `uri`, `registry`, `package_name`,
    /// `top_hash` and `tag`.
    pub fn standard(
        uri: &'a str,
        registry: &'a str,
        name: &'a str,
        top_hash: &'a str,
        tag: &'a str,
    ) -> Self {
        Naming {
            uri_field: "uri",
            uri,
            registry,
            name_field: "package_name",
            name,
            hash_field: "top_hash",
            top_hash,
            tag,
        }
    }

    /// The target, from the URI when one is given, else from the other arguments; mixing the
    /// two is refused unless they agree on the bucket (a shared `registry` may stay).
    pub fn resolve(&self) -> Result<Target, ToolError> {
        let uri = self.uri.trim();
        if uri.is_empty() {
            if self.name.trim().is_empty() {
                return Err(ToolError::invalid(
                    self.name_field,
                    format!(
                        "{} is required (or give {} as quilt+s3://bucket#package=namespace/name)",
                        self.name_field, self.uri_field
                    ),
                ));
            }
            let package = PackageRef {
                bucket: bucket_arg("registry", self.registry)?,
                name: package_name(self.name_field, self.name)?,
            };
            let rev = hash_or_tag(self.top_hash, self.tag).map_err(|e| match e {
                ToolError::InvalidArgument { message, .. } => {
                    ToolError::invalid(self.hash_field, message)
                }
                other => other,
            })?;
            return Ok(Target {
                package,
                rev,
                path: None,
            });
        }
        let conflict = |what: &str| {
            ToolError::invalid(
                self.uri_field,
                format!("give the {what} in the URI or in its own argument, not both"),
            )
        };
        if !self.name.trim().is_empty() {
            return Err(conflict(self.name_field));
        }
        if !self.top_hash.trim().is_empty() || !matches!(self.tag.trim(), "" | "latest") {
            return Err(conflict("revision (@top_hash or :tag)"));
        }
        let parsed = QuiltUri::parse(self.uri_field, uri)?;
        let name = parsed.require_package(self.uri_field)?.to_string();
        if !self.registry.trim().is_empty()
            && bucket_arg("registry", self.registry)? != parsed.bucket
        {
            return Err(conflict("bucket"));
        }
        let rev = match parsed.revision {
            Some(UriRevision::Hash(hash)) => hash,
            Some(UriRevision::Tag(tag)) => tag,
            None => "latest".into(),
        };
        Ok(Target {
            package: PackageRef {
                bucket: parsed.bucket,
                name,
            },
            rev,
            path: parsed.path,
        })
    }
}

/// One path from an argument and a URI: either may give it; both must then agree.
pub fn one_path(
    field: &str,
    argument: &str,
    from_uri: Option<String>,
) -> Result<String, ToolError> {
    let argument = argument.trim();
    match from_uri {
        Some(path) if !argument.is_empty() && argument.trim_start_matches('/') != path => {
            Err(ToolError::invalid(
                field,
                format!("{field} {argument:?} differs from the URI's path {path:?}; give one"),
            ))
        }
        Some(path) => Ok(path),
        None => Ok(argument.to_string()),
    }
}

/// The revision named by a top hash or a tag (`latest` when neither is given).
pub fn hash_or_tag(top_hash: &str, tag: &str) -> Result<String, ToolError> {
    match (top_hash.trim(), tag.trim()) {
        (hash, _) if hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit()) => {
            Ok(hash.to_lowercase())
        }
        ("", "") => Ok("latest".into()),
        ("", tag) => Ok(tag.to_string()),
        _ => Err(ToolError::invalid(
            "top_hash",
            "expected a 64-digit hexadecimal top hash",
        )),
    }
}

/// A package that is absent, or a revision that is, as the tool error an agent can act on.
pub fn not_found(package: &PackageRef, revision: Option<&str>) -> ToolError {
    match revision {
        None => ToolError::Failed(format!(
            "package {} not found in bucket {} (or this user cannot see it); packages_list shows what exists",
            package.name, package.bucket
        )),
        Some(rev) => ToolError::Failed(format!(
            "package {} in bucket {} has no revision {rev:?}; package_browse without a hash shows the latest",
            package.name, package.bucket
        )),
    }
}

/// The answer of a query on `package(bucket, name) { revision(hashOrTag) { … } }`, with the
/// revision's selection as `R`.
#[derive(Debug, Deserialize)]
pub struct PackageData<R> {
    package: Option<PackageNode<R>>,
}

#[derive(Debug, Deserialize)]
struct PackageNode<R> {
    revision: Option<R>,
}

impl<R> PackageData<R> {
    /// The revision, or the error saying whether the package or the revision is missing.
    pub fn revision(self, package: &PackageRef, rev: &str) -> Result<R, ToolError> {
        let found = self.package.ok_or_else(|| not_found(package, None))?;
        found.revision.ok_or_else(|| not_found(package, Some(rev)))
    }
}

/// A size the catalog sends as a GraphQL `Float` (`1433608267.0`): sizes are whole bytes.
pub fn size<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    let bytes = f64::deserialize(d)?;
    // Sizes are below 2^53, so the float holds them exactly.
    Ok(bytes.max(0.0) as u64)
}

/// A nullable size (see [`size`]).
pub fn optional_size<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    let bytes = Option::<f64>::deserialize(d)?;
    Ok(bytes.map(|b| b.max(0.0) as u64))
}

/// An entry's content hash as the manifest writes it.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct EntryHash {
    #[serde(rename = "type")]
    pub kind: String,
    pub value: String,
}

/// One entry of a revision's flat map (`contentsFlatMap`).
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FlatEntry {
    #[serde(default)]
    pub physical_key: Option<String>,
    #[serde(default, deserialize_with = "optional_size")]
    pub size: Option<u64>,
    #[serde(default)]
    pub hash: Option<EntryHash>,
    /// The entry's own metadata: free-form, kept as the manifest has it.
    #[serde(default)]
    pub meta: Option<Value>,
}

impl FlatEntry {
    /// The content hash as `type:value`.
    pub fn hash_text(&self) -> Option<String> {
        self.hash
            .as_ref()
            .map(|h| format!("{}:{}", h.kind, h.value))
    }
}

/// A revision with its flat map (the `GetPackage` selection).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FlatRevision {
    pub hash: String,
    pub modified: Option<String>,
    pub message: Option<String>,
    /// The package metadata: free-form user data.
    pub user_meta: Option<Value>,
    /// Absent (null) when the revision has more entries than were asked for.
    pub contents_flat_map: Option<BTreeMap<String, FlatEntry>>,
}

/// Fetches a revision with its flat entry map (`GetPackage`).
pub async fn fetch_flat(
    ctx: &Ctx,
    package: &PackageRef,
    rev: &str,
) -> Result<(FlatRevision, BTreeMap<String, FlatEntry>), ToolError> {
    let mut vars = package.variables();
    vars["hashOrTag"] = json!(rev);
    vars["max"] = json!(MAX_FLAT_ENTRIES);
    let data = ctx
        .state
        .catalog
        .graphql_read(ctx.on_behalf(), GET_PACKAGE, vars)
        .await?;
    let answer: PackageData<FlatRevision> = decode(GET_PACKAGE, data)?;
    let mut revision = answer.revision(package, rev)?;
    let entries = revision.contents_flat_map.take().ok_or_else(|| {
        ToolError::Failed(format!(
            "revision {rev} of {} has more than {MAX_FLAT_ENTRIES} entries; browse it with recursive=false, folder by folder",
            package.name
        ))
    })?;
    Ok((revision, entries))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn revisions_are_a_full_hash_or_a_tag() {
        assert_eq!(hash_or_tag("", "").unwrap(), "latest");
        assert_eq!(hash_or_tag(" ", "v1").unwrap(), "v1");
        assert!(hash_or_tag("abc", "").is_err());
        let full = "A".repeat(64);
        assert_eq!(hash_or_tag(&full, "v1").unwrap(), "a".repeat(64));
    }

    #[test]
    fn flat_entries_decode_float_sizes_and_hashes() {
        let entry: FlatEntry = serde_json::from_value(json!({
            "physicalKey": "s3://b/k", "size": 1433608267.0,
            "hash": {"type": "SHA256", "value": "ab"}, "meta": null
        }))
        .unwrap();
        assert_eq!(entry.size, Some(1_433_608_267));
        assert_eq!(entry.hash_text().as_deref(), Some("SHA256:ab"));
    }
}
