//! `bucket_objects_put` against the recorded catalog's S3 face: per-item results, what S3
//! received (length and hash of each body), conditional puts, and a read-only bucket.

mod common;

use common::*;
use serde_json::json;
use sha2::{Digest, Sha256};

const ALICE_KEY: &str = "ASIAALICEEXAMPLE0001";

#[test]
fn uploads_report_each_item_and_only_what_s3_accepted() {
    let h = Harness::start();
    let notes = "# Run 43\n\nArrived 2026-11-24: 125 samples on lanes 1-5, paired-end 2x150.\n";
    let png = ok(&h.call_tool(
        &token(ALICE),
        "bucket_object_fetch",
        json!({"s3_uri": "s3://example-data/atlas/thumbnails/brain.png"}),
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
    let empty = err(&h.call_tool(
        &token(ALICE),
        "bucket_objects_put",
        json!({"bucket": "example-data", "items": []}),
    ));
    assert!(empty.contains("items"), "{empty}");
}
