//! The search tools against the model's search proxy: every scope, every visible bucket by
//! default, escaping, counts, engine errors, explanations and suggestions. Queries come from
//! the dataset's words; what is expected comes from other tools' answers where it can.

mod common;

use std::collections::BTreeMap;
use std::collections::BTreeSet;

use common::*;
use quilt_mcp::mock::{Fault, FaultBody};
use serde_json::{Value, json};

fn results(answer: &Value) -> &Vec<Value> {
    answer["results"].as_array().expect("results")
}

/// How many results each bucket contributed.
fn per_bucket(answer: &Value) -> BTreeMap<String, u64> {
    let mut counts = BTreeMap::new();
    for result in results(answer) {
        *counts
            .entry(result["bucket"].as_str().unwrap().to_string())
            .or_default() += 1;
    }
    counts
}

/// Every result of a search, page after page: follows `next_offset` until there is none.
fn search_every_page(h: &Harness, who: i64, args: &Value) -> Vec<Value> {
    let mut all = Vec::new();
    let mut args = args.clone();
    loop {
        let page = call_ok(h, who, "search_catalog", args.clone());
        all.extend(results(&page).iter().cloned());
        match page.get("next_offset") {
            Some(next) => args["offset"] = next.clone(),
            None => return all,
        }
    }
}

#[test]
fn an_empty_bucket_searches_every_bucket_the_caller_can_see() {
    let h = Harness::start();
    let names = |who: i64| -> Vec<Value> {
        call_ok(&h, who, "bucket_list", json!({}))["buckets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b["name"].clone())
            .collect()
    };
    let alice = call_ok(&h, ALICE, "search_catalog", json!({"query": "counts csv"}));
    assert_eq!(alice["buckets"], json!(names(ALICE)));
    assert_eq!(
        alice["buckets"],
        json!(["example-data", "example-packages", "example-public"])
    );
    assert_eq!(alice["total"], alice["returned"], "{alice}");
    let alice_buckets = per_bucket(&alice);
    assert!(
        alice_buckets.contains_key("example-data")
            && alice_buckets.contains_key("example-packages"),
        "hits from more than one bucket: {alice_buckets:?}"
    );
    let counts = results(&alice)
        .iter()
        .find(|r| r["key"] == "team/rnaseq-2024/results/counts.csv")
        .unwrap_or_else(|| panic!("the RNA-seq counts table is found: {alice}"));
    assert_eq!(counts["bucket"], "example-data");
    assert_eq!(counts["kind"], "file");
    // The preview is the start of the object, as reading it shows.
    let text = call_ok(
        &h,
        ALICE,
        "bucket_object_text",
        json!({"s3_uri": counts["s3_uri"]}),
    );
    let preview = counts["preview"].as_str().expect("a text preview");
    assert!(!preview.is_empty());
    assert!(
        text["text"].as_str().unwrap().trim().starts_with(preview),
        "{preview:?} starts {text}"
    );

    let bob = call_ok(&h, BOB, "search_catalog", json!({"query": "counts csv"}));
    assert_eq!(bob["buckets"], json!(names(BOB)), "bob's own buckets");
    assert_eq!(bob["buckets"], json!(["example-data", "example-public"]));
    let bob_buckets = per_bucket(&bob);
    assert!(
        !bob_buckets.contains_key("example-packages"),
        "bob cannot read example-packages: {bob}"
    );
    let mut expected = alice_buckets.clone();
    expected.remove("example-packages");
    assert_eq!(
        bob_buckets, expected,
        "the same hits, minus example-packages"
    );
    assert_eq!(
        bob["total"].as_u64().unwrap() + alice_buckets["example-packages"],
        alice["total"].as_u64().unwrap()
    );
    snapshot_settings().bind(|| {
        insta::assert_json_snapshot!("search_catalog__file_all_buckets", alice, { ".results[].catalog_url" => "[url]" });
    });
}

#[test]
fn scopes_limits_counts_and_escaping() {
    let h = Harness::start();
    let search = |args: Value| call_ok(&h, ALICE, "search_catalog", args);

    // Packages: the name matches.
    let packages = search(
        json!({"query": "rnaseq", "scope": "package", "bucket": "s3://example-data", "limit": 5}),
    );
    assert_eq!(packages["results"][0]["kind"], "package");
    assert_eq!(packages["results"][0]["package_name"], "team/rnaseq-2024");
    assert!(
        results(&packages).iter().all(|r| r["kind"] == "package"),
        "{packages}"
    );

    // Limits: fewer results than matches.
    let limited = search(json!({"query": "raw", "bucket": "example-data", "limit": 5}));
    assert_eq!(limited["returned"], 5);
    assert!(limited["total"].as_u64().unwrap() > 5, "{limited}");

    // Global: objects and every kind of package document, with their indexed documents.
    let everything = search(
        json!({"query": "crispr", "scope": "global", "bucket": "example-data", "include_metadata": true, "limit": 100}),
    );
    let kinds: BTreeSet<&str> = results(&everything)
        .iter()
        .map(|r| r["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        BTreeSet::from(["file", "package", "package_entry", "package_revision"]),
        "{everything}"
    );
    assert!(
        results(&everything)
            .iter()
            .all(|r| r["source"].is_object() && r["bucket"] == "example-data"),
        "include_metadata keeps the indexed document: {everything}"
    );
    let package = results(&everything)
        .iter()
        .find(|r| r["kind"] == "package")
        .unwrap();
    let revisions: Vec<&Value> = results(&everything)
        .iter()
        .filter(|r| r["kind"] == "package_revision")
        .collect();
    for revision in revisions {
        assert!(
            revision["metadata"].is_object(),
            "manifest metadata is parsed: {revision}"
        );
        let browsed = call_ok(
            &h,
            ALICE,
            "package_browse",
            json!({"package_name": package["package_name"], "registry": "example-data",
                   "top_hash": revision["hash"], "include_signed_urls": false, "top": 1}),
        );
        assert_eq!(
            revision["metadata"], browsed["metadata"],
            "the revision's own metadata"
        );
    }

    // Files inside packages.
    let entries =
        search(json!({"query": "counts", "scope": "packageEntry", "bucket": "example-data"}));
    assert!(!results(&entries).is_empty());
    for entry in results(&entries) {
        assert_eq!(entry["kind"], "package_entry", "{entries}");
    }
    assert!(
        results(&entries)
            .iter()
            .any(|e| e["logical_key"] == "results/counts.csv"),
        "{entries}"
    );

    // Counts: the same total as the search itself, per bucket.
    let counted = search(
        json!({"query": "crispr", "scope": "global", "bucket": "example-data", "count_only": true}),
    );
    assert_eq!(counted["total"], everything["total"]);
    assert_eq!(
        counted["counts"],
        json!({"example-data": everything["total"]})
    );
    assert!(counted.get("results").is_none());
    let all = search_every_page(&h, ALICE, &json!({"query": "counts csv", "limit": 1000}));
    let all = json!({ "results": all });
    let counted = search(json!({"query": "counts csv", "count_only": true}));
    assert_eq!(counted["total"], json!(results(&all).len()));
    assert_eq!(counted["counts"], json!(per_bucket(&all)), "{counted}");

    // Reserved characters are searched literally: `s3:` is not a field.
    let phrase = "s3://example-data/raw (run42)";
    let literal = search(json!({"query": phrase, "bucket": "example-data", "explain_query": true}));
    assert_eq!(
        literal["explanation"]["escaped_query"],
        r"s3\:\/\/example\-data\/raw \(run42\)"
    );
    assert!(!results(&literal).is_empty(), "{literal}");
    for hit in results(&literal) {
        let uri = hit["s3_uri"].clone();
        let text = call_ok(&h, ALICE, "bucket_object_text", json!({"s3_uri": uri}));
        assert!(
            text["text"]
                .as_str()
                .unwrap()
                .contains("s3://example-data/raw/run42"),
            "{uri} holds the literal text"
        );
    }
}

#[test]
fn search_failures_and_bad_arguments_are_clear() {
    let h = Harness::start();
    let t = token(ALICE);
    // A query the search engine cannot parse: its reason reaches the agent.
    let refused = err(&h.call_tool(
        &t,
        "search_catalog",
        json!({"query": "rna AND", "bucket": "example-data"}),
    ));
    assert!(
        refused.contains("the search service refused the query")
            && refused.contains("Failed to parse query"),
        "{refused}"
    );
    // An engine error from the search proxy (HTTP 200 with an `error` body).
    h.mock().set_fault(Fault {
        body: FaultBody::Json(
            json!({"error": {"root_cause": [{"type": "illegal_argument_exception",
                "reason": "Limit of total fields [1000] has been exceeded: too many fields"}],
                "type": "illegal_argument_exception", "reason": "too many fields"}, "status": 400})
            .to_string(),
        ),
        path_prefix: Some("/api/search".into()),
        ..Fault::default()
    });
    assert!(
        err(&h.call_tool(
            &t,
            "search_catalog",
            json!({"query": "boom", "bucket": "example-data"})
        ))
        .contains("too many fields")
    );
    h.mock().clear_fault();
    assert!(
        err(&h.call_tool(
            &token(STRANGER),
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
    let buckets = call_ok(&h, ALICE, "bucket_list", json!({}))["buckets"]
        .as_array()
        .unwrap()
        .clone();
    // The packages whose names hold "rna", bucket by bucket, as packages_list finds them.
    let mut packages = Vec::new();
    for bucket in &buckets {
        let name = bucket["name"].as_str().unwrap();
        let listed = call_ok(
            &h,
            ALICE,
            "packages_list",
            json!({"registry": name, "filter": "rna", "order": "name"}),
        );
        for package in listed["packages"].as_array().unwrap() {
            packages.push((
                package["name"].as_str().unwrap().to_string(),
                name.to_string(),
            ));
        }
    }
    let suggested = ok(&h.call_tool(&t, "search_suggest", json!({"partial_query": "rna"})));
    let proposed: Vec<(String, String)> = suggested["suggestions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["type"] == "query")
        .map(|s| {
            assert_eq!(s["scope"], "package", "{s}");
            (
                s["text"].as_str().unwrap().to_string(),
                s["bucket"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(proposed, packages, "every real package, and only those");
    let texts: Vec<&str> = proposed.iter().map(|(name, _)| name.as_str()).collect();
    assert!(texts.contains(&"team/rnaseq-2024"), "{texts:?}");
    assert!(texts.contains(&"demo/rna-tutorial"), "{texts:?}");
    let types: Vec<&str> = suggested["suggestions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["type"].as_str().unwrap())
        .collect();
    assert!(types.contains(&"scope"), "{types:?}");

    // A tag only one bucket carries, and no bucket's name or title holds.
    let described = |b: &Value| format!("{} {}", b["name"], b["title"]).to_lowercase();
    let (tag, tagged) = buckets
        .iter()
        .flat_map(|b| {
            b["tags"]
                .as_array()
                .into_iter()
                .flatten()
                .map(move |tag| (tag.as_str().unwrap().to_string(), b["name"].clone()))
        })
        .find(|(tag, _)| {
            let carriers = buckets
                .iter()
                .filter(|b| {
                    b["tags"]
                        .as_array()
                        .is_some_and(|t| t.iter().any(|x| x == tag))
                })
                .count();
            carriers == 1
                && !tag.contains("package")
                && buckets.iter().all(|b| !described(b).contains(tag.as_str()))
        })
        .expect("a tag of one bucket");
    let scoped = ok(&h.call_tool(
        &t,
        "search_suggest",
        json!({"partial_query": format!("{tag} package"), "suggestion_types": ["filter", "scope"]}),
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
        json!({"partial_query": tag, "suggestion_types": ["filter"]}),
    ));
    assert_eq!(filtered["returned"], 1, "{filtered}");
    assert_eq!(
        filtered["suggestions"][0]["bucket"], tagged,
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
    snapshot_settings().bind(|| insta::assert_json_snapshot!("search_suggest__rna", suggested));
}

#[test]
fn search_answers_stay_within_the_text_budget_and_page_on() {
    let h = Harness::start();
    let t = token(ALICE);
    let budgeted = |tool: &str, args: Value| -> Value {
        let result = h.call_tool(&t, tool, args.clone());
        let text = result_text(&result);
        assert!(text.len() <= 16384, "{tool} {args}: {} bytes", text.len());
        ok(&result)
    };
    // The broadest searches: every bucket, every kind of document, the most results.
    let everything = json!({"query": "*", "scope": "global", "limit": 1000});
    let first = budgeted("search_catalog", everything.clone());
    assert_eq!(
        first["truncated"], true,
        "the dataset holds more than 16 KiB of hits"
    );
    let next = first["next_offset"]
        .as_u64()
        .expect("a cut answer says where to go on");
    assert_eq!(next, first["returned"].as_u64().unwrap());
    let second = budgeted(
        "search_catalog",
        json!({"query": "*", "scope": "global", "limit": 1000, "offset": next}),
    );
    assert_ne!(
        results(&second)[0],
        results(&first)[0],
        "the next page starts after the first"
    );
    // Following the pages reads every match once.
    let every = search_every_page(&h, ALICE, &everything);
    assert_eq!(json!(every.len()), first["total"]);
    let distinct: BTreeSet<String> = every.iter().map(Value::to_string).collect();
    assert_eq!(distinct.len(), every.len(), "no result twice");
    // Defaults everywhere else.
    let default = budgeted("search_catalog", json!({"query": "*", "scope": "global"}));
    assert!(default["returned"].as_u64().unwrap() > 0);
    budgeted("search_explain", json!({"query": "*"}));
    budgeted("search_suggest", json!({"partial_query": "a"}));
}
