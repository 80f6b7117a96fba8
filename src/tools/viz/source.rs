//! Chart data named by URI: an S3 object (`s3://bucket/key`) read with the caller's own
//! credentials, or a package file (`quilt+s3://bucket#package=ns/name[@hash|:tag]&path=key`)
//! read through the catalog, size-capped, and parsed by its extension.

use percent_encoding::percent_decode_str;

use crate::tools::buckets::objects::{caller_s3, parse_s3_uri};
use crate::tools::packages::files::read_package_file;
use crate::tools::packages::revision::{PackageRef, hash_or_tag};
use crate::tools::viz::table::Table;
use crate::tools::{Ctx, ToolError};

/// The largest file a chart reads: a chart of more is better made from an aggregate.
pub const MAX_SOURCE_BYTES: u64 = 10 * 1024 * 1024;

/// Whether `text` names data by URI rather than holding it.
pub fn is_uri(text: &str) -> bool {
    let text = text.trim();
    !text.contains('\n') && (text.starts_with("s3://") || text.starts_with("quilt+s3://"))
}

/// A package file named by a Quilt+ URI.
#[derive(Debug, PartialEq, Eq)]
pub struct QuiltUri {
    pub package: PackageRef,
    /// A top hash or a tag (`latest` when the URI names neither).
    pub revision: String,
    pub path: String,
}

impl QuiltUri {
    /// Reads `quilt+s3://bucket#package=ns/name[@hash|:tag]&path=logical/key`.
    pub fn parse(field: &str, uri: &str) -> Result<QuiltUri, ToolError> {
        let bad = |why: &str| ToolError::invalid(field, format!("{uri:?} {why}"));
        let rest = uri
            .trim()
            .strip_prefix("quilt+s3://")
            .ok_or_else(|| bad("is not a quilt+s3:// URI"))?;
        let (bucket, fragment) = rest
            .split_once('#')
            .ok_or_else(|| bad("names no package: add #package=ns/name&path=file.csv"))?;
        let (mut package, mut path) = (None, None);
        for part in fragment.split('&') {
            let (key, value) = part.split_once('=').unwrap_or((part, ""));
            let value = percent_decode_str(value).decode_utf8_lossy().to_string();
            match key {
                "package" => package = Some(value),
                "path" => path = Some(value),
                _ => {}
            }
        }
        let package = package.ok_or_else(|| bad("names no package (#package=ns/name)"))?;
        let path = path
            .filter(|p| !p.is_empty() && !p.ends_with('/'))
            .ok_or_else(|| bad("names no file: add &path=logical/key.csv"))?;
        let (name, revision) = match (package.split_once('@'), package.split_once(':')) {
            (Some((name, hash)), _) => (name, hash_or_tag(hash, "")?),
            (None, Some((name, tag))) => (name, hash_or_tag("", tag)?),
            (None, None) => (package.as_str(), "latest".to_string()),
        };
        Ok(QuiltUri {
            package: PackageRef::parse(name, bucket)?,
            revision,
            path,
        })
    }
}

/// Reads the table a URI names (`.csv`, `.tsv`, `.txt` as delimited text, `.json` as JSON).
pub async fn read_table(ctx: &Ctx, field: &str, uri: &str) -> Result<Table, ToolError> {
    let uri = uri.trim();
    let (key, bytes, longer) = if uri.starts_with("quilt+s3://") {
        let at = QuiltUri::parse(field, uri)?;
        kind_of(field, &at.path)?;
        let (bytes, longer) =
            read_package_file(ctx, &at.package, &at.revision, &at.path, MAX_SOURCE_BYTES).await?;
        (at.path, bytes, longer)
    } else {
        let at = parse_s3_uri(field, uri)?;
        kind_of(field, &at.key)?;
        let read = caller_s3(ctx).await?.read(&at, MAX_SOURCE_BYTES).await?;
        (at.key, read.bytes, read.truncated)
    };
    if longer {
        return Err(ToolError::invalid(
            field,
            format!(
                "{uri} is larger than {} MiB; chart an aggregate of it instead (e.g. with athena_query_execute)",
                MAX_SOURCE_BYTES / (1024 * 1024)
            ),
        ));
    }
    let text = String::from_utf8(bytes)
        .map_err(|_| ToolError::invalid(field, format!("{uri} is not UTF-8 text")))?;
    match kind_of(field, &key)? {
        Kind::Json => Table::from_json_text(field, &text),
        Kind::Delimited => Table::from_delimited(field, &text),
    }
}

enum Kind {
    Delimited,
    Json,
}

fn kind_of(field: &str, key: &str) -> Result<Kind, ToolError> {
    let lower = key.to_ascii_lowercase();
    if lower.ends_with(".json") {
        Ok(Kind::Json)
    } else if [".csv", ".tsv", ".txt"].iter().any(|e| lower.ends_with(e)) {
        Ok(Kind::Delimited)
    } else {
        Err(ToolError::invalid(
            field,
            format!(
                "{key:?} is not a .csv, .tsv or .json file; those are the tables a chart reads"
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quilt_uris_name_a_package_a_revision_and_a_file() {
        let at = QuiltUri::parse(
            "data",
            "quilt+s3://example-public#package=demo/iris:stable&path=data/iris%20v1.csv",
        )
        .unwrap();
        assert_eq!(at.package.bucket, "example-public");
        assert_eq!(at.package.name, "demo/iris");
        assert_eq!(
            (at.revision.as_str(), at.path.as_str()),
            ("stable", "data/iris v1.csv")
        );
        let hash = "a".repeat(64);
        let uri = format!("quilt+s3://b-1#package=a/b@{hash}&path=x.csv");
        assert_eq!(QuiltUri::parse("data", &uri).unwrap().revision, hash);
        for bad in [
            "quilt+s3://b-1",
            "quilt+s3://b-1#package=a/b",
            "quilt+s3://b-1#path=x.csv",
            "quilt+s3://b-1#package=a/b@123&path=x.csv",
        ] {
            assert!(QuiltUri::parse("data", bad).is_err(), "{bad}");
        }
        assert!(is_uri(" s3://b/k.csv") && !is_uri("a,b\ns3://x,1"));
    }
}
