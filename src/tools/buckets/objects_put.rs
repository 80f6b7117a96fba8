//! Writing S3 objects with the caller's own credentials: several objects in one call, each as
//! text (in an encoding) or base64 bytes, with a content type and user metadata. Each item gets
//! its own result, and an item counts as uploaded only when S3 said so.
//!
//! Existing objects are left alone unless `overwrite` is true: the put is conditional
//! (`If-None-Match: *`), so S3 itself refuses to replace a key that exists. Because a call with
//! `overwrite=true` can replace data, the tool is marked destructive.

use std::collections::{BTreeMap, HashSet};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::aws::s3::{CallerS3, PutRequest};
use crate::tools::buckets::object_read::TextEncoding;
use crate::tools::buckets::objects::caller_s3;
use crate::tools::navigation::quilt_uri::bucket_arg;
use crate::tools::{Annotations, Ctx, Tool, ToolError, typed};

/// Items per call at most.
const MAX_ITEMS: usize = 100;
/// S3's longest key, in bytes.
const MAX_KEY_BYTES: usize = 1024;

/// One object to write.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PutItem {
    /// The key to write, e.g. `incoming/notes.md`.
    pub key: String,
    /// The content as text (give `text` or `data`, not both).
    #[serde(default)]
    pub text: Option<String>,
    /// The content as standard base64 bytes (give `text` or `data`, not both).
    #[serde(default)]
    pub data: Option<String>,
    /// The MIME type; default `text/plain; charset=utf-8` for text (the charset follows
    /// `encoding`), `application/octet-stream` for data.
    #[serde(default)]
    pub content_type: Option<String>,
    /// How `text` is written: `utf-8` (default), `ascii` or `latin-1`.
    #[serde(default)]
    pub encoding: Option<String>,
    /// User metadata stored with the object (`x-amz-meta-<name>`), ASCII names and values.
    #[serde(default)]
    pub metadata: Option<BTreeMap<String, String>>,
}

/// Arguments of `bucket_objects_put`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BucketObjectsPutArgs {
    /// The bucket, as `my-bucket`, `s3://my-bucket` or a Quilt+ URI (`quilt+s3://my-bucket`,
    /// or a package's, `quilt+s3://my-bucket#package=namespace/name`, naming its bucket).
    pub bucket: String,
    /// The objects to write, 1 to 100, e.g. `[{"key": "notes/a.md", "text": "# A"}]`.
    #[schemars(length(min = 1, max = 100))]
    pub items: Vec<PutItem>,
    /// Replace objects that already exist. By default (false) an existing key is left unchanged
    /// and reported as failed.
    #[serde(default)]
    pub overwrite: bool,
}

/// One item's outcome.
#[derive(Debug, Serialize, JsonSchema)]
pub struct PutItemResult {
    pub key: String,
    pub s3_uri: String,
    /// True only when S3 accepted the object.
    pub uploaded: bool,
    #[serde(flatten)]
    pub outcome: ItemOutcome,
}

/// What became of one item: written (with what S3 answered) or not (with why).
#[derive(Debug, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum ItemOutcome {
    Written {
        size: usize,
        content_type: String,
        etag: Option<String>,
        version_id: Option<String>,
    },
    Failed {
        error: String,
    },
}

/// The result of `bucket_objects_put`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct BucketObjectsPut {
    pub bucket: String,
    pub requested: usize,
    pub uploaded: usize,
    pub failed: usize,
    pub results: Vec<PutItemResult>,
}

pub const BUCKET_OBJECTS_PUT: Tool = Tool {
    name: "bucket_objects_put",
    title: "Upload objects to a bucket",
    description: "Write one or more objects (text or base64 bytes, content type, metadata) to an S3 bucket with the caller's own S3 access, reporting each item; existing keys are kept unless overwrite=true.",
    annotations: Annotations::DESTRUCTIVE,
    input_schema: || schemars::schema_for!(BucketObjectsPutArgs),
    output_schema: Some(|| schemars::schema_for!(BucketObjectsPut)),
    call: |ctx, args| typed(ctx, args, bucket_objects_put),
};

/// An item checked and encoded, ready to send.
struct Prepared<'a> {
    body: Vec<u8>,
    content_type: String,
    metadata: &'a BTreeMap<String, String>,
}

const NO_METADATA: &BTreeMap<String, String> = &BTreeMap::new();

/// Checks one item and turns its content into bytes; the error is the item's result.
fn prepare(item: &PutItem) -> Result<Prepared<'_>, String> {
    if item.key.is_empty() || item.key.len() > MAX_KEY_BYTES {
        return Err(format!("a key must be 1 to {MAX_KEY_BYTES} bytes long"));
    }
    let metadata = item.metadata.as_ref().unwrap_or(NO_METADATA);
    for (name, value) in metadata {
        let name_ok = !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
        if !name_ok || !value.bytes().all(|b| (b' '..=b'~').contains(&b)) {
            return Err(format!(
                "metadata {name:?}: names are letters, digits, `-`, `_`, `.`; values printable ASCII"
            ));
        }
    }
    let (body, default_type) = match (&item.text, &item.data) {
        (Some(text), None) => {
            let name = item.encoding.as_deref().unwrap_or("utf-8");
            let encoding =
                TextEncoding::parse_field("encoding", name).map_err(|e| e.to_string())?;
            let bytes = encoding.encode(text).map_err(|c| {
                format!(
                    "encode failed: {c:?} cannot be written in {}",
                    encoding.name()
                )
            })?;
            let charset = match encoding {
                TextEncoding::Latin1 => "iso-8859-1",
                TextEncoding::Ascii => "us-ascii",
                TextEncoding::Utf8 => "utf-8",
            };
            (bytes, format!("text/plain; charset={charset}"))
        }
        (None, Some(data)) => {
            if item.encoding.is_some() {
                return Err("`encoding` applies to `text`, not to `data`".into());
            }
            let bytes = STANDARD
                .decode(data.trim())
                .map_err(|e| format!("base64 decode failed: {e}"))?;
            (bytes, "application/octet-stream".to_string())
        }
        _ => return Err("give exactly one of `text` and `data`".into()),
    };
    Ok(Prepared {
        body,
        content_type: item.content_type.clone().unwrap_or(default_type),
        metadata,
    })
}

#[tracing::instrument(skip_all, fields(bucket = %args.bucket, items = args.items.len()))]
async fn bucket_objects_put(
    ctx: &Ctx,
    args: BucketObjectsPutArgs,
) -> Result<BucketObjectsPut, ToolError> {
    let bucket = bucket_arg("bucket", &args.bucket)?;
    if args.items.is_empty() || args.items.len() > MAX_ITEMS {
        return Err(ToolError::invalid(
            "items",
            format!("give 1 to {MAX_ITEMS} objects"),
        ));
    }
    let s3 = caller_s3(ctx).await?;
    let mut seen = HashSet::new();
    let mut results = Vec::with_capacity(args.items.len());
    for item in &args.items {
        let outcome = if seen.insert(item.key.as_str()) {
            put_one(&s3, &bucket, item, args.overwrite).await
        } else {
            Err("the same key appears earlier in this call".into())
        };
        let outcome = outcome.unwrap_or_else(|error| ItemOutcome::Failed { error });
        results.push(PutItemResult {
            key: item.key.clone(),
            s3_uri: format!("s3://{bucket}/{}", item.key),
            uploaded: matches!(outcome, ItemOutcome::Written { .. }),
            outcome,
        });
    }
    let uploaded = results.iter().filter(|r| r.uploaded).count();
    if uploaded == 0 {
        let reasons: Vec<String> = results
            .iter()
            .filter_map(|r| match &r.outcome {
                ItemOutcome::Failed { error } => Some(format!("{}: {error}", r.key)),
                ItemOutcome::Written { .. } => None,
            })
            .collect();
        return Err(ToolError::Failed(format!(
            "nothing was uploaded to {bucket}: {}",
            reasons.join("; ")
        )));
    }
    Ok(BucketObjectsPut {
        bucket,
        requested: results.len(),
        uploaded,
        failed: results.len() - uploaded,
        results,
    })
}

/// Prepares and sends one item; the error text is what its result says.
async fn put_one(
    s3: &CallerS3,
    bucket: &str,
    item: &PutItem,
    overwrite: bool,
) -> Result<ItemOutcome, String> {
    let prepared = prepare(item)?;
    let size = prepared.body.len();
    let request = PutRequest {
        bucket,
        key: &item.key,
        body: prepared.body,
        content_type: Some(&prepared.content_type),
        metadata: prepared.metadata,
        overwrite,
    };
    let outcome = s3.put(request).await.map_err(|e| e.to_string())?;
    Ok(ItemOutcome::Written {
        size,
        content_type: prepared.content_type,
        etag: outcome.etag,
        version_id: outcome.version_id,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(text: Option<&str>, data: Option<&str>) -> PutItem {
        PutItem {
            key: "k".into(),
            text: text.map(str::to_string),
            data: data.map(str::to_string),
            content_type: None,
            encoding: None,
            metadata: None,
        }
    }

    #[test]
    fn items_need_exactly_one_valid_content() {
        let text_item = item(Some("héllo"), None);
        let text = prepare(&text_item).ok().unwrap();
        assert_eq!(text.body, "héllo".as_bytes());
        assert_eq!(text.content_type, "text/plain; charset=utf-8");
        let data_item = item(None, Some("AAEC"));
        let data = prepare(&data_item).ok().unwrap();
        assert_eq!(
            (data.body, data.content_type.as_str()),
            (vec![0, 1, 2], "application/octet-stream")
        );
        for bad in [
            item(None, None),
            item(Some("a"), Some("AA==")),
            item(None, Some("not base64!")),
        ] {
            assert!(prepare(&bad).is_err());
        }
        let mut latin = item(Some("é"), None);
        latin.encoding = Some("latin-1".into());
        let encoded = prepare(&latin).ok().unwrap();
        assert_eq!(
            (encoded.body, encoded.content_type.as_str()),
            (vec![0xE9], "text/plain; charset=iso-8859-1")
        );
        latin.text = Some("€".into());
        assert!(prepare(&latin).err().unwrap().contains("encode failed"));
        let mut meta = item(Some("a"), None);
        meta.metadata = Some(BTreeMap::from([("bad name".to_string(), "v".to_string())]));
        assert!(prepare(&meta).is_err());
    }
}
