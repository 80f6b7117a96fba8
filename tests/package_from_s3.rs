//! `package_create_from_s3`: discovery across listing pages with include/exclude globs, the
//! dry-run preview, creation through the catalog, and the upstream arguments it refuses.

mod common;

use bytes::Bytes;
use common::*;
use serde_json::{Value, json};

/// Every object listed under `prefix` of `bucket` by `bucket_objects_list`, page after page.
fn list_all(h: &Harness, who: &str, bucket: &str, prefix: &str) -> Vec<Value> {
    let (mut objects, mut next) = (Vec::new(), Value::Null);
    loop {
        let mut args = json!({"bucket": bucket, "prefix": prefix, "max_keys": 1000});
        if let Some(token) = next.as_str() {
            args["continuation_token"] = json!(token);
        }
        let page = ok(&h.call_tool(who, "bucket_objects_list", args));
        objects.extend(page["objects"].as_array().unwrap().iter().cloned());
        next = page["next_continuation_token"].clone();
        if next.is_null() {
            return objects;
        }
    }
}

#[test]
fn a_dry_run_previews_a_selection_across_three_listing_pages() {
    let h = Harness::start();
    let t = token(ALICE);
    // Besides its 250 reads, run 43 left 1,800 undetermined ones in a folder: 2,050 objects
    // under the prefix, three ListObjectsV2 pages of at most 1,000 keys.
    h.mock()
        .with_model(|model| {
            for i in 1..=1800 {
                let key = format!("raw/run43/undetermined/U{i:04}_R1.fastq.gz");
                model.put_object(
                    "example-data",
                    &key,
                    Bytes::from_static(b"@U\nN\n+\n#\n"),
                    None,
                    Default::default(),
                );
            }
        })
        .expect("the model catalog");
    // What the preview should pick: the R1 reads directly under raw/run43/.
    let reads: Vec<String> = list_all(&h, &t, "example-data", "raw/run43/")
        .iter()
        .map(|o| o["key"].as_str().unwrap().to_string())
        .filter(|k| !k.starts_with("raw/run43/undetermined/"))
        .collect();
    assert_eq!(reads.len(), 250);
    let r1: Vec<&String> = reads
        .iter()
        .filter(|k| k.ends_with("_R1.fastq.gz"))
        .collect();
    let before = h.mock().requests().len();
    let preview = ok(&h.call_tool(
        &t,
        "package_create_from_s3",
        json!({
            "source_bucket": "example-data", "package_name": "team/run43-fastq",
            "source_prefix": "raw/run43/", "include_patterns": ["*_R1.fastq.gz"],
            "exclude_patterns": ["undetermined/*"], "metadata_template": "ml", "dry_run": true,
        }),
    ));
    assert_eq!(preview["action"], "preview");
    assert_eq!(preview["objects_listed"], 2050);
    assert_eq!(
        preview["objects_selected"],
        r1.len(),
        "R1 reads, not undetermined"
    );
    assert_eq!(
        preview["entries"][0]["logical_key"],
        r1[0].strip_prefix("raw/run43/").unwrap()
    );
    assert_eq!(
        preview["entries"][0]["physical_key"],
        format!("s3://example-data/{}", r1[0])
    );
    assert_eq!(
        preview["metadata"]["quilt_mcp"]["file_types"],
        json!({"gz": r1.len()})
    );
    assert_eq!(preview["metadata"]["quilt_mcp"]["splits"], json!({}));
    // Three ListObjectsV2 pages, asking for 1000 keys each; nothing sent to the catalog.
    let seen = h.mock().requests();
    let lists: Vec<_> = seen[before..]
        .iter()
        .filter(|r| r.access_key.is_some())
        .collect();
    assert_eq!(lists.len(), 3);
    assert!(lists.iter().all(|r| r.query.contains("max-keys=1000")));
    assert!(seen[before..].iter().all(|r| r.path != "/graphql"));
    // A preview writes nothing.
    let browse = h.call_tool(
        &t,
        "package_browse",
        json!({"registry": "example-data", "package_name": "team/run43-fastq"}),
    );
    assert_eq!(browse["isError"], true, "{browse}");
}

#[test]
fn a_package_is_created_from_the_selected_objects() {
    let h = Harness::start();
    let t = token(ALICE);
    // The objects under results/, and which of them the exclude pattern keeps.
    let listed = list_all(&h, &t, "example-data", "results/");
    let kept: Vec<(String, Value)> = listed
        .iter()
        .map(|o| {
            let key = o["key"].as_str().unwrap();
            (
                key.strip_prefix("results/").unwrap().to_string(),
                o["size"].clone(),
            )
        })
        .filter(|(relative, _)| !relative.starts_with("qc/fastqc_"))
        .collect();
    assert!(kept.len() < listed.len() && !kept.is_empty());
    let args = json!({
        "source_bucket": "s3://example-data", "package_name": "team/run43-results",
        "source_prefix": "results/", "exclude_patterns": ["qc/fastqc_*"],
        "description": "Run 43 results: counts, DE genes, QC summary",
        "metadata": {"project": "liver", "run": "run43"},
    });
    let mut preview_args = args.clone();
    preview_args["dry_run"] = json!(true);
    let preview = ok(&h.call_tool(&t, "package_create_from_s3", preview_args));
    assert_eq!(preview["objects_listed"], listed.len());
    assert_eq!(preview["objects_selected"], kept.len());
    snapshot_settings()
        .bind(|| insta::assert_json_snapshot!("package_create_from_s3__results_preview", preview));
    let created = ok(&h.call_tool(&t, "package_create_from_s3", args));
    assert_eq!(created["action"], "created");
    assert_eq!(created["entries"], kept.len());
    snapshot_settings().bind(|| {
        insta::assert_json_snapshot!("package_create_from_s3__results_created", created,
            { ".catalog_url" => "[url]" })
    });

    // Read back: the new revision holds exactly the kept objects, by reference, with their
    // sizes, and the metadata given.
    let browsed = ok(&h.call_tool(
        &t,
        "package_browse",
        json!({"registry": "example-data", "package_name": "team/run43-results",
               "include_signed_urls": false}),
    ));
    let entries: Vec<(String, Value, String)> = browsed["entries"]
        .as_array()
        .unwrap_or_else(|| panic!("{browsed}"))
        .iter()
        .filter(|e| e["type"] == "file")
        .map(|e| {
            (
                e["logical_key"].as_str().unwrap().to_string(),
                e["size"].clone(),
                e["physical_key"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    assert_eq!(
        entries
            .iter()
            .map(|(k, s, _)| (k.clone(), s.clone()))
            .collect::<Vec<_>>(),
        kept,
        "{browsed}"
    );
    for (logical, _, physical) in &entries {
        assert!(
            physical.starts_with(&format!("s3://example-data/results/{logical}")),
            "{physical}"
        );
    }
    assert_eq!(browsed["hash"], created["top_hash"], "{browsed}");
    let text = browsed.to_string();
    assert!(text.contains("\"project\":\"liver\""), "{browsed}");
}

#[test]
fn upstream_arguments_without_a_meaning_here_are_refused_or_noted() {
    let h = Harness::start();
    let t = token(ALICE);
    let readme = err(&h.call_tool(
        &t,
        "package_create_from_s3",
        json!({"source_bucket": "example-data", "package_name": "team/x", "generate_readme": true}),
    ));
    assert!(
        readme.contains("generate_readme") && readme.contains("bucket_objects_put"),
        "{readme}"
    );
    let listed = ok(&h.call_tool(
        &t,
        "bucket_objects_list",
        json!({"bucket": "example-data", "prefix": "results/"}),
    ))["objects"]
        .as_array()
        .unwrap()
        .len();
    let noted = ok(&h.call_tool(
        &t,
        "package_create_from_s3",
        json!({"source_bucket": "example-data", "package_name": "team/run43-results",
               "source_prefix": "results/", "confirm_structure": true, "auto_organize": false,
               "metadata_template": "analytics", "dry_run": true}),
    ));
    assert!(
        noted["notes"][0]
            .as_str()
            .unwrap()
            .contains("confirm_structure")
    );
    assert_eq!(
        noted["entries"][0]["logical_key"], "results/counts.csv",
        "full keys"
    );
    assert_eq!(
        noted["metadata"]["quilt_mcp"]["tables"],
        json!([
            "results/counts.csv",
            "results/de_genes.tsv",
            "results/summary.json"
        ])
    );
    let nothing = err(&h.call_tool(
        &t,
        "package_create_from_s3",
        json!({"source_bucket": "example-data", "package_name": "team/x",
               "source_prefix": "results/", "include_patterns": ["*.parquet"]}),
    ));
    assert!(
        nothing.contains("no objects") && nothing.contains(&format!("{listed} listed")),
        "{nothing}"
    );
    let bad_template = err(&h.call_tool(
        &t,
        "package_create_from_s3",
        json!({"source_bucket": "example-data", "package_name": "team/x", "metadata_template": "fancy"}),
    ));
    assert!(bad_template.contains("metadata_template"), "{bad_template}");
    let denied = err(&h.call_tool(
        &token(BOB),
        "package_create_from_s3",
        json!({"source_bucket": "example-packages", "package_name": "team/x", "dry_run": true}),
    ));
    assert!(denied.contains("s3:ListBucket"), "{denied}");
}

#[test]
fn hostile_patterns_get_a_clear_error_not_seconds_of_cpu() {
    let h = Harness::start();
    let t = token(ALICE);
    // 1,000 long keys: `*` then a long literal costs about pattern × key steps on each.
    h.mock()
        .with_model(|model| {
            for i in 1..=1000 {
                let key = format!("raw/long/{}{i:04}.txt", "a".repeat(1000));
                model.put_object(
                    "example-data",
                    &key,
                    Bytes::from_static(b"x"),
                    None,
                    Default::default(),
                );
            }
        })
        .expect("the model catalog");
    let create = |include: String| {
        h.call_tool(
            &t,
            "package_create_from_s3",
            json!({
                "source_bucket": "example-data", "package_name": "team/hostile",
                "source_prefix": "raw/long/", "include_patterns": [include], "dry_run": true,
            }),
        )
    };
    let huge = create(format!("*[{}", "x".repeat(100_000)));
    assert_eq!(huge["isError"], true, "{huge}");
    let text = huge["content"][0]["text"].as_str().unwrap();
    assert!(
        text.contains("include_patterns") && text.contains("longer than"),
        "{text}"
    );
    let costly = create(format!("*{}b", "a".repeat(500)));
    assert_eq!(costly["isError"], true, "{costly}");
    let text = costly["content"][0]["text"].as_str().unwrap();
    assert!(text.contains("cost too much"), "{text}");
    // A plain pattern over the same listing still works.
    let plain = ok(&create("*0001.txt".into()));
    assert_eq!(plain["objects_selected"], 1, "{plain}");
}
