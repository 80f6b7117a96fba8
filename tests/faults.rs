//! The fault battery: each catalog fault gives every tool call a clear `isError` result in
//! bounded time, `/health` stays 200 meanwhile, and the first call after the fault clears works.

mod common;

use std::time::{Duration, Instant};

use common::*;
use quilt_mcp::mock::{Fault, FaultBody};
use serde_json::json;

/// Calls bucket_list expecting an error mentioning every word of `expect`, within `bound`.
fn expect_tool_error(h: &Harness, expect: &[&str], bound: Duration) {
    let started = Instant::now();
    let result = h.call_tool(&token(ALICE), "bucket_list", json!({}));
    let elapsed = started.elapsed();
    assert_eq!(result["isError"], true, "{result}");
    let text = result_text(&result);
    for word in expect {
        assert!(text.contains(word), "{word:?} not in {text:?}");
    }
    assert!(elapsed < bound, "took {elapsed:?}");
    assert_eq!(h.get("/health").status, 200);
}

fn expect_success(h: &Harness) {
    let result = h.call_tool(&token(ALICE), "bucket_list", json!({}));
    assert_eq!(
        result["isError"], false,
        "after the fault cleared: {result}"
    );
}

#[test]
fn catalog_down() {
    let h = Harness::start_without_mock(&closed_port_url(), &[]);
    expect_tool_error(
        &h,
        &["could not reach the catalog", "ListBuckets"],
        Duration::from_secs(5),
    );
}

#[test]
fn catalog_slower_than_the_service_timeout() {
    let h = Harness::start_with(&[
        ("QUILT_SERVICE_TIMEOUT", "1"),
        ("MCP_OPTIMIZATION_ENABLED", "false"),
    ]);
    h.mock().set_fault(Fault {
        latency: Duration::from_secs(3),
        ..Fault::default()
    });
    expect_tool_error(
        &h,
        &["did not answer", "within 1 s"],
        Duration::from_millis(2500),
    );
    h.mock().clear_fault();
    expect_success(&h);
}

#[test]
fn catalog_errors_and_broken_bodies() {
    let h = Harness::start_with(&[("MCP_OPTIMIZATION_ENABLED", "false")]);
    let cases: Vec<(Fault, &[&str])> = vec![
        (
            Fault {
                status: Some(500),
                ..Fault::default()
            },
            &["HTTP 500"],
        ),
        (
            Fault {
                body: FaultBody::Html,
                ..Fault::default()
            },
            &["HTTP 502", "Bad Gateway"],
        ),
        (
            Fault {
                body: FaultBody::Malformed,
                ..Fault::default()
            },
            &["not valid JSON"],
        ),
        (
            Fault {
                body: FaultBody::Truncated,
                ..Fault::default()
            },
            &["ListBuckets"],
        ),
        (
            Fault {
                drop_connection: true,
                ..Fault::default()
            },
            &["could not reach the catalog"],
        ),
        (
            Fault {
                status: Some(401),
                ..Fault::default()
            },
            &["401", "log in"],
        ),
    ];
    for (fault, expect) in cases {
        h.mock().set_fault(fault.clone());
        expect_tool_error(&h, expect, Duration::from_secs(5));
        h.mock().clear_fault();
        expect_success(&h);
    }
    // The truncated and dropped answers, and the forced statuses, never reached the recordings
    // unmatched: every request above was a recorded one.
    h.mock().assert_all_matched();
}

#[test]
fn health_stays_fast_while_200_tool_calls_wait_on_a_slow_catalog() {
    let h = Harness::start_with(&[("MCP_OPTIMIZATION_ENABLED", "false")]);
    h.mock().set_fault(Fault {
        latency: Duration::from_secs(2),
        ..Fault::default()
    });
    let callers = std::thread::spawn({
        let url = h.url("/mcp");
        move || concurrent_calls_at(&url, 200)
    });
    std::thread::sleep(Duration::from_millis(500));
    let started = Instant::now();
    for _ in 0..20 {
        assert_eq!(h.get("/health").status, 200);
    }
    let elapsed = started.elapsed();
    // Twenty health checks while 200 calls are stuck on a 2 s catalog: well under one catalog wait.
    assert!(
        elapsed < Duration::from_secs(1),
        "health took {elapsed:?} for 20 requests"
    );
    for (answer, _) in callers.join().unwrap() {
        assert_eq!(answer["result"]["isError"], false, "{answer}");
    }
}

/// `n` concurrent bucket_list calls as alice; each answer with how long it took.
fn concurrent_calls(h: &Harness, n: usize) -> Vec<(serde_json::Value, Duration)> {
    concurrent_calls_at(&h.url("/mcp"), n)
}

/// `n` concurrent bucket_list calls as alice to the MCP endpoint `url`.
fn concurrent_calls_at(url: &str, n: usize) -> Vec<(serde_json::Value, Duration)> {
    let callers: Vec<_> = (0..n)
        .map(|i| {
            let url = url.to_string();
            std::thread::spawn(move || {
                let body = json!({"jsonrpc": "2.0", "id": i, "method": "tools/call",
                    "params": {"name": "bucket_list", "arguments": {}}});
                let started = Instant::now();
                let mut response = client()
                    .post(&url)
                    .header("authorization", &format!("Bearer {}", token(ALICE)))
                    .send(serde_json::to_vec(&body).unwrap())
                    .unwrap();
                let text = response.body_mut().read_to_string().unwrap();
                let answer = serde_json::from_str::<serde_json::Value>(&text).unwrap();
                (answer, started.elapsed())
            })
        })
        .collect();
    callers.into_iter().map(|c| c.join().unwrap()).collect()
}

#[test]
fn past_the_catalog_call_limit_calls_get_a_fast_clear_busy_answer() {
    let h = Harness::start_with(&[
        ("MCP_OPTIMIZATION_ENABLED", "false"),
        ("MCP_CATALOG_MAX_IN_FLIGHT", "3"),
        ("MCP_CATALOG_SLOT_WAIT_MS", "200"),
    ]);
    // Warm the caller's admin status and credentials first, so each call is one catalog call.
    expect_success(&h);
    h.mock().set_fault(Fault {
        latency: Duration::from_millis(1500),
        ..Fault::default()
    });
    let answers = concurrent_calls(&h, 10);
    let (served, busy): (Vec<_>, Vec<_>) = answers
        .iter()
        .partition(|(answer, _)| answer["result"]["isError"] == false);
    assert_eq!(served.len(), 3, "the limit: {answers:?}");
    for (answer, took) in &busy {
        let text = answer["result"]["content"][0]["text"].as_str().unwrap();
        assert!(
            text.starts_with("server busy: all 3 catalog-call slots are in use")
                && text.contains("retry"),
            "{text}"
        );
        assert!(
            *took < Duration::from_millis(1200),
            "busy after {took:?}: not fast"
        );
    }
    // The slots came back: the next call is served.
    h.mock().clear_fault();
    expect_success(&h);
}

#[test]
fn a_call_that_timed_out_gives_its_slot_back() {
    let h = Harness::start_with(&[
        ("MCP_OPTIMIZATION_ENABLED", "false"),
        ("MCP_CATALOG_MAX_IN_FLIGHT", "1"),
        ("MCP_CATALOG_SLOT_WAIT_MS", "3000"),
        ("QUILT_SERVICE_TIMEOUT", "1"),
    ]);
    expect_success(&h);
    h.mock().set_fault(Fault {
        latency: Duration::from_secs(3),
        ..Fault::default()
    });
    expect_tool_error(
        &h,
        &["did not answer", "within 1 s"],
        Duration::from_millis(2500),
    );
    h.mock().clear_fault();
    // With one slot, this call is served only if the timed-out one released it.
    let started = Instant::now();
    expect_success(&h);
    assert!(started.elapsed() < Duration::from_secs(2));
}
