//! Reading an S3 object's bytes with the caller's own credentials: as text in a named encoding,
//! or as raw bytes (base64). Both read at most `max_bytes` (a ranged GetObject, so a huge object
//! costs no more than the bytes asked for) and say when they stopped short.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::aws::s3::{ObjectBytes, ObjectLocation};
use crate::tools::buckets::objects::{caller_s3, parse_s3_uri};
use crate::tools::packages::files::trim_partial_char;
use crate::tools::{Annotations, Ctx, Tool, ToolError, typed};

/// The largest `max_bytes` accepted (upstream's bound): 10 MiB.
pub const MAX_READ_BYTES: u64 = 10 * 1024 * 1024;

fn default_max_bytes() -> u64 {
    64 * 1024
}

/// A text encoding the object tools read and write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TextEncoding {
    Utf8,
    Ascii,
    Latin1,
}

impl TextEncoding {
    /// Reads an encoding's name (case and `-`/`_` do not matter); `field` names the argument.
    pub(crate) fn parse_field(field: &str, name: &str) -> Result<Self, ToolError> {
        match name.trim().to_ascii_lowercase().replace('_', "-").as_str() {
            "utf-8" | "utf8" => Ok(TextEncoding::Utf8),
            "ascii" | "us-ascii" => Ok(TextEncoding::Ascii),
            "latin-1" | "latin1" | "iso-8859-1" | "iso8859-1" | "l1" => Ok(TextEncoding::Latin1),
            _ => Err(ToolError::invalid(
                field,
                format!(
                    "{name:?} is not supported; use utf-8, ascii or latin-1 (bucket_object_fetch returns raw bytes)"
                ),
            )),
        }
    }

    /// The canonical name.
    pub(crate) fn name(self) -> &'static str {
        match self {
            TextEncoding::Utf8 => "utf-8",
            TextEncoding::Ascii => "ascii",
            TextEncoding::Latin1 => "latin-1",
        }
    }

    /// The bytes of `text`, or the first character this encoding cannot hold.
    pub(crate) fn encode(self, text: &str) -> Result<Vec<u8>, char> {
        match self {
            TextEncoding::Utf8 => Ok(text.as_bytes().to_vec()),
            TextEncoding::Ascii => text
                .chars()
                .map(|c| if c.is_ascii() { Ok(c as u8) } else { Err(c) })
                .collect(),
            TextEncoding::Latin1 => text
                .chars()
                .map(|c| u8::try_from(u32::from(c)).map_err(|_| c))
                .collect(),
        }
    }

    /// The text, or the offset and value of the first byte that is not valid in this encoding.
    fn decode(self, bytes: &[u8]) -> Result<String, (usize, u8)> {
        let bad_at = |offset: usize| (offset, bytes.get(offset).copied().unwrap_or(0));
        match self {
            TextEncoding::Utf8 => std::str::from_utf8(bytes)
                .map(str::to_string)
                .map_err(|e| bad_at(e.valid_up_to())),
            TextEncoding::Ascii => match bytes.iter().position(|b| !b.is_ascii()) {
                Some(offset) => Err(bad_at(offset)),
                None => Ok(bytes.iter().map(|&b| char::from(b)).collect()),
            },
            // Every byte is a latin-1 character, the same code point in Unicode.
            TextEncoding::Latin1 => Ok(bytes.iter().map(|&b| char::from(b)).collect()),
        }
    }
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

/// The fields both tools report about what was read.
fn read_report(at: &ObjectLocation, read: &ObjectBytes, bytes_read: usize) -> Value {
    json!({
        "bucket": at.bucket,
        "key": at.key,
        "s3_uri": at.uri(),
        "version_id": read.version_id,
        "content_type": read.content_type,
        "size": read.size,
        "bytes_read": bytes_read,
        "truncated": read.truncated,
    })
}

// ---------------------------------------------------------------------------------------------

/// Arguments of `bucket_object_text`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BucketObjectTextArgs {
    /// The object, `s3://bucket/path/to/file`, optionally with `?versionId=<id>`.
    pub s3_uri: String,
    /// Read at most this many bytes (1 to 10485760, default 65536); a longer object is cut
    /// there and `truncated` says so.
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

pub const BUCKET_OBJECT_TEXT: Tool = Tool {
    name: "bucket_object_text",
    title: "Read an S3 object as text",
    description: "Read the start of an S3 object (or version) as text in utf-8, ascii or latin-1, up to max_bytes (truncation is reported), with the caller's own S3 access.",
    annotations: Annotations::READ_ONLY,
    input_schema: || schemars::schema_for!(BucketObjectTextArgs),
    output_schema: None,
    call: |ctx, args| typed(ctx, args, bucket_object_text),
};

#[tracing::instrument(skip_all, fields(s3_uri = %args.s3_uri, max_bytes = args.max_bytes))]
async fn bucket_object_text(ctx: &Ctx, args: BucketObjectTextArgs) -> Result<Value, ToolError> {
    let at = parse_s3_uri("s3_uri", &args.s3_uri)?;
    check_max_bytes(args.max_bytes)?;
    let encoding = TextEncoding::parse_field("encoding", &args.encoding)?;
    let s3 = caller_s3(ctx).await?;
    let read = s3.read(&at, args.max_bytes).await?;
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
    let mut result = read_report(&at, &read, bytes.len());
    result["encoding"] = json!(encoding.name());
    result["text"] = json!(text);
    Ok(result)
}

// ---------------------------------------------------------------------------------------------

/// Arguments of `bucket_object_fetch`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BucketObjectFetchArgs {
    /// The object, `s3://bucket/path/to/file`, optionally with `?versionId=<id>`.
    pub s3_uri: String,
    /// Read at most this many bytes (1 to 10485760, default 65536); `truncated` says when the
    /// object is longer.
    #[serde(default = "default_max_bytes")]
    #[schemars(range(min = 1, max = 10485760))]
    pub max_bytes: u64,
    /// Return the bytes as standard base64 (true, the default); false returns UTF-8 text when
    /// the bytes are UTF-8, and base64 otherwise (`is_base64` tells which).
    #[serde(default = "yes")]
    pub base64_encode: bool,
}

fn yes() -> bool {
    true
}

pub const BUCKET_OBJECT_FETCH: Tool = Tool {
    name: "bucket_object_fetch",
    title: "Fetch an S3 object's bytes",
    description: "Fetch the start of an S3 object (or version), up to max_bytes (truncation is reported), as base64 or, when asked and possible, as UTF-8 text; for images, archives and other binary data.",
    annotations: Annotations::READ_ONLY,
    input_schema: || schemars::schema_for!(BucketObjectFetchArgs),
    output_schema: None,
    call: |ctx, args| typed(ctx, args, bucket_object_fetch),
};

#[tracing::instrument(skip_all, fields(s3_uri = %args.s3_uri, max_bytes = args.max_bytes))]
async fn bucket_object_fetch(ctx: &Ctx, args: BucketObjectFetchArgs) -> Result<Value, ToolError> {
    let at = parse_s3_uri("s3_uri", &args.s3_uri)?;
    check_max_bytes(args.max_bytes)?;
    let s3 = caller_s3(ctx).await?;
    let read = s3.read(&at, args.max_bytes).await?;
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
    let mut result = read_report(&at, &read, bytes_read);
    result["is_base64"] = json!(is_base64);
    result["data"] = json!(data);
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodings_decode_or_name_the_bad_byte() {
        let latin1 = b"pr\xe9lev\xe9 \xb14 \xb0C";
        assert_eq!(
            TextEncoding::Latin1.decode(latin1).unwrap(),
            "prélevé ±4 °C"
        );
        assert_eq!(TextEncoding::Utf8.decode(latin1), Err((2, 0xE9)));
        assert_eq!(TextEncoding::Ascii.decode(b"ok\x80"), Err((2, 0x80)));
        assert_eq!(
            TextEncoding::Utf8.decode("naïve".as_bytes()).unwrap(),
            "naïve"
        );
        assert_eq!(TextEncoding::Latin1.encode("é±").unwrap(), vec![0xE9, 0xB1]);
        assert_eq!(TextEncoding::Latin1.encode("€"), Err('€'));
        assert_eq!(TextEncoding::Ascii.encode("é"), Err('é'));
    }

    #[test]
    fn encoding_names_are_forgiving_but_unknown_ones_are_refused() {
        for name in ["UTF-8", "utf8", "Latin_1", "ISO-8859-1", "us-ascii"] {
            assert!(
                TextEncoding::parse_field("encoding", name).is_ok(),
                "{name}"
            );
        }
        let error = TextEncoding::parse_field("encoding", "shift-jis")
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("encoding") && error.contains("latin-1"),
            "{error}"
        );
    }
}
