//! The package tools against the recorded catalog: listing, browsing with depth and paging
//! limits, reading files through browsing sessions, diffs, and bad arguments.

mod common;

use common::*;
use serde_json::{Value, json};

const H0: &str = "0c4f1e2d3b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0";
const H1: &str = "5feebbc18159b525a839f627ce7f7c223cea13cd471a060ced04ea49613baaf7";

#[test]
fn packages_list_pages_filters_and_orders() {
    let h = Harness::start();
    let t = token(ALICE);
    let all = h.call_tool(
        &t,
        "packages_list",
        json!({"registry": "s3://example-data"}),
    );
    let all = ok(&all).clone();
    assert_eq!(all["total"], 3);
    assert_eq!(
        all["packages"][0]["name"], "team/imaging-atlas",
        "newest first by default"
    );
    let filtered = h.call_tool(
        &t,
        "packages_list",
        json!({"registry": "example-data", "filter": "rna", "order": "name"}),
    );
    assert_eq!(ok(&filtered)["packages"][0]["latest_hash"], H1);
    let paged = h.call_tool(
        &t,
        "packages_list",
        json!({"registry": "example-data", "page": 2, "per_page": 2, "order": "name"}),
    );
    assert_eq!(ok(&paged)["returned"], 1);
    snapshot_settings().bind(|| {
        insta::assert_json_snapshot!("packages_list__example_data", all, { ".packages[].catalog_url" => "[url]" });
    });
    assert!(
        err(&h.call_tool(&t, "packages_list", json!({"registry": "no-such-bucket"})))
            .contains("no-such-bucket")
    );
    for (args, field) in [
        (
            json!({"registry": "example-data", "per_page": 0}),
            "per_page",
        ),
        (
            json!({"registry": "example-data", "per_page": 101}),
            "per_page",
        ),
        (json!({"registry": "example-data", "page": 0}), "page"),
        (
            json!({"registry": "example-data", "order": "size"}),
            "order",
        ),
        (json!({"registry": "Not A Bucket"}), "registry"),
    ] {
        assert!(
            err(&h.call_tool(&t, "packages_list", args.clone())).contains(field),
            "{args}"
        );
    }
    assert!(
        err(&h.call_tool(
            &token(CAROL),
            "packages_list",
            json!({"registry": "example-data"})
        ))
        .contains("401")
    );
    assert!(
        err(&h.call_tool(
            &token(DAVE),
            "packages_list",
            json!({"registry": "example-data"})
        ))
        .contains("403")
    );
}

#[test]
fn package_browse_shows_the_tree_metadata_and_download_links() {
    let h = Harness::start();
    let t = token(ALICE);
    let tree = h.call_tool(
        &t,
        "package_browse",
        json!({"package_name": "team/rnaseq-2024", "registry": "s3://example-data"}),
    );
    let tree = ok(&tree).clone();
    assert_eq!(tree["hash"], H1);
    assert_eq!(tree["found"], 5);
    assert_eq!(tree["download_links"]["resolved"], 5, "{tree}");
    let readme = tree["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["logical_key"] == "README.md")
        .unwrap();
    assert!(
        readme["download_url"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{}/presigned/", h.mock().url()))
    );
    snapshot_settings().bind(|| {
        insta::assert_json_snapshot!("package_browse__rnaseq_latest", tree, {
            ".entries[].download_url" => "[presigned url]", ".catalog_url" => "[url]" });
    });
    let sessions = h
        .mock()
        .requests()
        .iter()
        .filter(|r| r.operation.as_deref() == Some("BrowsingSessionCreate"))
        .count();
    assert_eq!(
        sessions, 1,
        "one browsing session for all the links of one call"
    );

    let root = h.call_tool(
        &t,
        "package_browse",
        json!({"package_name": "team/rnaseq-2024", "registry": "example-data",
        "recursive": false, "include_signed_urls": false}),
    );
    let root = ok(&root);
    let keys: Vec<&str> = root["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["logical_key"].as_str().unwrap())
        .collect();
    assert_eq!(keys, ["README.md", "raw/", "results/"]);
    let results = h.call_tool(&t, "package_browse", json!({"package_name": "team/rnaseq-2024", "registry": "example-data",
        "top_hash": H1, "path": "results/", "recursive": false, "include_signed_urls": false, "include_file_info": false}));
    let results = ok(&results);
    assert_eq!(
        results["entries"][0],
        json!({"logical_key": "results/counts.csv", "type": "file"})
    );
    let one_file = h.call_tool(
        &t,
        "package_browse",
        json!({"package_name": "team/rnaseq-2024", "registry": "example-data",
        "path": "README.md", "include_signed_urls": false}),
    );
    assert_eq!(ok(&one_file)["entries"][0]["logical_key"], "README.md");
    assert_eq!(ok(&one_file)["returned"], 1);
    let not_dir = h.call_tool(
        &t,
        "package_browse",
        json!({"package_name": "team/rnaseq-2024", "registry": "example-data",
        "top_hash": H1, "path": "README.md", "recursive": false}),
    );
    assert!(err(&not_dir).contains("path"));
}

#[test]
fn package_browse_honours_depth_and_top_on_a_large_package() {
    let h = Harness::start();
    let t = token(ALICE);
    let base = json!({"package_name": "team/imaging-atlas", "registry": "example-data", "include_signed_urls": false});
    let with = |extra: Value| {
        let mut args = base.clone();
        args.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        args
    };
    let everything = h.call_tool(&t, "package_browse", base.clone());
    assert_eq!(ok(&everything)["found"], 306);
    let top_level = h.call_tool(&t, "package_browse", with(json!({"max_depth": 1})));
    let keys: Vec<Value> = ok(&top_level)["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["logical_key"].clone())
        .collect();
    assert_eq!(
        keys,
        [json!("README.md"), json!("annotations/"), json!("images/")]
    );
    assert_eq!(ok(&top_level)["entries"][2]["files"], 300);
    let organs = h.call_tool(
        &t,
        "package_browse",
        with(json!({"path": "images", "max_depth": 2, "top": 4})),
    );
    let organs = ok(&organs);
    assert_eq!(
        (
            organs["found"].as_u64(),
            organs["returned"].as_u64(),
            organs["truncated"].as_bool()
        ),
        (Some(30), Some(4), Some(true))
    );
    assert_eq!(
        organs["entries"][0],
        json!({"logical_key": "images/brain/specimen-01/", "type": "dir", "size": 100055010, "files": 10})
    );
    let linked = h.call_tool(
        &t,
        "package_browse",
        with(json!({"include_signed_urls": true, "path": "annotations"})),
    );
    assert_eq!(ok(&linked)["download_links"]["resolved"], 5);
    let capped = h.call_tool(
        &t,
        "package_browse",
        with(json!({"include_signed_urls": true})),
    );
    assert_eq!(
        ok(&capped)["download_links"]["resolved"],
        20,
        "links are capped per call"
    );
}

#[test]
fn package_browse_reports_unknown_packages_and_revisions() {
    let h = Harness::start();
    let t = token(ALICE);
    let unknown = h.call_tool(
        &t,
        "package_browse",
        json!({"package_name": "team/no-such-package", "registry": "example-data"}),
    );
    assert!(err(&unknown).contains("not found"));
    let bad_hash = h.call_tool(&t, "package_browse", json!({"package_name": "team/rnaseq-2024", "registry": "example-data", "top_hash": "f".repeat(64)}));
    assert!(err(&bad_hash).contains("no revision"));
    for (args, field) in [
        (
            json!({"package_name": "rnaseq", "registry": "example-data"}),
            "package_name",
        ),
        (
            json!({"package_name": "team/rnaseq-2024", "registry": "example-data", "top_hash": "abc"}),
            "top_hash",
        ),
        (
            json!({"package_name": "team/rnaseq-2024", "registry": "example-data", "max_depth": -1}),
            "max_depth",
        ),
        (json!({"package_name": "team/rnaseq-2024"}), "registry"),
    ] {
        assert!(
            err(&h.call_tool(&t, "package_browse", args.clone())).contains(field),
            "{args}"
        );
    }
}

#[test]
fn package_file_text_reads_through_a_browsing_session() {
    let h = Harness::start();
    let t = token(BOB);
    let base = |path: &str| json!({"package_name": "team/rnaseq-2024", "registry": "example-data", "path": path});
    let readme = h.call_tool(&t, "package_file_text", base("README.md"));
    let readme = ok(&readme).clone();
    snapshot_settings().bind(|| insta::assert_json_snapshot!("package_file_text__readme", readme));
    assert_eq!(readme["truncated"], false);
    assert!(readme["text"].as_str().unwrap().len() > 10);
    let mut short = base("results/counts.csv");
    short["max_bytes"] = json!(100);
    let counts = h.call_tool(&t, "package_file_text", short);
    let counts = ok(&counts);
    assert_eq!(
        (counts["truncated"].as_bool(), counts["bytes_read"].as_u64()),
        (Some(true), Some(100))
    );
    assert!(
        counts["text"]
            .as_str()
            .unwrap()
            .starts_with("gene_id,control_1")
    );
    assert!(
        err(&h.call_tool(&t, "package_file_text", base("raw/sample1.fastq.gz")))
            .contains("not UTF-8")
    );
    assert!(err(&h.call_tool(&t, "package_file_text", base("missing.txt"))).contains("path"));
    for (max, field) in [(0, "max_bytes"), (2_000_000, "max_bytes")] {
        let mut args = base("README.md");
        args["max_bytes"] = json!(max);
        assert!(err(&h.call_tool(&t, "package_file_text", args)).contains(field));
    }
    let no_token_to_s3 = h
        .mock()
        .requests()
        .into_iter()
        .filter(|r| r.path.starts_with("/presigned/"))
        .all(|r| r.token.is_none());
    assert!(
        no_token_to_s3,
        "the caller's token never goes to a presigned URL"
    );
}

#[test]
fn package_diff_compares_entries_and_metadata() {
    let h = Harness::start();
    let t = token(ALICE);
    let diff = h.call_tool(
        &t,
        "package_diff",
        json!({"package1_name": "team/rnaseq-2024", "package2_name": "team/rnaseq-2024",
        "registry": "example-data", "package1_hash": H0}),
    );
    let diff = ok(&diff).clone();
    assert_eq!(
        diff["counts"],
        json!({"added": 2, "removed": 1, "modified": 2, "unchanged": 1})
    );
    assert_eq!(diff["metadata"]["removed"], json!({"operator": "alice"}));
    snapshot_settings()
        .bind(|| insta::assert_json_snapshot!("package_diff__rnaseq_h0_to_latest", diff));
    let bad = h.call_tool(
        &t,
        "package_diff",
        json!({"package1_name": "team/rnaseq-2024", "package2_name": "x",
        "registry": "example-data"}),
    );
    assert!(err(&bad).contains("package2_name"));
    let bad_hash = h.call_tool(
        &t,
        "package_diff",
        json!({"package1_name": "team/rnaseq-2024", "package2_name": "team/rnaseq-2024",
        "registry": "example-data", "package2_hash": "xyz"}),
    );
    assert!(err(&bad_hash).contains("package2_hash"));
}
