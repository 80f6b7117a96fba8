//! Tabulator queries: the Tabulator data catalog is found from the catalog's config.json, each
//! bucket the caller can read is a database, and its Tabulator tables (over package files) are
//! queried with the caller's own credentials.

mod common;

use common::*;
use serde_json::json;

#[test]
fn an_agent_lists_tabulator_buckets_then_queries_a_bucket_table() {
    let h = Harness::start();
    let listed = call_ok(&h, BOB, "tabulator_list_buckets", json!({}));
    assert_eq!(listed["data_catalog"], "quilt-example-stack-tabulator");
    let buckets: Vec<&str> = listed["buckets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b.as_str().unwrap())
        .collect();
    assert_eq!(buckets, ["example-data", "example-public"], "{listed}");
    // carol cannot read example-data, so it is not one of her databases.
    let carols = call_ok(&h, CAROL, "tabulator_list_buckets", json!({}));
    assert_eq!(carols["buckets"], json!(["example-public"]));

    let tables = call_ok(
        &h,
        BOB,
        "tabulator_tables_list",
        json!({ "bucket": buckets[0] }),
    );
    let table = tables["tables"][0]["name"].as_str().unwrap().to_string();
    assert_eq!(table, "protein_abundance", "{tables}");
    let sql = "SELECT study, condition, COUNT(DISTINCT sample_id) AS samples, SUM(read_count) AS reads FROM rnaseq_samples GROUP BY study, condition ORDER BY condition";
    let result = call_ok(
        &h,
        BOB,
        "tabulator_bucket_query",
        json!({ "bucket_name": buckets[0], "query": sql }),
    );
    assert_eq!(result["data_catalog"], "quilt-example-stack-tabulator");
    assert_eq!(result["database"], "example-data");
    let rows = result["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 2, "{result}");
    assert!(
        rows.iter()
            .all(|r| r["study"] == "rnaseq-2024" && r["reads"].as_i64().unwrap() > 0),
        "{result}"
    );

    let penguins = call_ok(
        &h,
        BOB,
        "tabulator_query_execute",
        json!({
        "query": "SELECT COUNT(*) AS n, COUNT(sex) AS sexed FROM \"example-public\".\"penguins\"", "output_format": "csv" }),
    );
    let csv = penguins["text"].as_str().unwrap();
    assert!(csv.starts_with("n,sexed\n102,"), "{csv}");
    let denied = call_fails(
        &h,
        CAROL,
        "tabulator_bucket_query",
        json!({ "bucket_name": "example-data", "query": "SELECT * FROM rnaseq_samples" }),
    );
    assert!(
        denied.contains("SCHEMA_NOT_FOUND") || denied.contains("TABLE_NOT_FOUND"),
        "{denied}"
    );
}

/// `resources/read` as `who`: the content's JSON.
fn read(h: &Harness, who: i64, uri: &str) -> serde_json::Value {
    let answer = h.rpc(&token(who), "resources/read", json!({ "uri": uri }));
    let text = answer["result"]["contents"][0]["text"]
        .as_str()
        .unwrap_or_else(|| panic!("{answer}"));
    serde_json::from_str(text).unwrap()
}

#[test]
fn the_tabulator_and_athena_resources_are_per_caller_and_cached() {
    let h = Harness::start();
    let bobs = read(&h, BOB, "tabulator://buckets");
    assert_eq!(
        bobs["buckets"],
        json!(["example-data", "example-public"]),
        "{bobs}"
    );
    let carols = read(&h, CAROL, "tabulator://buckets");
    assert_eq!(carols["buckets"], json!(["example-public"]), "{carols}");
    let athena = read(&h, CAROL, "athena://databases");
    assert_eq!(athena["workgroup"], "QuiltUserAthena-example-stack");
    assert!(
        athena["how_to_query"]
            .as_str()
            .unwrap()
            .contains("double quotes")
    );
    let tabulator = athena["catalogs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["data_catalog"] == "quilt-example-stack-tabulator")
        .unwrap();
    assert_eq!(tabulator["databases"], json!(["example-public"]));
    // A second read within the cache's lifetime asks Athena nothing.
    let before = h
        .mock()
        .requests()
        .iter()
        .filter(|r| r.matched.as_deref() == Some("model:athena"))
        .count();
    assert_eq!(read(&h, CAROL, "athena://databases"), athena);
    let after = h
        .mock()
        .requests()
        .iter()
        .filter(|r| r.matched.as_deref() == Some("model:athena"))
        .count();
    assert_eq!(before, after);
}
