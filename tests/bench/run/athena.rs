//! The Athena row: queries through the whole stack (the server's tool, the AWS SDK, the
//! embedded catalog's Athena face), a few at a time. Each query stays queued and running for
//! the face's delay, so what the server adds shows apart from the query's own time: its CPU
//! per query (starting, polling, reading and formatting the results) and the lag from the
//! moment the query ended to the moment its answer reached the client.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::task::JoinSet;

use super::Bench;
use crate::client;
use crate::server::ServerProcess;

/// The query: small, so the row measures the lifecycle rather than a big result.
const SQL: &str = "SELECT species, COUNT(*) AS n FROM \"example_public\".\"iris\" GROUP BY species";

/// What the Athena row measured.
#[derive(Debug, Default)]
pub struct AthenaRow {
    pub queries: usize,
    pub concurrent: usize,
    /// How long the face keeps each query queued and running.
    pub query_time: Duration,
    /// Server CPU over the row.
    pub cpu: Duration,
    /// From each query's end to its answer at the client, ascending.
    pub lags: Vec<Duration>,
    /// Answers that were not a successful result.
    pub failed: usize,
    pub wall: Duration,
}

impl Bench {
    /// Runs `queries` queries, `concurrent` at a time, each `query_time` long at the face.
    pub(super) fn athena(
        &self,
        server: &ServerProcess,
        queries: usize,
        concurrent: usize,
        query_time: Duration,
    ) -> Result<AthenaRow, String> {
        eprintln!("bench: {queries} Athena queries, {concurrent} at a time, {query_time:?} each");
        let Some(mock) = self.mock.as_ref() else {
            return Err("the embedded catalog is gone".into());
        };
        mock.set_athena_delay(query_time);
        let call = json!({ "name": "athena_query_execute", "arguments": { "query": SQL } });
        let body = json!({ "jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": call });
        let template = self.mcp(body, "\"isError\":false");
        let addr = server.addr;
        let started = Instant::now();
        let cpu_before = server.sample().cpu;
        let answers = self.driver.block_on(async {
            let mut tasks = JoinSet::new();
            for worker in 0..concurrent {
                let template = template.clone();
                let share = queries / concurrent + usize::from(worker < queries % concurrent);
                tasks.spawn(async move {
                    let mut answers = Vec::with_capacity(share);
                    for _ in 0..share {
                        let answer = client::once(addr, &template).await;
                        answers.push((answer, Instant::now()));
                    }
                    answers
                });
            }
            let mut all = Vec::new();
            while let Some(done) = tasks.join_next().await {
                all.extend(done.map_err(|e| e.to_string())?);
            }
            Ok::<_, String>(all)
        })?;
        let cpu = server.sample().cpu.saturating_sub(cpu_before);
        let wall = started.elapsed();
        let starts = mock.athena_starts();
        let mut row = AthenaRow {
            queries,
            concurrent,
            query_time,
            cpu,
            wall,
            ..AthenaRow::default()
        };
        for (answer, received) in answers {
            let id = match answer {
                Ok((200, body)) => execution_id(&body),
                _ => None,
            };
            let start = id.and_then(|id| starts.iter().find(|s| s.execution_id == id));
            match start {
                Some(start) => {
                    let ended = start.at + query_time;
                    row.lags.push(received.saturating_duration_since(ended));
                }
                None => row.failed += 1,
            }
        }
        row.lags.sort();
        mock.set_athena_delay(quilt_mcp::mock::ATHENA_DEFAULT_DELAY);
        Ok(row)
    }
}

/// The execution id of a successful `athena_query_execute` answer.
fn execution_id(body: &[u8]) -> Option<String> {
    let answer: Value = serde_json::from_slice(body).ok()?;
    let result = &answer["result"];
    if result["isError"] != false {
        return None;
    }
    let id = result["structuredContent"]["execution_id"].as_str()?;
    Some(id.to_string())
}
