//! `search_docs_quilt_bio` against the embedded catalog's docs site (`/docs/`, pages in
//! tests/dataset/docs/): ranking, titles, versioned pages, the limit, the cache while the
//! site is down, and the bounds on a slow or hostile site.

mod common;

use std::time::{Duration, Instant};

use common::*;
use quilt_mcp::mock::docs_site::PATH_PREFIX;
use quilt_mcp::mock::{Fault, FaultBody};
use serde_json::{Value, json};

fn search(h: &Harness, args: Value) -> Value {
    call_ok(h, BOB, "search_docs_quilt_bio", args)
}

fn urls(answer: &Value) -> Vec<String> {
    answer["results"]
        .as_array()
        .unwrap_or_else(|| panic!("no results: {answer}"))
        .iter()
        .map(|hit| hit["url"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// The docs site down: every request under it answered 503.
fn take_site_down(h: &Harness) {
    h.mock().set_fault(Fault {
        status: Some(503),
        body: FaultBody::Html,
        path_prefix: Some(PATH_PREFIX.into()),
        ..Fault::default()
    });
}

#[test]
fn pages_are_ranked_titled_and_limited() {
    let h = Harness::start();
    let answer = search(&h, json!({ "query": "Tabulator tables" }));
    assert_eq!(answer["success"], true);
    assert_eq!(answer["stale"], false);
    assert!(
        answer["source"]
            .as_str()
            .unwrap()
            .ends_with("/docs/sitemap.xml")
    );
    let results = answer["results"].as_array().unwrap();
    let top = &results[0];
    assert!(
        top["url"].as_str().unwrap().ends_with("/catalog/tabulator"),
        "{answer}"
    );
    assert!(
        top["title"].as_str().unwrap().contains("Tabulator"),
        "{top}"
    );
    assert!(top["snippet"].as_str().unwrap().len() > 20, "{top}");
    assert!(top["last_modified"].is_string(), "{top}");
    assert!(
        top["matched_terms"]
            .as_array()
            .unwrap()
            .contains(&json!("tabulator"))
    );
    let scores: Vec<u64> = results
        .iter()
        .map(|r| r["score"].as_u64().unwrap())
        .collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");
    assert_eq!(answer["returned"], results.len());
    assert!(answer["total_matches"].as_u64().unwrap() >= results.len() as u64);

    // Many pages live under /catalog/: the limit cuts them, the total does not.
    let all = search(&h, json!({ "query": "catalog", "limit": 25 }));
    let total = all["total_matches"].as_u64().unwrap();
    assert!(total > 3, "{all}");
    let two = search(&h, json!({ "query": "catalog", "limit": 2 }));
    assert_eq!(two["returned"], 2);
    assert_eq!(two["total_matches"], total);
    assert_eq!(urls(&two), urls(&all)[..2]);

    // No token went to the docs site, and no catalog call was made for the search.
    let docs_requests: Vec<_> = h
        .mock()
        .requests()
        .into_iter()
        .filter(|r| r.path.starts_with(PATH_PREFIX))
        .collect();
    assert!(!docs_requests.is_empty());
    assert!(
        docs_requests.iter().all(|r| r.token.is_none()),
        "{docs_requests:?}"
    );
}

#[test]
fn versioned_pages_only_when_asked() {
    let h = Harness::start();
    // Versioned pages come from both the main sitemap and a nested versioned one.
    let current = search(&h, json!({ "query": "search athena", "limit": 25 }));
    assert!(!current["results"].as_array().unwrap().is_empty());
    assert!(
        urls(&current).iter().all(|u| !u.contains("/version-")),
        "{current}"
    );
    let all = search(
        &h,
        json!({ "query": "search athena", "limit": 25, "include_versioned_docs": true }),
    );
    assert_eq!(all["include_versioned_docs"], true);
    let versioned: Vec<String> = urls(&all)
        .into_iter()
        .filter(|u| u.contains("/version-"))
        .collect();
    assert!(
        versioned.iter().any(|u| u.contains("/version-5.0.x/")),
        "{all}"
    );
    assert!(
        versioned.iter().any(|u| u.contains("/version-4.9.x/")),
        "{all}"
    );
    assert!(all["total_matches"].as_u64() > current["total_matches"].as_u64());
}

#[test]
fn bad_queries_are_refused_clearly() {
    let h = Harness::start();
    for query in ["", "  ?! -- ", "***"] {
        let text = call_fails(&h, BOB, "search_docs_quilt_bio", json!({ "query": query }));
        assert!(
            text.contains("at least one alphanumeric term"),
            "{query:?}: {text}"
        );
    }
    for limit in [0, 26] {
        let text = call_fails(
            &h,
            BOB,
            "search_docs_quilt_bio",
            json!({ "query": "packages", "limit": limit }),
        );
        assert!(text.contains("limit"), "{limit}: {text}");
    }
    // Nothing was fetched for a refused query.
    assert!(
        h.mock()
            .requests()
            .iter()
            .all(|r| !r.path.starts_with(PATH_PREFIX))
    );
}

#[test]
fn site_down_answers_from_the_last_good_copy() {
    // No fresh cache: every call asks the site, so the fallback is what answers.
    let h = Harness::start_with(&[("QUILT_DOCS_CACHE_TTL", "0")]);
    let args = json!({ "query": "workflows metadata schema" });
    let good = search(&h, args.clone());
    assert_eq!(good["stale"], false);
    assert!(good.get("notice").is_none());
    take_site_down(&h);
    let stale = search(&h, args.clone());
    assert_eq!(stale["stale"], true, "{stale}");
    assert!(stale["notice"].as_str().unwrap().contains("503"), "{stale}");
    assert_eq!(urls(&stale), urls(&good));
    assert_eq!(stale["results"][0]["title"], good["results"][0]["title"]);
    assert_eq!(stale["sitemap_fetched_at"], good["sitemap_fetched_at"]);
    // Back up: fresh again.
    h.mock().clear_fault();
    let again = search(&h, args);
    assert_eq!(again["stale"], false, "{again}");
}

#[test]
fn site_down_with_nothing_cached_is_a_clear_error() {
    let h = Harness::start();
    take_site_down(&h);
    let text = call_fails(
        &h,
        BOB,
        "search_docs_quilt_bio",
        json!({ "query": "packages" }),
    );
    assert!(text.contains("Failed to fetch docs sitemap"), "{text}");
    assert!(text.contains("HTTP 503"), "{text}");
    assert!(text.contains("Nothing is cached"), "{text}");
}

#[test]
fn a_slow_site_is_bounded_in_time() {
    let h = Harness::start_with(&[("QUILT_DOCS_TIMEOUT", "1"), ("QUILT_DOCS_CACHE_TTL", "0")]);
    let slow = Fault {
        latency: Duration::from_secs(20),
        path_prefix: Some(PATH_PREFIX.into()),
        ..Fault::default()
    };
    h.mock().set_fault(slow.clone());
    let started = Instant::now();
    let text = call_fails(
        &h,
        BOB,
        "search_docs_quilt_bio",
        json!({ "query": "packages" }),
    );
    let elapsed = started.elapsed();
    assert!(
        text.contains("within 1 s") || text.contains("within 2 s"),
        "{text}"
    );
    assert!(elapsed < Duration::from_secs(6), "took {elapsed:?}");

    // With a good copy kept, a slow site costs at most the bound, and the copy answers.
    h.mock().clear_fault();
    let good = search(&h, json!({ "query": "packages" }));
    h.mock().set_fault(slow);
    let started = Instant::now();
    let stale = search(&h, json!({ "query": "packages" }));
    assert!(
        started.elapsed() < Duration::from_secs(6),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(stale["stale"], true);
    assert_eq!(urls(&stale), urls(&good));
}

#[test]
fn a_hostile_site_is_bounded_in_size() {
    let h = Harness::start_with(&[("QUILT_DOCS_TIMEOUT", "3")]);
    // A page that never ends: read only its head, so the search still answers.
    h.mock().set_fault(Fault {
        body: FaultBody::Endless,
        path_prefix: Some(format!("{PATH_PREFIX}/catalog/")),
        ..Fault::default()
    });
    let started = Instant::now();
    let answer = search(&h, json!({ "query": "catalog packages" }));
    assert!(started.elapsed() < Duration::from_secs(8));
    assert!(
        !answer["results"].as_array().unwrap().is_empty(),
        "{answer}"
    );

    // A sitemap that never ends: refused with the cap named, nothing cached to fall back on.
    let h = Harness::start_with(&[("QUILT_DOCS_TIMEOUT", "3")]);
    h.mock().set_fault(Fault {
        body: FaultBody::Endless,
        path_prefix: Some(format!("{PATH_PREFIX}/sitemap.xml")),
        ..Fault::default()
    });
    let started = Instant::now();
    let text = call_fails(
        &h,
        BOB,
        "search_docs_quilt_bio",
        json!({ "query": "packages" }),
    );
    assert!(started.elapsed() < Duration::from_secs(8));
    assert!(text.contains("larger than 4096 KiB"), "{text}");
}

#[test]
fn concurrent_calls_share_one_reading_of_the_site() {
    let h = Harness::start();
    std::thread::scope(|scope| {
        let calls: Vec<_> = (0..6)
            .map(|_| scope.spawn(|| search(&h, json!({ "query": "buckets" }))))
            .collect();
        for call in calls {
            assert_eq!(call.join().unwrap()["stale"], false);
        }
    });
    let sitemap_reads = h
        .mock()
        .requests()
        .iter()
        .filter(|r| r.path == format!("{PATH_PREFIX}/sitemap.xml"))
        .count();
    assert_eq!(sitemap_reads, 1);
}

/// A loopback port that accepts nothing: whether anyone knocked is checked afterwards.
fn watched_port() -> (std::net::TcpListener, String) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    (listener, url)
}

fn nobody_knocked(listener: &std::net::TcpListener) -> bool {
    matches!(listener.accept(), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock)
}

#[test]
fn only_the_docs_sites_own_origin_is_fetched() {
    let h = Harness::start_with(&[("QUILT_DOCS_CACHE_TTL", "0")]);
    let site = format!("{}{PATH_PREFIX}", h.mock().url());
    let (listener, elsewhere) = watched_port();
    // A sitemap index naming a nested sitemap elsewhere and the site's own page list.
    let index = format!(
        "<sitemapindex><sitemap><loc>{elsewhere}/sitemap.xml</loc></sitemap>\
         <sitemap><loc>{site}/sitemap-pages.xml</loc></sitemap></sitemapindex>"
    );
    h.mock().set_fault(Fault {
        body: FaultBody::Json(index),
        path_prefix: Some(format!("{PATH_PREFIX}/sitemap.xml")),
        ..Fault::default()
    });
    let answer = search(&h, json!({ "query": "tabulator" }));
    assert!(urls(&answer)[0].starts_with(&site), "{answer}");
    // A page list naming a page elsewhere: listed as a link, never fetched.
    let pages = format!("<urlset><url><loc>{elsewhere}/tabulator</loc></url></urlset>");
    h.mock().set_fault(Fault {
        body: FaultBody::Json(pages),
        path_prefix: Some(format!("{PATH_PREFIX}/sitemap.xml")),
        ..Fault::default()
    });
    let answer = search(&h, json!({ "query": "tabulator" }));
    assert_eq!(urls(&answer), [format!("{elsewhere}/tabulator")]);
    assert!(answer["results"][0].get("title").is_none(), "{answer}");
    assert!(nobody_knocked(&listener), "the server fetched another host");

    // A redirect within the site is followed; one away from it is refused.
    h.mock().set_fault(Fault {
        status: Some(301),
        location: Some(format!("{PATH_PREFIX}/sitemap-pages.xml")),
        path_prefix: Some(format!("{PATH_PREFIX}/sitemap.xml")),
        ..Fault::default()
    });
    assert_eq!(search(&h, json!({ "query": "tabulator" }))["stale"], false);
    h.mock().set_fault(Fault {
        status: Some(302),
        location: Some(format!("{elsewhere}/sitemap.xml")),
        path_prefix: Some(format!("{PATH_PREFIX}/sitemap.xml")),
        ..Fault::default()
    });
    let stale = search(&h, json!({ "query": "tabulator" }));
    assert_eq!(stale["stale"], true);
    assert!(
        stale["notice"].as_str().unwrap().contains("not followed"),
        "{stale}"
    );
    assert!(
        nobody_knocked(&listener),
        "the server followed a redirect to another host"
    );
}

/// An https docs site (the default is `https://docs.quilt.bio`) is reached with the system's
/// trusted roots, as the catalog is: a site that answers the TLS handshake with plain text is a
/// clear error naming the site, not a failed thread.
#[test]
fn an_https_site_is_reached_with_the_system_roots() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let site = format!("https://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut stream = stream;
            let _ = std::io::Write::write_all(&mut stream, b"HTTP/1.1 400 Bad Request\r\n\r\n");
        }
    });
    let h = Harness::start_with(&[("QUILT_DOCS_URL", &site), ("QUILT_DOCS_TIMEOUT", "2")]);
    let text = call_fails(
        &h,
        BOB,
        "search_docs_quilt_bio",
        json!({ "query": "packages" }),
    );
    assert!(text.contains("docs site"), "{text}");
    assert!(!text.to_lowercase().contains("panic"), "{text}");
}
