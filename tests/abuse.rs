//! Abuse: huge bodies, deeply nested JSON, invalid UTF-8, slow headers, and two callers
//! hammering the server at once with every forwarded request carrying its own caller's token.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::*;
use serde_json::json;

fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

#[test]
fn a_100_mb_body_is_refused_and_memory_stays_bounded() {
    let h = Harness::start_without_mock(&closed_port_url(), &[]);
    let bearer = format!("Bearer {}", token(ALICE));
    let before = rss_kib();
    // Declared: refused from the header alone.
    let mut stream = TcpStream::connect(h.addr).unwrap();
    write!(
        stream,
        "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: {bearer}\r\nContent-Length: 104857600\r\n\r\n"
    )
    .unwrap();
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).unwrap();
    assert_eq!(&head, b"HTTP/1.1 413");
    // Streamed without a length: the server stops reading at the limit.
    let zeros = std::io::repeat(b' ').take(100 * 1024 * 1024);
    let result = h
        .agent
        .post(&h.url("/mcp"))
        .header("authorization", &bearer)
        .send(ureq::SendBody::from_owned_reader(zeros));
    if let Ok(response) = result {
        assert_eq!(response.status(), 413);
    } // or the server closed the connection mid-upload, which is also a refusal
    let grown_mib = rss_kib().saturating_sub(before) / 1024;
    assert!(
        grown_mib < 64,
        "memory grew by {grown_mib} MiB for a refused 100 MB body"
    );
    assert_eq!(h.get("/health").status, 200);
}

#[test]
fn hostile_json_gets_parse_errors_not_crashes() {
    let h = Harness::start_without_mock(&closed_port_url(), &[]);
    let bearer = format!("Bearer {}", token(ALICE));
    let headers = [("authorization", bearer.as_str())];
    let nested_objects = format!("{}{}", "{\"a\":".repeat(100_000), "}".repeat(100_000));
    let nested_arrays = format!(
        "{{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\",\"params\":{{\"x\":{}{}}}}}",
        "[".repeat(200_000),
        "]".repeat(200_000)
    );
    for body in [
        nested_objects.as_bytes(),
        nested_arrays.as_bytes(),
        b"\xc3\x28\xa0\xa1",
        b"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"\xff\"}",
    ] {
        let answer = h.post_raw(&headers, body);
        assert_eq!(answer.status, 400);
        assert_eq!(answer.json()["error"]["code"], -32700);
    }
    // Deep but legal arguments reach the tool and are refused there, as a result.
    let deep = (0..100).fold(json!("s3://example-data"), |inner, _| json!([inner]));
    let result = h.call_tool(&token(ALICE), "catalog_url", json!({"registry": deep}));
    assert_eq!(result["isError"], true);
    assert_eq!(h.get("/health").status, 200);
}

#[test]
fn a_client_that_never_finishes_its_headers_is_disconnected() {
    let h = Harness::start_without_mock(&closed_port_url(), &[("MCP_HEADER_READ_TIMEOUT", "1")]);
    let mut stream = TcpStream::connect(h.addr).unwrap();
    stream
        .write_all(b"POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        .unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let started = Instant::now();
    let mut rest = Vec::new();
    let _ = stream.read_to_end(&mut rest); // EOF (or a reset) when the server gives up
    let waited = started.elapsed();
    assert!(
        waited < Duration::from_secs(5),
        "still open after {waited:?}"
    );
    let text = String::from_utf8_lossy(&rest);
    assert!(
        text.is_empty() || text.starts_with("HTTP/1.1 408"),
        "{text}"
    );
    assert_eq!(h.get("/health").status, 200);
}

#[test]
fn two_callers_hammering_at_once_never_cross_tokens() {
    let h = Harness::start_with(&[("MCP_OPTIMIZATION_ENABLED", "false")]);
    let (alice, bob) = (token(ALICE), token(BOB));
    let url = h.url("/mcp");
    let workers: Vec<_> = (0..16)
        .map(|i| {
            let (url, t, expected) = if i % 2 == 0 {
                (url.clone(), alice.clone(), 3)
            } else {
                (url.clone(), bob.clone(), 2)
            };
            std::thread::spawn(move || {
                let agent = client();
                for n in 0..25 {
                    let body = json!({"jsonrpc": "2.0", "id": n, "method": "tools/call",
                        "params": {"name": "bucket_list", "arguments": {}}});
                    let mut response = agent
                        .post(&url)
                        .header("authorization", &format!("Bearer {t}"))
                        .send(serde_json::to_vec(&body).unwrap())
                        .unwrap();
                    let answer: serde_json::Value =
                        serde_json::from_str(&response.body_mut().read_to_string().unwrap())
                            .unwrap();
                    assert_eq!(
                        answer["result"]["structuredContent"]["count"], expected,
                        "{answer}"
                    );
                }
            })
        })
        .collect();
    for worker in workers {
        worker.join().unwrap();
    }
    let seen = h.mock().requests();
    assert_eq!(seen.len(), 400);
    for request in seen {
        let expected = match request.user_id {
            Some(ALICE) => &alice,
            Some(BOB) => &bob,
            other => panic!("unexpected caller {other:?}"),
        };
        assert_eq!(
            request.token.as_deref(),
            Some(expected.as_str()),
            "a request carried another caller's token"
        );
    }
}
