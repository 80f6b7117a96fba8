//! `bucket_objects_put` against the model catalog's S3 face: per-item results, what S3
//! received (length and hash of each body), conditional puts, a read-only bucket, and reading
//! back what was written.

mod common;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use common::*;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const ALICE_KEY: &str = "ASIAALICEEXAMPLE0001";

#[test]
fn uploads_report_each_item_and_only_what_s3_accepted() {
    let h = Harness::start();
    let notes = "# Run 43\n\nArrived 2026-11-24: 125 samples on lanes 1-5, paired-end 2x150.\n";
    let existing = "s3://example-data/incoming/notes.md";
    let existing_before = ok(&h.call_tool(
        &token(ALICE),
        "bucket_object_text",
        json!({"s3_uri": existing}),
    ));
    let png = ok(&h.call_tool(
        &token(ALICE),
        "bucket_object_fetch",
        json!({"s3_uri": "s3://example-data/atlas/thumbnails/brain.png", "as_image": false}),
    ))["data"]
        .clone();
    let put = ok(&h.call_tool(
        &token(ALICE),
        "bucket_objects_put",
        json!({"bucket": "s3://example-data", "items": [
            {"key": "incoming/run43-notes.md", "text": notes, "content_type": "text/markdown", "metadata": {"run": "run43"}},
            {"key": "incoming/run43-thumbnail.png", "data": png, "content_type": "image/png"},
            {"key": "incoming/notes.md", "text": "would replace an existing object"},
            {"key": "incoming/broken.bin", "data": "%%% not base64"},
            {"key": "incoming/run43-notes.md", "text": "same key twice"},
        ]}),
    ));
    assert_eq!(
        (
            put["requested"].clone(),
            put["uploaded"].clone(),
            put["failed"].clone()
        ),
        (json!(5), json!(2), json!(3))
    );
    snapshot_settings()
        .bind(|| insta::assert_json_snapshot!("bucket_objects_put__mixed_results", put));
    // What S3 received is exactly what was sent; the two refused items never went out.
    let puts: Vec<_> = h
        .mock()
        .requests()
        .into_iter()
        .filter(|r| r.method == "PUT")
        .collect();
    assert_eq!(puts.len(), 3, "{puts:?}");
    let notes_put = puts
        .iter()
        .find(|r| r.path.ends_with("run43-notes.md"))
        .unwrap();
    assert_eq!(notes_put.body_len, notes.len());
    assert_eq!(
        notes_put.body_sha256.as_deref(),
        Some(format!("{:x}", Sha256::digest(notes)).as_str())
    );
    assert!(
        puts.iter()
            .all(|r| r.access_key.as_deref() == Some(ALICE_KEY))
    );

    // Read back: both uploads are listed with their sizes and hold the bytes sent; the refused
    // items left nothing behind and the existing object is unchanged.
    let listing = ok(&h.call_tool(
        &token(ALICE),
        "bucket_objects_list",
        json!({"bucket": "example-data", "prefix": "incoming/"}),
    ));
    let size_of = |key: &str| -> Value {
        listing["objects"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["key"] == key)
            .map_or(Value::Null, |o| o["size"].clone())
    };
    let png_bytes = STANDARD.decode(png.as_str().unwrap()).unwrap();
    assert_eq!(size_of("incoming/run43-notes.md"), notes.len(), "{listing}");
    assert_eq!(
        size_of("incoming/run43-thumbnail.png"),
        png_bytes.len(),
        "{listing}"
    );
    assert_eq!(size_of("incoming/broken.bin"), Value::Null, "{listing}");
    let notes_back = ok(&h.call_tool(
        &token(ALICE),
        "bucket_object_text",
        json!({"s3_uri": "s3://example-data/incoming/run43-notes.md"}),
    ));
    assert_eq!(
        notes_back["text"], notes,
        "the first item with the key was written"
    );
    let notes_info = ok(&h.call_tool(
        &token(ALICE),
        "bucket_object_info",
        json!({"s3_uri": "s3://example-data/incoming/run43-notes.md"}),
    ));
    assert_eq!(notes_info["metadata"]["run"], "run43", "{notes_info}");
    assert_eq!(notes_info["version_id"], put["results"][0]["version_id"]);
    assert!(
        notes_info["content_type"]
            .as_str()
            .unwrap()
            .starts_with("text/markdown"),
        "{notes_info}"
    );
    let png_back = ok(&h.call_tool(
        &token(ALICE),
        "bucket_object_fetch",
        json!({"s3_uri": "s3://example-data/incoming/run43-thumbnail.png", "as_image": false}),
    ));
    assert_eq!(
        STANDARD.decode(png_back["data"].as_str().unwrap()).unwrap(),
        png_bytes
    );
    let existing_after = ok(&h.call_tool(
        &token(ALICE),
        "bucket_object_text",
        json!({"s3_uri": existing}),
    ));
    assert_eq!(
        (
            existing_after["text"].clone(),
            existing_after["version_id"].clone()
        ),
        (
            existing_before["text"].clone(),
            existing_before["version_id"].clone()
        )
    );

    let denied = err(&h.call_tool(
        &token(BOB),
        "bucket_objects_put",
        json!({"bucket": "example-public", "items": [{"key": "shared/bob.txt", "text": "hello"}]}),
    ));
    assert!(
        denied.contains("nothing was uploaded")
            && denied.contains("s3:PutObject")
            && denied.contains("AccessDenied"),
        "{denied}"
    );
    // Bob may read example-public: nothing of his is there.
    let shared = ok(&h.call_tool(
        &token(BOB),
        "bucket_objects_list",
        json!({"bucket": "example-public", "prefix": "shared/"}),
    ));
    assert_eq!(shared["objects"], json!([]), "{shared}");
    let empty = err(&h.call_tool(
        &token(ALICE),
        "bucket_objects_put",
        json!({"bucket": "example-data", "items": []}),
    ));
    assert!(empty.contains("items"), "{empty}");
}
