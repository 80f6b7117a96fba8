//! Reading an S3 object's bytes with the caller's own credentials: as text in a named encoding,
//! or as raw bytes (base64). Both read at most `max_bytes` (a ranged GetObject, so a huge object
//! costs no more than the bytes asked for) and say when they stopped short. At the default
//! `max_bytes` the result is also kept within the result budget; a larger `max_bytes` is the
//! caller asking for more.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::aws::s3::ObjectBytes;
use crate::tools::buckets::content::{self, BLOB_MAX_BYTES, SentBlocks, is_text};
pub(crate) use crate::tools::buckets::encoding::TextEncoding;
use crate::tools::buckets::image::{IMAGE_MAX_BYTES, image_key, sniff};
use crate::tools::buckets::objects::caller_s3;
use crate::tools::buckets::target::{ObjectTarget, object_target};
use crate::tools::budget::{TEXT_BUDGET, cut_to_encoded, encoded_len};
use crate::tools::packages::files::trim_partial_char;
use crate::tools::{Annotations, Ctx, Tool, ToolError, typed};

/// The largest `max_bytes` accepted (upstream's bound): 10 MiB.
pub const MAX_READ_BYTES: u64 = 10 * 1024 * 1024;

/// The default `max_bytes`: what fits the result budget. Up to it, results are kept within the
/// budget; more must be asked for.
const DEFAULT_MAX_BYTES: u64 = 16 * 1024;

fn default_max_bytes() -> u64 {
    DEFAULT_MAX_BYTES
}

fn check_max_bytes(max_bytes: u64) -> Result<(), ToolError> {
    if (1..=MAX_READ_BYTES).contains(&max_bytes) {
        Ok(())
    } else {
        Err(ToolError::invalid(
            "max_bytes",
            format!("must be between 1 and {MAX_READ_BYTES}"),
        ))
    }
}

/// What both tools report about what was read.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ObjectRead {
    pub bucket: String,
    pub key: String,
    pub s3_uri: String,
    pub version_id: Option<String>,
    pub content_type: Option<String>,
    /// The whole object's size, when S3 told it.
    pub size: Option<u64>,
    /// Bytes of the object the result holds (from its start).
    pub bytes_read: usize,
    /// Whether the object goes on past what the result holds.
    pub truncated: bool,
    /// How to read more, when `truncated`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
    /// The package file's Quilt+ URI (pinned to the revision's top hash), when `s3_uri` named
    /// one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quilt_uri: Option<String>,
}

impl ObjectRead {
    fn new(target: &ObjectTarget, read: &ObjectBytes, bytes_read: usize) -> Self {
        let at = &target.at;
        let mut report = ObjectRead {
            bucket: at.bucket.clone(),
            key: at.key.clone(),
            s3_uri: at.uri(),
            version_id: read.version_id.clone(),
            content_type: read.content_type.clone(),
            size: read.size,
            bytes_read,
            truncated: false,
            next: None,
            quilt_uri: target.quilt_uri.clone(),
        };
        if read.truncated {
            report.cut(false);
        }
        report
    }

    /// Marks the result as stopping short of the object's end, saying how to get more. A cut
    /// `to_budget` must point above the default `max_bytes`, the size the budget applies to.
    fn cut(&mut self, to_budget: bool) {
        self.truncated = true;
        let mut asked = self.size.unwrap_or(MAX_READ_BYTES).min(MAX_READ_BYTES);
        if to_budget {
            asked = asked.max(DEFAULT_MAX_BYTES + 1);
        }
        self.next = Some(if asked > DEFAULT_MAX_BYTES {
            format!(
                "the object goes on: call again with max_bytes={asked} (at most {MAX_READ_BYTES}) to read more, or bucket_object_link for a download link"
            )
        } else {
            format!("the object goes on: call again with max_bytes={asked} to read all of it")
        });
    }
}

/// The room left for one string field in a result whose encoding, with that field empty,
/// takes `rest` bytes.
fn room_for_string(rest: usize) -> usize {
    // The empty string's two quotes are counted in `rest` and again by `encoded_len` of the cut.
    TEXT_BUDGET.saturating_sub(rest) + 2
}

// ---------------------------------------------------------------------------------------------

/// Arguments of `bucket_object_text`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BucketObjectTextArgs {
    /// The object, `s3://bucket/path/to/file`, optionally with `?versionId=<id>`; or a package
    /// file, `quilt+s3://bucket#package=namespace/name[@top_hash|:tag]&path=logical/key`, read
    /// as the object (and version) its entry points at.
    pub s3_uri: String,
    /// Read at most this many bytes, 1 to 10485760. Up to the default (16384) the result is
    /// also kept within 16 KiB (cut at a line end); `truncated` and `next` say how to read more.
    #[serde(default = "default_max_bytes")]
    #[schemars(range(min = 1, max = 10485760))]
    pub max_bytes: u64,
    /// The text's encoding: `utf-8` (default), `ascii` or `latin-1`. Bytes that are not valid
    /// in it are an error naming their offset, never replaced silently.
    #[serde(default = "utf8")]
    pub encoding: String,
}

fn utf8() -> String {
    "utf-8".into()
}

/// The result of `bucket_object_text`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct BucketObjectText {
    #[serde(flatten)]
    pub read: ObjectRead,
    pub encoding: String,
    pub text: String,
}

pub const BUCKET_OBJECT_TEXT: Tool = Tool {
    name: "bucket_object_text",
    title: "Read an S3 object as text",
    description: "Read the start of an S3 object (or version) as text in utf-8, ascii or latin-1, up to max_bytes (truncation is reported), with the caller's own S3 access.",
    annotations: Annotations::READ_ONLY,
    input_schema: || schemars::schema_for!(BucketObjectTextArgs),
    output_schema: Some(|| schemars::schema_for!(BucketObjectText)),
    call: |ctx, args| typed(ctx, args, bucket_object_text),
};

#[tracing::instrument(skip_all, fields(s3_uri = %args.s3_uri, max_bytes = args.max_bytes))]
async fn bucket_object_text(
    ctx: &Ctx,
    args: BucketObjectTextArgs,
) -> Result<BucketObjectText, ToolError> {
    // The arguments are checked before the catalog is asked to resolve a package file.
    check_max_bytes(args.max_bytes)?;
    let encoding = TextEncoding::parse_field("encoding", &args.encoding)?;
    let target = object_target(ctx, "s3_uri", &args.s3_uri).await?;
    let at = &target.at;
    let s3 = caller_s3(ctx).await?;
    let read = s3.read(at, args.max_bytes).await?;
    // A cut can split a UTF-8 character; that partial character is dropped, not reported.
    let bytes = match (encoding, read.truncated) {
        (TextEncoding::Utf8, true) => trim_partial_char(&read.bytes),
        _ => &read.bytes,
    };
    let text = encoding.decode(bytes).map_err(|(offset, byte)| {
        ToolError::Failed(format!(
            "{} is not valid {} text: byte 0x{byte:02X} at offset {offset}; try encoding=\"latin-1\" for older western text, or bucket_object_fetch for binary data",
            at.uri(),
            encoding.name()
        ))
    })?;
    let mut result = BucketObjectText {
        read: ObjectRead::new(&target, &read, bytes.len()),
        encoding: encoding.name().to_string(),
        text,
    };
    if args.max_bytes <= DEFAULT_MAX_BYTES && encoded_len(&result) > TEXT_BUDGET {
        let text = std::mem::take(&mut result.text);
        result.read.cut(true);
        let kept = cut_to_encoded(&text, room_for_string(encoded_len(&result)));
        result.read.bytes_read = encoding.byte_len(kept);
        result.text = kept.to_string();
    }
    Ok(result)
}

// ---------------------------------------------------------------------------------------------

/// Arguments of `bucket_object_fetch`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BucketObjectFetchArgs {
    /// The object, `s3://bucket/path/to/file`, optionally with `?versionId=<id>`; or a package
    /// file, `quilt+s3://bucket#package=namespace/name[@top_hash|:tag]&path=logical/key`, read
    /// as the object (and version) its entry points at.
    pub s3_uri: String,
    /// Read at most this many bytes, 1 to 10485760. Up to the default (16384) the result is
    /// also kept within 16 KiB (base64 is a third longer than the bytes); `truncated` and
    /// `next` say how to read more.
    #[serde(default = "default_max_bytes")]
    #[schemars(range(min = 1, max = 10485760))]
    pub max_bytes: u64,
    /// Return the bytes as standard base64 (true, the default); false returns UTF-8 text when
    /// the bytes are UTF-8, and base64 otherwise (`is_base64` tells which).
    #[serde(default = "yes")]
    pub base64_encode: bool,
    /// Return content blocks a client can use (true, the default): a whole PNG, JPEG, GIF or
    /// WebP image of at most 1 MiB as an MCP `image` block (`image` describes it), any other
    /// object that is not UTF-8 text, up to 1 MiB, whole as an embedded `resource` block
    /// (`resource` describes it), and a larger one as its first bytes plus a download `link`;
    /// `data` is then absent, except beside a link. False returns every object's bytes in
    /// `data`. (`as_image` is the older name.)
    #[serde(default = "yes", alias = "as_image")]
    pub as_content: bool,
}

fn yes() -> bool {
    true
}

/// The result of `bucket_object_fetch`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct BucketObjectFetch {
    #[serde(flatten)]
    pub read: ObjectRead,
    /// Whether `data` is base64 (else UTF-8 text).
    pub is_base64: bool,
    /// The bytes; absent when they went as an image block (see `image`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<String>,
    /// The image, resource or link sent beside this JSON as a content block.
    #[serde(flatten)]
    pub blocks: SentBlocks,
}

pub const BUCKET_OBJECT_FETCH: Tool = Tool {
    name: "bucket_object_fetch",
    title: "Fetch an S3 object's bytes",
    description: "Fetch the start of an S3 object (or version), up to max_bytes (truncation is reported), as base64 or, when asked and possible, as UTF-8 text; a PNG, JPEG, GIF or WebP image up to 1 MiB comes back whole as an image content block the client can show, another binary up to 1 MiB whole as an embedded resource block, a larger one with a download link.",
    annotations: Annotations::READ_ONLY,
    input_schema: || schemars::schema_for!(BucketObjectFetchArgs),
    output_schema: Some(|| schemars::schema_for!(BucketObjectFetch)),
    call: |ctx, args| typed(ctx, args, bucket_object_fetch),
};

#[tracing::instrument(skip_all, fields(s3_uri = %args.s3_uri, max_bytes = args.max_bytes))]
async fn bucket_object_fetch(
    ctx: &Ctx,
    args: BucketObjectFetchArgs,
) -> Result<BucketObjectFetch, ToolError> {
    check_max_bytes(args.max_bytes)?;
    let target = object_target(ctx, "s3_uri", &args.s3_uri).await?;
    let at = &target.at;
    let s3 = caller_s3(ctx).await?;
    let mut read = if args.as_content && image_key(&at.key) {
        // Read enough for the whole picture; what is not one is cut back to max_bytes below.
        let read = s3.read(at, args.max_bytes.max(IMAGE_MAX_BYTES)).await?;
        let whole = !read.truncated && read.bytes.len() as u64 <= IMAGE_MAX_BYTES;
        if whole && let Some(mime_type) = sniff(&read.bytes) {
            return Ok(BucketObjectFetch {
                read: ObjectRead::new(&target, &read, read.bytes.len()),
                is_base64: true,
                data: None,
                blocks: SentBlocks::image(mime_type, &read.bytes),
            });
        }
        first_bytes(read, args.max_bytes)
    } else {
        s3.read(at, args.max_bytes).await?
    };
    let mut link = None;
    if args.as_content && !is_text(&read.bytes, read.truncated) {
        let mime_type = content::mime_type(&at.key, read.content_type.as_deref());
        let small = read.size.unwrap_or(read.bytes.len() as u64) <= BLOB_MAX_BYTES;
        if small && read.truncated {
            // Past max_bytes but under the cap: read the rest, to send it whole.
            read = s3.read(at, BLOB_MAX_BYTES).await?;
        }
        if small && !read.truncated {
            // Named as the caller named it: a package file by its Quilt+ URI.
            let uri = target.quilt_uri.clone().unwrap_or_else(|| at.uri());
            return Ok(BucketObjectFetch {
                read: ObjectRead::new(&target, &read, read.bytes.len()),
                is_base64: true,
                data: None,
                blocks: SentBlocks::embedded(uri, mime_type, &read.bytes),
            });
        }
        read = first_bytes(read, args.max_bytes);
        if !small {
            link = Some(content::link(&s3, at, mime_type, read.size).await?);
        }
    }
    let as_text = if args.base64_encode {
        None
    } else {
        let bytes = if read.truncated {
            trim_partial_char(&read.bytes)
        } else {
            &read.bytes
        };
        std::str::from_utf8(bytes).ok()
    };
    let (data, is_base64, bytes_read) = match as_text {
        Some(text) => (text.to_string(), false, text.len()),
        None => (STANDARD.encode(&read.bytes), true, read.bytes.len()),
    };
    let mut result = BucketObjectFetch {
        read: ObjectRead::new(&target, &read, bytes_read),
        is_base64,
        data: Some(data),
        blocks: link.map(SentBlocks::linked).unwrap_or_default(),
    };
    if args.max_bytes <= DEFAULT_MAX_BYTES && encoded_len(&result) > TEXT_BUDGET {
        // Measured with `data` empty but present, as the answer will have it.
        let data = result.data.replace(String::new()).unwrap_or_default();
        result.read.cut(true);
        let room = room_for_string(encoded_len(&result));
        if is_base64 {
            // Whole groups of three bytes, four base64 characters each (two are the quotes).
            let kept = (room.saturating_sub(2) / 4 * 3).min(read.bytes.len());
            result.read.bytes_read = kept;
            result.data = Some(STANDARD.encode(&read.bytes[..kept]));
        } else {
            let kept = cut_to_encoded(&data, room);
            result.read.bytes_read = kept.len();
            result.data = Some(kept.to_string());
        }
    }
    Ok(result)
}

/// The first `max_bytes` of a longer read, as if only they had been asked for.
fn first_bytes(mut read: ObjectBytes, max_bytes: u64) -> ObjectBytes {
    let max = usize::try_from(max_bytes).unwrap_or(usize::MAX);
    if read.bytes.len() > max {
        read.bytes.truncate(max);
        read.truncated = true;
    }
    read
}
