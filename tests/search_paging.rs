//! `search_catalog` paging by cursor, package ordering and totals, on both registry releases the
//! embedded catalog can play (August 2026 and January 2026). What each walk must find comes
//! from other tools (bucket_list, packages_list, package_history, bucket_objects_list).

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::*;
use quilt_mcp::mock::model::Release;
use quilt_mcp::mock::{Fault, FaultBody};
use serde_json::{Value, json};

/// Matches every package and object: `*` stays a wildcard.
const EVERYTHING: &str = "*";

fn results(answer: &Value) -> &Vec<Value> {
    answer["results"].as_array().expect("results")
}

fn names(list: &Value, key: &str) -> Vec<String> {
    list.as_array()
        .unwrap_or_else(|| panic!("a list: {list}"))
        .iter()
        .map(|item| item[key].as_str().expect("a name").to_string())
        .collect()
}

/// Every page of a search: the first with `args`, then each with only `cursor` (and `limit`).
fn walk(h: &Harness, who: i64, args: Value) -> Vec<Value> {
    let mut pages = vec![call_ok(h, who, "search_catalog", args.clone())];
    while let Some(cursor) = pages.last().unwrap().get("next_cursor").cloned() {
        assert!(
            pages.len() < 100,
            "the walk does not end: {:?}",
            pages.last()
        );
        let next = json!({"cursor": cursor, "limit": args["limit"]});
        pages.push(call_ok(h, who, "search_catalog", next));
    }
    pages
}

/// Checks the paging invariants of a walk (one total on every page, only the last without a
/// cursor, no page over the limit) and returns every result in order.
fn every_result(pages: &[Value], limit: u64) -> Vec<Value> {
    let total = &pages[0]["total"];
    let mut all = Vec::new();
    for (i, page) in pages.iter().enumerate() {
        assert_eq!(&page["total"], total, "page {i} has another total: {page}");
        assert!(results(page).len() as u64 <= limit, "page {i}: {page}");
        assert_eq!(page["returned"], results(page).len(), "page {i}");
        all.extend(results(page).iter().cloned());
    }
    assert_eq!(total, &json!(all.len()), "the total counts every result");
    assert!(pages.len() > 2, "a small limit gives several pages");
    all
}

/// The packages `who` can see, with their latest `modified`, from bucket_list and packages_list.
fn visible_packages(h: &Harness, who: i64) -> BTreeMap<(String, String), Value> {
    let mut found = BTreeMap::new();
    let buckets = call_ok(h, who, "bucket_list", json!({}));
    for bucket in names(&buckets["buckets"], "name") {
        let listed = call_ok(
            h,
            who,
            "packages_list",
            json!({"registry": bucket, "per_page": 100}),
        );
        assert!(
            listed["total"].as_u64().unwrap() <= 100,
            "one page holds all"
        );
        for package in listed["packages"].as_array().unwrap() {
            let name = package["name"].as_str().unwrap().to_string();
            found.insert((bucket.clone(), name), package.clone());
        }
    }
    assert!(found.len() > 3, "the dataset has packages to page through");
    found
}

fn key_of(hit: &Value) -> (String, String) {
    assert_eq!(hit["kind"], "package", "{hit}");
    (
        hit["bucket"].as_str().unwrap().to_string(),
        hit["package_name"].as_str().unwrap().to_string(),
    )
}

/// The (bucket, package) of every hit, each exactly once.
fn once_each(hits: &[Value]) -> BTreeSet<(String, String)> {
    let mut seen = BTreeSet::new();
    for hit in hits {
        assert!(seen.insert(key_of(hit)), "seen twice: {hit}");
    }
    seen
}

/// Walks every order the release supports for `who` and checks each against other tools.
fn walk_every_order(h: &Harness, who: i64, release: Release) {
    let packages = visible_packages(h, who);
    let expected: BTreeSet<_> = packages.keys().cloned().collect();
    let mut orders = vec!["relevance", "newest", "name"];
    if release == Release::August2026 {
        orders.push("size");
    }
    for order in orders {
        let args = json!({"query": EVERYTHING, "scope": "package", "order": order, "limit": 2});
        let pages = walk(h, who, args);
        assert!(
            pages.iter().all(|p| p["order"] == order),
            "{order}: {pages:?}"
        );
        let hits = every_result(&pages, 2);
        assert_eq!(
            once_each(&hits),
            expected,
            "{order}: every visible package once"
        );
        // The key each order sorts by, as other tools report it for each package.
        let key = |hit: &Value| -> Value {
            let id = key_of(hit);
            match order {
                "newest" => packages[&id]["modified"].clone(),
                "name" => json!(id.1),
                "size" => latest_size(h, who, &id),
                _ => hit["score"].clone(),
            }
        };
        let keys: Vec<Value> = hits.iter().map(key).collect();
        let mut sorted = keys.clone();
        let cmp = |a: &Value, b: &Value| match (a.as_f64(), b.as_f64()) {
            (Some(x), Some(y)) => x.total_cmp(&y),
            _ => a.as_str().unwrap().cmp(b.as_str().unwrap()),
        };
        sorted.sort_by(|a, b| match order {
            "name" => cmp(a, b),
            _ => cmp(b, a),
        });
        assert_eq!(keys, sorted, "{order}: results in order");
        for hit in &hits {
            let listed = &packages[&key_of(hit)];
            assert_eq!(hit["hash"], listed["latest_hash"], "{hit}");
            if order == "size" {
                assert_eq!(hit["size"], latest_size(h, who, &key_of(hit)), "{hit}");
            }
        }
    }
}

/// The latest revision's total bytes, from package_history.
fn latest_size(h: &Harness, who: i64, (bucket, name): &(String, String)) -> Value {
    let history = call_ok(
        h,
        who,
        "package_history",
        json!({"registry": bucket, "package_name": name, "limit": 1}),
    );
    history["revisions"][0]["total_bytes"].clone()
}

/// Acknowledges the requests the embedded catalog refused (GraphQL validation), which must be
/// exactly `count` of the newer package search.
fn refused_newer_forms(h: &Harness, count: usize) {
    let refused: Vec<String> = (h.mock().acknowledge_unmatched().into_iter())
        .map(|r| r.operation.unwrap_or_default())
        .collect();
    assert_eq!(refused, vec!["SearchPackages"; count], "refused requests");
}

fn operations(h: &Harness) -> Vec<String> {
    h.mock()
        .requests()
        .into_iter()
        .filter_map(|r| r.operation)
        .filter(|op| op.starts_with("SearchPackages"))
        .collect()
}

#[test]
fn ordered_package_searches_page_to_the_end_on_an_august_2026_catalog() {
    let h = Harness::start();
    walk_every_order(&h, ALICE, Release::August2026);
    // Bob reads fewer buckets: his walk holds exactly his packages.
    walk_every_order(&h, BOB, Release::August2026);
    let sent = operations(&h);
    assert!(!sent.is_empty());
    assert!(sent.iter().all(|op| op == "SearchPackages"), "{sent:?}");
}

#[test]
fn on_a_january_2026_catalog_the_older_form_is_used_after_one_refusal() {
    let h = Harness::start();
    h.mock()
        .with_model(|m| m.stack.release = Release::January2026);
    walk_every_order(&h, ALICE, Release::January2026);
    walk_every_order(&h, BOB, Release::January2026);
    let sent = operations(&h);
    assert_eq!(sent[0], "SearchPackages", "the newer form first: {sent:?}");
    assert!(
        sent[1..].iter().all(|op| op == "SearchPackagesJanuary2026"),
        "then only the older form: {sent:?}"
    );
    assert!(sent.len() > 2, "{sent:?}");

    // Size has no older form: a clear error naming the release, and no new refused request.
    let error = call_fails(
        &h,
        ALICE,
        "search_catalog",
        json!({"query": EVERYTHING, "scope": "package", "order": "size"}),
    );
    assert!(
        error.contains("August 2026") && error.contains("size"),
        "{error}"
    );
    assert_eq!(operations(&h).len(), sent.len(), "nothing was sent for it");
    refused_newer_forms(&h, 1);
}

#[test]
fn size_order_on_a_fresh_server_for_an_older_catalog_is_refused_after_one_request() {
    let h = Harness::start();
    h.mock()
        .with_model(|m| m.stack.release = Release::January2026);
    let args = json!({"query": EVERYTHING, "scope": "package", "order": "size"});
    for _ in 0..2 {
        let error = call_fails(&h, ALICE, "search_catalog", args.clone());
        assert!(error.contains("August 2026"), "{error}");
    }
    assert_eq!(
        operations(&h),
        ["SearchPackages"],
        "one refused request, once"
    );
    refused_newer_forms(&h, 1);
}

#[test]
fn object_searches_page_to_the_end_by_cursor_with_offsets_alongside() {
    let h = Harness::start();
    let bucket = "example-data";
    // Every object of the bucket, from its listing.
    let mut expected = BTreeSet::new();
    let mut token = String::new();
    loop {
        let page = call_ok(
            &h,
            ALICE,
            "bucket_objects_list",
            json!({"bucket": bucket, "max_keys": 1000, "continuation_token": token}),
        );
        expected.extend(names(&page["objects"], "key"));
        match page["next_continuation_token"].as_str() {
            Some(next) if !next.is_empty() => token = next.to_string(),
            _ => break,
        }
    }
    let args = json!({"query": EVERYTHING, "scope": "file", "bucket": bucket, "limit": 60});
    let pages = walk(&h, ALICE, args);
    let hits = every_result(&pages, 60);
    let mut keys = BTreeSet::new();
    for hit in &hits {
        assert!(
            keys.insert(hit["key"].as_str().unwrap().to_string()),
            "twice: {hit}"
        );
    }
    assert_eq!(keys, expected, "every object of {bucket} once");
    // Old clients still page by offset, and both agree.
    for page in &pages[..pages.len() - 1] {
        assert!(page["next_offset"].is_u64(), "{page}");
    }
    let second = call_ok(
        &h,
        ALICE,
        "search_catalog",
        json!({"query": EVERYTHING, "bucket": bucket, "limit": 60, "offset": pages[0]["next_offset"]}),
    );
    assert_eq!(second["results"], pages[1]["results"]);
}

#[test]
fn bad_cursors_orders_and_mixed_searches_are_clear_errors() {
    let h = Harness::start();
    let first = call_ok(
        &h,
        ALICE,
        "search_catalog",
        json!({"query": EVERYTHING, "scope": "package", "order": "name", "limit": 1}),
    );
    let cursor = first["next_cursor"]
        .as_str()
        .expect("more pages")
        .to_string();
    let fails = |args: Value| call_fails(&h, ALICE, "search_catalog", args);

    let mut altered = cursor.clone().into_bytes();
    let middle = altered.len() / 2;
    altered[middle] = if altered[middle] == b'A' { b'B' } else { b'A' };
    let altered = String::from_utf8(altered).unwrap();
    for bad in ["not-a-cursor", "qs1.e30.00", altered.as_str()] {
        let error = fails(json!({"cursor": bad}));
        assert!(
            error.contains("`cursor`") && error.contains("search again"),
            "{bad:?}: {error}"
        );
    }
    let error = fails(json!({"cursor": cursor, "query": "rnaseq"}));
    assert!(
        error.contains("another search") && error.contains("query"),
        "{error}"
    );
    let error = fails(json!({"cursor": cursor, "order": "newest"}));
    assert!(
        error.contains("another search") && error.contains("order"),
        "{error}"
    );
    let error = fails(json!({"cursor": cursor, "scope": "file"}));
    assert!(
        error.contains("another search") && error.contains("scope"),
        "{error}"
    );
    let error = fails(json!({"cursor": cursor, "offset": 3}));
    assert!(error.contains("offset"), "{error}");

    let error = fails(json!({"query": "rnaseq", "scope": "package", "order": "biggest"}));
    assert!(
        error.contains("order") && error.contains("newest"),
        "{error}"
    );
    let error = fails(json!({"query": "rnaseq", "scope": "file", "order": "newest"}));
    assert!(
        error.contains("order") && error.contains("package"),
        "{error}"
    );

    // The same cursor, unchanged, still reads the next page (and the query may be repeated).
    let next = call_ok(
        &h,
        ALICE,
        "search_catalog",
        json!({"cursor": cursor, "query": EVERYTHING, "limit": 1}),
    );
    assert_eq!(next["total"], first["total"]);
    assert_ne!(next["results"], first["results"]);
}

/// One GraphQL request to the embedded catalog as `who`, as the registry would get it.
fn catalog_graphql(h: &Harness, who: i64, query: &str, variables: Value) -> Value {
    let answer = client()
        .post(format!("{}/graphql", h.mock().url()))
        .header("authorization", format!("Bearer {}", token(who)))
        .send_json(json!({"query": query, "variables": variables}))
        .expect("the embedded catalog answers");
    answer.into_body().read_json().expect("a JSON answer")
}

const FIRST_PAGE: &str = "query($o: PackageOrdering, $b: [String!]) { searchPackages(buckets: $b, searchString: \"*\", latestOnly: true) { __typename ... on PackagesSearchResultSet { total firstPage(size: 1, ordering: $o) { __typename ... on PackagesSearchResultSetPage { cursor hits { bucket name } } ... on InvalidInput { errors { path name message } } } } } }";
const MORE: &str = "query($a: String!) { searchMorePackages(after: $a, size: 50) { __typename ... on PackagesSearchResultSetPage { cursor hits { bucket name } } ... on InvalidInput { errors { path name message } } } }";

#[test]
fn the_embedded_catalogs_package_search_checks_orderings_cursors_and_access() {
    let h = Harness::start();
    let page = |ordering: Value| {
        catalog_graphql(&h, ALICE, FIRST_PAGE, json!({"o": ordering}))["data"]["searchPackages"]
            ["firstPage"]
            .clone()
    };
    // The August grammar: a bad expression and an unsupported one are the InvalidInput arm.
    for (bad, name) in [
        ("sys:size:sideways", "ordering"),
        ("SYS:name:asc", "ordering"),
        ("usr:no-pointer:number:asc", "ordering"),
        ("sys:comment:asc", "UnsupportedSort"),
    ] {
        let answer = page(json!(bad));
        assert_eq!(answer["__typename"], "InvalidInput", "{bad}: {answer}");
        assert_eq!(answer["errors"][0]["path"], "ordering", "{answer}");
        assert_eq!(answer["errors"][0]["name"], name, "{answer}");
    }
    assert_eq!(
        page(json!("usr:/samples:number:desc"))["__typename"],
        "PackagesSearchResultSetPage"
    );

    // A cursor grants nothing: Bob reading the rest of Alice's search sees only his buckets.
    let cursor = page(json!("sys:name:asc"))["cursor"].clone();
    assert!(cursor.is_string(), "more than one page");
    let rest = |who: i64| -> BTreeSet<String> {
        let answer = catalog_graphql(&h, who, MORE, json!({"a": cursor}));
        let hits = &answer["data"]["searchMorePackages"]["hits"];
        names(hits, "bucket").into_iter().collect()
    };
    let bob_buckets: BTreeSet<String> = names(
        &call_ok(&h, BOB, "bucket_list", json!({}))["buckets"],
        "name",
    )
    .into_iter()
    .collect();
    assert!(rest(BOB).is_subset(&bob_buckets), "{:?}", rest(BOB));
    assert!(!rest(ALICE).is_subset(&bob_buckets), "{:?}", rest(ALICE));

    let forged = catalog_graphql(&h, ALICE, MORE, json!({"a": "mock-packages:bm90IGpzb24"}));
    let arm = &forged["data"]["searchMorePackages"];
    assert_eq!(arm["__typename"], "InvalidInput", "{forged}");
    assert_eq!(arm["errors"][0]["path"], "after", "{forged}");

    // The January registry has no `ordering`: the validation error names it.
    h.mock()
        .with_model(|m| m.stack.release = Release::January2026);
    let refused = catalog_graphql(&h, ALICE, FIRST_PAGE, json!({"o": null}));
    assert!(refused["data"].is_null(), "{refused}");
    assert!(
        refused["errors"].to_string().contains("ordering"),
        "{refused}"
    );
    h.mock().acknowledge_unmatched();
}

#[test]
fn a_page_cut_by_the_text_budget_resumes_where_it_stopped_on_both_releases() {
    for release in [Release::August2026, Release::January2026] {
        let h = Harness::start();
        h.mock().with_model(|m| m.stack.release = release);
        let expected: BTreeSet<_> = visible_packages(&h, ALICE).keys().cloned().collect();
        // Whole indexed documents make the packages outgrow one answer's 16 KiB.
        let args = json!({"query": EVERYTHING, "scope": "package", "order": "name",
                          "limit": 100, "include_metadata": true});
        let pages = walk(&h, ALICE, args);
        assert!(pages.len() >= 2, "{release:?}: {pages:?}");
        assert_eq!(pages[0]["truncated"], true, "{release:?}: {}", pages[0]);
        let mut hits = Vec::new();
        for page in &pages {
            assert_eq!(page["total"], pages[0]["total"]);
            assert!(
                page.to_string().len() < 17 * 1024,
                "{release:?}: within the budget"
            );
            hits.extend(results(page).iter().cloned());
        }
        assert_eq!(
            once_each(&hits),
            expected,
            "{release:?}: every package once"
        );
        let names: Vec<&str> = hits
            .iter()
            .map(|h| h["package_name"].as_str().unwrap())
            .collect();
        assert!(
            names.is_sorted(),
            "{release:?}: still by name across the cut: {names:?}"
        );
        if release == Release::January2026 {
            refused_newer_forms(&h, 1);
        }
    }
}

#[test]
fn the_registrys_typed_refusals_of_a_package_search_are_clear_tool_errors() {
    let h = Harness::start();
    // Each with its own query: a typed arm is an answer, which the read cache keeps briefly.
    let refuse = |query: &str, search_packages: Value| {
        h.mock().set_fault(Fault {
            body: FaultBody::Json(json!({"data": {"searchPackages": search_packages}}).to_string()),
            path_prefix: Some("/graphql".into()),
            ..Fault::default()
        });
        // A named bucket: the package search is the only GraphQL request.
        let args = json!({"query": query, "scope": "package", "order": "newest",
                          "bucket": "example-data"});
        let error = call_fails(&h, ALICE, "search_catalog", args);
        h.mock().clear_fault();
        error
    };
    let error = refuse(
        "rnaseq",
        json!({"__typename": "InvalidInput", "errors": [
        {"path": "searchString", "name": "QuerySyntaxError", "message": "unbalanced quote", "context": null}]}),
    );
    assert!(
        error.contains("SearchPackages") && error.contains("searchString: unbalanced quote"),
        "{error}"
    );
    let error = refuse(
        "liver",
        json!({"__typename": "PackagesSearchResultSet", "total": 3, "firstPage":
        {"__typename": "OperationError", "name": "Timeout", "message": "the search backend timed out", "context": null}}),
    );
    assert!(
        error.contains("SearchPackages") && error.contains("Timeout: the search backend timed out"),
        "{error}"
    );
    // Neither is a sign of an older registry: the newer form is still the one sent.
    let found = call_ok(
        &h,
        ALICE,
        "search_catalog",
        json!({"query": "mouse", "scope": "package", "order": "newest"}),
    );
    assert!(found["total"].as_u64() > Some(0), "{found}");
    assert!(operations(&h).iter().all(|op| op == "SearchPackages"));
}
