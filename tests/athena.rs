//! The athena toolset against the model catalog's Athena face, as an agent uses it: list the
//! catalogs and databases, then the tables and a table's columns, then query with names taken
//! from those answers; every format, pages continued by execution id, each failure arm, the
//! read-only gate, and callers who each use only their own key. Lifecycle (timeout and
//! client-gone stops): `athena_lifecycle.rs`. Tabulator queries: `athena_tabulator.rs`.

mod common;

use common::*;
use serde_json::{Value, json};

const ALICE_KEY: &str = "ASIAALICEEXAMPLE0001";
const BOB_KEY: &str = "ASIABOBEXAMPLE000002";

/// The first Glue database holding `table`, found the way an agent would.
fn database_of(h: &Harness, who: i64, table: &str) -> String {
    let listed = call_ok(h, who, "athena_databases_list", json!({}));
    let glue = listed["catalogs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["data_catalog"] == "AwsDataCatalog")
        .unwrap_or_else(|| panic!("{listed}"))
        .clone();
    for database in glue["databases"].as_array().unwrap() {
        let database = database.as_str().unwrap();
        let tables = call_ok(
            h,
            who,
            "athena_tables_list",
            json!({ "database": database }),
        );
        if tables["tables"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["name"] == table)
        {
            return database.to_string();
        }
    }
    panic!("no database has {table}: {listed}");
}

#[test]
fn an_agent_finds_a_table_and_queries_it_with_typed_values() {
    let h = Harness::start();
    let listed = call_ok(&h, ALICE, "athena_databases_list", json!({}));
    assert_eq!(
        listed["workgroup"], "QuiltUserAthena-example-stack",
        "{listed}"
    );
    let catalogs: Vec<&str> = listed["catalogs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["data_catalog"].as_str().unwrap())
        .collect();
    assert!(
        catalogs.contains(&"quilt-example-stack-tabulator"),
        "{listed}"
    );
    let database = database_of(&h, ALICE, "penguins");
    let schema = call_ok(
        &h,
        ALICE,
        "athena_table_schema",
        json!({ "database": database, "table": "penguins" }),
    );
    let columns: Vec<&str> = schema["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(columns[0], "species", "{schema}");
    let mass = columns.iter().find(|c| c.contains("mass")).unwrap();
    let sql = format!(
        "SELECT species, COUNT(*) AS n, AVG({mass}) AS mean_mass, MAX(sex) IS NULL AS no_sex FROM penguins GROUP BY species ORDER BY species"
    );
    let result = call_ok(
        &h,
        ALICE,
        "athena_query_execute",
        json!({ "query": sql, "database_name": database }),
    );
    assert_eq!(result["workgroup"], "QuiltUserAthena-example-stack");
    assert_eq!(result["state"], "SUCCEEDED");
    assert_eq!(result["truncated"], false);
    let rows = result["rows"].as_array().unwrap();
    assert_eq!(result["row_count"], rows.len());
    // The dataset: Adelie, Chinstrap and Gentoo, 102 rows in all.
    let species: Vec<&str> = rows
        .iter()
        .map(|r| r["species"].as_str().unwrap())
        .collect();
    assert_eq!(species, ["Adelie", "Chinstrap", "Gentoo"]);
    let total: i64 = rows
        .iter()
        .map(|r| r["n"].as_i64().expect("n is an integer"))
        .sum();
    assert_eq!(total, 102);
    assert!(rows[0]["mean_mass"].is_f64(), "{result}");
    assert!(result["data_scanned_bytes"].as_i64().unwrap() > 0);
    assert!(result["cost_estimate_usd"].as_f64().unwrap() > 0.0);
    let types: Vec<&str> = result["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["type"].as_str().unwrap())
        .collect();
    assert_eq!(types[..2], ["varchar", "bigint"], "{result}");
}

#[test]
fn every_format_writes_the_same_rows_and_parquet_is_refused_with_the_alternative() {
    let h = Harness::start();
    let database = database_of(&h, BOB, "iris");
    let sql = "SELECT species, COUNT(*) AS n FROM iris GROUP BY species ORDER BY species";
    let run = |format: &str| {
        call_ok(
            &h,
            BOB,
            "athena_query_execute",
            json!({ "query": sql, "database_name": database, "output_format": format }),
        )
    };
    let csv = run("csv");
    assert_eq!(
        csv["text"], "species,n\nsetosa,50\nversicolor,50\nvirginica,50\n",
        "{csv}"
    );
    let table = run("table");
    let text = table["text"].as_str().unwrap();
    assert!(
        text.starts_with("| species | n |\n| --- | --- |\n| setosa | 50 |"),
        "{text}"
    );
    let json_rows = run("json");
    assert_eq!(
        json_rows["rows"][2],
        json!({ "species": "virginica", "n": 50 })
    );
    let refused = call_fails(
        &h,
        BOB,
        "athena_query_execute",
        json!({ "query": sql, "database_name": database, "output_format": "parquet" }),
    );
    assert!(refused.contains("csv"), "{refused}");
}

#[test]
fn a_large_result_comes_in_budgeted_pages_continued_by_execution_id() {
    let h = Harness::start();
    let database = database_of(&h, BOB, "normalized_counts");
    let count = call_ok(
        &h,
        BOB,
        "athena_query_execute",
        json!({ "query": "SELECT COUNT(*) AS n FROM normalized_counts", "database_name": database }),
    );
    let expected = count["rows"][0]["n"].as_u64().unwrap() as usize;
    assert!(expected > 3000, "{count}");
    let first = call_ok(
        &h,
        BOB,
        "athena_query_execute",
        json!({ "query": "SELECT gene_id, sample1 FROM normalized_counts", "database_name": database }),
    );
    let text = serde_json::to_string(&first).unwrap();
    assert!(text.len() <= 16 * 1024, "{}", text.len());
    assert_eq!(first["truncated"], true);
    let id = first["execution_id"].as_str().unwrap().to_string();
    let mut seen: Vec<String> = rows_of(&first);
    let mut next = first["next_token"].clone();
    let mut pages = 1;
    while let Some(token) = next.as_str() {
        let page = call_ok(
            &h,
            BOB,
            "athena_query_results",
            json!({ "execution_id": id, "next_token": token, "max_results": 1000, "output_format": "csv" }),
        );
        assert!(serde_json::to_string(&page).unwrap().len() <= 16 * 1024);
        let lines: Vec<String> = page["text"]
            .as_str()
            .unwrap()
            .lines()
            .skip(1)
            .map(|l| l.split(',').next().unwrap().to_string())
            .collect();
        assert_eq!(lines.len(), page["row_count"].as_u64().unwrap() as usize);
        seen.extend(lines);
        next = page["next_token"].clone();
        pages += 1;
        assert!(pages < 200, "paging does not end");
    }
    assert!(pages > 3, "{pages}");
    assert_eq!(seen.len(), expected);
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(
        unique.len(),
        expected,
        "a row was repeated or skipped across pages"
    );
    // Only one query ran for all those pages, besides the count.
    assert_eq!(h.mock().athena_starts().len(), 2);
    // Asked explicitly for more than the default, whole pages (up to 1 MiB).
    let whole = call_ok(
        &h,
        BOB,
        "athena_query_results",
        json!({ "execution_id": id, "max_results": 2500 }),
    );
    assert_eq!(whole["row_count"], 2500);
}

fn rows_of(result: &Value) -> Vec<String> {
    result["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["gene_id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn failed_queries_say_why_and_what_to_do_next() {
    let h = Harness::start();
    let database = database_of(&h, ALICE, "iris");
    let fails = |who: i64, args: Value| call_fails(&h, who, "athena_query_execute", args);
    let table = fails(
        ALICE,
        json!({ "query": format!("SELECT * FROM \"{database}\".no_such_table") }),
    );
    assert!(
        table.contains("TABLE_NOT_FOUND") && table.contains("athena_tables_list"),
        "{table}"
    );
    let schema = fails(ALICE, json!({ "query": "SELECT * FROM no_such_db.iris" }));
    assert!(
        schema.contains("SCHEMA_NOT_FOUND") && schema.contains("athena_databases_list"),
        "{schema}"
    );
    let column = fails(
        ALICE,
        json!({ "query": "SELECT no_such_column FROM iris", "database_name": database }),
    );
    assert!(column.contains("athena_table_schema"), "{column}");
    let syntax = fails(
        ALICE,
        json!({ "query": "SELECT *\nFROM iris WHERE WHERE x = 1", "database_name": database }),
    );
    assert!(syntax.contains("line 2"), "{syntax}");
    let backticks = fails(
        ALICE,
        json!({ "query": "SELECT `species` FROM iris", "database_name": database }),
    );
    assert!(
        backticks.contains("SELECT \"species\" FROM iris"),
        "{backticks}"
    );
    assert!(fails(ALICE, json!({ "query": "  " })).contains("empty"));
    let huge = format!("SELECT '{}'", "x".repeat(300_000));
    assert!(fails(ALICE, json!({ "query": huge })).contains("at most"));
    // carol's role cannot read example-data, where example_lab's tables live.
    let lab = database_of(&h, CAROL, "rnaseq_counts");
    let denied = fails(
        CAROL,
        json!({ "query": "SELECT * FROM rnaseq_counts", "database_name": lab }),
    );
    assert!(
        denied.contains("Permission denied") && denied.contains("s3:GetObject"),
        "{denied}"
    );
    let workgroup = fails(
        ALICE,
        json!({ "query": "SELECT 1", "workgroup_name": "no-such-group" }),
    );
    assert!(
        workgroup.contains("no-such-group") && workgroup.contains("not found"),
        "{workgroup}"
    );
    let disabled = fails(
        ALICE,
        json!({ "query": "SELECT 1", "workgroup_name": "archived-reports" }),
    );
    assert!(disabled.contains("disabled"), "{disabled}");
    let catalog = call_fails(
        &h,
        ALICE,
        "athena_tables_list",
        json!({ "database": database, "data_catalog_name": "NoSuchCatalog" }),
    );
    assert!(catalog.contains("not found"), "{catalog}");
    let missing = call_fails(
        &h,
        ALICE,
        "athena_table_schema",
        json!({ "database": database, "table": "nope" }),
    );
    assert!(missing.contains("athena_tables_list"), "{missing}");
    let range = call_fails(
        &h,
        ALICE,
        "athena_query_execute",
        json!({ "query": "SELECT 1", "max_results": 0 }),
    );
    assert!(range.contains("max_results"), "{range}");
}

#[test]
fn writes_are_refused_unless_the_operator_allows_them() {
    let h = Harness::start();
    for sql in [
        "INSERT INTO iris VALUES (1, 2, 3, 4, 'x')",
        "DROP TABLE iris",
        "SELECT 1; DROP TABLE iris",
    ] {
        let refused = call_fails(&h, ALICE, "athena_query_execute", json!({ "query": sql }));
        assert!(
            refused.contains("ATHENA_ALLOW_WRITES") || refused.contains("2 statements"),
            "{refused}"
        );
    }
    assert!(
        h.mock().athena_starts().is_empty(),
        "nothing reached Athena"
    );
    let checked = call_ok(
        &h,
        ALICE,
        "athena_query_validate",
        json!({ "query": "DROP TABLE iris" }),
    );
    assert_eq!(
        (checked["valid"].clone(), checked["allowed"].clone()),
        (json!(true), json!(false))
    );
    let bad = call_ok(
        &h,
        ALICE,
        "athena_query_validate",
        json!({ "query": "SELECT * FROM `my-table`" }),
    );
    assert_eq!(bad["fixed_query"], "SELECT * FROM \"my-table\"");
    drop(h);

    let h = Harness::start_with(&[("ATHENA_ALLOW_WRITES", "true")]);
    // Allowed through the gate: Athena (here, the model, which runs reads only) decides.
    let answer = call_fails(
        &h,
        ALICE,
        "athena_query_execute",
        json!({ "query": "DROP TABLE iris" }),
    );
    assert!(answer.contains("NOT_SUPPORTED"), "{answer}");
    assert_eq!(h.mock().athena_starts().len(), 1);
    let checked = call_ok(
        &h,
        ALICE,
        "athena_query_validate",
        json!({ "query": "DROP TABLE iris" }),
    );
    assert_eq!(checked["allowed"], true);
}

#[test]
fn two_callers_query_at_once_each_with_only_their_own_key() {
    let h = Harness::start();
    let database = database_of(&h, ALICE, "iris");
    let ids: Vec<(i64, String)> = std::thread::scope(|scope| {
        let runs: Vec<_> = [ALICE, BOB, ALICE, BOB]
            .into_iter()
            .map(|who| {
                let (h, database) = (&h, &database);
                scope.spawn(move || {
                    let sql =
                        format!("SELECT COUNT(*) AS n FROM iris WHERE species <> 'caller-{who}'");
                    let result = call_ok(
                        h,
                        who,
                        "athena_query_execute",
                        json!({ "query": sql, "database_name": database }),
                    );
                    assert_eq!(result["rows"][0]["n"], 150);
                    (who, result["execution_id"].as_str().unwrap().to_string())
                })
            })
            .collect();
        runs.into_iter().map(|r| r.join().unwrap()).collect()
    });
    let starts = h.mock().athena_starts();
    for (who, id) in &ids {
        let start = starts.iter().find(|s| &s.execution_id == id).unwrap();
        let key = if *who == ALICE { ALICE_KEY } else { BOB_KEY };
        assert_eq!(start.access_key, key);
        assert!(start.sql.contains(&format!("caller-{who}")));
    }
    // Every Athena request of the run was signed by one of the two callers' own keys.
    let keys: Vec<String> = h
        .mock()
        .requests()
        .into_iter()
        .filter(|r| r.matched.as_deref() == Some("model:athena"))
        .filter_map(|r| r.access_key)
        .collect();
    assert!(
        !keys.is_empty() && keys.iter().all(|k| k == ALICE_KEY || k == BOB_KEY),
        "{keys:?}"
    );
    // An execution id is only its own caller's.
    let (_, alices) = ids.iter().find(|(who, _)| *who == ALICE).unwrap();
    let refused = call_fails(
        &h,
        BOB,
        "athena_query_results",
        json!({ "execution_id": alices }),
    );
    assert!(refused.contains("was not found"), "{refused}");
}
