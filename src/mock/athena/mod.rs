//! The embedded catalog's Athena face: Athena's JSON 1.1 protocol (`X-Amz-Target:
//! AmazonAthena.*`) for the calls the athena and tabulator tools make, answered per caller
//! (the signing access key says who; a key the registry never issued is refused).
//!
//! Queries run for real over the dataset's tables (`engine.rs`, SQLite) when they start, but
//! are reported QUEUED, then RUNNING, until the face's delay has passed (default
//! [`DEFAULT_DELAY`], [`MockCatalog::set_athena_delay`]), then SUCCEEDED or FAILED; a stop
//! makes them CANCELLED. A query whose text holds [`NEVER_FINISHES`] runs until stopped.
//! Every StopQueryExecution is kept ([`MockCatalog::athena_stops`]) so tests can prove the
//! server stopped what it no longer waits for; every start too ([`MockCatalog::athena_starts`]).

mod engine;
mod protocol;
pub(crate) mod tables;

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

use super::MockCatalog;
use engine::Outcome;

pub(crate) use protocol::{action, answer, expired_token};

/// How long a query is reported queued and running by default.
pub const DEFAULT_DELAY: Duration = Duration::from_millis(40);
/// A query holding this text (e.g. in a comment) never finishes on its own.
pub const NEVER_FINISHES: &str = "mock:never-finish";

/// A query the face has started.
#[derive(Clone, Debug)]
struct Execution {
    owner: i64,
    sql: String,
    catalog: String,
    database: String,
    workgroup: String,
    started: Instant,
    submitted_unix: f64,
    /// `None`: never finishes.
    outcome: Option<Outcome>,
    cancelled: bool,
}

impl Execution {
    fn state(&self, delay: Duration) -> &'static str {
        let elapsed = self.started.elapsed();
        match (&self.outcome, self.cancelled) {
            (_, true) => "CANCELLED",
            _ if elapsed < delay / 2 => "QUEUED",
            (None, _) => "RUNNING",
            _ if elapsed < delay => "RUNNING",
            (Some(Outcome::Rows { .. }), _) => "SUCCEEDED",
            (Some(Outcome::Failed(_)), _) => "FAILED",
        }
    }
}

/// A start the face saw: the execution id, the access key that signed it, the SQL, and when
/// (the query ends the face's delay after that: the bench measures the answer's lag from it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AthenaStart {
    pub execution_id: String,
    pub access_key: String,
    pub sql: String,
    pub at: std::time::Instant,
}

#[derive(Default)]
struct State {
    delay: Option<Duration>,
    executions: HashMap<String, Execution>,
    /// Client request token → execution id: a retried start is the same query.
    tokens: HashMap<String, String>,
    starts: Vec<AthenaStart>,
    stops: Vec<String>,
    serial: u64,
}

/// The face's queries, beside the model.
#[derive(Default)]
pub(crate) struct AthenaFace {
    state: Mutex<State>,
}

impl AthenaFace {
    fn lock(&self) -> MutexGuard<'_, State> {
        // Every section is a few map operations; a panic cannot leave one half done.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl MockCatalog {
    /// How long queries are reported queued and running before their outcome.
    pub fn set_athena_delay(&self, delay: Duration) {
        self.athena_face().lock().delay = Some(delay);
    }

    /// The query execution ids StopQueryExecution was called for, in order.
    pub fn athena_stops(&self) -> Vec<String> {
        self.athena_face().lock().stops.clone()
    }

    /// Every StartQueryExecution, in order.
    pub fn athena_starts(&self) -> Vec<AthenaStart> {
        self.athena_face().lock().starts.clone()
    }
}
