//! One statement's life: started with a client request token, polled with a short backoff
//! until it ends, stopped (StopQueryExecution) when it runs past the timeout, when the
//! caller's credentials run out, or when the tool call is dropped because the client went
//! away; then its results, one page at a time, with the header row Athena adds left out.

use std::future::Future;
use std::time::Duration;

use aws_sdk_athena::types::{QueryExecutionContext, QueryExecutionState, ResultConfiguration};
use tokio::time::Instant;

use super::CallerAthena;
use super::error::{AthenaError, AthenaErrorKind};
use crate::catalog::CatalogError;

const START: &str = "athena:StartQueryExecution";
const GET: &str = "athena:GetQueryExecution";
const RESULTS: &str = "athena:GetQueryResults";
const STOP: &str = "athena:StopQueryExecution";

/// The first wait before asking whether a query has ended; each wait doubles up to
/// [`LAST_POLL`], so a short query is answered within tens of milliseconds of its end and a
/// long one costs four requests a second at most (no busy polling).
const FIRST_POLL: Duration = Duration::from_millis(25);
const LAST_POLL: Duration = Duration::from_millis(200);
/// Credentials this close to their expiry are replaced before the next request of a running
/// query: long enough for that request, and for a stop if no fresh ones come.
const RENEW_BEFORE_SECS: i64 = 5;
/// The most rows Athena returns per GetQueryResults page.
pub const MAX_PAGE_ROWS: i32 = 1000;

/// What to run, and where.
#[derive(Clone, Debug)]
pub struct QueryRequest<'a> {
    pub sql: &'a str,
    pub catalog: &'a str,
    pub database: Option<&'a str>,
    pub workgroup: &'a str,
}

/// A query execution as Athena reports it.
#[derive(Clone, Debug, PartialEq)]
pub struct Execution {
    pub id: String,
    pub state: String,
    /// DML, DDL or UTILITY.
    pub statement_type: Option<String>,
    pub reason: Option<String>,
    pub catalog: Option<String>,
    pub database: Option<String>,
    pub workgroup: Option<String>,
    pub data_scanned_bytes: i64,
    pub engine_time_ms: i64,
    pub total_time_ms: i64,
}

/// One column of a result: its name and Athena type (`varchar`, `bigint`, `double`…).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResultColumn {
    pub name: String,
    pub type_name: String,
}

/// One page of results; each value is Athena's text, `None` for NULL.
#[derive(Clone, Debug, PartialEq)]
pub struct ResultPage {
    pub columns: Vec<ResultColumn>,
    pub rows: Vec<Vec<Option<String>>>,
    pub next_token: Option<String>,
}

/// Stops a started query when dropped while armed: the tool call was dropped (the client went
/// away) or left early. The stop runs on its own task, since a drop cannot wait.
struct StopGuard {
    client: aws_sdk_athena::Client,
    id: String,
    armed: bool,
}

impl StopGuard {
    fn disarm(&mut self) {
        self.armed = false;
    }
}

impl Drop for StopGuard {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let request = self
            .client
            .stop_query_execution()
            .query_execution_id(&self.id);
        let id = self.id.clone();
        tracing::info!(execution_id = %id, "stopping an Athena query its caller no longer waits for");
        runtime.spawn(async move {
            if let Err(error) = request.send().await {
                tracing::warn!(execution_id = %id, error = %aws_sdk_athena::error::DisplayErrorContext(&error), "could not stop an Athena query");
            }
        });
    }
}

/// Fresh credentials from `renew`, or why there are none: the registry refused or failed, or
/// it issued credentials that are about to expire too.
async fn renewed<R, Fut>(renew: &R) -> Result<CallerAthena, String>
where
    R: Fn() -> Fut,
    Fut: Future<Output = Result<CallerAthena, CatalogError>>,
{
    match renew().await {
        Ok(fresh) if !fresh.expires_soon() => Ok(fresh),
        Ok(_) => Err("the registry issued credentials that expire within seconds".into()),
        Err(error) => Err(error.to_string()),
    }
}

impl CallerAthena {
    /// Starts `request` and waits up to `timeout` for it to end. A query still running then
    /// is stopped, and so is one whose tool call is dropped.
    ///
    /// The caller's temporary credentials may run out while the query runs (the registry can
    /// issue short-lived ones). Before they do, `renew` fetches fresh ones and polling goes on
    /// with them (and `self` keeps them, for reading the results); if none can be had, the
    /// query is stopped while the old ones still sign.
    pub async fn run<R, Fut>(
        &mut self,
        request: &QueryRequest<'_>,
        timeout: Duration,
        renew: R,
    ) -> Result<Execution, AthenaError>
    where
        R: Fn() -> Fut,
        Fut: Future<Output = Result<CallerAthena, CatalogError>>,
    {
        let id = self.start(request).await?;
        let mut guard = StopGuard {
            client: self.client().clone(),
            id: id.clone(),
            armed: true,
        };
        let fail = |kind| Err(AthenaError::new(GET, id.clone(), kind));
        let deadline = Instant::now() + timeout;
        let mut pause = FIRST_POLL;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            tokio::time::sleep(pause.min(left)).await;
            pause = (pause * 2).min(LAST_POLL);
            if self.expires_soon() {
                match renewed(&renew).await {
                    Ok(fresh) => {
                        *self = fresh;
                        guard.client = self.client().clone();
                    }
                    Err(why) => {
                        guard.disarm();
                        // Signed with the old credentials, which still hold for a few seconds.
                        let stopped = self.stop(&id).await.is_ok();
                        return fail(AthenaErrorKind::CredentialsExpired { why, stopped });
                    }
                }
            }
            let execution = self.execution(&id).await?;
            match execution.state.as_str() {
                "SUCCEEDED" => {
                    guard.disarm();
                    return Ok(execution);
                }
                "FAILED" => {
                    guard.disarm();
                    let reason = execution.reason.unwrap_or_else(|| "no reason given".into());
                    return fail(AthenaErrorKind::QueryFailed(reason));
                }
                "CANCELLED" => {
                    guard.disarm();
                    let reason = execution.reason.unwrap_or_else(|| "stopped".into());
                    return fail(AthenaErrorKind::QueryCancelled(reason));
                }
                _ => {}
            }
            if Instant::now() >= deadline {
                guard.disarm();
                self.stop(&id).await?;
                return fail(AthenaErrorKind::QueryTimedOut(timeout.as_secs()));
            }
        }
    }

    /// Whether the credentials die within [`RENEW_BEFORE_SECS`]: the next request might be
    /// refused.
    fn expires_soon(&self) -> bool {
        self.credentials_expire_at() - RENEW_BEFORE_SECS <= crate::time::unix_now()
    }

    /// StartQueryExecution with a fresh client request token: a retry by the SDK cannot start
    /// the query twice.
    async fn start(&self, request: &QueryRequest<'_>) -> Result<String, AthenaError> {
        let context = QueryExecutionContext::builder()
            .catalog(request.catalog)
            .set_database(request.database.map(str::to_string))
            .build();
        let output = self
            .client()
            .start_query_execution()
            .query_string(request.sql)
            .query_execution_context(context)
            .work_group(request.workgroup)
            .result_configuration(ResultConfiguration::builder().build())
            .client_request_token(uuid::Uuid::new_v4().to_string())
            .send()
            .await
            .map_err(|e| AthenaError::from_sdk(START, request.workgroup, 0, e))?;
        output
            .query_execution_id()
            .map(str::to_string)
            .ok_or_else(|| {
                let kind = AthenaErrorKind::InvalidRequest("no query execution id".into());
                AthenaError::new(START, request.workgroup, kind)
            })
    }

    /// GetQueryExecution: the execution's state and statistics.
    pub async fn execution(&self, id: &str) -> Result<Execution, AthenaError> {
        let output = self
            .client()
            .get_query_execution()
            .query_execution_id(id)
            .send()
            .await
            .map_err(|e| AthenaError::from_sdk(GET, id, 0, e))?;
        let Some(execution) = output.query_execution() else {
            let kind = AthenaErrorKind::InvalidRequest("Athena returned no execution".into());
            return Err(AthenaError::new(GET, id, kind));
        };
        let status = execution.status();
        let stats = execution.statistics();
        let context = execution.query_execution_context();
        Ok(Execution {
            id: id.to_string(),
            state: status
                .and_then(|s| s.state())
                .map(QueryExecutionState::as_str)
                .unwrap_or("UNKNOWN")
                .to_string(),
            statement_type: execution.statement_type().map(|t| t.as_str().to_string()),
            reason: status
                .and_then(|s| s.state_change_reason())
                .map(str::to_string),
            catalog: context.and_then(|c| c.catalog()).map(str::to_string),
            database: context.and_then(|c| c.database()).map(str::to_string),
            workgroup: execution.work_group().map(str::to_string),
            data_scanned_bytes: stats.and_then(|s| s.data_scanned_in_bytes()).unwrap_or(0),
            engine_time_ms: stats
                .and_then(|s| s.engine_execution_time_in_millis())
                .unwrap_or(0),
            total_time_ms: stats
                .and_then(|s| s.total_execution_time_in_millis())
                .unwrap_or(0),
        })
    }

    /// One page of a finished query's results, at most `max_rows` (1 to 1000). On the first
    /// page of a DML statement Athena repeats the column names as row one: that row is dropped.
    pub async fn results(
        &self,
        execution: &Execution,
        next_token: Option<&str>,
        max_rows: i32,
    ) -> Result<ResultPage, AthenaError> {
        let first = next_token.is_none();
        // One more on the first page, for the header row that is dropped.
        let header = first && execution.statement_type.as_deref() == Some("DML");
        let ask = (max_rows + i32::from(header)).clamp(1, MAX_PAGE_ROWS);
        let output = self
            .client()
            .get_query_results()
            .query_execution_id(&execution.id)
            .max_results(ask)
            .set_next_token(next_token.map(str::to_string))
            .send()
            .await
            .map_err(|e| AthenaError::from_sdk(RESULTS, execution.id.clone(), 0, e))?;
        let set = output.result_set();
        let columns: Vec<ResultColumn> = set
            .and_then(|s| s.result_set_metadata())
            .map(|m| m.column_info())
            .unwrap_or_default()
            .iter()
            .map(|c| ResultColumn {
                name: c.name().to_string(),
                type_name: c.r#type().to_string(),
            })
            .collect();
        let mut rows: Vec<Vec<Option<String>>> = set
            .map(|s| s.rows())
            .unwrap_or_default()
            .iter()
            .map(|row| {
                row.data()
                    .iter()
                    .map(|d| d.var_char_value().map(str::to_string))
                    .collect()
            })
            .collect();
        let is_header = |row: &Vec<Option<String>>| {
            row.len() == columns.len()
                && row
                    .iter()
                    .zip(&columns)
                    .all(|(v, c)| v.as_deref() == Some(c.name.as_str()))
        };
        if header && rows.first().is_some_and(is_header) {
            rows.remove(0);
        }
        Ok(ResultPage {
            columns,
            rows,
            next_token: output.next_token().map(str::to_string),
        })
    }

    /// StopQueryExecution.
    pub async fn stop(&self, id: &str) -> Result<(), AthenaError> {
        self.client()
            .stop_query_execution()
            .query_execution_id(id)
            .send()
            .await
            .map_err(|e| AthenaError::from_sdk(STOP, id, 0, e))?;
        Ok(())
    }
}
