//! Reading a file of a package revision as text, through a browsing session: the
//! credential-free path, so the caller needs no S3 permissions of their own. A long file is
//! read a window at a time: the answer says at which `offset` the rest starts.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::aws::error::{S3Error, S3ErrorKind};
use crate::catalog::CatalogErrorKind;
use crate::catalog::browsing::{is_dot_segment, revision_scope};
use crate::catalog::queries::PACKAGE_FILE;
use crate::tools::buckets::objects::{caller_s3, parse_s3_uri};
use crate::tools::budget::{TEXT_BUDGET, cut_to_encoded, encoded_len};
use crate::tools::packages::revision::{
    Naming, PackageData, PackageRef, Target, one_path, optional_size,
};
use crate::tools::{Annotations, Ctx, Tool, ToolError, decode, typed};

/// The largest `max_bytes` accepted: a tool result is read by a model, not a disk.
pub const MAX_TEXT_BYTES: u64 = 1024 * 1024;
/// The farthest a read may reach (`offset + max_bytes`): each read starts at the file's first
/// byte, so a far offset costs the whole prefix.
pub const MAX_READ_END: u64 = 16 * 1024 * 1024;

/// Arguments of `package_file_text`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PackageFileTextArgs {
    /// The package, `namespace/name` (or give `uri`).
    #[serde(default)]
    pub package_name: String,
    /// The bucket, as `s3://bucket` or `bucket` (or give `uri`).
    #[serde(default)]
    pub registry: String,
    /// A Quilt+ URI naming the package, and optionally its revision and a path:
    /// `quilt+s3://bucket#package=namespace/name[@top_hash|:tag][&path=…]`, in place of
    /// `registry`, `package_name`, `top_hash` and `tag`.
    #[serde(default)]
    pub uri: String,
    /// The file's logical key inside the package, e.g. `results/summary.csv` (or give it in
    /// `uri`'s `&path=`).
    #[serde(default)]
    pub path: String,
    /// A revision's 64-digit top hash; wins over `tag`.
    #[serde(default)]
    pub top_hash: String,
    /// A revision tag, used when `top_hash` is empty.
    #[serde(default = "latest")]
    pub tag: String,
    /// Read at most this many bytes (1 to 1048576); the default keeps the answer within about
    /// 16 KiB. Text that would not fit is cut at a line end; the answer then gives `next_offset`.
    #[serde(default = "default_max_bytes")]
    #[schemars(range(min = 1, max = 1048576))]
    pub max_bytes: u64,
    /// Start at this byte of the file: the `next_offset` of an answer that was cut (offset plus
    /// max_bytes at most 16777216).
    #[serde(default)]
    pub offset: u64,
}

fn default_max_bytes() -> u64 {
    TEXT_BUDGET as u64
}

fn latest() -> String {
    "latest".into()
}

pub const PACKAGE_FILE_TEXT: Tool = Tool {
    name: "package_file_text",
    title: "Read a package file",
    description: "Read a file of a package revision as UTF-8 text, from offset up to max_bytes (about 16 KiB by default; a cut answer gives next_offset), through the catalog's browsing session: no S3 permissions needed.",
    annotations: Annotations::READ_ONLY,
    input_schema: || schemars::schema_for!(PackageFileTextArgs),
    output_schema: Some(|| schemars::schema_for!(PackageFileText)),
    call: |ctx, args| typed(ctx, args, package_file_text),
};

/// The result of `package_file_text`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct PackageFileText {
    /// The Quilt+ URI of this file at this revision.
    pub uri: String,
    pub package_name: String,
    pub registry: String,
    pub hash: String,
    pub path: String,
    /// The whole file's size in bytes.
    pub size: Option<u64>,
    /// The byte of the file `text` starts at.
    pub offset: u64,
    /// Bytes of the file in `text`.
    pub bytes_read: usize,
    /// Whether the file goes on after `text`.
    pub truncated: bool,
    /// Where the rest starts: pass it as `offset`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_offset: Option<u64>,
    pub text: String,
}

/// The file's entry (the `PackageFile` selection).
#[derive(Debug, Deserialize)]
struct FileRevision {
    hash: String,
    file: Option<File>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct File {
    #[serde(default, deserialize_with = "optional_size")]
    pub size: Option<u64>,
    /// `s3://bucket/key?versionId=…`: the object the entry points at.
    pub physical_key: String,
}

/// Drops an incomplete UTF-8 sequence cut off at the end of a truncated read.
pub(crate) fn trim_partial_char(bytes: &[u8]) -> &[u8] {
    match std::str::from_utf8(bytes) {
        Err(e) if e.error_len().is_none() => &bytes[..e.valid_up_to()],
        _ => bytes,
    }
}

/// Skips the continuation bytes of a character an offset fell inside; returns how many.
fn skip_partial_start(bytes: &[u8]) -> usize {
    bytes
        .iter()
        .take(3)
        .take_while(|b| (0x80..0xC0).contains(*b))
        .count()
}

async fn package_file_text(
    ctx: &Ctx,
    args: PackageFileTextArgs,
) -> Result<PackageFileText, ToolError> {
    let Target {
        package,
        rev,
        path: uri_path,
    } = Naming::standard(
        &args.uri,
        &args.registry,
        &args.package_name,
        &args.top_hash,
        &args.tag,
    )
    .resolve()?;
    if !(1..=MAX_TEXT_BYTES).contains(&args.max_bytes) {
        return Err(ToolError::invalid(
            "max_bytes",
            format!("must be between 1 and {MAX_TEXT_BYTES}"),
        ));
    }
    if args.offset + args.max_bytes > MAX_READ_END {
        return Err(ToolError::invalid(
            "offset",
            format!("offset + max_bytes must be at most {MAX_READ_END}"),
        ));
    }
    let path = file_key(&args.path, uri_path)?;
    let path = path.as_str();
    let (hash, file) = file_entry(ctx, &package, &rev, path).await?;
    let Some(file) = file else {
        return Err(ToolError::invalid(
            "path",
            format!("{path:?} is not a file of this revision; package_browse lists them"),
        ));
    };
    let end = args.offset + args.max_bytes;
    let (bytes, longer) = read_file(ctx, &package, &hash, path, &file.physical_key, end).await?;
    let window = bytes.get(args.offset as usize..).unwrap_or_default();
    let skipped = skip_partial_start(window);
    let window = &window[skipped..];
    let window = if longer {
        trim_partial_char(window)
    } else {
        window
    };
    let text = std::str::from_utf8(window).map_err(|e| {
        ToolError::Failed(format!(
            "{path} is not UTF-8 text (invalid byte at offset {}); it is probably binary: package_file_fetch returns it as an image or embedded resource",
            args.offset as usize + skipped + e.valid_up_to()
        ))
    })?;
    let offset = args.offset + skipped as u64;
    let mut result = PackageFileText {
        uri: package.quilt_uri(Some(&hash), Some(path)),
        registry: package.registry(),
        package_name: package.name,
        hash,
        path: path.to_string(),
        size: file.size,
        offset,
        bytes_read: 0,
        truncated: true,
        next_offset: Some(end),
        text: String::new(),
    };
    // The answer stays within the budget, or within max_bytes when the caller asked for more.
    let limit = TEXT_BUDGET.max(args.max_bytes as usize);
    // `result` already counts the empty text's two quotes; the cut text's encoding has them too.
    let text = cut_to_encoded(text, limit.saturating_sub(encoded_len(&result)) + 2);
    let next = offset + text.len() as u64;
    result.truncated = longer || text.len() < window.len();
    result.next_offset = result.truncated.then_some(next);
    result.bytes_read = text.len();
    result.text = text.to_string();
    Ok(result)
}

/// The logical key of one file, from the `path` argument or a URI's `&path=` (either, or both
/// agreeing): not empty, not a folder, no `.` or `..` segments.
pub(crate) fn file_key(argument: &str, from_uri: Option<String>) -> Result<String, ToolError> {
    let path = one_path("path", argument, from_uri)?;
    let path = path.trim().trim_start_matches('/');
    if path.is_empty() || path.ends_with('/') {
        return Err(ToolError::invalid(
            "path",
            "name a file, e.g. `data/table.csv` (or give it in the URI's &path=)",
        ));
    }
    if path.split('/').any(is_dot_segment) {
        return Err(ToolError::invalid(
            "path",
            "`.` and `..` segments are not allowed: name the file by its logical key as package_browse lists it",
        ));
    }
    Ok(path.to_string())
}

/// The first `max_bytes` of the file at logical key `path` in revision `rev` (a hash or a tag)
/// of `package`, and whether the file is longer; for tools that read a package file as data.
pub(crate) async fn read_package_file(
    ctx: &Ctx,
    package: &PackageRef,
    rev: &str,
    path: &str,
    max_bytes: u64,
) -> Result<(Vec<u8>, bool), ToolError> {
    let (hash, file) = file_entry(ctx, package, rev, path).await?;
    let Some(file) = file else {
        return Err(ToolError::NotFound(format!(
            "{path:?} is not a file of {} at {rev}; package_browse lists them",
            package.name
        )));
    };
    read_file(ctx, package, &hash, path, &file.physical_key, max_bytes).await
}

/// The revision `rev` (a hash or a tag) of `package` as its hash, and its file at logical key
/// `path` (`None`: the revision has no such file). Each caller words the missing file its way.
pub(crate) async fn file_entry(
    ctx: &Ctx,
    package: &PackageRef,
    rev: &str,
    path: &str,
) -> Result<(String, Option<File>), ToolError> {
    let mut vars = package.variables();
    vars["hashOrTag"] = json!(rev);
    vars["path"] = json!(path);
    let data = ctx
        .state
        .catalog
        .graphql_read(ctx.on_behalf(), PACKAGE_FILE, vars)
        .await?;
    let answer: PackageData<FileRevision> = decode(PACKAGE_FILE, data)?;
    let revision = answer.revision(package, rev)?;
    Ok((revision.hash, revision.file))
}

/// A package file's first `max_bytes`: through a browsing session (no S3 rights needed), or,
/// where the bucket is not browsable, from its physical key with the caller's own S3
/// credentials, as the catalog's own file preview does. Returns the bytes and whether the file
/// is longer.
pub(crate) async fn read_file(
    ctx: &Ctx,
    package: &PackageRef,
    hash: &str,
    path: &str,
    physical_key: &str,
    max_bytes: u64,
) -> Result<(Vec<u8>, bool), ToolError> {
    let scope = revision_scope(&package.bucket, &package.name, hash);
    let catalog = &ctx.state.catalog;
    match catalog.browse_url(ctx.on_behalf(), &scope, path).await {
        Ok(location) => {
            let download = catalog
                .download(ctx.on_behalf(), &location, max_bytes)
                .await
                .map_err(|e| match &e.kind {
                    CatalogErrorKind::Status(403, code) if code == "InvalidObjectState" => {
                        S3Error::new("s3:GetObject", physical_key, S3ErrorKind::Archived).into()
                    }
                    _ => ToolError::from(e),
                })?;
            Ok((download.bytes, download.truncated))
        }
        Err(e) if e.to_string().contains("BucketNotBrowsable") && !physical_key.is_empty() => {
            let at = parse_s3_uri("path", physical_key)?;
            let read = caller_s3(ctx).await?.read(&at, max_bytes).await?;
            Ok((read.bytes, read.truncated))
        }
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cut_multibyte_character_is_dropped_but_bad_bytes_are_not_hidden() {
        let text = "naïve".as_bytes();
        assert_eq!(trim_partial_char(&text[..3]), b"na");
        assert_eq!(trim_partial_char(text), text);
        assert_eq!(trim_partial_char(b"a\xffb"), b"a\xffb");
        assert_eq!(skip_partial_start(&text[3..]), 1);
        assert_eq!(skip_partial_start(text), 0);
    }

    #[test]
    fn text_is_cut_at_a_line_end_until_its_escaped_form_fits() {
        let text = "\"a\"\n\"b\"\n\"c\"\n";
        // Rooms given with the two quotes, as package_file_text counts them.
        assert_eq!(cut_to_encoded(text, 100 + 2), text);
        // Each line is 4 bytes but 7 once escaped (`\"a\"\n`): the cut errs on the short side.
        assert_eq!(cut_to_encoded(text, 14 + 2), "\"a\"\n");
        assert_eq!(cut_to_encoded(text, 3 + 2), "");
    }
}
