//! Every fault knob, and clearing it.

use std::time::{Duration, Instant};

use quilt_mcp::mock::{Fault, FaultBody};
use serde_json::{Value, json};

use crate::client::*;

#[test]
fn latency_fault_delays_only_its_prefix() {
    let rt = runtime();
    let mock = builtin(&rt);
    let latency = Duration::from_millis(800);
    mock.set_fault(Fault {
        latency,
        path_prefix: Some("/api/".into()),
        ..Fault::default()
    });
    let started = Instant::now();
    let url = format!("{}/api/auth/get_credentials", mock.url());
    let slow = std::thread::spawn(move || get_url(&url, Some(ALICE)).unwrap());
    std::thread::sleep(Duration::from_millis(50));
    // While the slow call sleeps, other requests are answered at once.
    let quick = Instant::now();
    assert_eq!(get(&mock, None, "/config.json").0, 200);
    assert!(
        quick.elapsed() < latency,
        "blocked for {:?}",
        quick.elapsed()
    );
    assert_eq!(slow.join().unwrap().0, 200);
    assert!(started.elapsed() >= latency);
    mock.clear_fault();
    let again = Instant::now();
    assert_eq!(get(&mock, Some(ALICE), "/api/auth/get_credentials").0, 200);
    assert!(again.elapsed() < latency);
    mock.assert_all_matched();
}

#[test]
fn status_fault_keeps_the_recorded_body_until_cleared() {
    let rt = runtime();
    let mock = builtin(&rt);
    mock.set_fault(Fault {
        status: Some(503),
        ..Fault::default()
    });
    let (status, body) = graphql(&mock, Some(ALICE), LIST_BUCKETS, None);
    assert_eq!(status, 503);
    assert_eq!(bucket_names(&body).len(), 3);
    mock.clear_fault();
    assert_eq!(graphql(&mock, Some(ALICE), LIST_BUCKETS, None).0, 200);
    mock.assert_all_matched();
}

#[test]
fn malformed_and_html_faults_break_the_body() {
    let rt = runtime();
    let mock = builtin(&rt);
    mock.set_fault(Fault {
        body: FaultBody::Malformed,
        ..Fault::default()
    });
    let (status, _, text) = get(&mock, Some(ALICE), "/api/auth/get_credentials");
    assert_eq!((status, text.as_str()), (200, "{\"data\": {"));
    assert!(serde_json::from_str::<Value>(&text).is_err());
    mock.set_fault(Fault {
        body: FaultBody::Html,
        ..Fault::default()
    });
    let mut response = agent()
        .get(format!("{}/config.json", mock.url()))
        .call()
        .unwrap();
    assert_eq!(response.status().as_u16(), 502);
    assert_eq!(response.headers()["content-type"], "text/html");
    assert_eq!(
        response.body_mut().read_to_string().unwrap(),
        "<html>502 Bad Gateway</html>"
    );
    mock.clear_fault();
    assert_eq!(get(&mock, None, "/config.json").0, 200);
    mock.assert_all_matched();
}

#[test]
fn truncated_fault_fails_the_client_read() {
    let rt = runtime();
    let mock = builtin(&rt);
    mock.set_fault(Fault {
        body: FaultBody::Truncated,
        ..Fault::default()
    });
    // The head arrives (with a Content-Length larger than the body), then the body is cut short.
    let mut response = agent()
        .get(format!("{}/config.json", mock.url()))
        .call()
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let declared: usize = response.headers()["content-length"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(declared > 64);
    let result = response.body_mut().read_to_string();
    assert!(result.is_err(), "read a truncated body: {result:?}");
    mock.clear_fault();
    assert_eq!(get(&mock, None, "/config.json").0, 200);
    mock.assert_all_matched();
}

#[test]
fn dropped_connection_fault_gives_a_client_error() {
    let rt = runtime();
    let mock = builtin(&rt);
    mock.set_fault(Fault {
        drop_connection: true,
        path_prefix: Some("/graphql".into()),
        ..Fault::default()
    });
    let result = agent()
        .post(format!("{}/graphql", mock.url()))
        .header("Authorization", format!("Bearer {}", token(ALICE)))
        .send_json(json!({ "query": LIST_BUCKETS }));
    assert!(result.is_err(), "got an answer: {result:?}");
    assert!(
        mock.requests()
            .iter()
            .all(|r| r.matched.as_deref() == Some("list-buckets-alice"))
    );
    // Outside the prefix, requests are answered.
    assert_eq!(get(&mock, None, "/config.json").0, 200);
    mock.clear_fault();
    assert_eq!(graphql(&mock, Some(ALICE), LIST_BUCKETS, None).0, 200);
    mock.assert_all_matched();
}
