//! The search tools against the recorded search proxy: every scope, every visible bucket by
//! default, escaping, counts, engine errors, explanations and suggestions.

mod common;

use common::*;
use serde_json::json;

#[test]
fn an_empty_bucket_searches_every_bucket_the_caller_can_see() {
    let h = Harness::start();
    let alice = ok(&h.call_tool(
        &token(ALICE),
        "search_catalog",
        json!({"query": "counts csv"}),
    ));
    assert_eq!(
        alice["buckets"],
        json!(["example-data", "example-packages", "example-public"])
    );
    assert_eq!(alice["total"], 2);
    assert_eq!(
        alice["results"][0]["key"],
        "team/rnaseq-2024/results/counts.csv"
    );
    assert_eq!(
        alice["results"][0]["preview"],
        "gene,sample1,sample2\nAlb,10234.1,9876.4"
    );
    snapshot_settings().bind(|| {
        insta::assert_json_snapshot!("search_catalog__file_all_buckets", alice, { ".results[].catalog_url" => "[url]" });
    });
    let bob = ok(&h.call_tool(
        &token(BOB),
        "search_catalog",
        json!({"query": "counts csv"}),
    ));
    assert_eq!(
        bob["buckets"],
        json!(["example-data", "example-public"]),
        "bob's own buckets"
    );
}

#[test]
fn scopes_limits_counts_and_escaping() {
    let h = Harness::start();
    let t = token(ALICE);
    let packages = ok(&h.call_tool(
        &t,
        "search_catalog",
        json!({"query": "rnaseq", "scope": "package", "bucket": "s3://example-data", "limit": 5}),
    ));
    assert_eq!(packages["results"][0]["kind"], "package");
    assert_eq!(packages["results"][0]["package_name"], "team/rnaseq-2024");
    let everything = ok(&h.call_tool(&t, "search_catalog", json!({"query": "liver", "scope": "global", "bucket": "example-data", "include_metadata": true})));
    let kinds: Vec<&str> = everything["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["file", "package", "package_revision"]);
    assert_eq!(
        everything["results"][2]["metadata"]["run"], 42,
        "manifest metadata is parsed"
    );
    assert!(
        everything["results"][0]["source"].is_object(),
        "include_metadata keeps the indexed document"
    );
    let entries = ok(&h.call_tool(
        &t,
        "search_catalog",
        json!({"query": "counts", "scope": "packageEntry", "bucket": "example-data"}),
    ));
    assert_eq!(entries["results"][0]["logical_key"], "results/counts.csv");
    let counted = ok(&h.call_tool(
        &t,
        "search_catalog",
        json!({"query": "liver", "scope": "global", "bucket": "example-data", "count_only": true}),
    ));
    assert_eq!(counted["total"], 42);
    assert_eq!(counted["counts"], json!({"example-data": 42}));
    assert!(counted.get("results").is_none());
    let literal = ok(&h.call_tool(&t, "search_catalog", json!({"query": "s3://example-data/raw (run42)", "bucket": "example-data", "explain_query": true})));
    assert_eq!(literal["results"][0]["key"], "raw/run42/sample1.fastq.gz");
    assert_eq!(
        literal["explanation"]["escaped_query"],
        r"s3\:\/\/example\-data\/raw \(run42\)"
    );
}

#[test]
fn search_failures_and_bad_arguments_are_clear() {
    let h = Harness::start();
    let t = token(ALICE);
    assert!(
        err(&h.call_tool(
            &t,
            "search_catalog",
            json!({"query": "boom", "bucket": "example-data"})
        ))
        .contains("too many fields")
    );
    assert!(
        err(&h.call_tool(
            &token(CAROL),
            "search_catalog",
            json!({"query": "x", "bucket": "example-data"})
        ))
        .contains("401")
    );
    for (args, field) in [
        (json!({"query": "  "}), "query"),
        (json!({"query": "<>"}), "query"),
        (json!({"query": "x", "limit": 0}), "limit"),
        (json!({"query": "x", "limit": 5000}), "limit"),
        (json!({"query": "x", "scope": "everything"}), "scope"),
        (json!({"query": "x", "backend": "graphql"}), "backend"),
        (json!({"query": "x", "bucket": "Bad Bucket"}), "bucket"),
    ] {
        assert!(
            err(&h.call_tool(&t, "search_catalog", args.clone())).contains(field),
            "{args}"
        );
    }
}

#[test]
fn search_explain_shows_the_real_plan_without_searching() {
    let h = Harness::start();
    let explained = ok(&h.call_tool(
        &token(BOB),
        "search_explain",
        json!({"query": "liver a+b", "scope": "package"}),
    ));
    assert_eq!(
        explained["indices"],
        json!(["example-data_packages", "example-public_packages"])
    );
    assert_eq!(
        explained["dsl"]["query"]["bool"]["must"][1]["query_string"]["query"],
        r"liver a\+b"
    );
    snapshot_settings().bind(|| insta::assert_json_snapshot!("search_explain__package_scope", explained, { ".endpoint" => "[endpoint]" }));
    assert!(
        h.mock().requests().iter().all(|r| r.path != "/api/search"),
        "explaining runs no search"
    );
}

#[test]
fn search_suggest_proposes_real_packages_buckets_and_scopes() {
    let h = Harness::start();
    let t = token(ALICE);
    let suggested = ok(&h.call_tool(&t, "search_suggest", json!({"partial_query": "rna"})));
    snapshot_settings().bind(|| insta::assert_json_snapshot!("search_suggest__rna", suggested));
    let texts: Vec<(&str, &str)> = suggested["suggestions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["type"].as_str().unwrap(), s["text"].as_str().unwrap()))
        .collect();
    assert!(texts.contains(&("query", "team/rnaseq-2024")), "{texts:?}");
    assert!(texts.contains(&("query", "demo/rna-tutorial")), "{texts:?}");
    assert!(texts.iter().any(|(kind, _)| *kind == "scope"));
    let scoped = ok(&h.call_tool(
        &t,
        "search_suggest",
        json!({"partial_query": "genomics package", "suggestion_types": ["filter", "scope"]}),
    ));
    let kinds: Vec<&str> = scoped["suggestions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["type"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["scope"], "no bucket is named like that: {scoped}");
    assert_eq!(scoped["suggestions"][0]["scope"], "package");
    let filtered = ok(&h.call_tool(
        &t,
        "search_suggest",
        json!({"partial_query": "genomics", "suggestion_types": ["filter"]}),
    ));
    assert_eq!(
        filtered["suggestions"][0]["bucket"], "example-data",
        "matched by tag: {filtered}"
    );
    let limited = ok(&h.call_tool(
        &t,
        "search_suggest",
        json!({"partial_query": "rna", "limit": 1}),
    ));
    assert_eq!(limited["returned"], 1);
    assert!(
        err(&h.call_tool(
            &t,
            "search_suggest",
            json!({"partial_query": "rna", "suggestion_types": ["magic"]})
        ))
        .contains("suggestion_types")
    );
    assert!(
        err(&h.call_tool(&t, "search_suggest", json!({"partial_query": ""})))
            .contains("partial_query")
    );
}
