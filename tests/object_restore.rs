//! Archived (Glacier) objects: a read names bucket_object_restore; `bucket_object_restore`
//! (the registry's `restoreObject`) makes the object readable again with the same bytes;
//! bucket_object_info follows the restore; a restored copy is only extended; a read-only user
//! is refused; a January 2026 registry gets an error naming the release needed; bad tiers and
//! days are refused before anything is sent. Objects are picked from listings and archived
//! through the embedded catalog's model, as an S3 lifecycle rule would.

mod common;

use common::{ALICE, BOB, CAROL, Harness, call_fails, call_ok};
use quilt_mcp::mock::model::Release;
use serde_json::{Value, json};

/// The first object listed under `prefix` in `bucket`, as `s3://…`.
fn first_object(h: &Harness, who: i64, bucket: &str, prefix: &str) -> String {
    let listed = call_ok(
        h,
        who,
        "bucket_objects_list",
        json!({"bucket": bucket, "prefix": prefix}),
    );
    let key = listed["objects"]
        .as_array()
        .and_then(|objects| {
            objects
                .iter()
                .filter_map(|o| o["key"].as_str())
                .find(|k| !k.ends_with(".png") && !k.ends_with('/'))
        })
        .unwrap_or_else(|| panic!("an object under {bucket}/{prefix}: {listed}"));
    format!("s3://{bucket}/{key}")
}

/// Moves the object (`s3://bucket/key[?versionId=…]`) to GLACIER, with restores taking
/// `delay` seconds.
fn archive(h: &Harness, uri: &str, delay: i64) {
    let (path, version) = match uri.split_once("?versionId=") {
        Some((path, version)) => (path, Some(version)),
        None => (uri, None),
    };
    let (bucket, key) = path
        .strip_prefix("s3://")
        .and_then(|r| r.split_once('/'))
        .unwrap();
    let done = h.mock().with_model(|m| {
        m.stack.restore_delay_secs = delay;
        m.archive(bucket, key, version, "GLACIER")
    });
    assert_eq!(done, Some(true), "{uri} is in the model");
}

fn bytes_of(h: &Harness, who: i64, uri: &str) -> Value {
    let read = call_ok(
        h,
        who,
        "bucket_object_fetch",
        json!({"s3_uri": uri, "max_bytes": 1_000_000}),
    );
    assert_eq!(read["truncated"], false, "{read}");
    read["data"].clone()
}

#[test]
fn an_archived_object_is_restored_and_reads_the_same_bytes() {
    let h = Harness::start();
    let uri = first_object(&h, BOB, "example-data", "results/");
    let before = bytes_of(&h, BOB, &uri);
    archive(&h, &uri, 0);
    let info = call_ok(&h, BOB, "bucket_object_info", json!({ "s3_uri": uri }));
    assert_eq!(info["storage_class"], "GLACIER", "{info}");
    assert_eq!(info["restore"]["state"], "not_restored", "{info}");
    for tool in ["bucket_object_fetch", "bucket_object_text"] {
        let text = call_fails(&h, BOB, tool, json!({ "s3_uri": uri }));
        assert!(
            text.contains("archived") && text.contains("bucket_object_restore"),
            "{tool}: {text}"
        );
    }
    let restored = call_ok(
        &h,
        BOB,
        "bucket_object_restore",
        json!({"s3_uri": uri, "tier": "Bulk", "days": 2}),
    );
    assert_eq!(restored["status"], "restore_started", "{restored}");
    assert_eq!(restored["already_restored"], false);
    assert_eq!(restored["tier"], "bulk");
    assert_eq!(restored["restore"]["state"], "restored", "{restored}");
    assert_eq!(
        bytes_of(&h, BOB, &uri),
        before,
        "the restored bytes are the object's"
    );
    let info = call_ok(&h, BOB, "bucket_object_info", json!({ "s3_uri": uri }));
    assert_eq!(info["restore"]["readable"], true, "{info}");
    assert!(info["restore"]["expires"].is_string(), "{info}");
    // Again: the restored copy is only extended.
    let again = call_ok(&h, BOB, "bucket_object_restore", json!({ "s3_uri": uri }));
    assert_eq!(again["status"], "already_restored", "{again}");
    assert_eq!(again["already_restored"], true);
    assert_eq!(
        (again["tier"].clone(), again["days"].clone()),
        (json!("standard"), json!(7))
    );
}

#[test]
fn a_restore_in_progress_is_reported_and_not_started_twice() {
    let h = Harness::start();
    let uri = first_object(&h, BOB, "example-data", "results/");
    archive(&h, &uri, 3600);
    let started = call_ok(&h, BOB, "bucket_object_restore", json!({ "s3_uri": uri }));
    assert_eq!(started["status"], "restore_started", "{started}");
    assert_eq!(started["restore"]["state"], "in_progress", "{started}");
    assert!(
        started["next_step"]
            .as_str()
            .unwrap()
            .contains("bucket_object_info"),
        "{started}"
    );
    let info = call_ok(&h, BOB, "bucket_object_info", json!({ "s3_uri": uri }));
    assert_eq!(info["restore"]["state"], "in_progress", "{info}");
    let text = call_fails(&h, BOB, "bucket_object_fetch", json!({ "s3_uri": uri }));
    assert!(text.contains("bucket_object_restore"), "{text}");
    let text = call_fails(&h, BOB, "bucket_object_restore", json!({ "s3_uri": uri }));
    assert!(text.contains("RestoreAlreadyInProgress"), "{text}");
}

#[test]
fn restoring_takes_write_access_and_an_archived_object() {
    let h = Harness::start();
    // carol only reads example-public.
    let uri = first_object(&h, CAROL, "example-public", "demo/");
    let standard = call_fails(&h, ALICE, "bucket_object_restore", json!({ "s3_uri": uri }));
    assert!(
        standard.contains("InvalidObjectState") && standard.contains("needs no restore"),
        "{standard}"
    );
    archive(&h, &uri, 0);
    let text = call_fails(&h, CAROL, "bucket_object_restore", json!({ "s3_uri": uri }));
    assert!(
        text.contains("Forbidden") && text.contains("may not restore"),
        "{text}"
    );
    let text = call_fails(&h, CAROL, "bucket_object_text", json!({ "s3_uri": uri }));
    assert!(text.contains("bucket_object_restore"), "{text}");
}

#[test]
fn a_january_2026_registry_is_named_as_too_old() {
    let h = Harness::start();
    let uri = first_object(&h, BOB, "example-data", "results/");
    archive(&h, &uri, 0);
    h.mock()
        .with_model(|m| m.stack.release = Release::January2026);
    // The registry's validation error is the answer under test, not an unsupported request.
    h.mock().set_strict(false);
    let text = call_fails(&h, BOB, "bucket_object_restore", json!({ "s3_uri": uri }));
    assert!(
        text.contains("restoreObject")
            && text.contains("June 2026")
            && text.contains("January 2026"),
        "{text}"
    );
}

#[test]
fn bad_tiers_days_and_versions_are_refused_before_sending() {
    let h = Harness::start();
    let uri = first_object(&h, BOB, "example-data", "results/");
    for (args, field) in [
        (json!({"s3_uri": uri, "tier": "fast"}), "tier"),
        (json!({"s3_uri": uri, "days": 0}), "days"),
        (json!({"s3_uri": uri, "days": 366}), "days"),
        (json!({"s3_uri": uri, "days": "seven"}), "days"),
        (json!({"s3_uri": "s3://example-data/"}), "s3_uri"),
        (
            json!({"s3_uri": format!("{uri}?versionId=a"), "version_id": "b"}),
            "version_id",
        ),
    ] {
        let text = call_fails(&h, BOB, "bucket_object_restore", args.clone());
        assert!(text.contains(field), "{args}: {text}");
    }
}

#[test]
fn a_package_file_is_restored_through_its_quilt_uri() {
    let h = Harness::start();
    let listed = call_ok(
        &h,
        BOB,
        "packages_list",
        json!({"registry": "example-data"}),
    );
    let name = listed["packages"][0]["name"]
        .as_str()
        .expect("a package")
        .to_string();
    let browsed = call_ok(
        &h,
        BOB,
        "package_browse",
        json!({"registry": "example-data", "package_name": name}),
    );
    let file = browsed["entries"]
        .as_array()
        .and_then(|entries| {
            entries.iter().find(|e| {
                e["type"] == "file"
                    && [".md", ".csv", ".tsv"]
                        .iter()
                        .any(|x| e["logical_key"].as_str().unwrap_or("").ends_with(x))
            })
        })
        .unwrap_or_else(|| panic!("a text file in {name}: {browsed}"));
    let logical = file["logical_key"].as_str().unwrap();
    let physical = file["physical_key"].as_str().expect("a physical key");
    let read_args = json!({"registry": "example-data", "package_name": name, "path": logical});
    let before = call_ok(&h, BOB, "package_file_text", read_args.clone());
    archive(&h, physical, 0);
    let text = call_fails(&h, BOB, "package_file_text", read_args.clone());
    assert!(
        text.contains("bucket_object_restore") && text.contains(physical),
        "{text}"
    );
    let uri = format!("{}&path={logical}", browsed["uri"].as_str().unwrap());
    let restored = call_ok(&h, BOB, "bucket_object_restore", json!({ "s3_uri": uri }));
    assert_eq!(restored["s3_uri"], physical, "{restored}");
    assert_eq!(restored["status"], "restore_started", "{restored}");
    let after = call_ok(&h, BOB, "package_file_text", read_args);
    assert_eq!(after["text"], before["text"]);
    let package_only = browsed["uri"].as_str().unwrap();
    let text = call_fails(
        &h,
        BOB,
        "bucket_object_restore",
        json!({ "s3_uri": package_only }),
    );
    assert!(text.contains("&path="), "{text}");
}
