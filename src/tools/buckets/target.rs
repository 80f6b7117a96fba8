//! What a bucket tool's `s3_uri` or `bucket` argument names, read in one place for every
//! bucket tool: an `s3://` URI, or a Quilt+ URI (what the catalog's "copy URI" button and
//! `catalog_uri` give). A Quilt+ URI naming a package file is resolved through the catalog to
//! the object its entry points at (bucket, key and version), so the object tools read exactly
//! the bytes that revision holds; a Quilt+ URI without a package names its bucket.

use crate::aws::s3::ObjectLocation;
use crate::tools::buckets::objects::parse_s3_uri;
use crate::tools::navigation::quilt_uri::{QuiltUri, UriRevision};
use crate::tools::packages::files::{file_entry, file_key};
use crate::tools::packages::revision::PackageRef;
use crate::tools::{Ctx, ToolError};

const SCHEME: &str = "quilt+s3://";

/// An object to act on, and the package file it was named as, if it was.
#[derive(Debug)]
pub(crate) struct ObjectTarget {
    pub at: ObjectLocation,
    /// The Quilt+ URI of the package file, pinned to the revision's top hash.
    pub quilt_uri: Option<String>,
}

/// Reads an object tool's `s3_uri`: `s3://bucket/key[?versionId=…]`, or
/// `quilt+s3://bucket#package=ns/name[@hash|:tag]&path=logical/key`, resolved to the object
/// the entry points at.
pub(crate) async fn object_target(
    ctx: &Ctx,
    field: &str,
    text: &str,
) -> Result<ObjectTarget, ToolError> {
    if !text.trim().starts_with(SCHEME) {
        return Ok(ObjectTarget {
            at: parse_s3_uri(field, text)?,
            quilt_uri: None,
        });
    }
    let uri = QuiltUri::parse(field, text)?;
    let Some(name) = uri.package.clone() else {
        return Err(ToolError::invalid(
            field,
            "this Quilt+ URI names no package file: use quilt+s3://bucket#package=namespace/name&path=logical/key, or s3://bucket/key",
        ));
    };
    let Some(path) = uri.path.clone() else {
        return Err(ToolError::invalid(
            field,
            format!(
                "{text:?} names package {name} but no file: add &path=logical/key (package_browse lists them)"
            ),
        ));
    };
    let path = file_key("", Some(path)).map_err(|e| match e {
        ToolError::InvalidArgument { message, .. } => ToolError::invalid(field, message),
        other => other,
    })?;
    let package = PackageRef {
        bucket: uri.bucket,
        name,
    };
    let rev = match uri.revision {
        Some(UriRevision::Hash(hash)) => hash,
        Some(UriRevision::Tag(tag)) => tag,
        None => "latest".into(),
    };
    let (hash, file) = file_entry(ctx, &package, &rev, &path).await?;
    let Some(file) = file else {
        return Err(ToolError::invalid(
            field,
            format!(
                "{path:?} is not a file of {} at {rev}; package_browse lists them",
                package.name
            ),
        ));
    };
    Ok(ObjectTarget {
        at: parse_s3_uri(field, &file.physical_key)?,
        quilt_uri: Some(package.quilt_uri(Some(&hash), Some(&path))),
    })
}
