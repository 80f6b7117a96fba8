//! The server under test: the release binary as a child process, configured by environment
//! variables; its address, its memory and CPU from `/proc`, and its cold start.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The binary cargo built for this bench (the release build under `cargo bench`).
pub const BINARY: &str = env!("CARGO_BIN_EXE_quilt-mcp");

/// How long a start may take before we give up.
const START_TIMEOUT: Duration = Duration::from_secs(20);

/// A running `quilt-mcp` process, killed on drop.
pub struct ServerProcess {
    child: Child,
    /// Where it listens.
    pub addr: SocketAddr,
    /// Lines it has written to stdout so far (its JSON logs).
    pub stdout_lines: Arc<AtomicU64>,
}

impl ServerProcess {
    /// Starts the binary with exactly `vars` (plus PATH-free defaults) and waits for its address.
    pub fn start(vars: &[(String, String)]) -> Result<ServerProcess, String> {
        let mut child = Command::new(BINARY)
            .env_clear()
            .envs(vars.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start {BINARY}: {e}"))?;
        let (found, address) = mpsc::channel();
        let stdout_lines = Arc::new(AtomicU64::new(0));
        if let Some(stdout) = child.stdout.take() {
            let (found, lines) = (found.clone(), stdout_lines.clone());
            std::thread::spawn(move || watch(stdout, &found, Some(&lines)));
        }
        if let Some(stderr) = child.stderr.take() {
            std::thread::spawn(move || watch(stderr, &found, None));
        }
        let mut server = ServerProcess {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            stdout_lines,
        };
        match address.recv_timeout(START_TIMEOUT) {
            Ok(addr) => {
                server.addr = addr;
                Ok(server)
            }
            Err(_) => Err(format!(
                "{BINARY} printed no address within {START_TIMEOUT:?} (exit: {:?})",
                server.child.try_wait()
            )),
        }
    }

    /// The process id, for `/proc`.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// A snapshot of the process from `/proc/<pid>/status` and `/proc/<pid>/stat`.
    pub fn sample(&self) -> ProcSample {
        ProcSample::of(self.pid())
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        // SIGKILL: the bench has what it needs, and a graceful drain would only add waiting.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Reads a child's output line by line, reporting the first listening address found: the
/// `address` field of the JSON log line `Listening on http://ADDR` (stdout, at log level info
/// and below) or the start-up banner `... MCP endpoint http://ADDR/mcp` (stderr, at any log
/// level; the bench runs at `warn`, where the JSON line is filtered out). Keeps draining after,
/// so the child never blocks on a full pipe.
fn watch(stream: impl Read, found: &mpsc::Sender<SocketAddr>, lines: Option<&AtomicU64>) {
    let mut reported = false;
    for line in BufReader::new(stream).lines().map_while(Result::ok) {
        if let Some(lines) = lines {
            lines.fetch_add(1, Ordering::Relaxed);
        }
        if reported {
            continue;
        }
        if let Some(addr) = address_in(&line) {
            reported = true;
            let _ = found.send(addr);
        }
    }
}

fn address_in(line: &str) -> Option<SocketAddr> {
    if line.contains("Listening on http://") {
        let value: serde_json::Value = serde_json::from_str(line).ok()?;
        return value.get("address")?.as_str()?.parse().ok();
    }
    let (_, rest) = line.split_once("MCP endpoint http://")?;
    rest.strip_suffix("/mcp")?.parse().ok()
}

/// What `/proc` says about a process at one moment.
#[derive(Clone, Copy, Debug, Default)]
pub struct ProcSample {
    /// Resident memory (VmRSS), bytes.
    pub rss: u64,
    /// Peak resident memory so far (VmHWM), bytes.
    pub peak_rss: u64,
    /// Threads.
    pub threads: u64,
    /// User plus system CPU time, all threads, dead ones included.
    pub cpu: Duration,
}

impl ProcSample {
    /// Reads `/proc/<pid>`; fields it cannot read stay zero.
    pub fn of(pid: u32) -> ProcSample {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
        let field = |name: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|v| v.split_whitespace().next())
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(0)
        };
        ProcSample {
            rss: field("VmRSS:") * 1024,
            peak_rss: field("VmHWM:") * 1024,
            threads: field("Threads:"),
            cpu: cpu_time(pid),
        }
    }
}

/// utime + stime from `/proc/<pid>/stat`, in clock ticks of 1/100 s (USER_HZ on Linux).
fn cpu_time(pid: u32) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // The command name in parentheses may hold spaces; fields are counted after its `)`.
    let after = stat.rsplit_once(')').map(|(_, rest)| rest).unwrap_or("");
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    // After the name: state is field 3 of the man page, utime 14 and stime 15.
    Duration::from_millis((ticks(11) + ticks(12)) * 10)
}

/// Time from spawning the binary to its first `200` on `/health`.
pub fn cold_start(vars: &[(String, String)]) -> Result<Duration, String> {
    let started = Instant::now();
    let server = ServerProcess::start(vars)?;
    // The address is printed right after binding, so the connection waits in the backlog if
    // the accept loop is not running yet: one request measures the start exactly.
    let deadline = started + START_TIMEOUT;
    while Instant::now() < deadline {
        if health_ok(server.addr) {
            return Ok(started.elapsed());
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    Err(format!("no healthy /health within {START_TIMEOUT:?}"))
}

/// One blocking `GET /health`; true on a 200.
fn health_ok(addr: SocketAddr) -> bool {
    let Ok(mut stream) = TcpStream::connect(addr) else {
        return false;
    };
    let request = format!("GET /health HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    if stream.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    answer.starts_with(b"HTTP/1.1 200")
}

/// Samples a process every `every` until told to stop, keeping the largest RSS and thread count.
pub struct Sampler {
    stop: mpsc::Sender<()>,
    handle: std::thread::JoinHandle<ProcSample>,
}

impl Sampler {
    /// Starts sampling `pid`.
    pub fn start(pid: u32, every: Duration) -> Sampler {
        let (stop, stopped) = mpsc::channel::<()>();
        let handle = std::thread::spawn(move || {
            let mut peak = ProcSample::default();
            loop {
                let now = ProcSample::of(pid);
                peak.rss = peak.rss.max(now.rss);
                peak.threads = peak.threads.max(now.threads);
                peak.peak_rss = now.peak_rss;
                peak.cpu = now.cpu;
                if stopped.recv_timeout(every) != Err(mpsc::RecvTimeoutError::Timeout) {
                    return peak;
                }
            }
        });
        Sampler { stop, handle }
    }

    /// Stops and returns the peaks.
    pub fn finish(self) -> ProcSample {
        let _ = self.stop.send(());
        self.handle.join().unwrap_or_default()
    }
}
