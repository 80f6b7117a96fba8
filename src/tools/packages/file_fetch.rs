//! `package_file_fetch`: any file of a package revision, as what a client can use. Text stays
//! text (a window of it, as `package_file_text` gives); a PNG, JPEG, GIF or WebP image becomes
//! an MCP `image` block; another binary an embedded `resource` block; one too large to embed,
//! a download link. A separate tool beside `package_file_text`, as `bucket_object_fetch` sits
//! beside `bucket_object_text`: an agent that wants text asks for text (and gets an error on
//! binary bytes), one that wants "whatever the file is" asks for this.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::tools::buckets::content::{self, BLOB_MAX_BYTES, SentBlocks, is_text};
use crate::tools::buckets::image::sniff;
use crate::tools::buckets::objects::{caller_s3, parse_s3_uri};
use crate::tools::budget::{TEXT_BUDGET, cut_to_encoded, encoded_len};
use crate::tools::packages::files::{file_entry, file_key, read_file, trim_partial_char};
use crate::tools::packages::revision::{Naming, Target};
use crate::tools::{Annotations, Ctx, Tool, ToolError, typed};

/// Arguments of `package_file_fetch`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PackageFileFetchArgs {
    /// The package, `namespace/name` (or give `uri`).
    #[serde(default)]
    pub package_name: String,
    /// The bucket, as `s3://bucket` or `bucket` (or give `uri`).
    #[serde(default)]
    pub registry: String,
    /// A Quilt+ URI naming the file:
    /// `quilt+s3://bucket#package=namespace/name[@top_hash|:tag]&path=logical/key`, in place of
    /// `registry`, `package_name`, `top_hash`, `tag` and `path`.
    #[serde(default)]
    pub uri: String,
    /// The file's logical key inside the package, e.g. `thumbnails/brain.png`.
    #[serde(default)]
    pub path: String,
    /// A revision's 64-digit top hash; wins over `tag`.
    #[serde(default)]
    pub top_hash: String,
    /// A revision tag, used when `top_hash` is empty.
    #[serde(default = "latest")]
    pub tag: String,
    /// For text: return at most about this many bytes (1 to 1048576; default 16384, which also
    /// keeps the answer within 16 KiB); package_file_text reads further from `next_offset`.
    #[serde(default = "text_budget")]
    #[schemars(range(min = 1, max = 1048576))]
    pub max_bytes: u64,
    /// For images and other binaries: up to this many bytes (1 to 1048576, the default) they
    /// come back whole as a content block; a larger file comes back as a download link.
    #[serde(default = "blob_max")]
    #[schemars(range(min = 1, max = 1048576))]
    pub max_embed_bytes: u64,
}

fn latest() -> String {
    "latest".into()
}

fn text_budget() -> u64 {
    TEXT_BUDGET as u64
}

fn blob_max() -> u64 {
    BLOB_MAX_BYTES
}

/// How the file came back.
#[derive(Clone, Copy, Debug, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Sent {
    /// In `text`.
    Text,
    /// As an MCP `image` content block (`image` describes it).
    Image,
    /// As an embedded `resource` content block (`resource` describes it).
    Resource,
    /// As a download link (`link`, and a `resource_link` content block).
    Link,
}

/// The result of `package_file_fetch`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct PackageFileFetch {
    /// The Quilt+ URI of this file at this revision.
    pub uri: String,
    pub package_name: String,
    pub registry: String,
    pub hash: String,
    pub path: String,
    /// The object the entry points at, `s3://bucket/key?versionId=…`.
    pub physical_key: String,
    /// The whole file's size in bytes.
    pub size: Option<u64>,
    pub sent: Sent,
    /// The file's text (from its start), when `sent` is `text`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Whether the text stops short of the file's end.
    pub truncated: bool,
    /// Where the rest of the text starts: pass it as package_file_text's `offset`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_offset: Option<u64>,
    /// The image, resource or link sent beside this JSON as a content block.
    #[serde(flatten)]
    pub blocks: SentBlocks,
}

pub const PACKAGE_FILE_FETCH: Tool = Tool {
    name: "package_file_fetch",
    title: "Fetch a package file",
    description: "Read any file of a package revision as what a client can use: text as text (about 16 KiB by default; package_file_text reads on from next_offset), a PNG, JPEG, GIF or WebP image up to 1 MiB as an image content block, another binary up to 1 MiB as an embedded resource block, a larger one as a download link. Read through the catalog's browsing session: no S3 permissions needed.",
    annotations: Annotations::READ_ONLY,
    input_schema: || schemars::schema_for!(PackageFileFetchArgs),
    output_schema: Some(|| schemars::schema_for!(PackageFileFetch)),
    call: |ctx, args| typed(ctx, args, package_file_fetch),
};

async fn package_file_fetch(
    ctx: &Ctx,
    args: PackageFileFetchArgs,
) -> Result<PackageFileFetch, ToolError> {
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
    for (field, value) in [
        ("max_bytes", args.max_bytes),
        ("max_embed_bytes", args.max_embed_bytes),
    ] {
        if !(1..=BLOB_MAX_BYTES).contains(&value) {
            return Err(ToolError::invalid(
                field,
                format!("must be between 1 and {BLOB_MAX_BYTES}"),
            ));
        }
    }
    let path = file_key(&args.path, uri_path)?;
    let (hash, file) = file_entry(ctx, &package, &rev, &path).await?;
    let Some(file) = file else {
        return Err(ToolError::invalid(
            "path",
            format!("{path:?} is not a file of this revision; package_browse lists them"),
        ));
    };
    // Enough for a whole image or binary under the cap, or the text window asked for.
    let wanted = args.max_embed_bytes.max(args.max_bytes);
    let (bytes, longer) =
        read_file(ctx, &package, &hash, &path, &file.physical_key, wanted).await?;
    let mut result = PackageFileFetch {
        uri: package.quilt_uri(Some(&hash), Some(&path)),
        registry: package.registry(),
        package_name: package.name.clone(),
        hash,
        path,
        physical_key: file.physical_key,
        size: file.size,
        sent: Sent::Text,
        text: None,
        truncated: false,
        next_offset: None,
        blocks: SentBlocks::default(),
    };
    let fits = !longer && bytes.len() as u64 <= args.max_embed_bytes;
    if is_text(&bytes, longer) {
        let bytes = if longer {
            trim_partial_char(&bytes)
        } else {
            &bytes
        };
        // Valid: `is_text` said so.
        let text = std::str::from_utf8(bytes).unwrap_or_default();
        text_window(&mut result, text, longer, args.max_bytes);
    } else if let Some(mime_type) = sniff(&bytes).filter(|_| fits) {
        result.sent = Sent::Image;
        result.blocks = SentBlocks::image(mime_type, &bytes);
    } else if fits {
        let mime_type = content::mime_type(&result.path, None);
        result.sent = Sent::Resource;
        result.blocks = SentBlocks::embedded(result.uri.clone(), mime_type, &bytes);
    } else {
        let at = parse_s3_uri("path", &result.physical_key)?;
        let mime_type = sniff(&bytes)
            .map(str::to_string)
            .unwrap_or_else(|| content::mime_type(&result.path, None));
        let s3 = caller_s3(ctx).await?;
        let (mut sent, block) = content::link(&s3, &at, mime_type, result.size).await?;
        if args.max_embed_bytes < BLOB_MAX_BYTES {
            sent.reason = format!(
                "larger than max_embed_bytes ({}); download it from the link",
                args.max_embed_bytes
            );
        }
        result.sent = Sent::Link;
        result.blocks = SentBlocks::linked((sent, block));
    }
    Ok(result)
}

/// Puts the start of `text` in the result, cut (at a line end) to what `max_bytes` and the
/// result budget allow, saying where the rest starts.
fn text_window(result: &mut PackageFileFetch, text: &str, longer: bool, max_bytes: u64) {
    result.text = Some(String::new());
    let limit = TEXT_BUDGET.max(max_bytes as usize);
    // The result counts the empty text's two quotes; the cut text's encoding has them too.
    let room = limit.saturating_sub(encoded_len(&*result)) + 2;
    let kept = cut_to_encoded(text, room.min(max_bytes as usize + 2));
    result.truncated = longer || kept.len() < text.len();
    result.next_offset = result.truncated.then_some(kept.len() as u64);
    result.text = Some(kept.to_string());
}
