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

#[test]
fn a_catalog_without_tabulator_says_so_and_athena_still_works() {
    let h = Harness::start();
    // A stack without the analytics bucket: config.json names none, Athena lists no
    // Tabulator catalog.
    h.mock().with_model(|m| m.stack.tabulator = false).unwrap();
    let listed = call_ok(&h, BOB, "athena_databases_list", json!({}));
    let catalogs: Vec<&str> = listed["catalogs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["data_catalog"].as_str().unwrap())
        .collect();
    assert_eq!(catalogs, ["AwsDataCatalog"], "{listed}");
    let athena_sql = "SELECT COUNT(*) AS n FROM \"example_public\".\"iris\"";
    let counted = call_ok(
        &h,
        BOB,
        "athena_query_execute",
        json!({ "query": athena_sql }),
    );
    assert_eq!(counted["rows"][0]["n"], 150);

    let bucket_sql = "SELECT COUNT(*) AS n FROM penguins";
    let refusals = [
        ("tabulator_list_buckets", json!({})),
        (
            "tabulator_query_execute",
            json!({ "query": bucket_sql, "database_name": "example-public" }),
        ),
        (
            "tabulator_bucket_query",
            json!({ "bucket_name": "example-public", "query": bucket_sql }),
        ),
    ];
    for (tool, args) in refusals {
        let error = call_fails(&h, BOB, tool, args);
        assert!(
            error.contains("no Tabulator data catalog") && error.contains("athena_databases_list"),
            "{tool}: {error}"
        );
    }
    let answer = h.rpc(
        &token(BOB),
        "resources/read",
        json!({ "uri": "tabulator://buckets" }),
    );
    let error = answer.to_string();
    assert!(error.contains("no Tabulator data catalog"), "{answer}");
    // Nothing was started on a catalog that does not exist.
    assert_eq!(h.mock().athena_starts().len(), 1);
}
