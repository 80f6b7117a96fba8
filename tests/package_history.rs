//! `package_history` over HTTP, as an agent uses it: list a package's revisions a page at a
//! time, then browse and compare the hashes it gave.

mod common;

use std::collections::BTreeSet;

use common::*;
use serde_json::{Value, json};

const BUCKET: &str = "example-data";

/// A package of the bucket with more than one revision, picked from `packages_list` by
/// asking each package's history (no name is assumed).
fn package_with_history(h: &Harness) -> (String, Value) {
    let listed = call_ok(
        h,
        ALICE,
        "packages_list",
        json!({"registry": BUCKET, "per_page": 100}),
    );
    for package in listed["packages"].as_array().unwrap() {
        let name = package["name"].as_str().unwrap().to_string();
        let history = call_ok(
            h,
            ALICE,
            "package_history",
            json!({"registry": BUCKET, "package_name": name, "limit": 100}),
        );
        if history["total"].as_u64().unwrap() >= 3 {
            assert_eq!(
                history["revisions"][0]["top_hash"], package["latest_hash"],
                "newest first: {history}"
            );
            assert_eq!(history["revisions"][0]["uri"], package["uri"]);
            return (name, history);
        }
    }
    panic!("no package of {BUCKET} has three revisions: {listed}");
}

fn hashes(history: &Value) -> Vec<String> {
    history["revisions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["top_hash"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn history_lists_every_revision_newest_first_and_pages_by_offset() {
    let h = Harness::start();
    let (name, full) = package_with_history(&h);
    let all = hashes(&full);
    assert_eq!(full["total"].as_u64().unwrap() as usize, all.len());
    assert!(full.get("next_offset").is_none(), "{full}");
    // The catalog's own record agrees, newest first.
    let model: Vec<String> = h
        .mock()
        .with_model(|m| {
            let p = m.package(BUCKET, &name).unwrap();
            p.revisions.iter().rev().map(|r| r.hash.clone()).collect()
        })
        .unwrap();
    assert_eq!(all, model);
    let dates: Vec<&str> = full["revisions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["modified"].as_str().unwrap())
        .collect();
    assert!(dates.windows(2).all(|w| w[0] >= w[1]), "{dates:?}");
    assert_eq!(full["revisions"][0]["tags"][0], "latest");
    let later_latest = full["revisions"].as_array().unwrap()[1..]
        .iter()
        .flat_map(|r| r["tags"].as_array().unwrap())
        .any(|t| t == "latest");
    assert!(!later_latest, "only the newest is latest: {full}");
    assert!(
        full["revisions"][0]["metadata_summary"].is_object(),
        "{full}"
    );

    // Pages of every size, followed by next_offset, give the same list; offsets between the
    // registry's page boundaries too.
    for limit in 1..=all.len() {
        let mut walked = Vec::new();
        let mut offset = Some(0);
        while let Some(at) = offset {
            let page = call_ok(
                &h,
                BOB,
                "package_history",
                json!({"registry": format!("s3://{BUCKET}"), "package_name": name, "offset": at, "limit": limit}),
            );
            assert_eq!(page["offset"], at);
            assert_eq!(page["total"], full["total"]);
            walked.extend(hashes(&page));
            offset = page.get("next_offset").and_then(Value::as_u64);
        }
        assert_eq!(walked, all, "limit {limit}");
    }
    let middle = call_ok(
        &h,
        ALICE,
        "package_history",
        json!({"registry": BUCKET, "package_name": name, "offset": 1, "limit": 2}),
    );
    assert_eq!(hashes(&middle), all[1..3].to_vec());
}

#[test]
fn every_listed_revision_can_be_browsed_and_compared() {
    let h = Harness::start();
    let (name, history) = package_with_history(&h);
    let all = hashes(&history);
    let mut keys = Vec::new();
    for (hash, listed) in all.iter().zip(history["revisions"].as_array().unwrap()) {
        let browsed = call_ok(
            &h,
            ALICE,
            "package_browse",
            json!({"registry": BUCKET, "package_name": name, "top_hash": hash,
                   "include_signed_urls": false, "top": 10000}),
        );
        assert_eq!(browsed["hash"], *hash);
        assert_eq!(browsed["message"], listed["message"]);
        assert_eq!(browsed["total_entries"], listed["total_entries"]);
        let files: BTreeSet<String> = browsed["entries"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["type"] == "file")
            .map(|e| e["logical_key"].as_str().unwrap().to_string())
            .collect();
        keys.push(files);
    }
    // Each revision against the one before it: what the diff calls added is what browsing shows.
    for i in 0..all.len() - 1 {
        let (newer, older) = (&all[i], &all[i + 1]);
        let diff = call_ok(
            &h,
            ALICE,
            "package_diff",
            json!({"registry": BUCKET, "package1_name": name, "package2_name": name,
                   "package1_hash": older, "package2_hash": newer}),
        );
        assert_eq!(diff["package1"]["hash"], *older);
        assert_eq!(diff["package2"]["hash"], *newer);
        let added: BTreeSet<String> = diff["added"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["logical_key"].as_str().unwrap().to_string())
            .collect();
        let expected: BTreeSet<String> = keys[i].difference(&keys[i + 1]).cloned().collect();
        assert_eq!(added, expected, "{diff}");
    }
}

#[test]
fn history_refuses_bad_arguments_and_unknown_packages() {
    let h = Harness::start();
    let (name, history) = package_with_history(&h);
    let total = history["total"].as_u64().unwrap();
    let message = call_fails(
        &h,
        ALICE,
        "package_history",
        json!({"registry": BUCKET, "package_name": name, "offset": total}),
    );
    assert!(message.contains("offset"), "{message}");
    for limit in [0, 101] {
        let message = call_fails(
            &h,
            ALICE,
            "package_history",
            json!({"registry": BUCKET, "package_name": name, "limit": limit}),
        );
        assert!(message.contains("limit"), "{message}");
    }
    let message = call_fails(
        &h,
        ALICE,
        "package_history",
        json!({"registry": BUCKET, "package_name": "no-such/package"}),
    );
    assert!(message.contains("not found"), "{message}");
    let message = call_fails(
        &h,
        ALICE,
        "package_history",
        json!({"registry": BUCKET, "package_name": "not a name"}),
    );
    assert!(message.contains("package_name"), "{message}");
}

#[test]
fn quilt_uris_from_the_history_name_revisions_and_files_for_every_package_tool() {
    let h = Harness::start();
    let (name, history) = package_with_history(&h);
    let revisions = history["revisions"].as_array().unwrap();
    let (newest, oldest) = (&revisions[0], &revisions[revisions.len() - 1]);
    let uri = oldest["uri"].as_str().unwrap();

    // The history itself, by a URI naming the package only.
    let package_uri = format!("quilt+s3://{BUCKET}#package={name}");
    let by_uri = call_ok(
        &h,
        ALICE,
        "package_history",
        json!({"uri": package_uri, "limit": 100}),
    );
    assert_eq!(hashes(&by_uri), hashes(&history));

    // Browse by URI: the same revision as by hash, and it gives its URI back.
    let browsed = call_ok(
        &h,
        ALICE,
        "package_browse",
        json!({"uri": uri, "include_signed_urls": false}),
    );
    let by_hash = call_ok(
        &h,
        ALICE,
        "package_browse",
        json!({"registry": BUCKET, "package_name": name, "top_hash": oldest["top_hash"],
               "include_signed_urls": false}),
    );
    assert_eq!(browsed["hash"], oldest["top_hash"]);
    assert_eq!(browsed["entries"], by_hash["entries"]);
    assert_eq!(browsed["uri"], uri);

    // A file by URI with &path=, as the browse answer names it.
    let file = browsed["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["type"] == "file")
        .unwrap()["logical_key"]
        .as_str()
        .unwrap()
        .to_string();
    let file_uri = format!("{uri}&path={file}");
    let text = call_ok(&h, ALICE, "package_file_text", json!({"uri": file_uri}));
    let same = call_ok(
        &h,
        ALICE,
        "package_file_text",
        json!({"registry": BUCKET, "package_name": name, "top_hash": oldest["top_hash"], "path": file}),
    );
    assert_eq!(text["text"], same["text"]);
    assert_eq!(text["hash"], oldest["top_hash"]);
    assert_eq!(text["uri"], file_uri);
    // The URI a result gives is itself accepted.
    let again = call_ok(&h, ALICE, "package_file_text", json!({"uri": text["uri"]}));
    assert_eq!(again["text"], text["text"]);

    // A diff by two URIs equals the diff by hashes.
    let by_uris = call_ok(
        &h,
        ALICE,
        "package_diff",
        json!({"package1_uri": uri, "package2_uri": newest["uri"]}),
    );
    let by_hashes = call_ok(
        &h,
        ALICE,
        "package_diff",
        json!({"registry": BUCKET, "package1_name": name, "package2_name": name,
               "package1_hash": oldest["top_hash"], "package2_hash": newest["top_hash"]}),
    );
    assert_eq!(by_uris, by_hashes);

    // A tag in the URI: `latest` is the newest revision.
    let tagged = call_ok(
        &h,
        ALICE,
        "package_browse",
        json!({"uri": format!("{package_uri}:latest"), "include_signed_urls": false}),
    );
    assert_eq!(tagged["hash"], newest["top_hash"]);
}

#[test]
fn malformed_or_conflicting_uris_are_refused_clearly() {
    let h = Harness::start();
    let (name, history) = package_with_history(&h);
    let uri = history["revisions"][0]["uri"].as_str().unwrap().to_string();
    let refused = [
        (
            "package_browse",
            json!({"uri": "s3://example-data/README.md"}),
            "quilt+s3://",
        ),
        (
            "package_browse",
            json!({"uri": format!("quilt+s3://{BUCKET}")}),
            "#package=",
        ),
        (
            "package_browse",
            json!({"uri": format!("quilt+s3://{BUCKET}#package={name}@abc")}),
            "64-digit",
        ),
        (
            "package_browse",
            json!({"uri": uri, "package_name": name}),
            "not both",
        ),
        (
            "package_browse",
            json!({"uri": uri, "tag": "v1"}),
            "not both",
        ),
        (
            "package_browse",
            json!({"uri": uri, "registry": "example-public"}),
            "not both",
        ),
        (
            "package_browse",
            json!({"uri": format!("{uri}&path=a"), "path": "b"}),
            "differs",
        ),
        (
            "package_browse",
            json!({"registry": BUCKET}),
            "package_name is required",
        ),
        ("package_file_text", json!({"uri": uri}), "path"),
        ("package_history", json!({"uri": uri}), "without @top_hash"),
        (
            "package_history",
            json!({"uri": format!("quilt+s3://{BUCKET}#package={name}&path=a")}),
            "&path=",
        ),
        (
            "package_diff",
            json!({"package1_uri": format!("{uri}&path=x"), "package2_uri": uri}),
            "&path=",
        ),
        (
            "package_diff",
            json!({"package1_uri": "quilt+s3://b#package=a", "package2_uri": uri}),
            "package1_uri",
        ),
    ];
    for (tool, args, why) in refused {
        let message = call_fails(&h, ALICE, tool, args.clone());
        assert!(message.contains(why), "{tool} {args}: {message}");
    }
}

#[test]
fn named_tags_are_listed_on_their_revisions_and_resolve_to_them() {
    let h = Harness::start();
    let mut named = 0;
    for bucket in ["example-data", "example-packages", "example-public"] {
        let listed = call_ok(
            &h,
            ALICE,
            "packages_list",
            json!({"registry": bucket, "per_page": 100}),
        );
        for package in listed["packages"].as_array().unwrap() {
            let name = package["name"].as_str().unwrap();
            let history = call_ok(
                &h,
                ALICE,
                "package_history",
                json!({"registry": bucket, "package_name": name, "limit": 100}),
            );
            assert!(history.get("tags_note").is_none(), "{history}");
            let mut listed_tags = Vec::new();
            for revision in history["revisions"].as_array().unwrap() {
                for tag in revision["tags"].as_array().unwrap() {
                    let tag = tag.as_str().unwrap();
                    // The tag names this revision when the registry resolves it.
                    let browsed = call_ok(
                        &h,
                        ALICE,
                        "package_browse",
                        json!({"registry": bucket, "package_name": name, "tag": tag,
                               "include_signed_urls": false, "recursive": false}),
                    );
                    assert_eq!(
                        browsed["hash"], revision["top_hash"],
                        "{bucket} {name} {tag}"
                    );
                    if tag != "latest" {
                        listed_tags.push(tag.to_string());
                    }
                }
            }
            // Every tag the catalog holds is listed.
            let mut held: Vec<String> = h
                .mock()
                .with_model(|m| {
                    m.package(bucket, name)
                        .unwrap()
                        .tags
                        .keys()
                        .cloned()
                        .collect()
                })
                .unwrap();
            listed_tags.sort();
            held.sort();
            assert_eq!(listed_tags, held, "{bucket} {name} {history}");
            named += held.len();
        }
    }
    assert!(named > 0, "the dataset has named tags to list");
}

#[test]
fn with_search_down_the_history_still_answers_and_says_tags_may_be_missing() {
    let h = Harness::start();
    let (name, history) = package_with_history(&h);
    h.mock().set_fault(quilt_mcp::mock::Fault {
        status: Some(503),
        path_prefix: Some("/api/search".into()),
        ..Default::default()
    });
    let degraded = call_ok(
        &h,
        ALICE,
        "package_history",
        json!({"registry": BUCKET, "package_name": name, "limit": 100}),
    );
    h.mock().clear_fault();
    assert_eq!(hashes(&degraded), hashes(&history));
    assert_eq!(degraded["revisions"][0]["tags"], json!(["latest"]));
    let note = degraded["tags_note"].as_str().unwrap();
    assert!(note.contains("search"), "{note}");
}
