//! What `demo` prints works as printed: each block is parsed out of the real output and run
//! where its client is installable here (curl through `sh`, the second `serve` line, the
//! Claude Desktop block by spawning its command over stdio); the Claude Code and Inspector
//! lines are parsed and their URL and header checked against the running server, and the
//! Inspector line is run too when a Node new enough for it is on the PATH.

mod common;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::client;
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_quilt-mcp");

/// A running `demo` and what it printed, kept until `Press Ctrl-C to stop.`.
struct Demo {
    child: Child,
    text: String,
}

impl Demo {
    fn start() -> Demo {
        let mut child = Command::new(BIN)
            .args(["demo", "--port", "0"])
            .env_clear()
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("the demo runs");
        let stdout = child.stdout.take().unwrap();
        let (send, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if send.send(line).is_err() {
                    break;
                }
            }
        });
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut text = String::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = lines
                .recv_timeout(left)
                .expect("the demo prints its blocks");
            text.push_str(&line);
            text.push('\n');
            if line == "Press Ctrl-C to stop." {
                break;
            }
        }
        Demo { child, text }
    }

    /// The lines of the block whose header starts with `header`, up to the next blank line.
    fn block(&self, header: &str) -> Vec<String> {
        let mut lines = self.text.lines().skip_while(|l| !l.starts_with(header));
        assert!(
            lines.next().is_some(),
            "no block {header:?} in:\n{}",
            self.text
        );
        lines
            .take_while(|l| !l.trim().is_empty())
            .map(|l| l.trim().to_string())
            .collect()
    }

    /// The MCP URL of the first line.
    fn url(&self) -> String {
        let first = self.text.lines().next().unwrap();
        first
            .split_whitespace()
            .find(|w| w.starts_with("http://") && w.ends_with("/mcp,"))
            .map(|w| w.trim_end_matches(',').to_string())
            .expect("the MCP URL")
    }

    fn token(&self) -> String {
        let line = &self.block("Token")[0];
        line.strip_prefix("QUILT_MCP_TOKEN=").unwrap().to_string()
    }
}

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs a printed shell line with `sh`, as a user pastes it; returns stdout parsed as JSON.
fn shell_json(line: &str) -> Value {
    let out = Command::new("sh").args(["-c", line]).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{line}: {out:?}");
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"))
}

fn tool_names(answer: &Value) -> Vec<String> {
    answer["result"]["tools"]
        .as_array()
        .unwrap_or_else(|| panic!("no tools: {answer}"))
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_string())
        .collect()
}

/// `tools/list` at `url` with `header`, over HTTP.
fn list_over_http(url: &str, header: &str) -> Value {
    let (name, value) = header.split_once(": ").unwrap();
    let mut answer = client()
        .post(url)
        .header(name, value)
        .header("content-type", "application/json")
        .send(r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#)
        .unwrap();
    assert_eq!(answer.status(), 200);
    serde_json::from_str(&answer.body_mut().read_to_string().unwrap()).unwrap()
}

/// The value of `--flag` in a printed command (quoted with `"` or bare).
fn flag_value(line: &str, flag: &str) -> String {
    let rest = line.split_once(&format!("{flag} ")).unwrap().1;
    match rest.strip_prefix('"') {
        Some(quoted) => quoted.split_once('"').unwrap().0.to_string(),
        None => rest.split_whitespace().next().unwrap().to_string(),
    }
}

#[test]
fn the_curl_line_lists_the_tools() {
    let demo = Demo::start();
    let block = demo.block("List the tools:");
    assert!(block[0].starts_with("curl "), "{block:?}");
    let answer = shell_json(&block[0]);
    assert!(tool_names(&answer).contains(&"bucket_list".to_string()));
}

#[test]
fn the_api_key_serve_line_runs_and_its_curl_line_works_with_the_key() {
    let demo = Demo::start();
    let key = demo.block("API key")[0]
        .strip_prefix("QUILT_API_KEY=")
        .unwrap()
        .to_string();
    assert!(key.starts_with("qk_"), "{key}");
    let block = demo.block("A second server");
    let serve = &block[0];
    let (vars, command): (Vec<&str>, Vec<&str>) =
        serve.split_whitespace().partition(|w| w.contains('='));
    let mut vars: BTreeMap<&str, &str> = vars.iter().map(|v| v.split_once('=').unwrap()).collect();
    assert_eq!(vars["MCP_API_KEYS"], "true");
    // The demo printed a port that was free then. Beside many other tests, a client socket may
    // have taken it since; only then does the second server get another free port (and the
    // curl line follows it).
    let printed_port = vars["FASTMCP_PORT"].to_string();
    let still_free = std::net::TcpListener::bind(format!("127.0.0.1:{printed_port}")).is_ok();
    let free_port = if still_free {
        printed_port.clone()
    } else {
        std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port()
            .to_string()
    };
    vars.insert("FASTMCP_PORT", &free_port);
    assert_eq!(command[1..], ["serve"], "{serve}");
    let mut server = Command::new(command[0])
        .args(&command[1..])
        .env_clear()
        .envs(&vars)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let printed_curl = &block[1];
    assert!(printed_curl.contains(&key), "{printed_curl}");
    let curl = &printed_curl.replace(
        &format!("127.0.0.1:{printed_port}/"),
        &format!("127.0.0.1:{free_port}/"),
    );
    assert!(
        printed_curl.contains(&format!("127.0.0.1:{printed_port}/")),
        "the curl line names the printed port: {printed_curl}"
    );
    // Until the second server listens, curl fails; then the key lists the tools.
    let deadline = Instant::now() + Duration::from_secs(20);
    let answer = loop {
        let out = Command::new("sh").args(["-c", curl]).output().unwrap();
        if out.status.success() && !out.stdout.is_empty() {
            break serde_json::from_slice::<Value>(&out.stdout).unwrap();
        }
        assert!(
            Instant::now() < deadline,
            "the second server never answered"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    let _ = server.kill();
    let _ = server.wait();
    assert!(
        tool_names(&answer).contains(&"bucket_list".to_string()),
        "{answer}"
    );
}

#[test]
fn the_claude_desktop_block_runs_stdio_with_the_token() {
    let demo = Demo::start();
    let block = demo.block("Claude Desktop").join("\n");
    let config: Value = serde_json::from_str(&block).unwrap_or_else(|e| panic!("{e}: {block}"));
    let server = &config["mcpServers"]["quilt"];
    assert!(
        server.get("url").is_none(),
        "Desktop takes stdio servers only: {server}"
    );
    let args: Vec<&str> = server["args"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    let env: BTreeMap<&str, &str> = server["env"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str().unwrap()))
        .collect();
    assert_eq!(env["QUILT_MCP_TOKEN"], demo.token());
    // As Desktop does: spawn, then newline-delimited JSON-RPC on stdin and stdout.
    let mut child = Command::new(server["command"].as_str().unwrap())
        .args(&args)
        .env_clear()
        .envs(&env)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let messages = [
        json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {},
            "clientInfo": {"name": "claude-ai", "version": "0.1.0"}}}),
        json!({"jsonrpc": "2.0", "method": "notifications/initialized"}),
        json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list"}),
        json!({"jsonrpc": "2.0", "id": 3, "method": "tools/call",
               "params": {"name": "bucket_list", "arguments": {}}}),
    ];
    for message in &messages {
        writeln!(stdin, "{message}").unwrap();
    }
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{out:?}");
    let answers: BTreeMap<i64, Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .map(|v| (v["id"].as_i64().unwrap(), v))
        .collect();
    assert_eq!(answers.len(), 3, "{answers:?}");
    assert!(tool_names(&answers[&2]).contains(&"bucket_list".to_string()));
    let buckets = &answers[&3]["result"]["structuredContent"]["buckets"];
    assert!(!buckets.as_array().unwrap().is_empty(), "{}", answers[&3]);
}

#[test]
fn the_claude_code_and_inspector_lines_name_a_working_url_and_header() {
    let demo = Demo::start();
    let url = demo.url();
    let code = &demo.block("Claude Code:")[0];
    assert!(
        code.starts_with(&format!("claude mcp add --transport http quilt {url} ")),
        "{code}"
    );
    let header = flag_value(code, "--header");
    assert_eq!(header, format!("Authorization: Bearer {}", demo.token()));
    assert!(tool_names(&list_over_http(&url, &header)).contains(&"bucket_list".to_string()));

    let inspector_header = demo
        .text
        .lines()
        .find(|l| l.starts_with("MCP Inspector"))
        .unwrap();
    assert!(
        inspector_header.contains("Node.js 22.19"),
        "{inspector_header}"
    );
    let inspector = &demo.block("MCP Inspector")[0];
    assert!(
        inspector.starts_with("npx -y @modelcontextprotocol/inspector@2.12.0 --cli "),
        "a pinned Inspector, never an old one npx picks: {inspector}"
    );
    assert_eq!(flag_value(inspector, "--cli"), url);
    assert_eq!(flag_value(inspector, "--header"), header);
    // Run its arguments where the pinned Inspector and a Node new enough for it are
    // installed: the interop cache (`just interop` puts them there) holds both.
    match cached_inspector() {
        Some((node, cli)) => {
            let args = inspector
                .strip_prefix("npx -y @modelcontextprotocol/inspector@2.12.0 ")
                .unwrap();
            let home = std::env::temp_dir().join(format!("demo-inspector-{}", std::process::id()));
            std::fs::create_dir_all(&home).unwrap();
            let line = format!(
                "HOME={} {node} {cli} {args} --format json -q",
                home.display()
            );
            let answer = shell_json(&line);
            let _ = std::fs::remove_dir_all(&home);
            assert!(answer.to_string().contains("bucket_list"), "{answer}");
        }
        None => {
            eprintln!("no Inspector 2.12.0 with Node 22.19+ here: its line was checked, not run")
        }
    }
}

/// Node ≥ 22.19 and the Inspector 2.12.0 CLI from the interop cache, when both are there.
fn cached_inspector() -> Option<(String, String)> {
    let home = std::env::var("HOME").ok()?;
    let cache =
        std::env::var("INTEROP_CACHE").unwrap_or(format!("{home}/.cache/quilt-mcp-interop"));
    let cli = format!(
        "{cache}/inspector-2.12.0/node_modules/@modelcontextprotocol/inspector/clients/launcher/build/index.js"
    );
    let check = "const [a,b]=process.versions.node.split('.').map(Number);process.exit(a>22||(a===22&&b>=19)?0:1)";
    let candidates = [
        "node".to_string(),
        format!("{cache}/node-22.23.3/node_modules/.bin/node"),
    ];
    let node = candidates.into_iter().find(|node| {
        Command::new(node)
            .args(["-e", check])
            .status()
            .is_ok_and(|s| s.success())
    })?;
    std::path::Path::new(&cli).exists().then_some((node, cli))
}
