//! Inline entries in `package_create` and `package_update` against the embedded catalog: the
//! files a visualization tool returns, passed straight through beside an S3 source, written under
//! the package's prefix and read back from the pushed revision; existing objects kept unless
//! `overwrite`; bad entries refused before anything is written.

mod common;
mod viz_support;

use std::collections::BTreeSet;

use base64::Engine;
use common::*;
use serde_json::{Value, json};
use viz_support::*;

/// The `files` of a bar chart of the first dataset table under example-public's `demo/`.
fn chart_files(h: &Harness) -> Vec<Value> {
    let uri = first_csv(h, "example-public", "demo/");
    let rows = cells(&object_text(h, &uri), ',');
    let (number, category) = numeric_and_category(&rows);
    let chart = call_ok(
        h,
        ALICE,
        "create_data_visualization",
        json!({"data": uri, "plot_type": "bar", "x_column": category, "y_column": number}),
    );
    let files = chart["files"].as_array().unwrap().clone();
    assert!(!files.is_empty(), "{chart}");
    files
}

fn keys_of(files: &[Value]) -> BTreeSet<String> {
    files
        .iter()
        .map(|f| f["logical_key"].as_str().unwrap().to_string())
        .collect()
}

/// The logical keys of a revision, as `package_browse` lists them.
fn browsed_keys(h: &Harness, name: &str, hash: &Value) -> BTreeSet<String> {
    let browsed = call_ok(
        h,
        ALICE,
        "package_browse",
        json!({"package_name": name, "registry": "example-data", "top_hash": hash,
               "include_signed_urls": false}),
    );
    browsed["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["logical_key"].as_str().unwrap().to_string())
        .collect()
}

fn read_back(h: &Harness, name: &str, path: &str) -> String {
    let read = call_ok(
        h,
        ALICE,
        "package_file_text",
        json!({"package_name": name, "registry": "example-data", "path": path}),
    );
    assert_eq!(read["truncated"], false, "{read}");
    read["text"].as_str().unwrap().to_string()
}

#[test]
fn a_package_made_of_chart_files_and_an_s3_source_reads_back() {
    let h = Harness::start();
    let files = chart_files(&h);
    let name = "team/inline-chart";
    let source = "s3://example-data/results/counts.csv";
    let args = json!({"package_name": name, "registry": "example-data",
                      "s3_uris": [source], "files": files});
    let created = call_ok(&h, ALICE, "package_create", args.clone());
    let mut expected = keys_of(&files);
    expected.insert("counts.csv".to_string());
    let reported: BTreeSet<String> = created["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k.as_str().unwrap().to_string())
        .collect();
    assert_eq!(reported, expected);
    assert_eq!(created["entries"], expected.len());
    assert_eq!(browsed_keys(&h, name, &created["top_hash"]), expected);
    for file in &files {
        let key = file["logical_key"].as_str().unwrap();
        assert_eq!(
            read_back(&h, name, key),
            file["text"].as_str().unwrap(),
            "{key}"
        );
    }
    // Written under the package's prefix in its bucket, as the tool description says.
    let listed = call_ok(
        &h,
        ALICE,
        "bucket_objects_list",
        json!({"bucket": "example-data", "prefix": format!("{name}/")}),
    );
    let written: BTreeSet<String> = listed["objects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["key"].as_str().unwrap().to_string())
        .collect();
    assert!(
        keys_of(&files)
            .iter()
            .all(|k| written.contains(&format!("{name}/{k}"))),
        "{written:?}"
    );

    // A new key, then the same keys again: refused, naming the first taken entry, and the new
    // key not written either.
    let fresh = json!({"logical_key": "fresh.txt", "text": "new", "media_type": "text/plain"});
    let mut clash = args.clone();
    clash["files"] = json!([fresh].into_iter().chain(files.clone()).collect::<Vec<_>>());
    let refused = call_fails(&h, ALICE, "package_create", clash);
    assert!(
        refused.contains("files[1]") && refused.contains("overwrite"),
        "{refused}"
    );
    let after = call_ok(
        &h,
        ALICE,
        "bucket_objects_list",
        json!({"bucket": "example-data", "prefix": format!("{name}/")}),
    );
    assert_eq!(
        after["objects"], listed["objects"],
        "nothing more was written"
    );
    // With overwrite: replaced, and the new revision reads the new content.
    let mut changed = files.clone();
    let first_key = changed[0]["logical_key"].as_str().unwrap().to_string();
    let new_text = format!("{}\n", changed[0]["text"].as_str().unwrap());
    changed[0]["text"] = json!(new_text);
    let mut again = args.clone();
    again["files"] = json!(changed);
    again["overwrite"] = json!(true);
    let replaced = call_ok(&h, ALICE, "package_create", again);
    assert_ne!(replaced["top_hash"], created["top_hash"]);
    assert_eq!(read_back(&h, name, &first_key), new_text);
}

#[test]
fn bad_inline_entries_are_refused_before_anything_is_written() {
    let h = Harness::start();
    let name = "team/inline-bad";
    let good = json!({"logical_key": "good.txt", "text": "fine", "media_type": "text/plain"});
    let cases = [
        (
            json!({"logical_key": "x.bin", "base64": "not base64!", "media_type": "image/png"}),
            "base64",
        ),
        (
            json!({"logical_key": "../escape.txt", "text": "x", "media_type": "text/plain"}),
            "..",
        ),
        (
            json!({"logical_key": "", "text": "x", "media_type": "text/plain"}),
            "logical key",
        ),
        (
            json!({"logical_key": "both.txt", "text": "x", "base64": "eA==", "media_type": "text/plain"}),
            "exactly one",
        ),
    ];
    for (bad, why) in cases {
        let message = call_fails(
            &h,
            ALICE,
            "package_create",
            json!({"package_name": name, "registry": "example-data", "files": [good, bad]}),
        );
        assert!(
            message.contains("files[1]") && message.contains(why),
            "{why}: {message}"
        );
    }
    let too_many: Vec<Value> = (0..101)
        .map(|i| json!({"logical_key": format!("f{i}.txt"), "text": "x", "media_type": "text/plain"}))
        .collect();
    let message = call_fails(
        &h,
        ALICE,
        "package_create",
        json!({"package_name": name, "registry": "example-data", "files": too_many}),
    );
    assert!(message.contains("files"), "{message}");
    let nothing = call_fails(
        &h,
        ALICE,
        "package_create",
        json!({"package_name": name, "registry": "example-data"}),
    );
    assert!(nothing.contains("s3_uris"), "{nothing}");
    let listed = call_ok(
        &h,
        ALICE,
        "bucket_objects_list",
        json!({"bucket": "example-data", "prefix": format!("{name}/")}),
    );
    assert_eq!(listed["objects"], json!([]), "nothing was written");
}

#[test]
fn package_update_adds_an_inline_entry() {
    let h = Harness::start();
    let name = "team/rnaseq-2024";
    let before = call_ok(
        &h,
        ALICE,
        "package_browse",
        json!({"package_name": name, "registry": "example-data", "include_signed_urls": false}),
    );
    let before_keys: BTreeSet<String> = before["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["logical_key"].as_str().unwrap().to_string())
        .collect();
    let text = "Run 43 reviewed.\n";
    let bytes = base64::engine::general_purpose::STANDARD.encode(text);
    let updated = call_ok(
        &h,
        ALICE,
        "package_update",
        json!({"package_name": name, "registry": "example-data", "message": "Add a note",
               "files": [{"logical_key": "notes/review.md", "base64": bytes,
                          "media_type": "text/markdown"}]}),
    );
    assert_eq!(updated["files_added"], json!(["notes/review.md"]));
    assert_eq!(updated["files_replaced"], json!([]));
    assert_eq!(updated["entries"], before_keys.len() + 1);
    let mut expected = before_keys.clone();
    expected.insert("notes/review.md".into());
    assert_eq!(browsed_keys(&h, name, &updated["top_hash"]), expected);
    assert_eq!(read_back(&h, name, "notes/review.md"), text);
}

#[test]
fn package_charts_published_inline_keep_their_bytes() {
    let h = Harness::start();
    let name = "team/rnaseq-2024";
    let charts = call_ok(
        &h,
        ALICE,
        "generate_package_visualizations",
        json!({"registry": "s3://example-data", "package_name": name}),
    );
    let files = charts["files"].as_array().unwrap().clone();
    let pngs: Vec<&Value> = files.iter().filter(|f| f["base64"].is_string()).collect();
    assert!(!pngs.is_empty(), "{charts}");
    let updated = call_ok(
        &h,
        ALICE,
        "package_update",
        json!({"package_name": name, "registry": "example-data", "files": files}),
    );
    assert_eq!(
        updated["files_added"].as_array().unwrap().len(),
        files.len()
    );
    for png in pngs {
        let key = png["logical_key"].as_str().unwrap();
        let fetched = call_ok(
            &h,
            ALICE,
            "bucket_object_fetch",
            json!({"s3_uri": format!("s3://example-data/{name}/{key}"), "as_image": false,
                   "max_bytes": 1048576}),
        );
        assert_eq!(fetched["truncated"], false, "{key}");
        assert!(
            fetched["data"] == png["base64"],
            "{key}: other bytes came back"
        );
        assert_eq!(fetched["content_type"], png["media_type"], "{key}");
    }
}
