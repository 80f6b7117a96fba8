//! Issue 19's connection and shutdown findings, from outside: silent connections are closed,
//! open connections are capped below the open-file limit with `/health` still answered, a
//! shutdown under keep-alive load loses no request, and a shutdown ends by its grace period
//! with every waiting request answered.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::*;
use quilt_mcp::mock::Fault;
use serde_json::json;

/// Reads until the peer closes or `limit` passes: whether it closed, and when.
fn closed_within(stream: &mut TcpStream, limit: Duration) -> Option<Duration> {
    let started = Instant::now();
    stream
        .set_read_timeout(Some(limit))
        .expect("a read timeout");
    let mut buf = [0u8; 64];
    match stream.read(&mut buf) {
        Ok(0) => Some(started.elapsed()),
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => Some(started.elapsed()),
        _ => None,
    }
}

#[test]
fn a_connection_that_never_sends_a_byte_is_closed() {
    let h = Harness::start_with(&[("MCP_HEADER_READ_TIMEOUT", "1")]);
    let mut silent = TcpStream::connect(h.addr).unwrap();
    let closed = closed_within(&mut silent, Duration::from_secs(5));
    let closed = closed.expect("the server closed the silent connection");
    assert!(closed >= Duration::from_millis(900), "{closed:?}");
    assert_eq!(h.get("/health").status, 200);
}

/// One HTTP/1.1 request on `stream`: the status line and headers, and the body.
fn exchange(stream: &mut TcpStream, request: &str) -> std::io::Result<(String, String)> {
    stream.write_all(request.as_bytes())?;
    let mut reader = BufReader::new(stream);
    let mut head = String::new();
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        if let Some(value) = line.to_ascii_lowercase().strip_prefix("content-length:") {
            length = value.trim().parse().unwrap_or(0);
        }
        head.push_str(&line);
        if line == "\r\n" {
            break;
        }
    }
    let mut body = vec![0u8; length];
    reader.read_exact(&mut body)?;
    Ok((head, String::from_utf8_lossy(&body).into_owned()))
}

fn health_request(addr: std::net::SocketAddr) -> String {
    format!("GET /health HTTP/1.1\r\nHost: {addr}\r\n\r\n")
}

#[test]
fn open_connections_are_capped_and_health_is_still_answered() {
    let h = Harness::start_with(&[
        ("MCP_HEADER_READ_TIMEOUT", "1"),
        ("MCP_MAX_CONNECTIONS", "16"),
    ]);
    // Fill every slot with a connection that says nothing.
    let silent: Vec<TcpStream> = (0..16)
        .map(|_| TcpStream::connect(h.addr).unwrap())
        .collect();
    std::thread::sleep(Duration::from_millis(200));
    // The next client waits in the backlog (no descriptor spent on it) until the silent ones
    // are closed at their first-byte deadline, then is served.
    let started = Instant::now();
    let mut next = TcpStream::connect(h.addr).unwrap();
    next.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let (head, body) = exchange(&mut next, &health_request(h.addr)).expect("an answer");
    let waited = started.elapsed();
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(body.contains("\"ok\""), "{body}");
    assert!(
        waited >= Duration::from_millis(500),
        "served at once although every slot was taken: {waited:?}"
    );
    assert!(waited < Duration::from_secs(4), "{waited:?}");
    drop(silent);
}

#[test]
fn a_shutdown_under_keep_alive_load_loses_no_request() {
    let mut h = Harness::start_with(&[("MCP_SHUTDOWN_GRACE", "5")]);
    let addr = h.addr;
    let stop = Arc::new(AtomicBool::new(false));
    let answered = Arc::new(AtomicUsize::new(0));
    let clients: Vec<_> = (0..16)
        .map(|_| {
            let (stop, answered) = (stop.clone(), answered.clone());
            std::thread::spawn(move || {
                let mut stream = TcpStream::connect(addr).unwrap();
                stream
                    .set_read_timeout(Some(Duration::from_secs(10)))
                    .unwrap();
                // Requests until the server says it closes: one that is sent and never
                // answered is a lost request.
                loop {
                    match exchange(&mut stream, &health_request(addr)) {
                        Ok((head, _)) => {
                            answered.fetch_add(1, Ordering::Relaxed);
                            if head.to_ascii_lowercase().contains("connection: close") {
                                return Ok(true);
                            }
                        }
                        Err(e) => return Err(e.to_string()),
                    }
                    if stop.load(Ordering::Relaxed) {
                        return Ok(false);
                    }
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    let server = h.server.take().unwrap();
    h.rt.block_on(server.shutdown());
    stop.store(true, Ordering::Relaxed);
    let mut told_to_close = 0;
    for client in clients {
        match client.join().unwrap() {
            Ok(closed) => told_to_close += usize::from(closed),
            Err(e) => panic!("a request sent on a kept-alive connection was lost: {e}"),
        }
    }
    assert_eq!(told_to_close, 16, "every busy connection was told to close");
    assert!(answered.load(Ordering::Relaxed) > 16);
}

#[test]
fn a_shutdown_ends_by_its_grace_and_answers_what_still_waits() {
    let mut h =
        Harness::start_with(&[("MCP_SHUTDOWN_GRACE", "2"), ("QUILT_SERVICE_TIMEOUT", "30")]);
    h.mock().set_fault(Fault {
        latency: Duration::from_secs(15),
        path_prefix: Some("/graphql".into()),
        ..Fault::default()
    });
    let url = h.url("/mcp");
    let call = std::thread::spawn(move || {
        let body = json!({ "jsonrpc": "2.0", "id": 7, "method": "tools/call",
            "params": { "name": "bucket_list", "arguments": {} } });
        let mut response = client()
            .post(&url)
            .header("authorization", &format!("Bearer {}", token(ALICE)))
            .send(serde_json::to_vec(&body).unwrap())
            .expect("an answer despite the shutdown");
        let status = response.status().as_u16();
        (status, response.body_mut().read_to_string().unwrap())
    });
    std::thread::sleep(Duration::from_millis(500));
    let started = Instant::now();
    let server = h.server.take().unwrap();
    h.rt.block_on(server.shutdown());
    let took = started.elapsed();
    assert!(
        took <= Duration::from_millis(2300),
        "shutdown took {took:?}"
    );
    let (status, body) = call.join().unwrap();
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("shutting down"), "{body}");
    h.mock().clear_fault();
}

/// Sends the head of a POST /mcp declaring `length` body bytes and `sent` of them, then stalls.
fn stalled_post(addr: std::net::SocketAddr, length: usize, sent: usize) -> TcpStream {
    let mut stream = TcpStream::connect(addr).unwrap();
    let head = format!(
        "POST /mcp HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\nAuthorization: Bearer {}\r\nContent-Length: {length}\r\n\r\n",
        token(ALICE)
    );
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(&vec![b' '; sent]).unwrap();
    stream
}

/// The status line of the answer on `stream`, read within `limit`.
fn status_line(stream: &mut TcpStream, limit: Duration) -> String {
    stream.set_read_timeout(Some(limit)).unwrap();
    let mut line = String::new();
    BufReader::new(stream).read_line(&mut line).unwrap();
    line
}

#[test]
fn a_stalled_body_is_answered_at_its_read_deadline() {
    let h = Harness::start_with(&[("MCP_BODY_READ_TIMEOUT", "1")]);
    let started = Instant::now();
    let mut stalled = stalled_post(h.addr, 1000, 10);
    let line = status_line(&mut stalled, Duration::from_secs(5));
    assert!(line.starts_with("HTTP/1.1 408"), "{line}");
    let took = started.elapsed();
    assert!(took >= Duration::from_millis(900), "{took:?}");
}

#[test]
fn bodies_in_flight_share_one_memory_budget() {
    let h = Harness::start_with(&[
        ("MCP_BODY_MEMORY_BYTES", "1048576"),
        ("MCP_BODY_READ_TIMEOUT", "10"),
    ]);
    // The first stalled body holds 600 KiB of the 1 MiB budget; the second does not fit.
    let first = stalled_post(h.addr, 600 * 1024, 1);
    std::thread::sleep(Duration::from_millis(200));
    let mut second = stalled_post(h.addr, 600 * 1024, 1);
    let line = status_line(&mut second, Duration::from_secs(5));
    assert!(line.starts_with("HTTP/1.1 503"), "{line}");
    // Small requests still fit beside it.
    let listed = h.rpc(&token(ALICE), "tools/list", json!({}));
    assert!(listed["result"]["tools"].is_array(), "{listed}");
    drop(first);
}

#[test]
fn a_body_of_millions_of_tiny_values_is_refused_before_parsing() {
    let h = Harness::start();
    let body = format!(
        r#"{{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{{"name":"bucket_list","arguments":{{"x":[{}[]]}}}}}}"#,
        "[],".repeat(500_000)
    );
    let answer = h.post_raw(
        &[
            ("content-type", "application/json"),
            ("accept", "application/json, text/event-stream"),
            ("authorization", &format!("Bearer {}", token(ALICE))),
        ],
        body.as_bytes(),
    );
    assert_eq!(answer.status, 400);
    assert!(answer.text.contains("JSON values"), "{}", answer.text);
}

#[test]
fn only_a_single_chunked_transfer_encoding_is_served() {
    let h = Harness::start();
    let body = r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#;
    let send = |encoding: &str| {
        let mut stream = TcpStream::connect(h.addr).unwrap();
        let request = format!(
            "POST /mcp HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\nAuthorization: Bearer {}\r\nTransfer-Encoding: {encoding}\r\nConnection: close\r\n\r\n{:x}\r\n{body}\r\n0\r\n\r\n",
            h.addr,
            token(ALICE),
            body.len()
        );
        stream.write_all(request.as_bytes()).unwrap();
        status_line(&mut stream, Duration::from_secs(5))
    };
    assert!(send("chunked").starts_with("HTTP/1.1 200"));
    for refused in ["gzip, chunked", "chunked, chunked", "identity, chunked"] {
        let line = send(refused);
        assert!(
            line.starts_with("HTTP/1.1 501") || line.starts_with("HTTP/1.1 400"),
            "{refused}: {line}"
        );
    }
}
