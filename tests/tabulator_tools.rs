//! The Tabulator table tools against the recorded catalog: listing (open to anyone who sees the
//! bucket), the YAML built from typed arguments, bob's refusal on every write, arguments refused
//! before any catalog call, and the typed error arms with their field paths.

mod common;

use std::collections::BTreeMap;

use common::*;
use serde_json::{Value, json};

/// The gene-counts table of the recordings, as typed arguments.
fn gene_counts() -> Value {
    json!({
        "bucket_name": "s3://example-data",
        "table_name": "gene_counts",
        "schema": [
            {"name": "sample_id", "type": "STRING"},
            {"name": "gene", "type": "string"},
            {"name": "tpm", "type": "FLOAT"}
        ],
        "package_pattern": "^team/(?<study>[^/]+)$",
        "logical_key_pattern": "results/(?<sample_id>[^/]+)_counts\\.tsv$",
        "parser_format": "tsv",
        "description": "Gene counts per sample"
    })
}

/// `gene_counts()` with some fields replaced.
fn gene_counts_with(changes: Value) -> Value {
    let mut args = gene_counts();
    for (key, value) in changes.as_object().unwrap() {
        args[key] = value.clone();
    }
    args
}

#[test]
fn anyone_who_sees_the_bucket_lists_its_tables() {
    let h = Harness::start();
    let alice = call_ok(
        &h,
        ALICE,
        "tabulator_tables_list",
        json!({"bucket": "example-data"}),
    );
    let bob = call_ok(
        &h,
        BOB,
        "tabulator_tables_list",
        json!({"bucket": "s3://example-data"}),
    );
    assert_eq!(alice, bob);
    assert_eq!(alice["count"], 1);
    let hidden = call_fails(
        &h,
        BOB,
        "tabulator_tables_list",
        json!({"bucket": "example-packages"}),
    );
    assert!(
        hidden.contains("no bucket `example-packages`") && hidden.contains("bucket_list"),
        "{hidden}"
    );
    snapshot_settings().bind(|| {
        insta::assert_json_snapshot!("tabulator_tables_list__example_data", alice);
    });
}

#[test]
fn create_builds_the_yaml_from_typed_arguments() {
    let h = Harness::start();
    let created = call_ok(&h, ALICE, "tabulator_table_create", gene_counts());
    assert_eq!(created["tables"], json!(["rnaseq_samples", "gene_counts"]));
    let sent = h.mock().requests();
    assert_eq!(sent[0].operation.as_deref(), Some("SetTabulatorTable"));
    snapshot_settings().bind(|| {
        insta::assert_json_snapshot!("tabulator_table_create__gene_counts", created);
        insta::assert_snapshot!(
            "tabulator_table_create__gene_counts_yaml",
            created["config"].as_str().unwrap()
        );
    });
}

#[test]
fn delete_and_rename_answer_the_tables_left() {
    let h = Harness::start();
    let table = json!({"bucket_name": "example-data", "table_name": "rnaseq_samples"});
    let deleted = call_ok(&h, ALICE, "tabulator_table_delete", table.clone());
    assert_eq!(deleted["tables"], json!([]));
    let mut rename = table;
    rename["new_table_name"] = json!("rnaseq_samples_v2");
    let renamed = call_ok(&h, ALICE, "tabulator_table_rename", rename);
    snapshot_settings().bind(|| {
        insta::assert_json_snapshot!("tabulator_table_delete__rnaseq_samples", deleted);
        insta::assert_json_snapshot!("tabulator_table_rename__rnaseq_samples", renamed);
    });
}

#[test]
fn a_non_admin_gets_one_clear_refusal_from_every_write() {
    let h = Harness::start();
    let table = json!({"bucket_name": "example-data", "table_name": "rnaseq_samples"});
    let mut rename = table.clone();
    rename["new_table_name"] = json!("renamed");
    let calls = [
        ("tabulator_table_create", gene_counts()),
        ("tabulator_table_delete", table),
        ("tabulator_table_rename", rename),
    ];
    let mut refusals = BTreeMap::new();
    for (tool, args) in calls {
        let text = call_fails(&h, BOB, tool, args);
        assert!(
            text.starts_with("this needs catalog admin rights"),
            "{tool}: {text}"
        );
        refusals.insert(tool, text);
    }
    snapshot_settings().bind(|| {
        insta::assert_json_snapshot!("tabulator__bob_refused", refusals);
    });
}

#[test]
fn bad_arguments_are_refused_before_any_catalog_call() {
    let h = Harness::start();
    let create_cases = [
        (json!({"bucket_name": "Not A Bucket"}), "`bucket_name`"),
        (json!({"table_name": " "}), "`table_name`"),
        (json!({"schema": []}), "`schema`"),
        (
            json!({"schema": [{"name": "Sample", "type": "STRING"}]}),
            "`schema[0].name`",
        ),
        (
            json!({"schema": [{"name": "a", "type": "INT"}, {"name": "b", "type": "VARCHAR"}]}),
            "`schema[1].type`",
        ),
        (
            json!({"schema": [{"name": "a", "kind": "INT"}]}),
            "schema[0]",
        ),
        (json!({"package_pattern": ""}), "`package_pattern`"),
        (json!({"logical_key_pattern": " "}), "`logical_key_pattern`"),
        (json!({"parser_format": "xlsx"}), "parser_format"),
        (json!({"parser_delimiter": ";;"}), "`parser_delimiter`"),
        (
            json!({"parser_format": "parquet", "parser_delimiter": ","}),
            "`parser_delimiter`",
        ),
        (json!({"parser_skip_rows": -1}), "parser_skip_rows"),
        (json!({"service": null}), "service"),
    ];
    for (changes, field) in create_cases {
        let args = gene_counts_with(changes);
        let text = call_fails(&h, ALICE, "tabulator_table_create", args.clone());
        assert!(text.contains(field), "{args}: {text}");
    }
    let other_cases = [
        ("tabulator_tables_list", json!({"bucket": ""}), "`bucket`"),
        (
            "tabulator_tables_list",
            json!({"bucket_name": "example-data"}),
            "bucket",
        ),
        (
            "tabulator_table_delete",
            json!({"bucket_name": "example-data", "table_name": ""}),
            "`table_name`",
        ),
        (
            "tabulator_table_rename",
            json!({"bucket_name": "example-data", "table_name": "a", "new_table_name": " "}),
            "`new_table_name`",
        ),
    ];
    for (tool, args, field) in other_cases {
        let text = call_fails(&h, ALICE, tool, args.clone());
        assert!(text.contains(field), "{tool} {args}: {text}");
    }
    assert!(
        h.mock().requests().is_empty(),
        "nothing reached the catalog"
    );
}

#[test]
fn the_catalogs_typed_errors_reach_the_agent_with_their_field_paths() {
    let h = Harness::start();
    let bad_name = call_fails(
        &h,
        ALICE,
        "tabulator_table_create",
        gene_counts_with(json!({"table_name": "Gene Counts"})),
    );
    assert!(
        bad_name.contains("SetTabulatorTable: tableName: Table name must match"),
        "{bad_name}"
    );
    let bad_regex = call_fails(
        &h,
        ALICE,
        "tabulator_table_create",
        json!({"bucket_name": "example-data", "table_name": "samples",
               "schema": [{"name": "sample_id", "type": "STRING"}],
               "package_pattern": "^team/(?<study>[^/]+)$",
               "logical_key_pattern": "results/(?<sample_id>[^/]+$",
               "parser_format": "parquet"}),
    );
    assert!(
        bad_regex.contains("config: source.logical_key: missing )"),
        "{bad_regex}"
    );
    let no_bucket = call_fails(
        &h,
        ALICE,
        "tabulator_table_create",
        gene_counts_with(json!({"bucket_name": "example-missing"})),
    );
    assert!(
        no_bucket.contains("example-missing is not in this stack"),
        "{no_bucket}"
    );
    let rename = |table: &str, new: &str| {
        let args =
            json!({"bucket_name": "example-data", "table_name": table, "new_table_name": new});
        call_fails(&h, ALICE, "tabulator_table_rename", args)
    };
    let taken = rename("rnaseq_samples", "RNA Seq");
    assert!(
        taken.contains("newTableName: Table name must match"),
        "{taken}"
    );
    let missing = rename("no_such_table", "other");
    assert!(
        missing.contains("Table no_such_table does not exist"),
        "{missing}"
    );
}
