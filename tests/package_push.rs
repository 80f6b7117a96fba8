//! Creating, updating and deleting packages through the catalog's mutations, including the
//! typed error arms, and a whole life cycle on the model catalog (the server keeps no state:
//! the catalog's later answers reflect the earlier mutations).

mod common;

use common::*;
use serde_json::{Value, json};

/// The listing of example-data as `user` sees it: name → latest hash.
fn listed(h: &Harness, user: i64) -> Vec<(String, String)> {
    let list = call_ok(
        h,
        user,
        "packages_list",
        json!({"registry": "example-data", "per_page": 100}),
    );
    list["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["name"].as_str().unwrap().to_string(),
                p["latest_hash"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// The latest hash of `name` in example-data, as `packages_list` reports it.
fn latest_hash(h: &Harness, name: &str) -> Option<String> {
    listed(h, ALICE)
        .into_iter()
        .find(|(n, _)| n == name)
        .map(|(_, hash)| hash)
}

fn is_top_hash(value: &Value) -> bool {
    value
        .as_str()
        .is_some_and(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()))
}

#[test]
fn package_create_returns_the_new_hash_and_a_real_catalog_link() {
    let h = Harness::start();
    let t = token(ALICE);
    assert_eq!(latest_hash(&h, "team/new-analysis"), None, "a new package");
    let created = ok(&h.call_tool(&t, "package_create", json!({
        "package_name": "team/new-analysis", "registry": "s3://example-data", "message": "First cut",
        "metadata": {"project": "liver"},
        "s3_uris": ["s3://example-data/results/counts.csv", "s3://example-data/incoming/notes.md"]})));
    assert!(is_top_hash(&created["top_hash"]), "{created}");
    let hash = created["top_hash"].as_str().unwrap().to_string();
    assert_eq!(
        latest_hash(&h, "team/new-analysis").as_deref(),
        Some(hash.as_str()),
        "the catalog lists the new revision as latest"
    );
    let link = created["catalog_url"].as_str().unwrap();
    assert_eq!(
        link,
        format!(
            "{}/b/example-data/packages/team/new-analysis/tree/{hash}/",
            h.mock().url(),
        )
    );
    snapshot_settings().bind(|| insta::assert_json_snapshot!("package_create__success", created, { ".catalog_url" => "[url]" }));
    let sent = h
        .mock()
        .requests()
        .into_iter()
        .find(|r| r.operation.as_deref() == Some("PackageConstruct"))
        .unwrap();
    assert_eq!(sent.token.as_deref(), Some(t.as_str()));
    let browsed = call_ok(
        &h,
        ALICE,
        "package_browse",
        json!({"package_name": "team/new-analysis", "registry": "example-data",
               "top_hash": hash, "include_signed_urls": false}),
    );
    assert_eq!(browsed["metadata"], json!({"project": "liver"}));
    let keys: Vec<&str> = browsed["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["logical_key"].as_str().unwrap())
        .collect();
    assert_eq!(keys, ["counts.csv", "notes.md"], "flattened to file names");

    let copied = ok(&h.call_tool(&t, "package_create", json!({
        "package_name": "team/new-analysis", "registry": "example-data", "message": "Copied", "copy": true,
        "s3_uris": ["s3://example-data/results/counts.csv"]})));
    assert!(is_top_hash(&copied["top_hash"]), "{copied}");
    assert_ne!(copied["top_hash"], created["top_hash"]);
    assert!(
        h.mock()
            .requests()
            .iter()
            .any(|r| r.operation.as_deref() == Some("PackagePromote")),
        "copying promotes the constructed revision"
    );
    assert_eq!(
        latest_hash(&h, "team/new-analysis").as_deref(),
        copied["top_hash"].as_str(),
        "the promoted revision's hash is the latest"
    );
    let promoted = call_ok(
        &h,
        ALICE,
        "package_browse",
        json!({"package_name": "team/new-analysis", "registry": "example-data",
               "top_hash": copied["top_hash"], "include_signed_urls": false}),
    );
    let physical = promoted["entries"][0]["physical_key"].as_str().unwrap();
    assert!(
        physical.starts_with("s3://example-data/team/new-analysis/counts.csv?versionId="),
        "the file was copied under the package: {physical}"
    );
}

#[test]
fn the_catalogs_typed_error_arms_reach_the_agent() {
    let h = Harness::start();
    let t = token(ALICE);
    let invalid = h.call_tool(
        &t,
        "package_create",
        json!({"package_name": "team/new-analysis", "registry": "example-data",
        "message": "Bad source", "s3_uris": ["s3://example-data/incoming/missing.csv"]}),
    );
    let text = err(&invalid);
    assert!(
        text.contains("src.entries.0.physicalKey") && text.contains("does not exist"),
        "{text}"
    );
    // The server pushes without naming a workflow, so the bucket's workflow settings decide:
    // first a bucket that requires one, then one whose default workflow is not defined.
    let config = call_ok(
        &h,
        ALICE,
        "bucket_object_text",
        json!({"s3_uri": "s3://example-data/.quilt/workflows/config.yml"}),
    );
    let config = config["text"].as_str().unwrap().to_string();
    assert!(config.contains("is_workflow_required: false"), "{config}");
    let push = |message: &str| {
        h.call_tool(
            &t,
            "package_create",
            json!({"package_name": "team/new-analysis", "registry": "example-data",
            "message": message, "s3_uris": ["s3://example-data/results/counts.csv"]}),
        )
    };
    let set_config = |text: String| {
        let put = call_ok(
            &h,
            ALICE,
            "bucket_objects_put",
            json!({"bucket": "example-data", "overwrite": true,
                   "items": [{"key": ".quilt/workflows/config.yml", "text": text}]}),
        );
        assert_eq!(put["uploaded"], 1, "{put}");
    };
    set_config(config.replace("is_workflow_required: false", "is_workflow_required: true"));
    let text = err(&push("Workflow says no"));
    assert!(
        text.contains("WorkflowValidationError") && text.contains("requires a workflow"),
        "{text}"
    );
    set_config(config.replace(
        "is_workflow_required: false",
        "is_workflow_required: false\ndefault_workflow: qc",
    ));
    let text = err(&push("Unknown workflow"));
    assert!(
        text.contains("WorkflowValidationError") && text.contains("\"qc\" is not defined"),
        "{text}"
    );
    assert_eq!(
        latest_hash(&h, "team/new-analysis"),
        None,
        "no refused push made a package"
    );
}

#[test]
fn bad_push_arguments_name_the_field() {
    let h = Harness::start();
    let t = token(ALICE);
    for (args, field) in [
        (
            json!({"package_name": "team/x", "registry": "example-data", "s3_uris": []}),
            "s3_uris",
        ),
        (
            json!({"package_name": "team/x", "registry": "example-data", "s3_uris": ["https://x/y"]}),
            "s3_uris[0]",
        ),
        (
            json!({"package_name": "team/x", "registry": "example-data", "s3_uris": ["s3://b/a/f.csv", "s3://b/c/f.csv"]}),
            "s3_uris[1]",
        ),
        (
            json!({"package_name": "bad name", "registry": "example-data", "s3_uris": ["s3://b/f"]}),
            "package_name",
        ),
        (
            json!({"package_name": "team/x", "registry": "example-data", "s3_uris": "s3://b/f"}),
            "s3_uris",
        ),
        (
            json!({"package_name": "team/x", "registry": "example-data", "s3_uris": ["s3://b/f"], "metadata": [1]}),
            "metadata",
        ),
    ] {
        assert!(
            err(&h.call_tool(&t, "package_create", args.clone())).contains(field),
            "{args}"
        );
    }
    assert!(
        h.mock().requests().is_empty(),
        "nothing reached the catalog"
    );
}

#[test]
fn package_update_keeps_existing_entries_and_merges_metadata() {
    let h = Harness::start();
    let previous = latest_hash(&h, "team/rnaseq-2024").unwrap();
    let before = call_ok(
        &h,
        ALICE,
        "package_browse",
        json!({"package_name": "team/rnaseq-2024", "registry": "example-data", "include_signed_urls": false}),
    );
    assert_eq!(before["found"], 17);
    // Pin the run 43 counts at their current version, as bucket_object_info reports it.
    let info = call_ok(
        &h,
        ALICE,
        "bucket_object_info",
        json!({"s3_uri": "s3://example-data/results/counts.csv"}),
    );
    let version = info["version_id"].as_str().unwrap();
    let updated = ok(&h.call_tool(&token(ALICE), "package_update", json!({
        "package_name": "team/rnaseq-2024", "registry": "example-data", "message": "Run 43 counts",
        "metadata": {"run": 43, "reviewed": true}, "flatten": false,
        "s3_uris": [format!("s3://example-data/results/counts.csv?versionId={version}"), "s3://example-data/incoming/notes.md"]})));
    assert!(is_top_hash(&updated["top_hash"]), "{updated}");
    assert_ne!(updated["top_hash"], previous.as_str());
    snapshot_settings().bind(|| insta::assert_json_snapshot!("package_update__merge", updated, { ".catalog_url" => "[url]" }));
    assert_eq!(updated["previous_hash"], previous.as_str());
    assert_eq!(updated["files_replaced"], json!(["results/counts.csv"]));
    assert_eq!(
        updated["entries"], 18,
        "sixteen kept, one replaced, plus one added"
    );
    assert_eq!(
        latest_hash(&h, "team/rnaseq-2024").as_deref(),
        updated["top_hash"].as_str()
    );
    // The catalog's own view: the kept entries are unchanged (same hashes and sizes) and the
    // metadata was merged (run 43, reviewed, and the original keys untouched).
    let diff = call_ok(
        &h,
        ALICE,
        "package_diff",
        json!({"package1_name": "team/rnaseq-2024", "package2_name": "team/rnaseq-2024",
               "registry": "example-data", "package1_hash": previous}),
    );
    assert_eq!(
        diff["counts"],
        json!({"added": 1, "removed": 0, "modified": 1, "unchanged": 16}),
        "{diff}"
    );
    assert_eq!(diff["added"][0]["logical_key"], "incoming/notes.md");
    assert_eq!(diff["modified"][0]["logical_key"], "results/counts.csv");
    assert_eq!(
        diff["metadata"],
        json!({"added": {"run": 43, "reviewed": true}, "removed": {}, "changed": {}})
    );
}

#[test]
fn package_delete_removes_every_revision_and_reports_refusals() {
    let h = Harness::start();
    let latest = latest_hash(&h, "team/proteomics").unwrap();
    let args = json!({"package_name": "team/proteomics", "registry": "example-data"});
    assert!(
        err(&h.call_tool(&token(DAVE), "package_delete", args.clone())).contains("403"),
        "an inactive account is refused"
    );
    // Carol may read example-packages but not write it: the catalog refuses the deletion.
    let refused = err(&h.call_tool(
        &token(CAROL),
        "package_delete",
        json!({"package_name": "curated/cell-lines", "registry": "example-packages"}),
    ));
    assert!(refused.contains("Forbidden"), "{refused}");
    let kept = call_ok(
        &h,
        ALICE,
        "package_browse",
        json!({"package_name": "curated/cell-lines", "registry": "example-packages", "include_signed_urls": false}),
    );
    assert!(is_top_hash(&kept["hash"]), "nothing was deleted: {kept}");

    let deleted = ok(&h.call_tool(&token(ALICE), "package_delete", args.clone()));
    let hashes = deleted["deleted_revisions"].as_array().unwrap();
    assert_eq!(hashes.len(), 2, "{deleted}");
    assert_eq!(hashes[0], latest.as_str(), "newest first");
    snapshot_settings()
        .bind(|| insta::assert_json_snapshot!("package_delete__every_revision", deleted));
    assert_eq!(deleted["failed"], json!([]));
    assert_eq!(deleted["objects_touched"], false);
    assert_eq!(latest_hash(&h, "team/proteomics"), None, "no longer listed");
    assert!(err(&h.call_tool(&token(ALICE), "package_browse", args.clone())).contains("not found"));
    let readme = call_ok(
        &h,
        ALICE,
        "bucket_object_info",
        json!({"s3_uri": "s3://example-data/team/proteomics/README.md"}),
    );
    assert_eq!(
        readme["key"], "team/proteomics/README.md",
        "the data objects stay"
    );
}

#[test]
fn create_browse_diff_delete_and_see_it_gone() {
    let h = Harness::start();
    let t = token(ALICE);
    let package = json!({"package_name": "team/roundtrip", "registry": "example-data"});
    let with = |extra: Value| {
        let mut args = package.clone();
        args.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        args
    };
    let browse = || {
        h.call_tool(
            &t,
            "package_browse",
            with(json!({"include_signed_urls": false})),
        )
    };
    assert!(err(&browse()).contains("not found"), "not there yet");

    let first = ok(&h.call_tool(
        &t,
        "package_create",
        with(json!({"message": "Notes",
        "s3_uris": ["s3://example-data/incoming/notes.md"]})),
    ));
    let r1 = first["top_hash"].as_str().unwrap().to_string();
    let before = ok(&browse());
    assert_eq!(
        (before["hash"].as_str(), before["found"].as_u64()),
        (Some(r1.as_str()), Some(1))
    );

    let created = ok(&h.call_tool(&t, "package_create", with(json!({"message": "Add counts.csv",
        "s3_uris": ["s3://example-data/incoming/notes.md", "s3://example-data/results/counts.csv"]}))));
    let r2 = created["top_hash"].as_str().unwrap().to_string();
    assert!(is_top_hash(&created["top_hash"]) && r2 != r1, "{created}");

    let browsed = ok(&browse());
    assert_eq!(
        (browsed["hash"].as_str(), browsed["found"].as_u64()),
        (Some(r2.as_str()), Some(2))
    );
    let counts = browsed["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["logical_key"] == "counts.csv")
        .unwrap()
        .clone();

    let diff = ok(&h.call_tool(
        &t,
        "package_diff",
        json!({"package1_name": "team/roundtrip", "package2_name": "team/roundtrip",
        "registry": "example-data", "package1_hash": r1}),
    ));
    assert_eq!(
        diff["added"],
        json!([{"logical_key": "counts.csv", "size": counts["size"]}])
    );
    assert_eq!(diff["counts"]["unchanged"], 1);

    let deleted = ok(&h.call_tool(&t, "package_delete", with(json!({"top_hash": r2}))));
    assert_eq!(deleted["deleted_revisions"], json!([r2]));

    let after = ok(&browse());
    assert_eq!(
        after["hash"],
        r1.as_str(),
        "latest is the earlier revision again"
    );
    let gone = h.call_tool(&t, "package_browse", with(json!({"top_hash": r2})));
    assert!(err(&gone).contains("no revision"));

    let rest = ok(&h.call_tool(&t, "package_delete", package.clone()));
    assert_eq!(rest["deleted_revisions"], json!([r1]));
    assert_eq!(
        latest_hash(&h, "team/roundtrip"),
        None,
        "the package is gone"
    );
    assert!(err(&browse()).contains("not found"));
}
