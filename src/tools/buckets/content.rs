//! What an agent sees of bytes that are neither an image nor text: up to a cap, an MCP
//! embedded `resource` block holding them (base64 `blob`); above it, a download link (a
//! `resource_link` block) rather than megabytes of base64 a model cannot use. Shared by
//! `bucket_object_fetch` and `package_file_fetch`.

use std::time::Duration;

use schemars::JsonSchema;
use serde::Serialize;

use crate::aws::s3::{CallerS3, ObjectLocation};
use crate::tools::ContentBlock;
use crate::tools::buckets::objects::{link_lifetime, rfc3339_in};
use crate::tools::{ImageContent, ToolError};

/// The largest binary sent whole as an embedded resource: the image cap, for the same reason
/// (one block is read by a model; its base64 is a third larger).
pub const BLOB_MAX_BYTES: u64 = super::image::IMAGE_MAX_BYTES;

/// How long a download link given in place of a large binary works (cut to the caller's
/// credentials).
const LINK_SECONDS: u64 = 3_600;

/// An image sent as an MCP `image` content block instead of in the JSON.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ImageSent {
    /// The block's `mimeType`, from the image's first bytes.
    pub mime_type: &'static str,
    /// The image's size: the block's base64 decodes to exactly these bytes.
    pub bytes: usize,
}

/// What a fetch sent beside its JSON as content blocks: at most one of an image, an embedded
/// resource or a link, described here, and the blocks themselves under `_images` and
/// `_content`, which `call_result` moves out of the structured result. Both fetch tools'
/// results flatten it in, so they describe their blocks alike.
#[derive(Debug, Default, Serialize, JsonSchema)]
pub struct SentBlocks {
    /// Present when the bytes went as an MCP `image` content block beside this JSON.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image: Option<ImageSent>,
    /// Present when the bytes went as an embedded `resource` content block beside this JSON.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource: Option<ResourceSent>,
    /// A download link, when the bytes are a binary too large to send as a content block.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link: Option<LinkSent>,
    #[serde(rename = "_images", skip_serializing_if = "Vec::is_empty")]
    #[schemars(skip)]
    pub images: Vec<ImageContent>,
    #[serde(rename = "_content", skip_serializing_if = "Vec::is_empty")]
    #[schemars(skip)]
    pub content: Vec<ContentBlock>,
}

impl SentBlocks {
    /// `bytes`, a picture of type `mime_type`, as an image block.
    pub fn image(mime_type: &'static str, bytes: &[u8]) -> SentBlocks {
        SentBlocks {
            image: Some(ImageSent {
                mime_type,
                bytes: bytes.len(),
            }),
            images: vec![image(mime_type, bytes)],
            ..SentBlocks::default()
        }
    }

    /// `bytes` as an embedded resource block named `uri`.
    pub fn embedded(uri: String, mime_type: String, bytes: &[u8]) -> SentBlocks {
        let (sent, block) = embed(uri, mime_type, bytes);
        SentBlocks {
            resource: Some(sent),
            content: vec![block],
            ..SentBlocks::default()
        }
    }

    /// A download link and its `resource_link` block, as [`link`] made them.
    pub fn linked((sent, block): (LinkSent, ContentBlock)) -> SentBlocks {
        SentBlocks {
            link: Some(sent),
            content: vec![block],
            ..SentBlocks::default()
        }
    }
}

/// Bytes sent as an embedded `resource` content block beside the JSON.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ResourceSent {
    /// The block's `resource.uri`: the object's `s3://` URI, or the package file's `quilt+s3`
    /// URI.
    pub uri: String,
    /// The block's `resource.mimeType`.
    pub mime_type: String,
    /// The size: the block's `blob` decodes to exactly these bytes.
    pub bytes: usize,
}

/// A download link given in place of bytes too large to embed, also sent as a
/// `resource_link` content block.
#[derive(Debug, Serialize, JsonSchema)]
pub struct LinkSent {
    /// A presigned HTTPS GET link that works without credentials until `expires_at`.
    pub url: String,
    pub expires_at: String,
    /// Why a link: the size is above the embedding cap.
    pub reason: String,
}

/// The MIME type to declare for bytes that are no image: the stored content type, unless it
/// is missing or S3's generic default, then a guess from the key's extension.
pub fn mime_type(key: &str, stored: Option<&str>) -> String {
    if let Some(stored) = stored.filter(|t| !t.is_empty() && *t != "binary/octet-stream") {
        return stored.to_string();
    }
    let extension = key
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match extension.as_str() {
        "gz" | "tgz" => "application/gzip",
        "zip" => "application/zip",
        "parquet" => "application/vnd.apache.parquet",
        "h5" | "hdf5" => "application/x-hdf5",
        "pdf" => "application/pdf",
        "txt" | "md" | "csv" | "tsv" => "text/plain",
        _ => "application/octet-stream",
    }
    .to_string()
}

/// Whether `bytes` are text an agent reads as such: UTF-8, ignoring a character cut off at
/// the end of a partial read.
pub fn is_text(bytes: &[u8], partial: bool) -> bool {
    let bytes = if partial {
        crate::tools::packages::files::trim_partial_char(bytes)
    } else {
        bytes
    };
    std::str::from_utf8(bytes).is_ok()
}

/// The embedded resource block for `bytes` and what the structured result says of it.
pub fn embed(uri: String, mime_type: String, bytes: &[u8]) -> (ResourceSent, ContentBlock) {
    let block = ContentBlock::blob(uri.clone(), mime_type.clone(), bytes);
    let sent = ResourceSent {
        uri,
        mime_type,
        bytes: bytes.len(),
    };
    (sent, block)
}

/// The image block for `bytes` (already sniffed as `mime_type`).
pub fn image(mime_type: &str, bytes: &[u8]) -> ImageContent {
    use base64::Engine;
    ImageContent {
        data: base64::engine::general_purpose::STANDARD.encode(bytes),
        mime_type: mime_type.into(),
    }
}

/// A presigned link to `at` for bytes too large to embed, and its `resource_link` block.
pub async fn link(
    s3: &CallerS3,
    at: &ObjectLocation,
    mime_type: String,
    size: Option<u64>,
) -> Result<(LinkSent, ContentBlock), ToolError> {
    let seconds = link_lifetime(LINK_SECONDS, s3.credentials_expire_at())?;
    let url = s3.presign_get(at, Duration::from_secs(seconds)).await?;
    let name = at.key.rsplit('/').next().unwrap_or(&at.key).to_string();
    let block = ContentBlock::ResourceLink {
        uri: url.clone(),
        name,
        mime_type: Some(mime_type),
        size,
    };
    let sent = LinkSent {
        url,
        expires_at: rfc3339_in(seconds),
        reason: format!(
            "larger than {BLOB_MAX_BYTES} bytes, the most sent as a content block; download it from the link"
        ),
    };
    Ok((sent, block))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mime_types_prefer_what_was_stored_but_not_the_generic_default() {
        assert_eq!(mime_type("a.fastq.gz", None), "application/gzip");
        assert_eq!(
            mime_type("a.fastq.gz", Some("binary/octet-stream")),
            "application/gzip"
        );
        assert_eq!(
            mime_type("x", Some("application/x-foo")),
            "application/x-foo"
        );
        assert_eq!(mime_type("noext", None), "application/octet-stream");
    }

    #[test]
    fn text_is_utf8_even_when_a_read_cut_a_character() {
        let text = "naïve".as_bytes();
        assert!(is_text(&text[..3], true));
        assert!(!is_text(&text[..3], false));
        assert!(!is_text(b"\x1f\x8b\x08\x00", false));
        assert!(is_text(b"", false));
    }
}
