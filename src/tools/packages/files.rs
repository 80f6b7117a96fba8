//! Reading a file of a package revision as text, through a browsing session: the
//! credential-free path, so the caller needs no S3 permissions of their own.

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::catalog::browsing::revision_scope;
use crate::catalog::queries::PACKAGE_FILE;
use crate::tools::buckets::objects::{caller_s3, parse_s3_uri};
use crate::tools::packages::list::{PackageRef, hash_or_tag, revision_of};
use crate::tools::{Annotations, Ctx, Tool, ToolError, typed};

/// The largest `max_bytes` accepted: a tool result is read by a model, not a disk.
pub const MAX_TEXT_BYTES: u64 = 1024 * 1024;

/// Arguments of `package_file_text`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PackageFileTextArgs {
    /// The package, `namespace/name`.
    pub package_name: String,
    /// The bucket, as `s3://bucket` or `bucket`.
    pub registry: String,
    /// The file's logical key inside the package, e.g. `results/summary.csv`.
    pub path: String,
    /// A revision's 64-digit top hash; wins over `tag`.
    #[serde(default)]
    pub top_hash: Option<String>,
    /// A revision tag; `latest` when neither is given.
    #[serde(default)]
    pub tag: Option<String>,
    /// Read at most this many bytes (1 to 1048576, default 65536); longer files are truncated and say so.
    #[serde(default = "default_max_bytes")]
    #[schemars(range(min = 1, max = 1048576))]
    pub max_bytes: u64,
}

fn default_max_bytes() -> u64 {
    64 * 1024
}

pub const PACKAGE_FILE_TEXT: Tool = Tool {
    name: "package_file_text",
    title: "Read a package file",
    description: "Read a file of a package revision as UTF-8 text, up to max_bytes (truncation is reported), through the catalog's browsing session: no S3 permissions needed.",
    annotations: Annotations::READ_ONLY,
    input_schema: || schemars::schema_for!(PackageFileTextArgs),
    output_schema: None,
    call: |ctx, args| typed(ctx, args, package_file_text),
};

/// Drops an incomplete UTF-8 sequence cut off at the end of a truncated read.
pub(crate) fn trim_partial_char(bytes: &[u8]) -> &[u8] {
    match std::str::from_utf8(bytes) {
        Err(e) if e.error_len().is_none() => &bytes[..e.valid_up_to()],
        _ => bytes,
    }
}

async fn package_file_text(ctx: &Ctx, args: PackageFileTextArgs) -> Result<Value, ToolError> {
    let package = PackageRef::parse(&args.package_name, &args.registry)?;
    let rev = hash_or_tag(args.top_hash.as_deref(), args.tag.as_deref())?;
    if !(1..=MAX_TEXT_BYTES).contains(&args.max_bytes) {
        return Err(ToolError::invalid(
            "max_bytes",
            format!("must be between 1 and {MAX_TEXT_BYTES}"),
        ));
    }
    let path = args.path.trim().trim_start_matches('/');
    if path.is_empty() || path.ends_with('/') {
        return Err(ToolError::invalid(
            "path",
            "name a file, e.g. `data/table.csv`",
        ));
    }
    let mut vars = package.variables();
    vars["hashOrTag"] = json!(rev);
    vars["path"] = json!(path);
    let data = ctx
        .state
        .catalog
        .graphql_read(ctx.on_behalf(), PACKAGE_FILE, vars)
        .await?;
    let revision = revision_of(&data, &package, &rev)?;
    let hash = revision
        .get("hash")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let Some(file) = revision.get("file").filter(|f| !f.is_null()) else {
        return Err(ToolError::invalid(
            "path",
            format!("{path:?} is not a file of this revision; package_browse lists them"),
        ));
    };
    let size = file.get("size").and_then(Value::as_f64).map(|s| s as u64);
    let physical_key = file
        .get("physicalKey")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let (bytes, truncated) =
        read_file(ctx, &package, hash, path, physical_key, args.max_bytes).await?;
    let bytes = if truncated {
        trim_partial_char(&bytes)
    } else {
        &bytes[..]
    };
    let text = std::str::from_utf8(bytes).map_err(|e| {
        ToolError::Failed(format!(
            "{path} is not UTF-8 text (invalid byte at offset {}); it is probably binary",
            e.valid_up_to()
        ))
    })?;
    Ok(json!({
        "package_name": package.name,
        "registry": format!("s3://{}", package.bucket),
        "hash": hash,
        "path": path,
        "size": size,
        "bytes_read": bytes.len(),
        "truncated": truncated,
        "text": text,
    }))
}

/// A package file's first `max_bytes`: through a browsing session (no S3 rights needed), or,
/// where the bucket is not browsable, from its physical key with the caller's own S3
/// credentials, as the catalog's own file preview does. Returns the bytes and whether the file
/// is longer.
async fn read_file(
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
                .await?;
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
    }
}
