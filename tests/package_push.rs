//! Creating, updating and deleting packages through the catalog's mutations, including the
//! typed error arms, and a whole life cycle replayed by a stateful recording (the server keeps
//! no state: the catalog's later answers reflect the earlier mutations).

mod common;

use common::*;
use serde_json::{Value, json};

const R1: &str = "1111aaaa2222bbbb3333cccc4444dddd5555eeee6666ffff7777aaaa8888bbbb";
const R2: &str = "9999cccc8888dddd7777eeee6666ffff5555aaaa4444bbbb3333cccc2222dddd";

#[test]
fn package_create_returns_the_new_hash_and_a_real_catalog_link() {
    let h = Harness::start();
    let t = token(ALICE);
    let created = ok(&h.call_tool(&t, "package_create", json!({
        "package_name": "team/new-analysis", "registry": "s3://example-data", "message": "First cut",
        "metadata": {"project": "liver"},
        "s3_uris": ["s3://example-data/incoming/counts.csv", "s3://example-data/incoming/notes.md"]})));
    assert_eq!(created["top_hash"], "c0ffee00".repeat(8));
    let link = created["catalog_url"].as_str().unwrap();
    assert_eq!(
        link,
        format!(
            "{}/b/example-data/packages/team/new-analysis/tree/{}/",
            h.mock().url(),
            "c0ffee00".repeat(8)
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

    let copied = ok(&h.call_tool(&t, "package_create", json!({
        "package_name": "team/new-analysis", "registry": "example-data", "message": "Copied", "copy": true,
        "s3_uris": ["s3://example-data/incoming/counts.csv"]})));
    assert_eq!(
        copied["top_hash"],
        "c0ffee22".repeat(8),
        "the promoted revision's hash"
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
    let refused = h.call_tool(
        &t,
        "package_create",
        json!({"package_name": "team/new-analysis", "registry": "example-data",
        "message": "Workflow says no", "s3_uris": ["s3://example-data/incoming/counts.csv"]}),
    );
    let text = err(&refused);
    assert!(
        text.contains("WorkflowValidationError") && text.contains("'project' is required"),
        "{text}"
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
    let updated = ok(&h.call_tool(&token(ALICE), "package_update", json!({
        "package_name": "team/rnaseq-2024", "registry": "example-data", "message": "Run 43 counts",
        "metadata": {"run": 43, "reviewed": true}, "flatten": false,
        "s3_uris": ["s3://example-data/results/counts.csv?versionId=v3", "s3://example-data/de_genes.csv"]})));
    assert_eq!(updated["top_hash"], "beef0000".repeat(8));
    snapshot_settings().bind(|| insta::assert_json_snapshot!("package_update__merge", updated, { ".catalog_url" => "[url]" }));
    assert_eq!(
        updated["previous_hash"],
        "5feebbc18159b525a839f627ce7f7c223cea13cd471a060ced04ea49613baaf7"
    );
    assert_eq!(updated["files_replaced"], json!(["results/counts.csv"]));
    assert_eq!(
        updated["entries"], 6,
        "five kept (one replaced) plus one added"
    );
    // The recording matched only because the existing entries kept their hashes and sizes and
    // the metadata was merged (run 43, reviewed, and the original keys).
    h.mock().assert_all_matched();
}

#[test]
fn package_delete_removes_every_revision_and_reports_refusals() {
    let h = Harness::start();
    let deleted = ok(&h.call_tool(
        &token(ALICE),
        "package_delete",
        json!({"package_name": "team/proteomics", "registry": "example-data"}),
    ));
    assert_eq!(deleted["deleted_revisions"].as_array().unwrap().len(), 1);
    snapshot_settings()
        .bind(|| insta::assert_json_snapshot!("package_delete__every_revision", deleted));
    assert!(
        deleted["failed"][0]["error"]
            .as_str()
            .unwrap()
            .contains("RevisionLocked")
    );
    assert_eq!(deleted["objects_touched"], false);
    assert!(
        err(&h.call_tool(
            &token(DAVE),
            "package_delete",
            json!({"package_name": "team/proteomics", "registry": "example-data"})
        ))
        .contains("403")
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
    let before = ok(&h.call_tool(
        &t,
        "package_browse",
        with(json!({"include_signed_urls": false})),
    ));
    assert_eq!(before["hash"], R1);

    let created = ok(&h.call_tool(&t, "package_create", with(json!({"message": "Add extra.csv",
        "s3_uris": ["s3://example-data/rt/data.csv?versionId=r1", "s3://example-data/rt/extra.csv?versionId=r2"]}))));
    assert_eq!(created["top_hash"], R2);

    let browsed = ok(&h.call_tool(
        &t,
        "package_browse",
        with(json!({"include_signed_urls": false})),
    ));
    assert_eq!(
        (browsed["hash"].as_str(), browsed["found"].as_u64()),
        (Some(R2), Some(2))
    );

    let diff = ok(&h.call_tool(
        &t,
        "package_diff",
        json!({"package1_name": "team/roundtrip", "package2_name": "team/roundtrip",
        "registry": "example-data", "package1_hash": R1}),
    ));
    assert_eq!(
        diff["added"],
        json!([{"logical_key": "extra.csv", "size": 250}])
    );

    let deleted = ok(&h.call_tool(&t, "package_delete", with(json!({"top_hash": R2}))));
    assert_eq!(deleted["deleted_revisions"], json!([R2]));

    let after = ok(&h.call_tool(
        &t,
        "package_browse",
        with(json!({"include_signed_urls": false})),
    ));
    assert_eq!(after["hash"], R1, "latest is the earlier revision again");
    let gone = h.call_tool(&t, "package_browse", with(json!({"top_hash": R2})));
    assert!(err(&gone).contains("no revision"));
}
