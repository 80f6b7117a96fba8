//! Inline entries for `package_create` and `package_update`: files given in the call (text or
//! base64), written to the package's bucket with the caller's own S3 credentials under
//! `<namespace>/<name>/<logical_key>`, then referenced by the pushed revision like any S3 source.
//!
//! The shape is the one the visualization tools return (`files`), so an agent passes their
//! output straight through. Everything is checked before the first write, so a bad entry
//! writes nothing; the writes are conditional (`If-None-Match: *`) unless `overwrite` is true.

use std::collections::BTreeSet;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::aws::error::S3ErrorKind;
use crate::aws::s3::{ObjectLocation, PutRequest};
use crate::tools::buckets::objects::caller_s3;
use crate::tools::packages::push::NewEntry;
use crate::tools::packages::revision::PackageRef;
use crate::tools::{Ctx, ToolError};

/// Inline entries per call at most (as `bucket_objects_put` takes items).
pub const MAX_INLINE: usize = 100;
/// S3's longest key, in bytes.
const MAX_KEY_BYTES: usize = 1024;

/// A file ready to add to a package: its logical key and its content as text or as base64.
/// What the visualization tools return and what package tools take as inline entries.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PackageFile {
    /// Where the file goes in the package, e.g. `quilt_summarize.json`.
    pub logical_key: String,
    /// The content, when it is text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// The content as standard base64, when it is binary (PNG images).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base64: Option<String>,
    /// The MIME type, e.g. `application/json`, `text/csv`, `image/png`.
    pub media_type: String,
}

impl PackageFile {
    pub fn text(logical_key: String, media_type: &str, text: String) -> PackageFile {
        PackageFile {
            logical_key,
            text: Some(text),
            base64: None,
            media_type: media_type.to_string(),
        }
    }

    pub fn binary(logical_key: String, media_type: &str, bytes: &[u8]) -> PackageFile {
        PackageFile {
            logical_key,
            text: None,
            base64: Some(STANDARD.encode(bytes)),
            media_type: media_type.to_string(),
        }
    }
}

/// An inline entry checked and decoded, ready to write.
#[derive(Debug)]
struct Checked<'a> {
    field: String,
    logical_key: &'a str,
    key: String,
    body: Vec<u8>,
    media_type: &'a str,
}

/// Checks every inline entry (count, keys, content, duplicates among them and with `taken`,
/// the logical keys the call's S3 sources already use); errors name the entry.
fn check<'a>(
    package: &PackageRef,
    files: &'a [PackageFile],
    taken: &BTreeSet<&str>,
) -> Result<Vec<Checked<'a>>, ToolError> {
    if files.len() > MAX_INLINE {
        return Err(ToolError::invalid(
            "files",
            format!(
                "at most {MAX_INLINE} inline entries per call, not {}",
                files.len()
            ),
        ));
    }
    let mut seen = BTreeSet::new();
    let mut checked = Vec::with_capacity(files.len());
    for (i, file) in files.iter().enumerate() {
        let field = format!("files[{i}]");
        let name = &file.logical_key;
        let bad = |why: String| ToolError::invalid(&field, format!("{name:?}: {why}"));
        if name
            .split('/')
            .any(|s| s.is_empty() || s == "." || s == "..")
        {
            return Err(bad(
                "a logical key is a relative path like `viz/chart.json`: not empty, no leading or doubled `/`, no `.` or `..`".into(),
            ));
        }
        let key = format!("{}/{name}", package.name);
        if key.len() > MAX_KEY_BYTES {
            return Err(bad(format!(
                "{key:?} is longer than S3's {MAX_KEY_BYTES} bytes"
            )));
        }
        if taken.contains(name.as_str()) || !seen.insert(name.as_str()) {
            return Err(bad(
                "the same logical key appears earlier in this call".into()
            ));
        }
        let body = match (&file.text, &file.base64) {
            (Some(text), None) => text.clone().into_bytes(),
            (None, Some(data)) => STANDARD
                .decode(data.trim())
                .map_err(|e| bad(format!("base64 decode failed: {e}")))?,
            _ => return Err(bad("give exactly one of `text` and `base64`".into())),
        };
        checked.push(Checked {
            field,
            logical_key: name,
            key,
            body,
            media_type: &file.media_type,
        });
    }
    Ok(checked)
}

/// Writes the inline entries to the package's bucket and returns them as package entries
/// (pinned to the written version when the bucket is versioned). Nothing is written unless
/// every entry checks out and (without `overwrite`) none of their keys is taken; an existing
/// object is refused, naming the entry, unless `overwrite`.
pub(crate) async fn write_inline(
    ctx: &Ctx,
    package: &PackageRef,
    files: &[PackageFile],
    taken: &BTreeSet<&str>,
    overwrite: bool,
) -> Result<Vec<NewEntry>, ToolError> {
    let checked = check(package, files, taken)?;
    if checked.is_empty() {
        return Ok(Vec::new());
    }
    let s3 = caller_s3(ctx).await?;
    if !overwrite {
        // A courtesy check so that a refusal usually writes nothing; the conditional put below
        // is what guarantees nothing is replaced. When HEAD cannot tell (no read access), the
        // put decides.
        for entry in &checked {
            let at = ObjectLocation {
                bucket: package.bucket.clone(),
                key: entry.key.clone(),
                version_id: None,
            };
            if s3.head(&at).await.is_ok() {
                return Err(ToolError::invalid(
                    &entry.field,
                    format!(
                        "{:?}: {} already exists and was left unchanged; pass overwrite=true to replace it",
                        entry.logical_key,
                        at.uri()
                    ),
                ));
            }
        }
    }
    let no_metadata = Default::default();
    let mut entries = Vec::with_capacity(checked.len());
    for entry in checked {
        let request = PutRequest {
            bucket: &package.bucket,
            key: &entry.key,
            body: entry.body,
            content_type: Some(entry.media_type),
            metadata: &no_metadata,
            overwrite,
        };
        let outcome = s3.put(request).await.map_err(|e| match e.kind {
            S3ErrorKind::AlreadyExists => {
                ToolError::invalid(&entry.field, format!("{:?}: {e}", entry.logical_key))
            }
            _ => ToolError::Failed(format!("{} {:?}: {e}", entry.field, entry.logical_key)),
        })?;
        let mut physical_key = format!("s3://{}/{}", package.bucket, entry.key);
        if let Some(version) = outcome.version_id {
            physical_key = format!("{physical_key}?versionId={version}");
        }
        entries.push(NewEntry {
            logical_key: entry.logical_key.to_string(),
            physical_key,
        });
    }
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(key: &str, text: Option<&str>, base64: Option<&str>) -> PackageFile {
        PackageFile {
            logical_key: key.into(),
            text: text.map(str::to_string),
            base64: base64.map(str::to_string),
            media_type: "text/plain".into(),
        }
    }

    #[test]
    fn inline_entries_are_checked_before_anything_is_written() {
        let package = PackageRef {
            bucket: "b".into(),
            name: "team/p".into(),
        };
        let none = BTreeSet::new();
        let good = [
            file("a/b.txt", Some("hi"), None),
            file("c.bin", None, Some("AAEC")),
        ];
        let checked = check(&package, &good, &none).unwrap();
        assert_eq!(checked[0].key, "team/p/a/b.txt");
        assert_eq!(checked[1].body, vec![0, 1, 2]);
        for (bad, why) in [
            (file("", Some("x"), None), "relative path"),
            (file("a/../b", Some("x"), None), "relative path"),
            (file("/a", Some("x"), None), "relative path"),
            (file("a", None, Some("not base64!")), "base64"),
            (file("a", Some("x"), Some("AA==")), "exactly one"),
            (file("a", None, None), "exactly one"),
        ] {
            let error = check(&package, &[good[0].clone(), bad], &none)
                .unwrap_err()
                .to_string();
            assert!(error.contains("files[1]") && error.contains(why), "{error}");
        }
        let twice = [good[0].clone(), good[0].clone()];
        assert!(check(&package, &twice, &none).is_err());
        let taken = BTreeSet::from(["c.bin"]);
        assert!(check(&package, &good, &taken).is_err());
        let many = vec![good[0].clone(); MAX_INLINE + 1];
        assert!(
            check(&package, &many, &none)
                .unwrap_err()
                .to_string()
                .contains("at most")
        );
    }
}
