//! The demo explored as an agent would: every read-only tool, with arguments taken from other
//! tools' answers, over everything the dataset holds (every revision from package_history, every
//! folder and file in it), against an August 2026 registry and a January 2026 one; three agent
//! tasks done by tool calls alone; and the permission tools, listings and search agreeing about
//! every bucket.
//!
//! The embedded catalog runs strict: a request it does not support fails the test when the
//! harness drops it, so a tool that asks the catalog for something it cannot answer is caught
//! even where the tool itself copes.

mod common;

use common::*;
use quilt_mcp::mock::model::Release;
use serde_json::{Value, json};

/// Calls a tool as `who`; every failure is collected instead of stopping the walk.
struct Walker<'h> {
    h: &'h Harness,
    who: i64,
    calls: usize,
    failures: Vec<String>,
}

impl Walker<'_> {
    fn call(&mut self, tool: &str, args: Value) -> Option<Value> {
        self.calls += 1;
        let result = self.h.call_tool(&token(self.who), tool, args.clone());
        if result["isError"] == true {
            self.failures.push(format!(
                "user {}: {tool} {args}: {}",
                self.who,
                result_text(&result)
            ));
            return None;
        }
        Some(result["structuredContent"].clone())
    }
}

fn strings(value: &Value, pointer: &str, field: &str) -> Vec<String> {
    value
        .pointer(pointer)
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(|i| i[field].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// Every key under `prefix` in `bucket`, folder by folder and page by page, as an agent lists.
fn walk_objects(w: &mut Walker, bucket: &str, prefix: &str, keys: &mut Vec<String>) {
    let mut token: Option<String> = None;
    loop {
        let mut args =
            json!({ "bucket": bucket, "prefix": prefix, "delimiter": "/", "max_keys": 40 });
        if let Some(t) = &token {
            args["continuation_token"] = json!(t);
        }
        let Some(page) = w.call("bucket_objects_list", args) else {
            return;
        };
        keys.extend(strings(&page, "/objects", "key"));
        let folders: Vec<String> = page["folders"]
            .as_array()
            .map(|f| {
                f.iter()
                    .filter_map(|x| x.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        for folder in folders {
            walk_objects(w, bucket, &folder, keys);
        }
        match page["next_continuation_token"].as_str() {
            Some(next) if page["is_truncated"] == true => token = Some(next.to_string()),
            _ => return,
        }
    }
}

/// Reads objects as an agent would: info of every key; text, bytes and a link of a sample
/// (each folder's first few, so the 250-file and 300-file folders do not dominate).
fn read_objects(w: &mut Walker, bucket: &str, keys: &[String]) {
    let mut per_folder: std::collections::HashMap<String, usize> = Default::default();
    for key in keys {
        let uri = format!("s3://{bucket}/{key}");
        let info = w.call("bucket_object_info", json!({ "s3_uri": uri }));
        let folder = key
            .rsplit_once('/')
            .map(|(f, _)| f)
            .unwrap_or("")
            .to_string();
        let seen = per_folder.entry(folder).or_default();
        *seen += 1;
        if *seen > 3 {
            continue;
        }
        // An archived object: reading it names the restore tool; the agent restores it, waits
        // until bucket_object_info says it is readable, then reads it like any other.
        let archived = info
            .as_ref()
            .is_some_and(|i| i["restore"]["readable"] == false);
        if archived {
            let refused = w.h.call_tool(
                &token(w.who),
                "bucket_object_fetch",
                json!({ "s3_uri": uri }),
            );
            if refused["isError"] != true
                || !result_text(&refused).contains("bucket_object_restore")
            {
                w.failures.push(format!(
                    "{uri}: reading an archived object should name bucket_object_restore: {refused}"
                ));
            }
            let restore = w.h.call_tool(
                &token(w.who),
                "bucket_object_restore",
                json!({ "s3_uri": uri }),
            );
            let older_registry =
                w.h.mock().with_model(|m| m.stack.release) == Some(Release::January2026);
            if older_registry {
                // No restoreObject before June 2026: the refusal names the release needed, and
                // the object stays unread.
                if restore["isError"] != true || !result_text(&restore).contains("June 2026") {
                    w.failures.push(format!(
                        "{uri}: an older registry's restore refusal should name the release: {restore}"
                    ));
                }
                continue;
            }
            if restore["isError"] == true {
                w.failures.push(format!(
                    "{uri}: bucket_object_restore: {}",
                    result_text(&restore)
                ));
            }
            let readable = (0..50).any(|_| {
                let info = w.call("bucket_object_info", json!({ "s3_uri": uri }));
                let ready = info.is_some_and(|i| i["restore"]["readable"] == true);
                if !ready {
                    std::thread::sleep(std::time::Duration::from_millis(100));
                }
                ready
            });
            if !readable {
                w.failures
                    .push(format!("{uri}: never readable after a restore"));
            }
        }
        let info = if archived {
            w.call("bucket_object_info", json!({ "s3_uri": uri }))
        } else {
            info
        };
        if let Some(info) = info {
            // The size the listing and the object report must be the bytes that come back.
            let size = info["size"].as_u64().unwrap_or(0);
            if let Some(fetched) = w.call(
                "bucket_object_fetch",
                json!({ "s3_uri": uri, "max_bytes": 1_000_000 }),
            ) {
                let got = fetched["size"].as_u64().or(fetched["bytes_read"].as_u64());
                if got.is_some_and(|g| g != size) && fetched["truncated"] != true {
                    w.failures
                        .push(format!("{uri}: info says {size} bytes, fetch {got:?}"));
                }
            }
        }
        // Text is read where the key says text; an agent fetches the rest as bytes.
        if [
            ".md", ".csv", ".tsv", ".json", ".txt", ".html", ".yml", ".log",
        ]
        .iter()
        .any(|e| key.ends_with(e))
            && !key.contains("field-notes-1998")
        {
            w.call("bucket_object_text", json!({ "s3_uri": uri }));
        }
        w.call("bucket_object_link", json!({ "s3_uri": uri }));
    }
}

/// Every package of `bucket` (paged), every revision, folder and text file in it.
fn walk_packages(w: &mut Walker, bucket: &str) -> usize {
    let registry = format!("s3://{bucket}");
    let mut names = Vec::new();
    for page in 1.. {
        let Some(list) = w.call(
            "packages_list",
            json!({ "registry": registry, "page": page, "per_page": 3 }),
        ) else {
            break;
        };
        let found = strings(&list, "/packages", "name");
        if found.is_empty() {
            break;
        }
        names.extend(found);
    }
    for name in &names {
        let Some(latest) = w.call(
            "package_browse",
            json!({ "registry": registry, "package_name": name }),
        ) else {
            continue;
        };
        // Every revision, from package_history paged two at a time; the dataset says how many
        // there must be.
        let mut hashes: Vec<String> = Vec::new();
        let mut offset = 0;
        while let Some(page) = w.call(
            "package_history",
            json!({ "registry": registry, "package_name": name, "offset": offset, "limit": 2 }),
        ) {
            hashes.extend(strings(&page, "/revisions", "top_hash"));
            match page["next_offset"].as_u64() {
                Some(next) => offset = next,
                None => break,
            }
        }
        let in_dataset =
            w.h.mock()
                .with_model(|m| m.package(bucket, name).map(|p| p.revisions.len()))
                .flatten()
                .unwrap_or_default();
        if hashes.len() != in_dataset {
            w.failures.push(format!(
                "{name}: package_history listed {} revisions, the dataset has {in_dataset}",
                hashes.len()
            ));
        }
        for hash in &hashes {
            // Folder by folder, as an agent clicks through: each folder's listing, each file read.
            let mut folders = vec![String::new()];
            while let Some(folder) = folders.pop() {
                let args = json!({ "registry": registry, "package_name": name, "top_hash": hash,
                                   "path": folder, "recursive": false });
                let Some(tree) = w.call("package_browse", args) else {
                    continue;
                };
                for entry in tree["entries"].as_array().into_iter().flatten() {
                    let key = entry["logical_key"].as_str().unwrap_or_default();
                    let file = json!({ "registry": registry, "package_name": name,
                                       "top_hash": hash, "path": key });
                    if entry["type"] == "dir" {
                        folders.push(key.to_string());
                    } else if [".md", ".csv", ".tsv", ".json", ".txt"]
                        .iter()
                        .any(|e| key.ends_with(e))
                    {
                        w.call("package_file_text", file);
                    } else {
                        // Anything else as an agent's client takes it: an image, a blob or a link.
                        w.call("package_file_fetch", file);
                    }
                }
            }
        }
        for pair in hashes.windows(2) {
            w.call(
                "package_diff",
                json!({ "registry": registry, "package1_name": name, "package1_hash": pair[0],
                                           "package2_name": name, "package2_hash": pair[1] }),
            );
        }
        w.call(
            "catalog_uri",
            json!({ "registry": registry, "package_name": name }),
        );
        w.call(
            "catalog_url",
            json!({ "registry": registry, "package_name": name }),
        );
        if latest["entries"].as_array().is_none_or(Vec::is_empty) {
            w.failures
                .push(format!("{name}: package_browse shows no entries"));
        }
    }
    names.len()
}

#[test]
fn an_agent_walks_the_whole_demo_without_a_failure() {
    let h = Harness::start();
    // The harness checks, when dropped, that the catalog was asked nothing it does not serve.
    walk_everything(&h);
}

/// The same walk against a registry released before August 2026: every tool works, and the
/// older registry refuses only the one newer-form package search the server then stops
/// sending, and the restore it does not have (which the tool explains).
#[test]
fn the_same_walk_works_on_a_january_2026_registry() {
    let h = Harness::start();
    h.mock()
        .with_model(|m| m.stack.release = Release::January2026);
    walk_everything(&h);
    let refused = h.mock().acknowledge_unmatched();
    let operations: Vec<_> = refused.iter().map(|r| r.operation.as_deref()).collect();
    assert_eq!(
        operations,
        [Some("SearchPackages"), Some("RestoreObject")],
        "{refused:#?}"
    );
}

fn walk_everything(h: &Harness) {
    // The dataset's archived object is restored during the walk; S3 takes hours, the model none.
    h.mock().with_model(|m| m.stack.restore_delay_secs = 0);
    let mut packages_seen = 0;
    let mut failures = Vec::new();
    let mut calls = 0;
    for who in [ALICE, BOB, CAROL] {
        let mut w = Walker {
            h,
            who,
            calls: 0,
            failures: Vec::new(),
        };
        let buckets = w.call("bucket_list", json!({})).expect("bucket_list works");
        w.call("discover_permissions", json!({}));
        w.call("search_suggest", json!({ "partial_query": "rna" }));
        w.call("get_resource", json!({ "uri": "auth://status" }));
        w.call("get_resource", json!({ "uri": "auth://catalog/info" }));
        w.call(
            "search_docs_quilt_bio",
            json!({ "query": "package workflows" }),
        );
        for bucket in strings(&buckets, "/buckets", "name") {
            w.call("check_bucket_access", json!({ "bucket": bucket }));
            w.call("tabulator_tables_list", json!({ "bucket": bucket }));
            w.call(
                "search_catalog",
                json!({ "query": "csv", "bucket": bucket, "scope": "global", "limit": 5 }),
            );
            w.call(
                "search_catalog",
                json!({ "query": "*", "bucket": bucket, "count_only": true }),
            );
            // Packages newest first, page after page by cursor.
            let mut args = json!({ "query": "*", "bucket": bucket, "scope": "package",
                                   "order": "newest", "limit": 2 });
            while let Some(page) = w.call("search_catalog", args.clone()) {
                match page["next_cursor"].as_str() {
                    Some(cursor) => args = json!({ "cursor": cursor }),
                    None => break,
                }
            }
            packages_seen += walk_packages(&mut w, &bucket);
            if who == ALICE {
                let mut keys = Vec::new();
                walk_objects(&mut w, &bucket, "", &mut keys);
                let in_dataset = h
                    .mock()
                    .with_model(|m| m.objects[&bucket].len())
                    .unwrap_or(0);
                assert_eq!(
                    keys.len(),
                    in_dataset,
                    "{bucket}: the walk lists every object once"
                );
                read_objects(&mut w, &bucket, &keys);
            }
        }
        if who == ALICE {
            let users = w
                .call("admin_users_list", json!({}))
                .expect("admin_users_list works");
            for name in strings(&users, "/users", "name") {
                w.call("admin_user_get", json!({ "name": name }));
            }
            w.call("admin_roles_list", json!({}));
            let listed = w
                .call("get_resource", json!({}))
                .expect("get_resource lists");
            for uri in strings(&listed, "/resources", "uri") {
                w.call("get_resource", json!({ "uri": uri }));
            }
        }
        calls += w.calls;
        failures.extend(w.failures);
    }
    assert!(
        failures.is_empty(),
        "{} of {calls} calls failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    // The walk met the dataset's archived object and restored it (where the registry can).
    let (release, restored) = h
        .mock()
        .with_model(|m| {
            let object = &m.objects["example-data"]["archive/run12/counts.csv"];
            let restored = object.last().is_some_and(|v| v.restore.is_some());
            (m.stack.release, restored)
        })
        .expect("the model");
    assert_eq!(
        restored,
        release == Release::August2026,
        "the archived object was restored on {release:?}"
    );
    // alice sees 13 packages, bob the 9 of his two buckets, carol the 8 of hers.
    assert!(packages_seen >= 13 + 9, "{packages_seen}");
    assert!(calls > 1000, "a whole walk, not a sample: {calls} calls");
}

#[test]
fn permission_refusals_say_which_permission_is_missing() {
    let h = Harness::start();
    // carol reads example-packages but may not write anywhere; bob may not read it at all.
    let text = call_fails(
        &h,
        BOB,
        "bucket_objects_list",
        json!({ "bucket": "example-packages" }),
    );
    assert!(text.contains("s3:ListBucket"), "{text}");
    let text = call_fails(
        &h,
        CAROL,
        "package_create",
        json!({ "registry": "s3://example-public", "package_name": "carol/try",
        "s3_uris": ["s3://example-public/demo/iris.csv"] }),
    );
    assert!(
        text.to_lowercase().contains("write") || text.contains("Forbidden"),
        "{text}"
    );
    // The admin tools are not even shown to her.
    call_hidden(&h, CAROL, "admin_users_list", json!({}));
}

/// (a) Find RNA-seq data, open the newest package, read its README, list its CSV files.
#[test]
fn agent_task_find_rna_seq_data_and_read_it() {
    let h = Harness::start();
    let found = call_ok(
        &h,
        ALICE,
        "search_catalog",
        json!({ "query": "RNA-seq", "scope": "package" }),
    );
    let mut hits: Vec<&Value> = found["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter(|r| r["tag"] == "latest")
        .collect();
    assert!(hits.len() >= 2, "{found}");
    hits.sort_by_key(|r| std::cmp::Reverse(r["modified"].as_str().unwrap_or_default().to_string()));
    let newest = hits[0];
    let registry = format!("s3://{}", newest["bucket"].as_str().expect("bucket"));
    let name = newest["package_name"].as_str().expect("name");
    let tree = call_ok(
        &h,
        ALICE,
        "package_browse",
        json!({ "registry": registry, "package_name": name, "recursive": true }),
    );
    let keys: Vec<String> = strings(&tree, "/entries", "logical_key");
    let readme = keys
        .iter()
        .find(|k| k.to_lowercase().ends_with("readme.md"))
        .expect("a README");
    let text = call_ok(
        &h,
        ALICE,
        "package_file_text",
        json!({ "registry": registry, "package_name": name, "path": readme }),
    );
    assert!(
        text["text"]
            .as_str()
            .is_some_and(|t| t.to_lowercase().contains("rna")),
        "{text}"
    );
    let csvs: Vec<&String> = keys.iter().filter(|k| k.ends_with(".csv")).collect();
    assert!(!csvs.is_empty(), "{keys:?}");
}

/// (b) Create a package from two existing S3 objects, then diff it against an older revision
/// of another package (found through its tag).
#[test]
fn agent_task_create_a_package_and_diff_it_against_an_older_revision() {
    let h = Harness::start();
    let listing = call_ok(
        &h,
        BOB,
        "bucket_objects_list",
        json!({ "bucket": "example-data", "prefix": "team/rnaseq-2024/results/" }),
    );
    let keys = strings(&listing, "/objects", "key");
    assert!(keys.len() >= 2, "{listing}");
    let uris: Vec<String> = keys
        .iter()
        .take(2)
        .map(|k| format!("s3://example-data/{k}"))
        .collect();
    let created = call_ok(
        &h,
        BOB,
        "package_create",
        json!({ "registry": "s3://example-data", "package_name": "bob/two-files",
        "s3_uris": uris, "message": "Two result files" }),
    );
    let new_hash = created["top_hash"]
        .as_str()
        .or(created["hash"].as_str())
        .expect("the new hash")
        .to_string();
    let tags = call_ok(
        &h,
        BOB,
        "search_catalog",
        json!({ "query": "rnaseq-2024", "scope": "package", "bucket": "example-data" }),
    );
    let tagged = tags["results"]
        .as_array()
        .expect("results")
        .iter()
        .find(|r| r["package_name"] == "team/rnaseq-2024" && r["tag"] != "latest")
        .expect("an older tag");
    let tag = tagged["tag"].as_str().expect("tag");
    let older = call_ok(
        &h,
        BOB,
        "package_browse",
        json!({ "registry": "s3://example-data", "package_name": "team/rnaseq-2024", "tag": tag }),
    );
    let older_hash = older["top_hash"]
        .as_str()
        .or(older["hash"].as_str())
        .map(str::to_string)
        .or_else(|| {
            older["catalog_url"].as_str().and_then(|u| {
                u.trim_end_matches('/')
                    .rsplit('/')
                    .next()
                    .map(str::to_string)
            })
        })
        .expect("the tagged revision's hash");
    let diff = call_ok(
        &h,
        BOB,
        "package_diff",
        json!({ "registry": "s3://example-data",
        "package1_name": "bob/two-files", "package1_hash": new_hash,
        "package2_name": "team/rnaseq-2024", "package2_hash": older_hash }),
    );
    assert_eq!(diff["identical"], false, "{diff}");
    assert_eq!(diff["package1"]["hash"], json!(new_hash));
    let listed = call_ok(
        &h,
        BOB,
        "packages_list",
        json!({ "registry": "s3://example-data", "filter": "two-files" }),
    );
    assert_eq!(strings(&listed, "/packages", "name"), ["bob/two-files"]);
}

/// (c) As admin, add a role to a user, then read the user and see it.
#[test]
fn agent_task_add_a_role_and_see_it() {
    let h = Harness::start();
    let roles = strings(
        &call_ok(&h, ALICE, "admin_roles_list", json!({})),
        "/roles",
        "name",
    );
    let carol = call_ok(&h, ALICE, "admin_user_get", json!({ "name": "carol" }));
    let has = |user: &Value, role: &str| user.to_string().contains(&format!("\"name\":\"{role}\""));
    let new_role = roles
        .iter()
        .find(|r| !has(&carol, r))
        .expect("a role carol lacks")
        .clone();
    call_ok(
        &h,
        ALICE,
        "admin_user_add_roles",
        json!({ "name": "carol", "roles": [new_role] }),
    );
    let after = call_ok(&h, ALICE, "admin_user_get", json!({ "name": "carol" }));
    assert!(has(&after, &new_role), "{after}");
    let everyone = call_ok(&h, ALICE, "admin_users_list", json!({}));
    let listed = everyone["users"]
        .as_array()
        .expect("users")
        .iter()
        .find(|u| u["name"] == "carol")
        .expect("carol");
    assert!(has(listed, &new_role), "{listed}");
}

/// What `bucket_list`, `discover_permissions`, `check_bucket_access`, `bucket_objects_list` and
/// `search_catalog` say about each bucket agrees, for each user.
#[test]
fn every_face_agrees_about_what_each_user_may_read() {
    let h = Harness::start();
    let all: Vec<String> = h
        .mock()
        .with_model(|m| m.buckets.iter().map(|b| b.name.clone()).collect())
        .expect("model");
    for who in [ALICE, BOB, CAROL] {
        let listed = strings(
            &call_ok(&h, who, "bucket_list", json!({})),
            "/buckets",
            "name",
        );
        let discovered = call_ok(
            &h,
            who,
            "discover_permissions",
            json!({ "check_buckets": all }),
        );
        for bucket in &all {
            let in_list = listed.contains(bucket);
            let entry = discovered["buckets"]
                .as_array()
                .expect("buckets")
                .iter()
                .find(|b| &b["name"] == bucket);
            let can_list = entry.is_some_and(|e| e["can_list"] == true);
            let access = h.call_tool(
                &token(who),
                "check_bucket_access",
                json!({ "bucket": bucket }),
            );
            let checked = access["structuredContent"]["access_summary"]["can_list"] == true;
            let listing = h.call_tool(
                &token(who),
                "bucket_objects_list",
                json!({ "bucket": bucket, "max_keys": 1 }),
            );
            let lists = listing["isError"] == false;
            let search = h.call_tool(
                &token(who),
                "search_catalog",
                json!({ "query": "readme", "bucket": bucket }),
            );
            let searches = search["isError"] == false;
            let says = [in_list, can_list, checked, lists, searches];
            assert!(
                says.iter().all(|s| *s == in_list),
                "user {who}, {bucket}: bucket_list {in_list}, discover {can_list}, check {checked}, list {lists}, search {searches}"
            );
        }
    }
}
