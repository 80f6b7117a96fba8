//! The two container health checks, run as the container runs them: `quilt-mcp health` (the
//! image's exec-form HEALTHCHECK) and `quilt-mcp curl -f URL` (behind the image's
//! `/usr/bin/curl`, for the deployment reference's `CMD-SHELL curl -f ... || exit 1`).

mod common;

use std::process::Command;

use common::{Harness, closed_port_url};

const BIN: &str = env!("CARGO_BIN_EXE_quilt-mcp");

fn run(args: &[&str], port: &str) -> (Option<i32>, String, String) {
    let out = Command::new(BIN)
        .args(args)
        .env_clear()
        .env("FASTMCP_PORT", port)
        .output()
        .expect("runs");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn health_and_curl_pass_on_a_live_server_and_fail_otherwise() {
    let harness = Harness::start_without_mock(&closed_port_url(), &[]);
    let port = harness.addr.port().to_string();
    let health = format!("http://localhost:{port}/health");

    assert_eq!(run(&["health"], &port).0, Some(0));
    let (code, body, _) = run(&["curl", "-f", &health], &port);
    assert_eq!(code, Some(0));
    assert!(body.contains("\"status\":\"ok\""), "{body}");

    // `-f` turns an HTTP error into curl's exit 22 and message; without it the body is printed.
    let missing = format!("http://localhost:{port}/no-such-path");
    let (code, _, stderr) = run(&["curl", "-f", &missing], &port);
    assert_eq!(code, Some(22));
    assert_eq!(
        stderr.trim(),
        "curl: (22) The requested URL returned error: 404"
    );
    assert_eq!(run(&["curl", "-s", &missing], &port).0, Some(0));
    assert_eq!(
        run(
            &["curl", "-fsS", "-m", "3", "-o", "/dev/null", &health],
            &port
        )
        .0,
        Some(0)
    );

    // Nothing listening: both fail, curl with its "cannot connect" code.
    let closed = closed_port_url();
    let closed_port = closed.rsplit(':').next().unwrap_or_default().to_string();
    assert_eq!(run(&["health"], &closed_port).0, Some(1));
    let (code, _, stderr) = run(&["curl", "-f", &format!("{closed}/health")], &port);
    assert_eq!(code, Some(7), "{stderr}");

    // An option it does not have is refused, not ignored.
    let (code, _, stderr) = run(&["curl", "-X", "POST", &health], &port);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("not supported"), "{stderr}");
}
