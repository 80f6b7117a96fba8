//! Helpers the visualization tests share: reading the dataset's tables through the tools, and
//! decoding what the tools return.
#![allow(dead_code)] // each test file uses part of this

use std::collections::BTreeSet;

use crate::common::*;
use serde_json::json;

/// The text of an S3 object, read with `bucket_object_text`.
pub fn object_text(h: &Harness, uri: &str) -> String {
    let read = call_ok(
        h,
        ALICE,
        "bucket_object_text",
        json!({"s3_uri": uri, "max_bytes": 1048576}),
    );
    read["text"].as_str().unwrap().to_string()
}

/// The first CSV object under `prefix` of `bucket`, as `bucket_objects_list` lists it.
pub fn first_csv(h: &Harness, bucket: &str, prefix: &str) -> String {
    let listed = call_ok(
        h,
        ALICE,
        "bucket_objects_list",
        json!({"bucket": bucket, "prefix": prefix}),
    );
    let key = listed["objects"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|o| o["key"].as_str())
        .find(|k| k.ends_with(".csv"))
        .unwrap_or_else(|| panic!("no CSV under {prefix}: {listed}"))
        .to_string();
    format!("s3://{bucket}/{key}")
}

/// The rows of CSV text as string cells, header first (the tests' own simple reader: the
/// dataset's tables have no quoted fields).
pub fn cells(text: &str, separator: char) -> Vec<Vec<String>> {
    text.lines()
        .filter(|l| !l.is_empty())
        .map(|l| l.split(separator).map(str::to_string).collect())
        .collect()
}

/// A column's index by name.
pub fn index_of(header: &[String], name: &str) -> usize {
    header.iter().position(|c| c == name).unwrap()
}

/// The first column whose every value is a number, and the first whose values are not.
pub fn numeric_and_category(rows: &[Vec<String>]) -> (String, String) {
    let header = &rows[0];
    let numeric = |i: usize| rows[1..].iter().all(|r| r[i].parse::<f64>().is_ok());
    let number = (0..header.len()).find(|i| numeric(*i)).unwrap();
    let category = (0..header.len()).find(|i| !numeric(*i)).unwrap();
    (header[number].clone(), header[category].clone())
}

/// The width and height a PNG's header states, after decoding the whole image.
pub fn png_size(base64_text: &str) -> (u32, u32) {
    use base64::Engine;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(base64_text)
        .unwrap();
    let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    let mut reader = decoder.read_info().unwrap();
    let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
    let frame = reader.next_frame(&mut pixels).unwrap();
    (frame.width, frame.height)
}

/// The logical keys of a package's latest revision, as the catalog's package view lists them.
pub fn package_keys(h: &Harness, bucket: &str, name: &str) -> BTreeSet<String> {
    h.mock()
        .with_model(|m| {
            m.package(bucket, name)
                .and_then(|p| p.latest())
                .map(|r| r.entries.keys().cloned().collect())
                .unwrap_or_default()
        })
        .expect("the mock serves the model")
}
