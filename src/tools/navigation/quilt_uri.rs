//! Quilt+ URIs read as input and written in results:
//! `quilt+s3://bucket#package=ns/name[@top_hash|:tag]&path=logical/key&catalog=host`, what the
//! catalog's "copy URI" button and `catalog_uri` produce. The fragment's keys may come in any
//! order; `path` is percent-encoded per segment; `catalog` names a host and is not used here.

use percent_encoding::percent_decode_str;

use crate::http::encode_component;
use crate::tools::ToolError;
use crate::tools::navigation::links::{bucket_name, package_name};

const SCHEME: &str = "quilt+s3://";

/// The revision a URI names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UriRevision {
    /// A full 64-digit top hash, lowercase.
    Hash(String),
    Tag(String),
}

/// A parsed Quilt+ URI. A bucket alone (or a bucket and a path) parses too; tools that need a
/// package say so with [`QuiltUri::require_package`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QuiltUri {
    pub bucket: String,
    /// `namespace/name`, when the URI names a package.
    pub package: Option<String>,
    pub revision: Option<UriRevision>,
    /// A logical key (file) or folder inside the package, decoded.
    pub path: Option<String>,
}

impl QuiltUri {
    /// Parses `text`; `field` names the argument in errors.
    pub fn parse(field: &str, text: &str) -> Result<Self, ToolError> {
        let bad = |why: &str| {
            ToolError::invalid(
                field,
                format!(
                    "{text:?} is not a Quilt+ URI: {why} (expected quilt+s3://bucket#package=namespace/name[@top_hash|:tag][&path=logical/key])"
                ),
            )
        };
        let trimmed = text.trim();
        let rest = trimmed
            .strip_prefix(SCHEME)
            .ok_or_else(|| bad("it must start with quilt+s3://"))?;
        let (authority, fragment) = match rest.split_once('#') {
            Some((authority, fragment)) => (authority, Some(fragment)),
            None => (rest, None),
        };
        if authority.contains(['/', '?']) {
            return Err(bad(
                "a key goes in the fragment's path=, not after the bucket",
            ));
        }
        let bucket =
            bucket_name(field, authority).map_err(|_| bad("the bucket name is invalid"))?;
        let mut uri = QuiltUri {
            bucket,
            package: None,
            revision: None,
            path: None,
        };
        let Some(fragment) = fragment else {
            return Ok(uri);
        };
        let mut catalog_seen = false;
        for part in fragment.split('&') {
            let (key, value) = part
                .split_once('=')
                .ok_or_else(|| bad(&format!("{part:?} is not key=value")))?;
            if value.is_empty() {
                return Err(bad(&format!("{key}= is empty")));
            }
            let duplicate = || bad(&format!("{key}= is given twice"));
            match key {
                "package" => {
                    if uri.package.is_some() {
                        return Err(duplicate());
                    }
                    let (name, revision) = split_revision(value).map_err(|why| bad(&why))?;
                    let name = package_name(field, name)
                        .map_err(|_| bad("package= is not namespace/name"))?;
                    uri.package = Some(name);
                    uri.revision = revision;
                }
                "path" => {
                    if uri.path.is_some() {
                        return Err(duplicate());
                    }
                    let decoded = percent_decode_str(value)
                        .decode_utf8()
                        .map_err(|_| bad("path= is not UTF-8 once decoded"))?;
                    uri.path = Some(decoded.trim_start_matches('/').to_string());
                }
                "catalog" if !catalog_seen => catalog_seen = true,
                "catalog" => return Err(duplicate()),
                other => return Err(bad(&format!("unknown key {other:?}"))),
            }
        }
        Ok(uri)
    }

    /// The package, or the error saying a package URI was needed.
    pub fn require_package(&self, field: &str) -> Result<&str, ToolError> {
        self.package.as_deref().ok_or_else(|| {
            ToolError::invalid(
                field,
                "the URI names a bucket only; add #package=namespace/name",
            )
        })
    }
}

/// Splits `ns/name@hash` or `ns/name:tag` into the name and the revision.
fn split_revision(value: &str) -> Result<(&str, Option<UriRevision>), String> {
    if let Some((name, hash)) = value.split_once('@') {
        let full = hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit());
        if !full {
            return Err(format!(
                "@{hash} is not a full 64-digit top hash (package_history lists them)"
            ));
        }
        return Ok((name, Some(UriRevision::Hash(hash.to_lowercase()))));
    }
    if let Some((name, tag)) = value.split_once(':') {
        let ok = !tag.is_empty()
            && tag
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
        if !ok {
            return Err(format!("{tag:?} is not a tag"));
        }
        return Ok((name, Some(UriRevision::Tag(tag.to_string()))));
    }
    Ok((value, None))
}

/// The Quilt+ URI of a package revision, or of a file or folder in it.
pub fn quilt_uri(bucket: &str, package: &str, hash: Option<&str>, path: Option<&str>) -> String {
    let mut uri = format!("{SCHEME}{bucket}#package={package}");
    if let Some(hash) = hash {
        uri.push('@');
        uri.push_str(hash);
    }
    if let Some(path) = path.filter(|p| !p.is_empty()) {
        uri.push_str("&path=");
        // Each segment encoded as catalog_uri does; `&`, `#` and `=` cannot leak into the
        // fragment's structure.
        let encoded: Vec<String> = path.split('/').map(encode_component).collect();
        uri.push_str(&encoded.join("/"));
    }
    uri
}

/// Reads an argument that names a bucket (a `bucket` or `registry`): `s3://bucket`, `bucket`,
/// or a Quilt+ URI's bucket (a package's registry, when it names one). A Quilt+ URI naming a
/// file is refused here: it names an object, which the object tools take.
pub fn bucket_arg(field: &str, text: &str) -> Result<String, ToolError> {
    if !text.trim().starts_with(SCHEME) {
        return bucket_name(field, text);
    }
    let uri = QuiltUri::parse(field, text)?;
    if uri.path.is_some() {
        return Err(ToolError::invalid(
            field,
            format!(
                "{text:?} names a file, not a bucket: give quilt+s3://{} (or pass the file URI as s3_uri to bucket_object_info, _text, _fetch or _link)",
                uri.bucket
            ),
        ));
    }
    Ok(uri.bucket)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HASH: &str = "5471bb8da020a4485102b6d72bbe7d525323513c129dab9f45fba231b78d13be";

    fn parse(text: &str) -> Result<QuiltUri, String> {
        QuiltUri::parse("uri", text).map_err(|e| e.to_string())
    }

    #[test]
    fn each_accepted_form() {
        let plain = parse("quilt+s3://example-data#package=team/crispr-screen").unwrap();
        assert_eq!(plain.bucket, "example-data");
        assert_eq!(plain.package.as_deref(), Some("team/crispr-screen"));
        assert_eq!((plain.revision, plain.path), (None, None));

        let hashed = parse(&format!(
            "quilt+s3://b-1.x#package=a/b@{}",
            HASH.to_uppercase()
        ))
        .unwrap();
        assert_eq!(hashed.revision, Some(UriRevision::Hash(HASH.into())));

        let tagged = parse("quilt+s3://bucket#package=a/b:v1.0").unwrap();
        assert_eq!(tagged.revision, Some(UriRevision::Tag("v1.0".into())));

        let with_path = parse(&format!(
            "quilt+s3://bucket#package=a/b@{HASH}&path=results/de%20genes.tsv&catalog=example.com"
        ))
        .unwrap();
        assert_eq!(with_path.path.as_deref(), Some("results/de genes.tsv"));

        let path_first = parse("  quilt+s3://bucket#path=README.md&package=a/b  ").unwrap();
        assert_eq!(path_first.path.as_deref(), Some("README.md"));
        assert_eq!(path_first.package.as_deref(), Some("a/b"));
    }

    #[test]
    fn each_refused_form_says_why() {
        let cases = [
            ("s3://bucket/key", "must start with quilt+s3://"),
            ("quilt+s3://", "bucket name is invalid"),
            (
                "quilt+s3://Bad_Bucket#package=a/b",
                "bucket name is invalid",
            ),
            ("quilt+s3://bucket/key#package=a/b", "fragment's path="),
            ("quilt+s3://bucket#package=ab", "not namespace/name"),
            ("quilt+s3://bucket#package=a/b/c", "not namespace/name"),
            (
                "quilt+s3://bucket#package=a/b@abc123",
                "full 64-digit top hash",
            ),
            ("quilt+s3://bucket#package=a/b:", "is not a tag"),
            ("quilt+s3://bucket#package=a/b:bad tag", "is not a tag"),
            ("quilt+s3://bucket#package=a/b&package=c/d", "given twice"),
            ("quilt+s3://bucket#package=a/b&path=x&path=y", "given twice"),
            ("quilt+s3://bucket#package=a/b&path=", "path= is empty"),
            ("quilt+s3://bucket#package=a/b&version=1", "unknown key"),
            ("quilt+s3://bucket#package=a/b&", "is not key=value"),
            ("quilt+s3://bucket#package=a/b&path=%FF", "not UTF-8"),
        ];
        for (text, why) in cases {
            let error = parse(text).expect_err(text);
            assert!(error.contains("`uri`"), "{text}: {error}");
            assert!(error.contains(why), "{text}: {error}");
        }
    }

    #[test]
    fn a_bucket_uri_parses_but_package_tools_refuse_it() {
        for text in ["quilt+s3://bucket", "quilt+s3://bucket#path=a.csv"] {
            let uri = parse(text).unwrap();
            assert_eq!(uri.bucket, "bucket");
            let error = uri.require_package("uri").unwrap_err().to_string();
            assert!(error.contains("#package=namespace/name"), "{error}");
        }
    }

    #[test]
    fn built_uris_parse_back() {
        let uri = quilt_uri("bucket", "a/b", Some(HASH), Some("dir/a b&c=d.csv"));
        assert!(uri.contains("a%20b%26c%3Dd.csv"), "{uri}");
        let parsed = parse(&uri).unwrap();
        assert_eq!(parsed.path.as_deref(), Some("dir/a b&c=d.csv"));
        assert_eq!(parsed.revision, Some(UriRevision::Hash(HASH.into())));
        assert_eq!(
            quilt_uri("bucket", "a/b", None, None),
            "quilt+s3://bucket#package=a/b"
        );
    }

    #[test]
    fn buckets_come_from_every_form_and_file_uris_are_refused() {
        for text in [
            "example-data",
            "s3://example-data",
            "quilt+s3://example-data",
            "quilt+s3://example-data#package=team/proteomics",
            "quilt+s3://example-data#package=team/proteomics:submitted",
        ] {
            assert_eq!(bucket_arg("bucket", text).unwrap(), "example-data");
        }
        for (text, why) in [
            (
                "quilt+s3://example-data#package=a/b&path=x.csv",
                "names a file",
            ),
            ("quilt+s3://Bad#package=a/b", "bucket name is invalid"),
            ("quilt+s3://example-data#package=ab", "namespace/name"),
            ("quilts3://example-data", "not an S3 bucket name"),
        ] {
            let error = bucket_arg("bucket", text).unwrap_err().to_string();
            assert!(
                error.contains("`bucket`") && error.contains(why),
                "{text}: {error}"
            );
        }
    }
}
