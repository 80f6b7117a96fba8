//! Quilt+ URIs in the bucket tools: a `quilt+s3://bucket#package=…&path=…` URI names the object
//! the package entry points at (at the latest revision, a tag or a top hash), read exactly as
//! its `s3://` physical key; a Quilt+ URI without a package names its bucket; every malformed or
//! misplaced URI is a clear invalid-argument error. URIs come from `catalog_uri`, hashes and
//! tags from `package_history`, physical keys from `package_browse`.

mod common;

use common::*;
use serde_json::{Value, json};

const BUCKET: &str = "example-data";
/// A package whose revisions differ in one file, so a revision's URI must read its own bytes.
const PACKAGE: &str = "team/proteomics";

/// The package's revisions, newest first: (top hash, tags).
fn revisions(h: &Harness) -> Vec<(String, Vec<String>)> {
    let history = call_ok(
        h,
        ALICE,
        "package_history",
        json!({"registry": BUCKET, "package_name": PACKAGE}),
    );
    history["revisions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let tags = r["tags"].as_array().unwrap();
            let tags = tags.iter().map(|t| t.as_str().unwrap().to_string());
            (r["top_hash"].as_str().unwrap().to_string(), tags.collect())
        })
        .collect()
}

/// A Quilt+ URI made by `catalog_uri` from these parts.
fn quilt_uri(h: &Harness, parts: Value) -> String {
    let mut args = json!({"registry": BUCKET});
    args.as_object_mut()
        .unwrap()
        .extend(parts.as_object().unwrap().clone());
    call_ok(h, ALICE, "catalog_uri", args)["quilt_plus_uri"]
        .as_str()
        .unwrap()
        .to_string()
}

/// A file's physical key at a revision (hash or tag), and the revision's hash.
fn physical_key(h: &Harness, rev: &Value, path: &str) -> (String, String) {
    let mut args = json!({"registry": BUCKET, "package_name": PACKAGE, "path": path,
                          "include_file_info": true, "include_signed_urls": false});
    args.as_object_mut()
        .unwrap()
        .extend(rev.as_object().unwrap().clone());
    let browsed = call_ok(h, ALICE, "package_browse", args);
    let entry = &browsed["entries"][0];
    assert_eq!(entry["logical_key"], path, "{browsed}");
    (
        entry["physical_key"].as_str().unwrap().to_string(),
        browsed["hash"].as_str().unwrap().to_string(),
    )
}

/// The files of a revision with their content hashes.
fn file_hashes(h: &Harness, top_hash: &str) -> Vec<(String, Value)> {
    let browsed = call_ok(
        h,
        ALICE,
        "package_browse",
        json!({"registry": BUCKET, "package_name": PACKAGE, "top_hash": top_hash,
               "recursive": true, "include_file_info": true, "include_signed_urls": false}),
    );
    let entries = browsed["entries"].as_array().unwrap().iter();
    let files = entries.filter(|e| e["type"] == "file");
    files
        .map(|e| {
            (
                e["logical_key"].as_str().unwrap().to_string(),
                e["hash"].clone(),
            )
        })
        .collect()
}

/// A file in the oldest and the newest revision whose content differs between them.
fn changed_file(h: &Harness, oldest: &str, newest: &str) -> String {
    let old = file_hashes(h, oldest);
    let new = file_hashes(h, newest);
    old.iter()
        .find(|(path, hash)| new.iter().any(|(p, n)| p == path && n != hash))
        .unwrap_or_else(|| panic!("no changed file: {old:?} {new:?}"))
        .0
        .clone()
}

#[test]
fn object_tools_read_a_package_file_by_each_revision_form() {
    let h = Harness::start();
    let revisions = revisions(&h);
    assert!(revisions.len() >= 2, "{revisions:?}");
    let (oldest, _) = revisions.last().unwrap().clone();
    let (tagged, tags) = revisions
        .iter()
        .find(|(_, tags)| tags.iter().any(|t| t != "latest"))
        .expect("a tagged revision")
        .clone();
    let tag = tags.iter().find(|t| *t != "latest").unwrap().clone();
    let path = changed_file(&h, &oldest, &revisions[0].0);
    let forms = [
        (json!({}), json!({})),
        (json!({"tag": "latest"}), json!({})),
        (json!({"top_hash": oldest}), json!({"top_hash": oldest})),
        (json!({"tag": tag}), json!({"tag": tag})),
    ];
    let mut texts = Vec::new();
    for (uri_parts, browse_rev) in forms {
        let mut parts = json!({"package_name": PACKAGE, "path": path});
        parts
            .as_object_mut()
            .unwrap()
            .extend(uri_parts.as_object().unwrap().clone());
        let uri = quilt_uri(&h, parts);
        let (physical, hash) = physical_key(&h, &browse_rev, &path);
        if browse_rev.get("tag").is_some() {
            assert_eq!(hash, tagged);
        }
        let pinned = format!("@{hash}");

        let info = call_ok(&h, ALICE, "bucket_object_info", json!({"s3_uri": uri}));
        let direct = call_ok(&h, ALICE, "bucket_object_info", json!({"s3_uri": physical}));
        for field in ["bucket", "key", "version_id", "size", "etag"] {
            assert_eq!(info[field], direct[field], "{uri}: {field}");
        }
        let quilt = info["quilt_uri"].as_str().unwrap();
        assert!(
            quilt.contains(&pinned) && quilt.contains("&path="),
            "{quilt}"
        );
        assert!(direct.get("quilt_uri").is_none(), "{direct}");

        let text = call_ok(&h, ALICE, "bucket_object_text", json!({"s3_uri": uri}));
        let text_direct = call_ok(&h, ALICE, "bucket_object_text", json!({"s3_uri": physical}));
        assert_eq!(text["text"], text_direct["text"], "{uri}");
        assert_eq!(text["quilt_uri"], quilt);

        let fetched = call_ok(
            &h,
            ALICE,
            "bucket_object_fetch",
            json!({"s3_uri": uri, "base64_encode": false}),
        );
        assert_eq!(fetched["data"], text_direct["text"], "{uri}");
        assert_eq!(fetched["quilt_uri"], quilt);

        let link = call_ok(&h, ALICE, "bucket_object_link", json!({"s3_uri": uri}));
        let key = direct["key"].as_str().unwrap();
        assert!(link["signed_url"].as_str().unwrap().contains(key), "{link}");
        assert_eq!(link["quilt_uri"], quilt);
        texts.push(text["text"].clone());
    }
    // Latest and the oldest revision hold different bytes: each URI read its own.
    assert_eq!(texts[0], texts[1]);
    assert_ne!(texts[0], texts[2], "{path}");
    if tagged == revisions[0].0 {
        assert_eq!(texts[3], texts[0]);
    }
}

#[test]
fn a_binary_package_file_is_a_resource_named_by_its_quilt_uri() {
    let h = Harness::start();
    let browsed = call_ok(
        &h,
        ALICE,
        "package_browse",
        json!({"registry": BUCKET, "package_name": "team/rnaseq-2024", "recursive": true,
               "include_signed_urls": false, "top": 10000}),
    );
    let path = browsed["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["logical_key"].as_str().unwrap())
        .find(|k| k.ends_with(".gz"))
        .expect("a .gz entry")
        .to_string();
    let uri = quilt_uri(
        &h,
        json!({"package_name": "team/rnaseq-2024", "path": path, "top_hash": browsed["hash"]}),
    );
    let result = h.call_tool(&token(ALICE), "bucket_object_fetch", json!({"s3_uri": uri}));
    let fetched = ok(&result);
    let block = result["content"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["type"] == "resource")
        .unwrap_or_else(|| panic!("{result}"))
        .clone();
    assert_eq!(block["resource"]["uri"], fetched["quilt_uri"]);
    assert_eq!(fetched["resource"]["uri"], fetched["quilt_uri"]);
}

#[test]
fn bucket_tools_take_a_quilt_uri_as_its_bucket() {
    let h = Harness::start();
    let bucket_uri = quilt_uri(&h, json!({}));
    let package_uri = quilt_uri(&h, json!({"package_name": PACKAGE}));
    assert!(bucket_uri.starts_with("quilt+s3://"), "{bucket_uri}");
    let prefix = format!("{PACKAGE}/");
    let direct = call_ok(
        &h,
        ALICE,
        "bucket_objects_list",
        json!({"bucket": format!("s3://{BUCKET}"), "prefix": prefix}),
    );
    assert!(direct["count"].as_u64().unwrap() > 0, "{direct}");
    for uri in [&bucket_uri, &package_uri] {
        let listed = call_ok(
            &h,
            ALICE,
            "bucket_objects_list",
            json!({"bucket": uri, "prefix": prefix}),
        );
        assert_eq!(listed["objects"], direct["objects"], "{uri}");
        let access = call_ok(
            &h,
            BOB,
            "check_bucket_access",
            json!({"bucket": uri, "operations": ["list"]}),
        );
        assert_eq!(access["bucket"], BUCKET, "{access}");
        let permissions = call_ok(
            &h,
            BOB,
            "discover_permissions",
            json!({"check_buckets": [uri]}),
        );
        assert_eq!(permissions["buckets"][0]["name"], BUCKET, "{permissions}");
    }
    let put = call_ok(
        &h,
        ALICE,
        "bucket_objects_put",
        json!({"bucket": package_uri, "items": [{"key": "incoming/from-quilt-uri.md", "text": "# hi"}]}),
    );
    assert_eq!(put["uploaded"], 1, "{put}");
    let back = call_ok(
        &h,
        ALICE,
        "bucket_object_text",
        json!({"s3_uri": format!("s3://{BUCKET}/incoming/from-quilt-uri.md")}),
    );
    assert_eq!(back["text"], "# hi");
}

#[test]
fn misformed_or_misplaced_quilt_uris_are_refused_with_the_reason() {
    let h = Harness::start();
    let package_uri = quilt_uri(&h, json!({"package_name": PACKAGE}));
    let bucket_uri = quilt_uri(&h, json!({}));
    let (path, _) = {
        let browsed = call_ok(
            &h,
            ALICE,
            "package_browse",
            json!({"uri": package_uri, "include_signed_urls": false}),
        );
        let entry = browsed["entries"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["type"] == "file")
            .unwrap()
            .clone();
        (entry["logical_key"].as_str().unwrap().to_string(), entry)
    };
    let file_uri = quilt_uri(&h, json!({"package_name": PACKAGE, "path": path}));
    let object_cases = [
        (package_uri.clone(), "no file"),
        (bucket_uri.clone(), "names no package file"),
        (
            format!("quilt+s3://{BUCKET}#path={path}"),
            "names no package file",
        ),
        (file_uri.replace("quilt+s3://", "quilt+gs://"), "s3://"),
        (file_uri.replace(BUCKET, ""), "bucket name is invalid"),
        (file_uri.replace(PACKAGE, "proteomics"), "namespace/name"),
        (
            file_uri.replace(&format!("={PACKAGE}"), &format!("={PACKAGE}@abc123")),
            "64-digit",
        ),
        (format!("{package_uri}&path=no/such.csv"), "not a file"),
        (format!("{package_uri}&path=../{path}"), "`..`"),
        (format!("{file_uri}&colour=blue"), "unknown key"),
    ];
    for tool in [
        "bucket_object_info",
        "bucket_object_text",
        "bucket_object_fetch",
        "bucket_object_link",
    ] {
        for (uri, why) in &object_cases {
            let error = call_fails(&h, ALICE, tool, json!({"s3_uri": uri}));
            assert!(
                error.contains("`s3_uri`") && error.contains(why),
                "{tool} {uri}: {error}"
            );
        }
    }
    let bucket_cases = [
        (file_uri.clone(), "names a file"),
        (
            "quilt+s3://#package=team/proteomics".to_string(),
            "bucket name is invalid",
        ),
        (
            format!("quilt+s3://{BUCKET}#package=team"),
            "namespace/name",
        ),
    ];
    for (uri, why) in &bucket_cases {
        for (tool, args) in [
            ("bucket_objects_list", json!({"bucket": uri})),
            ("check_bucket_access", json!({"bucket": uri})),
            (
                "bucket_objects_put",
                json!({"bucket": uri, "items": [{"key": "x.md", "text": "x"}]}),
            ),
        ] {
            let error = call_fails(&h, ALICE, tool, args);
            assert!(
                error.contains("`bucket`") && error.contains(why),
                "{tool} {uri}: {error}"
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The other tools that name a bucket or a package take the same URIs.

/// The tools that name a bucket answer the same for a Quilt+ URI of it as for its name.
#[test]
fn bucket_arguments_take_a_quilt_uri_of_the_bucket_or_of_a_package_in_it() {
    let h = Harness::start();
    let bucket_uri = quilt_uri(&h, json!({}));
    let package_uri = quilt_uri(&h, json!({"package_name": PACKAGE}));
    assert!(
        bucket_uri.starts_with(&format!("quilt+s3://{BUCKET}#catalog=")),
        "{bucket_uri}"
    );
    for uri in [&bucket_uri, &package_uri] {
        for (tool, field, extra) in [
            ("packages_list", "registry", json!({})),
            (
                "search_catalog",
                "bucket",
                json!({"query": "*", "scope": "package"}),
            ),
            ("tabulator_tables_list", "bucket", json!({})),
        ] {
            let by_name = {
                let mut args = extra.clone();
                args[field] = json!(BUCKET);
                call_ok(&h, ALICE, tool, args)
            };
            let mut args = extra.clone();
            args[field] = json!(uri);
            let by_uri = call_ok(&h, ALICE, tool, args);
            let strip = |mut v: Value| {
                v.as_object_mut().unwrap().remove("took_ms");
                v
            };
            assert_eq!(strip(by_uri), strip(by_name), "{tool} with {uri}");
        }
    }
    let file_uri = quilt_uri(&h, json!({"package_name": PACKAGE, "path": "README.md"}));
    let refused = call_fails(&h, ALICE, "packages_list", json!({"registry": file_uri}));
    assert!(
        refused.contains("registry") && refused.contains("names a file"),
        "{refused}"
    );
}

/// package_create, package_update and package_delete take the package as a Quilt+ URI in
/// `registry` (package_name may then be left out), and refuse one naming a revision or a file,
/// or a different package.
#[test]
fn package_writes_take_the_package_as_a_quilt_uri() {
    let h = Harness::start();
    let name = "team/named-by-uri";
    let uri = quilt_uri(&h, json!({"package_name": name}));
    let file = |key: &str, text: &str| json!({"logical_key": key, "text": text, "media_type": "text/plain"});
    let created = call_ok(
        &h,
        ALICE,
        "package_create",
        json!({"registry": uri, "files": [file("a.txt", "first")], "message": "by URI"}),
    );
    assert_eq!(created["package_name"], name, "{created}");
    let first = created["top_hash"].as_str().unwrap().to_string();
    // The answer's own URI reads the revision it made.
    let back = call_ok(
        &h,
        ALICE,
        "package_browse",
        json!({"uri": created["quilt_uri"]}),
    );
    assert_eq!(back["hash"], json!(first), "{back}");
    let updated = call_ok(
        &h,
        ALICE,
        "package_update",
        json!({"registry": uri, "package_name": name, "files": [file("b.txt", "second")]}),
    );
    let second = updated["top_hash"].as_str().unwrap().to_string();
    assert_ne!(first, second);
    // The URI the answers give reads the revision back, file by file.
    let browsed = call_ok(
        &h,
        ALICE,
        "package_browse",
        json!({"uri": quilt_uri(&h, json!({"package_name": name, "top_hash": second}))}),
    );
    let keys: Vec<&str> = browsed["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["logical_key"].as_str().unwrap())
        .collect();
    assert_eq!(keys, ["a.txt", "b.txt"], "{browsed}");

    for (args, why) in [
        (
            json!({"registry": quilt_uri(&h, json!({"package_name": name, "top_hash": first})),
                   "files": [file("c.txt", "x")]}),
            "names a revision or a file",
        ),
        (
            json!({"registry": quilt_uri(&h, json!({"package_name": name, "path": "a.txt"})),
                   "files": [file("c.txt", "x")]}),
            "names a revision or a file",
        ),
        (
            json!({"registry": uri, "package_name": "team/other", "files": [file("c.txt", "x")]}),
            "differs",
        ),
        (
            json!({"registry": format!("quilt+s3://{BUCKET}"), "files": [file("c.txt", "x")]}),
            "is required",
        ),
        (
            json!({"registry": BUCKET, "files": [file("c.txt", "x")]}),
            "is required",
        ),
    ] {
        let refused = call_fails(&h, ALICE, "package_update", args.clone());
        assert!(refused.contains(why), "{args}: {refused}");
    }

    let deleted = call_ok(
        &h,
        ALICE,
        "package_delete",
        json!({"registry": uri, "top_hash": first}),
    );
    assert_eq!(deleted["deleted_revisions"], json!([first]), "{deleted}");
    let history = call_ok(&h, ALICE, "package_history", json!({"uri": uri}));
    let left: Vec<&str> = history["revisions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["top_hash"].as_str().unwrap())
        .collect();
    assert_eq!(left, [second.as_str()], "{history}");
}

/// Every package a search finds names itself by a Quilt+ URI that package_browse reads: at its
/// tag in relevance order, pinned to the hash in an ordered search.
#[test]
fn search_hits_give_quilt_uris_that_read_back() {
    let h = Harness::start();
    for order in [json!(null), json!("newest")] {
        let mut args = json!({"query": "*", "scope": "package", "limit": 50});
        if !order.is_null() {
            args["order"] = order.clone();
        }
        let found = call_ok(&h, ALICE, "search_catalog", args);
        let hits = found["results"].as_array().unwrap();
        assert!(hits.len() >= 5, "{found}");
        for hit in hits {
            let uri = hit["quilt_uri"].as_str().unwrap();
            let browsed = call_ok(&h, ALICE, "package_browse", json!({"uri": uri}));
            assert_eq!(browsed["package_name"], hit["package_name"], "{uri}");
            if let Some(hash) = hit["hash"].as_str() {
                assert!(uri.ends_with(&format!("@{hash}")), "{uri}");
                assert_eq!(browsed["hash"], hash, "{uri}");
            }
        }
    }
}
