//! A query's life through the server: it comes back soon after the query ends (queued and
//! running first), and one that runs too long, or whose client goes away, is stopped with
//! StopQueryExecution, which the model's Athena face records.

mod common;

use std::time::{Duration, Instant};

use common::*;
use quilt_mcp::mock::{Fault, FaultBody, NEVER_FINISHES};
use serde_json::json;

/// Waits (up to 5 s) until the face has seen a stop of the only query started.
fn wait_for_stop(h: &Harness) -> (String, Vec<String>) {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let starts = h.mock().athena_starts();
        let stops = h.mock().athena_stops();
        if let Some(start) = starts.first()
            && stops.contains(&start.execution_id)
        {
            return (start.execution_id.clone(), stops);
        }
        assert!(
            Instant::now() < deadline,
            "no stop seen: starts {starts:?}, stops {stops:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_query_past_the_timeout_is_stopped() {
    let h = Harness::start_with(&[("ATHENA_QUERY_TIMEOUT", "1")]);
    let started = Instant::now();
    let sql = format!("SELECT * FROM \"example_public\".\"iris\" /* {NEVER_FINISHES} */");
    let error = call_fails(&h, ALICE, "athena_query_execute", json!({ "query": sql }));
    assert!(
        error.contains("did not finish within 1 s") && error.contains("stopped"),
        "{error}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
    let (id, stops) = wait_for_stop(&h);
    assert_eq!(stops, std::slice::from_ref(&id));
    assert!(error.contains(&id), "{error}");
}

#[test]
fn a_query_whose_client_goes_away_is_stopped() {
    let h = Harness::start();
    let impatient: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_millis(400)))
        .max_idle_connections(0)
        .build()
        .into();
    let sql = format!("SELECT * FROM \"example_public\".\"iris\" /* {NEVER_FINISHES} */");
    let body = json!({ "jsonrpc": "2.0", "id": 1, "method": "tools/call",
        "params": { "name": "athena_query_execute", "arguments": { "query": sql } } });
    let sent = impatient
        .post(&h.url("/mcp"))
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .header("authorization", &format!("Bearer {}", token(BOB)))
        .send(serde_json::to_vec(&body).unwrap().as_slice());
    assert!(
        sent.is_err(),
        "the client gave up before an answer: {sent:?}"
    );
    let (id, stops) = wait_for_stop(&h);
    assert_eq!(stops, [id]);
}

#[test]
fn a_quick_query_is_answered_soon_after_it_ends() {
    let h = Harness::start();
    h.mock().set_athena_delay(Duration::from_millis(300));
    let started = Instant::now();
    let result = call_ok(
        &h,
        ALICE,
        "athena_query_execute",
        json!({ "query": "SELECT COUNT(*) AS n FROM \"example_public\".\"iris\"" }),
    );
    let took = started.elapsed();
    assert_eq!(result["rows"][0]["n"], 150);
    // Queued and running for 300 ms; polled with a backoff capped at 200 ms.
    assert!(took >= Duration::from_millis(300), "{took:?}");
    assert!(took < Duration::from_millis(1500), "{took:?}");
    assert!(h.mock().athena_stops().is_empty());
}

/// How many times the server exchanged the caller's token for AWS credentials.
fn credential_exchanges(h: &Harness) -> usize {
    let requests = h.mock().requests();
    let exchanges = requests.iter();
    exchanges
        .filter(|r| r.path == "/api/auth/get_credentials")
        .count()
}

#[test]
fn credentials_that_run_out_mid_query_are_renewed_and_the_query_answers() {
    let h = Harness::start();
    // Each set of credentials lives 7 s, and the query runs 9 s: polls signed with the first
    // set after it died would be refused (the model's Athena face checks the session token).
    h.mock().set_credentials_ttl(Duration::from_secs(7));
    h.mock().set_athena_delay(Duration::from_secs(9));
    let before = credential_exchanges(&h);
    let started = Instant::now();
    let result = call_ok(
        &h,
        ALICE,
        "athena_query_execute",
        json!({ "query": "SELECT COUNT(*) AS n FROM \"example_public\".\"iris\"" }),
    );
    assert!(started.elapsed() >= Duration::from_secs(9));
    assert_eq!(result["rows"][0]["n"], 150);
    assert_eq!(result["state"], "SUCCEEDED");
    let exchanges = credential_exchanges(&h) - before;
    assert!(
        exchanges >= 2,
        "credentials were exchanged {exchanges} times"
    );
    assert!(h.mock().athena_stops().is_empty());
}

#[test]
fn a_query_whose_credentials_cannot_be_renewed_is_stopped_with_a_clear_error() {
    let h = Harness::start();
    h.mock().set_credentials_ttl(Duration::from_secs(7));
    let sql = format!("SELECT * FROM \"example_public\".\"iris\" /* {NEVER_FINISHES} */");
    let started = Instant::now();
    let error = std::thread::scope(|scope| {
        // Once the query runs, the registry stops issuing credentials (a revoked session).
        scope.spawn(|| {
            std::thread::sleep(Duration::from_millis(500));
            h.mock().set_fault(Fault {
                status: Some(401),
                body: FaultBody::Json(r#"{"message":"Token expired"}"#.into()),
                path_prefix: Some("/api/auth/get_credentials".into()),
                ..Fault::default()
            });
        });
        call_fails(&h, ALICE, "athena_query_execute", json!({ "query": sql }))
    });
    h.mock().clear_fault();
    assert!(
        error.contains("credentials ran out") && error.contains("was stopped"),
        "{error}"
    );
    assert!(
        error.contains("401"),
        "the registry's refusal is named: {error}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(6),
        "{:?}",
        started.elapsed()
    );
    let (id, stops) = wait_for_stop(&h);
    assert_eq!(stops, std::slice::from_ref(&id));
    assert!(error.contains(&id), "{error}");
}
