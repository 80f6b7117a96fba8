//! The Tabulator table tools against the model catalog: listing (open to anyone who sees the
//! bucket), the YAML built from typed arguments, each write read back, bob's refusal on every
//! write, arguments refused before any catalog call, and the typed error arms (provoked by input
//! the catalog refuses) with their field paths.

mod common;

use std::collections::BTreeMap;

use common::*;
use serde_json::{Value, json};

/// A gene-counts table over the team's packages, as typed arguments.
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

/// The names of `bucket`'s tables, as `tabulator_tables_list` shows them to `who`.
fn table_names(h: &Harness, who: i64, bucket: &str) -> Vec<String> {
    let list = call_ok(h, who, "tabulator_tables_list", json!({"bucket": bucket}));
    list["tables"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_string())
        .collect()
}

/// `names` sorted, to compare as sets.
fn sorted(mut names: Vec<String>) -> Vec<String> {
    names.sort();
    names
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
    let tables = alice["tables"].as_array().unwrap();
    assert_eq!(alice["count"], tables.len());
    assert_eq!(alice["count"], 2, "the dataset's two example-data tables");
    assert!(
        tables
            .iter()
            .all(|t| t["config"].as_str().unwrap().contains("schema:"))
    );
    // bob's role does not read example-packages, so he does not see it.
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
    let before = table_names(&h, ALICE, "example-data");
    assert!(!before.iter().any(|t| t == "gene_counts"), "{before:?}");
    let created = call_ok(&h, ALICE, "tabulator_table_create", gene_counts());
    let mut expected = before.clone();
    expected.push("gene_counts".into());
    let tables: Vec<String> = serde_json::from_value(created["tables"].clone()).unwrap();
    assert_eq!(sorted(tables), sorted(expected.clone()));
    let sent = h.mock().requests();
    let set = sent
        .iter()
        .filter(|r| r.operation.as_deref() == Some("SetTabulatorTable"))
        .count();
    assert_eq!(set, 1, "one SetTabulatorTable call");
    // Read back: the listing shows the new table with the YAML that was built.
    let list = call_ok(
        &h,
        BOB,
        "tabulator_tables_list",
        json!({"bucket": "example-data"}),
    );
    let names: Vec<String> = list["tables"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(sorted(names), sorted(expected));
    let table = list["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "gene_counts")
        .unwrap();
    assert_eq!(table["config"], created["config"]);
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
    let before = table_names(&h, ALICE, "example-data");
    assert!(before.len() >= 2, "{before:?}");
    let (gone, kept) = (&before[0], &before[1]);
    let table = json!({"bucket_name": "example-data", "table_name": gone});
    let deleted = call_ok(&h, ALICE, "tabulator_table_delete", table);
    let left: Vec<String> = before.iter().filter(|t| *t != gone).cloned().collect();
    assert_eq!(deleted["tables"], json!(left));
    assert_eq!(table_names(&h, ALICE, "example-data"), left, "read back");
    let new_name = format!("{kept}_v2");
    let rename = json!({"bucket_name": "example-data", "table_name": kept,
                        "new_table_name": new_name});
    let renamed = call_ok(&h, ALICE, "tabulator_table_rename", rename);
    let after: Vec<String> = left
        .iter()
        .map(|t| {
            if t == kept {
                new_name.clone()
            } else {
                t.clone()
            }
        })
        .collect();
    let tables: Vec<String> = serde_json::from_value(renamed["tables"].clone()).unwrap();
    assert_eq!(sorted(tables), sorted(after.clone()));
    assert_eq!(
        sorted(table_names(&h, BOB, "example-data")),
        sorted(after),
        "read back"
    );
    snapshot_settings().bind(|| {
        insta::assert_json_snapshot!("tabulator_table_delete__example_data", deleted);
        insta::assert_json_snapshot!("tabulator_table_rename__example_data", renamed);
    });
}

#[test]
fn a_non_admin_gets_one_clear_refusal_from_every_write() {
    let h = Harness::start();
    let before = table_names(&h, BOB, "example-data");
    let table = json!({"bucket_name": "example-data", "table_name": before[0]});
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
    assert_eq!(
        table_names(&h, BOB, "example-data"),
        before,
        "nothing changed"
    );
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
    let tables = table_names(&h, ALICE, "example-data");
    let (first, second) = (&tables[0], &tables[1]);
    let rename = |table: &str, new: &str| {
        let args =
            json!({"bucket_name": "example-data", "table_name": table, "new_table_name": new});
        call_fails(&h, ALICE, "tabulator_table_rename", args)
    };
    let bad_new_name = rename(first, "RNA Seq");
    assert!(
        bad_new_name.contains("newTableName: Table name must match"),
        "{bad_new_name}"
    );
    let taken = rename(first, second);
    assert!(
        taken.contains(&format!("newTableName: Table {second} already exists")),
        "{taken}"
    );
    assert!(!tables.iter().any(|t| t == "no_such_table"));
    let missing = rename("no_such_table", "other");
    assert!(
        missing.contains("Table no_such_table does not exist"),
        "{missing}"
    );
    let not_deleted = call_fails(
        &h,
        ALICE,
        "tabulator_table_delete",
        json!({"bucket_name": "example-data", "table_name": "no_such_table"}),
    );
    assert!(
        not_deleted.contains("Table no_such_table does not exist"),
        "{not_deleted}"
    );
    assert_eq!(
        table_names(&h, ALICE, "example-data"),
        tables,
        "nothing refused was done"
    );
}

#[test]
fn every_buckets_table_list_stays_within_the_text_budget() {
    let h = Harness::start();
    let t = token(ALICE);
    let buckets = call_ok(&h, ALICE, "bucket_list", json!({}));
    for bucket in buckets["buckets"].as_array().unwrap() {
        let args = json!({"bucket": bucket["name"]});
        let result = h.call_tool(&t, "tabulator_tables_list", args.clone());
        let listed = ok(&result);
        let text = result_text(&result);
        assert!(text.len() <= 16384, "{args}: {} bytes", text.len());
        assert_eq!(listed["truncated"], false, "the dataset's lists fit");
    }
    // A bucket with more definitions than fit: the list is cut and pages on.
    for i in 0..80 {
        let table = gene_counts_with(json!({"table_name": format!("gene_counts_{i:02}")}));
        call_ok(&h, ALICE, "tabulator_table_create", table);
    }
    let args = json!({"bucket": "example-data"});
    let result = h.call_tool(&t, "tabulator_tables_list", args);
    let first = ok(&result);
    assert!(result_text(&result).len() <= 16384);
    assert_eq!(first["truncated"], true, "{first}");
    let mut names: Vec<Value> = first["tables"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].clone())
        .collect();
    let mut next = first["next_offset"].clone();
    while !next.is_null() {
        let page = call_ok(
            &h,
            ALICE,
            "tabulator_tables_list",
            json!({"bucket": "example-data", "offset": next}),
        );
        names.extend(
            page["tables"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t["name"].clone()),
        );
        next = page.get("next_offset").cloned().unwrap_or(Value::Null);
    }
    assert_eq!(
        json!(names.len()),
        first["count"],
        "the pages hold every table once"
    );
}
