//! Result budgets of the buckets toolset: with default arguments no result's text exceeds
//! 16 KiB on the largest things the dataset holds (found through the tools themselves), a cut
//! result says how to get the rest, and following that hint gets it.

mod common;

use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use common::*;
use serde_json::{Value, json};

/// `quilt_mcp::tools::budget::TEXT_BUDGET`.
const BUDGET: usize = 16 * 1024;

/// Calls `tool` as alice; it must succeed within the budget. Returns the structured content.
fn within_budget(h: &Harness, tool: &str, args: Value) -> Value {
    let result = h.call_tool(&token(ALICE), tool, args.clone());
    let text = result_text(&result);
    assert!(
        text.len() <= BUDGET,
        "{tool} {args}: {} bytes of text",
        text.len()
    );
    ok(&result)
}

/// Every page of a listing with default arguments (bar `prefix`), each within the budget.
fn every_page(h: &Harness, bucket: &str, prefix: &str) -> Vec<Value> {
    let mut pages = Vec::new();
    let mut token_in = String::new();
    loop {
        let page = within_budget(
            h,
            "bucket_objects_list",
            json!({"bucket": bucket, "prefix": prefix, "continuation_token": token_in}),
        );
        let next = page["next_continuation_token"].as_str().map(str::to_string);
        assert_eq!(page["is_truncated"], next.is_some(), "{page}");
        pages.push(page);
        match next {
            Some(next) => token_in = next,
            None => return pages,
        }
    }
}

/// `max_bytes=<n>` in a read's `next` hint.
fn hinted_max_bytes(read: &Value) -> u64 {
    let next = read["next"]
        .as_str()
        .unwrap_or_else(|| panic!("no hint: {read}"));
    let at = next.find("max_bytes=").expect("a max_bytes hint") + "max_bytes=".len();
    let digits: String = next[at..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().unwrap()
}

#[test]
fn default_results_stay_within_16_kib_and_cut_ones_say_how_to_go_on() {
    let h = Harness::start();
    let buckets = ok(&h.call_tool(&token(ALICE), "bucket_list", json!({})));
    let names: Vec<String> = buckets["buckets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["name"].as_str().unwrap().to_string())
        .collect();
    // Every object of every bucket, page by page; and the fullest folder.
    let mut objects: Vec<(String, String, u64)> = Vec::new();
    let mut folders: BTreeMap<(String, String), usize> = BTreeMap::new();
    for bucket in &names {
        for page in every_page(&h, bucket, "") {
            for object in page["objects"].as_array().unwrap() {
                let key = object["key"].as_str().unwrap().to_string();
                let folder = key.rsplit_once('/').map_or("", |(f, _)| f).to_string();
                *folders.entry((bucket.clone(), folder)).or_default() += 1;
                objects.push((bucket.clone(), key, object["size"].as_u64().unwrap()));
            }
        }
        within_budget(&h, "check_bucket_access", json!({"bucket": bucket}));
    }
    within_budget(&h, "discover_permissions", json!({}));

    // The fullest folder: its first default page is cut to the budget, and following the
    // continuation tokens lists every key once.
    let ((bucket, folder), count) = folders.iter().max_by_key(|(_, n)| **n).unwrap();
    let prefix = format!("{folder}/");
    let first = within_budget(
        &h,
        "bucket_objects_list",
        json!({"bucket": bucket, "prefix": prefix}),
    );
    assert!(*count > 100, "a folder of more than a page: {count}");
    assert!(
        first["hint"]
            .as_str()
            .unwrap()
            .contains("next_continuation_token"),
        "{first}"
    );
    // Keys in its subfolders are listed too; only its own are counted.
    let listed = every_page(&h, bucket, &prefix)
        .iter()
        .flat_map(|page| page["objects"].as_array().unwrap().clone())
        .filter(|o| !o["key"].as_str().unwrap()[prefix.len()..].contains('/'))
        .count();
    assert_eq!(listed, *count);

    // The largest object, as text and as bytes: cut to the budget, and the hint reads it whole.
    let (bucket, key, size) = objects.iter().max_by_key(|(_, _, size)| *size).unwrap();
    assert!(*size > BUDGET as u64, "{key}: {size}");
    let uri = format!("s3://{bucket}/{key}");
    within_budget(&h, "bucket_object_info", json!({"s3_uri": uri}));
    within_budget(&h, "bucket_object_link", json!({"s3_uri": uri}));
    let text = within_budget(&h, "bucket_object_text", json!({"s3_uri": uri}));
    assert_eq!(text["truncated"], true, "{text}");
    let cut = text["text"].as_str().unwrap();
    assert!(cut.ends_with('\n'), "cut at a line end");
    assert_eq!(text["bytes_read"].as_u64().unwrap(), cut.len() as u64);
    let more = hinted_max_bytes(&text);
    assert_eq!(more, *size);
    let whole = ok(&h.call_tool(
        &token(ALICE),
        "bucket_object_text",
        json!({"s3_uri": uri, "max_bytes": more}),
    ));
    assert_eq!(
        (whole["truncated"].clone(), whole["bytes_read"].clone()),
        (json!(false), json!(size))
    );
    assert!(whole["text"].as_str().unwrap().starts_with(cut));

    let fetched = within_budget(&h, "bucket_object_fetch", json!({"s3_uri": uri}));
    assert_eq!(fetched["truncated"], true, "{fetched}");
    let bytes = STANDARD.decode(fetched["data"].as_str().unwrap()).unwrap();
    assert_eq!(fetched["bytes_read"].as_u64().unwrap(), bytes.len() as u64);
    assert_eq!(
        &bytes[..],
        &whole["text"].as_str().unwrap().as_bytes()[..bytes.len()]
    );
    let all = ok(&h.call_tool(
        &token(ALICE),
        "bucket_object_fetch",
        json!({"s3_uri": uri, "max_bytes": hinted_max_bytes(&fetched)}),
    ));
    assert_eq!(all["truncated"], false, "{}", all["next"]);
    assert_eq!(
        STANDARD
            .decode(all["data"].as_str().unwrap())
            .unwrap()
            .len() as u64,
        *size
    );
}
