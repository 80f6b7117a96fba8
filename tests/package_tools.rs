//! The package tools against the recorded catalog: listing, browsing with depth and paging
//! limits, reading files through browsing sessions, diffs, and bad arguments.

mod common;

use common::*;
use serde_json::{Value, json};

/// The latest top hash of `name` in example-data, as `packages_list` reports it.
fn latest_hash(h: &Harness, name: &str) -> String {
    let listed = call_ok(
        h,
        ALICE,
        "packages_list",
        json!({"registry": "example-data", "filter": name, "per_page": 100}),
    );
    listed["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == name)
        .and_then(|p| p["latest_hash"].as_str())
        .unwrap_or_else(|| panic!("{name} is not listed: {listed}"))
        .to_string()
}

/// The top hashes of a package's revisions, oldest first, read from the model (the catalog's
/// own state); tests/package_history.rs derives them from `package_history` instead.
fn revision_hashes(h: &Harness, bucket: &str, name: &str) -> Vec<String> {
    h.mock()
        .with_model(|m| {
            m.package(bucket, name)
                .map(|p| p.revisions.iter().map(|r| r.hash.clone()).collect())
                .unwrap_or_default()
        })
        .expect("the mock serves the model")
}

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
    assert_eq!(all["total"], 5);
    let listed = all["packages"].as_array().unwrap();
    assert_eq!(
        listed[0]["name"], "team/single-cell-pbmc",
        "newest first by default"
    );
    let modified: Vec<&str> = listed
        .iter()
        .map(|p| p["modified"].as_str().unwrap())
        .collect();
    assert!(
        modified.windows(2).all(|w| w[0] >= w[1]),
        "newest first: {modified:?}"
    );
    let rnaseq = listed
        .iter()
        .find(|p| p["name"] == "team/rnaseq-2024")
        .unwrap();
    let filtered = h.call_tool(
        &t,
        "packages_list",
        json!({"registry": "example-data", "filter": "rna", "order": "name"}),
    );
    assert_eq!(ok(&filtered)["packages"][0]["name"], "team/rnaseq-2024");
    assert_eq!(
        ok(&filtered)["packages"][0]["latest_hash"],
        rnaseq["latest_hash"]
    );
    let mut by_name: Vec<&str> = listed.iter().map(|p| p["name"].as_str().unwrap()).collect();
    by_name.sort();
    let page = |n: u64| {
        let paged = h.call_tool(
            &t,
            "packages_list",
            json!({"registry": "example-data", "page": n, "per_page": 2, "order": "name"}),
        );
        let paged = ok(&paged);
        let names: Vec<String> = paged["packages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap().to_string())
            .collect();
        (paged["returned"].as_u64(), names)
    };
    assert_eq!(
        page(2),
        (
            Some(2),
            vec![by_name[2].to_string(), by_name[3].to_string()]
        )
    );
    assert_eq!(
        page(3),
        (Some(1), vec![by_name[4].to_string()]),
        "the last page"
    );
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
            &token(STRANGER),
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
    let latest = latest_hash(&h, "team/rnaseq-2024");
    let tree = h.call_tool(
        &t,
        "package_browse",
        json!({"package_name": "team/rnaseq-2024", "registry": "s3://example-data"}),
    );
    let tree = ok(&tree).clone();
    assert_eq!(tree["hash"], latest.as_str());
    assert_eq!(tree["found"], 17);
    assert_eq!(tree["download_links"]["resolved"], 17, "{tree}");
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
    assert_eq!(keys, ["README.md", "metadata/", "raw/", "results/"]);
    let results = h.call_tool(&t, "package_browse", json!({"package_name": "team/rnaseq-2024", "registry": "example-data",
        "top_hash": latest, "path": "results/", "recursive": false, "include_signed_urls": false, "include_file_info": false}));
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
        "top_hash": latest, "path": "README.md", "recursive": false}),
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
        [
            json!("README.md"),
            json!("annotations/"),
            json!("cells/"),
            json!("metadata/"),
            json!("qc/"),
            json!("thumbnails/")
        ]
    );
    assert_eq!(ok(&top_level)["entries"][2]["files"], 300);
    let plates = h.call_tool(
        &t,
        "package_browse",
        with(json!({"path": "cells", "max_depth": 1, "top": 4})),
    );
    let plates = ok(&plates);
    assert_eq!(
        (
            plates["found"].as_u64(),
            plates["returned"].as_u64(),
            plates["truncated"].as_bool()
        ),
        (Some(5), Some(4), Some(true))
    );
    // The folder's size is the sum of the files a full listing of it shows.
    let plate_01 = h.call_tool(
        &t,
        "package_browse",
        // Sixty wells pass the default size budget: ask for them all.
        with(json!({"path": "cells/plate-01/", "top": 100})),
    );
    let plate_01 = ok(&plate_01);
    assert_eq!(plate_01["found"], 60);
    let wells = plate_01["entries"].as_array().unwrap();
    assert_eq!(wells.len(), 60, "every well of the plate is listed");
    let size: u64 = wells.iter().map(|e| e["size"].as_u64().unwrap()).sum();
    assert_eq!(
        plates["entries"][0],
        json!({"logical_key": "cells/plate-01/", "type": "dir", "size": size, "files": 60})
    );
    let linked = h.call_tool(
        &t,
        "package_browse",
        with(json!({"include_signed_urls": true, "path": "annotations"})),
    );
    assert_eq!(ok(&linked)["found"], 2, "regions.json and plates.json");
    assert_eq!(ok(&linked)["download_links"]["resolved"], 2);
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
            .starts_with("gene_id,gene_name,sample_id,condition")
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
    let revisions = revision_hashes(&h, "example-data", "team/rnaseq-2024");
    assert_eq!(revisions.len(), 3);
    let first = revisions[0].as_str();
    assert_eq!(
        revisions[2],
        latest_hash(&h, "team/rnaseq-2024"),
        "the newest revision is the one listed"
    );
    let diff = h.call_tool(
        &t,
        "package_diff",
        json!({"package1_name": "team/rnaseq-2024", "package2_name": "team/rnaseq-2024",
        "registry": "example-data", "package1_hash": first}),
    );
    let diff = ok(&diff).clone();
    assert_eq!(
        diff["counts"],
        json!({"added": 13, "removed": 0, "modified": 2, "unchanged": 2})
    );
    assert_eq!(
        diff["metadata"]["added"],
        json!({"doi": "10.5555/example.rnaseq-2024"})
    );
    snapshot_settings()
        .bind(|| insta::assert_json_snapshot!("package_diff__rnaseq_first_to_latest", diff));
    // Backwards, from the latest to the pilot: what the pilot lacks is removed.
    let back = h.call_tool(
        &t,
        "package_diff",
        json!({"package1_name": "team/rnaseq-2024", "package2_name": "team/rnaseq-2024",
        "registry": "example-data", "package2_hash": first}),
    );
    let back = ok(&back);
    assert_eq!(
        back["counts"],
        json!({"added": 0, "removed": 13, "modified": 2, "unchanged": 2})
    );
    assert_eq!(
        back["metadata"]["removed"],
        json!({"doi": "10.5555/example.rnaseq-2024"})
    );
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

/// The result budget: what every default answer's text stays within.
const BUDGET: usize = 16 * 1024;

/// Calls a tool as Alice; the call must succeed. Returns the structured content and the length
/// of the text an agent reads.
fn sized(h: &Harness, tool: &str, args: Value) -> (Value, usize) {
    let result = h.call_tool(&token(ALICE), tool, args.clone());
    let text = result_text(&result).len();
    (ok(&result), text)
}

#[test]
fn package_results_stay_within_the_budget_and_say_how_to_get_the_rest() {
    let h = Harness::start();
    let (listed, text) = sized(&h, "packages_list", json!({"registry": "example-data"}));
    assert!(text <= BUDGET, "packages_list: {text} bytes");
    // Browse every package with default arguments; the biggest is followed to its end.
    let mut biggest = (0, String::new());
    let mut files: Vec<(u64, String, String)> = Vec::new();
    for package in listed["packages"].as_array().unwrap() {
        let name = package["name"].as_str().unwrap().to_string();
        let args = json!({"package_name": name, "registry": "example-data"});
        let (tree, text) = sized(&h, "package_browse", args);
        assert!(text <= BUDGET, "package_browse {name}: {text} bytes");
        let found = tree["found"].as_u64().unwrap();
        if found > biggest.0 {
            biggest = (found, name.clone());
        }
        let mut offset = 0;
        loop {
            let args = json!({"package_name": name, "registry": "example-data", "offset": offset,
                "include_signed_urls": false});
            let (page, text) = sized(&h, "package_browse", args);
            assert!(
                text <= BUDGET,
                "package_browse {name} at {offset}: {text} bytes"
            );
            for entry in page["entries"].as_array().unwrap() {
                let key = entry["logical_key"].as_str().unwrap().to_string();
                files.push((entry["size"].as_u64().unwrap(), name.clone(), key));
            }
            match page["next_offset"].as_u64() {
                Some(next) => {
                    assert!(
                        page["truncated"] == true && page["hint"].is_string(),
                        "{page}"
                    );
                    offset = next;
                }
                None => break,
            }
        }
        let listed = files.iter().filter(|(_, p, _)| *p == name).count() as u64;
        assert_eq!(listed, found, "following next_offset lists all of {name}");
    }
    assert_eq!(biggest, (306, "team/imaging-atlas".to_string()));
    let (first, _) = sized(
        &h,
        "package_browse",
        json!({"package_name": biggest.1, "registry": "example-data"}),
    );
    assert_eq!(
        (first["truncated"].as_bool(), first["found"].as_u64()),
        (Some(true), Some(306))
    );

    // The biggest text file, read with defaults, then from where the first answer stopped.
    files.sort();
    let (_, package, path) = files
        .iter()
        .rev()
        .find(|(_, _, key)| {
            [".csv", ".tsv", ".json", ".md", ".txt"]
                .iter()
                .any(|e| key.ends_with(e))
        })
        .unwrap()
        .clone();
    let args = json!({"package_name": package, "registry": "example-data", "path": path});
    let (head, text) = sized(&h, "package_file_text", args.clone());
    assert!(text <= BUDGET, "package_file_text {path}: {text} bytes");
    assert_eq!(head["truncated"], true, "{path} is longer than the budget");
    let next = head["next_offset"].as_u64().unwrap();
    assert_eq!(next, head["bytes_read"].as_u64().unwrap());
    let mut rest_args = args.clone();
    rest_args["offset"] = json!(next);
    let (rest, text) = sized(&h, "package_file_text", rest_args);
    assert!(
        text <= BUDGET,
        "package_file_text {path} at {next}: {text} bytes"
    );
    let mut whole_args = args;
    whole_args["max_bytes"] = json!(1024 * 1024);
    let (whole, _) = sized(&h, "package_file_text", whole_args);
    let joined = format!(
        "{}{}",
        head["text"].as_str().unwrap(),
        rest["text"].as_str().unwrap()
    );
    assert!(
        whole["text"].as_str().unwrap().starts_with(&joined),
        "the second read continues the first"
    );

    // The largest diff the dataset has: its biggest package against another.
    let other = "team/rnaseq-2024";
    let mut after = String::new();
    let mut changes = 0;
    let counts = loop {
        let args = json!({"package1_name": other, "package2_name": biggest.1,
            "registry": "example-data", "after": after});
        let (diff, text) = sized(&h, "package_diff", args);
        assert!(text <= BUDGET, "package_diff after {after:?}: {text} bytes");
        changes += ["added", "removed", "modified"]
            .iter()
            .map(|list| diff[list].as_array().unwrap().len())
            .sum::<usize>();
        match diff["next_after"].as_str() {
            Some(next) => after = next.to_string(),
            None => break diff["counts"].clone(),
        }
    };
    assert!(!after.is_empty(), "the first diff answer was cut");
    let total: u64 = ["added", "removed", "modified"]
        .iter()
        .map(|k| counts[k].as_u64().unwrap())
        .sum();
    assert_eq!(
        changes as u64, total,
        "following next_after lists every change once"
    );
}

#[test]
fn every_optional_parameter_of_the_package_tools_declares_its_default() {
    let tools = [
        "packages_list",
        "package_browse",
        "package_file_text",
        "package_diff",
        "package_create",
        "package_create_from_s3",
        "package_update",
        "package_delete",
    ];
    for name in tools {
        let tool = quilt_mcp::tools::find(name).unwrap();
        let schema = &quilt_mcp::tools::describe(tool)["inputSchema"];
        let required = schema["required"].as_array().cloned().unwrap_or_default();
        for (property, spec) in schema["properties"].as_object().unwrap() {
            if !required.contains(&json!(property)) {
                assert!(spec.get("default").is_some(), "{name}.{property}: {spec}");
            }
        }
    }
}
