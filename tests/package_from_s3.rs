//! `package_create_from_s3`: discovery across listing pages with include/exclude globs, the
//! dry-run preview, creation through the catalog, and the upstream arguments it refuses.

mod common;

use common::*;
use serde_json::json;

#[test]
fn a_dry_run_previews_a_selection_across_three_listing_pages() {
    let h = Harness::start();
    let preview = ok(&h.call_tool(
        &token(ALICE),
        "package_create_from_s3",
        json!({
            "source_bucket": "example-data", "package_name": "team/run43-fastq",
            "source_prefix": "raw/run43/", "include_patterns": ["*_R1.fastq.gz"],
            "exclude_patterns": ["lane5/*"], "metadata_template": "ml", "dry_run": true,
        }),
    ));
    assert_eq!(preview["action"], "preview");
    assert_eq!(preview["objects_listed"], 250);
    assert_eq!(preview["objects_selected"], 100, "R1 of lanes 1-4");
    assert_eq!(
        preview["entries"][0]["logical_key"],
        "lane1/S001_R1.fastq.gz"
    );
    assert_eq!(
        preview["entries"][0]["physical_key"],
        "s3://example-data/raw/run43/lane1/S001_R1.fastq.gz"
    );
    assert_eq!(
        preview["metadata"]["quilt_mcp"]["file_types"],
        json!({"gz": 100})
    );
    assert_eq!(preview["metadata"]["quilt_mcp"]["splits"], json!({}));
    // Three ListObjectsV2 pages, asking for 1000 keys each; nothing sent to the catalog.
    let seen = h.mock().requests();
    let lists: Vec<_> = seen.iter().filter(|r| r.access_key.is_some()).collect();
    assert_eq!(lists.len(), 3);
    assert!(lists.iter().all(|r| r.query.contains("max-keys=1000")));
    assert!(seen.iter().all(|r| r.path != "/graphql"));
}

#[test]
fn a_package_is_created_from_the_selected_objects() {
    let h = Harness::start();
    let args = json!({
        "source_bucket": "s3://example-data", "package_name": "team/run43-results",
        "source_prefix": "results/", "exclude_patterns": ["qc/fastqc/*"],
        "description": "Run 43 results: counts, DE genes, QC summary",
        "metadata": {"project": "liver", "run": "run43"},
    });
    let mut preview_args = args.clone();
    preview_args["dry_run"] = json!(true);
    let preview = ok(&h.call_tool(&token(ALICE), "package_create_from_s3", preview_args));
    snapshot_settings()
        .bind(|| insta::assert_json_snapshot!("package_create_from_s3__results_preview", preview));
    let created = ok(&h.call_tool(&token(ALICE), "package_create_from_s3", args));
    assert_eq!(created["action"], "created");
    assert_eq!(created["entries"], 4);
    snapshot_settings().bind(|| {
        insta::assert_json_snapshot!("package_create_from_s3__results_created", created,
            { ".catalog_url" => "[url]" })
    });
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
            "results/de_genes.csv",
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
        nothing.contains("no objects") && nothing.contains("6 listed"),
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
