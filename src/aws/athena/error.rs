//! Every way an Athena call or query can fail, each with a message that names the cause and
//! tells the agent what to do next (list the tables, list the databases, the IAM action, the
//! line and column of a syntax error).

use std::fmt;

use aws_sdk_athena::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};

use crate::tool_error::ToolError;

/// What went wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AthenaErrorKind {
    /// `AccessDeniedException` or a 403: the caller's role lacks the IAM action.
    AccessDenied(String),
    /// Athena refused the credentials themselves (expired, unknown key): the code.
    CredentialsRefused(String),
    /// `InvalidRequestException`: Athena's message (unknown workgroup, catalog, execution…).
    InvalidRequest(String),
    /// `TooManyRequestsException`.
    Throttled,
    /// No answer within the operation timeout (seconds).
    Timeout(u64),
    /// Could not connect, or the connection broke.
    Unreachable(String),
    /// Any other answer: status, error code and message.
    Service {
        status: u16,
        code: String,
        message: String,
    },
    /// The query ran and failed: Athena's reason (`TABLE_NOT_FOUND: line 1:15: …`).
    QueryFailed(String),
    /// The query was cancelled by someone else (or by a stop of ours).
    QueryCancelled(String),
    /// The query did not finish within `ATHENA_QUERY_TIMEOUT` (seconds) and was stopped.
    QueryTimedOut(u64),
    /// The caller's temporary credentials ran out while the query was running and no fresh
    /// ones could be had (`why`); `stopped` tells whether the query was stopped.
    CredentialsExpired { why: String, stopped: bool },
}

/// A failed Athena call: which API action, for which query or object, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AthenaError {
    /// The API action, e.g. `athena:StartQueryExecution`.
    pub action: &'static str,
    /// The query execution id, catalog, database or table it was about (may be empty).
    pub target: String,
    pub kind: AthenaErrorKind,
}

impl AthenaError {
    /// An error of `kind` for `action` on `target`.
    pub fn new(action: &'static str, target: impl Into<String>, kind: AthenaErrorKind) -> Self {
        AthenaError {
            action,
            target: target.into(),
            kind,
        }
    }

    /// Classifies an SDK failure of `action`.
    pub fn from_sdk<E>(
        action: &'static str,
        target: impl Into<String>,
        timeout_secs: u64,
        error: SdkError<E>,
    ) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        let status = error.raw_response().map(|r| r.status().as_u16());
        let code = error.code().unwrap_or_default().to_string();
        let message = error.message().unwrap_or_default().to_string();
        let kind = match (&error, code.as_str(), status) {
            (SdkError::TimeoutError(_), _, _) => AthenaErrorKind::Timeout(timeout_secs),
            (SdkError::DispatchFailure(failure), _, _) if failure.is_timeout() => {
                AthenaErrorKind::Timeout(timeout_secs)
            }
            (SdkError::DispatchFailure(_), _, _) | (_, _, None) => {
                AthenaErrorKind::Unreachable(DisplayErrorContext(&error).to_string())
            }
            (
                _,
                "UnrecognizedClientException"
                | "ExpiredTokenException"
                | "InvalidSignatureException"
                | "IncompleteSignature"
                | "InvalidClientTokenId",
                _,
            ) => AthenaErrorKind::CredentialsRefused(code.clone()),
            (_, "AccessDeniedException" | "AccessDenied", _) | (_, _, Some(403)) => {
                AthenaErrorKind::AccessDenied(message)
            }
            (_, "InvalidRequestException", _) => AthenaErrorKind::InvalidRequest(message),
            (_, "TooManyRequestsException" | "ThrottlingException", _) => {
                AthenaErrorKind::Throttled
            }
            (_, _, Some(status)) => AthenaErrorKind::Service {
                status,
                code,
                message,
            },
        };
        AthenaError::new(action, target, kind)
    }
}

/// `line 1:15` in Athena's reasons (`SYNTAX_ERROR: line 1:15: …`), as (line, column).
pub fn line_and_column(reason: &str) -> Option<(u32, u32)> {
    let at = reason.find("line ")?;
    let rest = &reason[at + "line ".len()..];
    let (line, rest) = rest.split_once(':')?;
    let column: String = rest.chars().take_while(char::is_ascii_digit).collect();
    Some((line.trim().parse().ok()?, column.parse().ok()?))
}

/// What to do about a failed query, from Athena's reason.
fn next_step(reason: &str) -> String {
    let upper = reason.to_ascii_uppercase();
    if upper.contains("TABLE_NOT_FOUND") || upper.contains("TABLE NOT FOUND") {
        return "athena_tables_list shows the tables of a database (and tabulator tables: tabulator_tables_list)".into();
    }
    if upper.contains("SCHEMA_NOT_FOUND")
        || upper.contains("DATABASE_NOT_FOUND")
        || upper.contains("CATALOG_NOT_FOUND")
    {
        return "athena_databases_list shows the data catalogs and databases you can use".into();
    }
    if upper.contains("COLUMN_NOT_FOUND") || upper.contains("CANNOT BE RESOLVED") {
        return "athena_table_schema shows a table's columns".into();
    }
    if upper.contains("PERMISSION_DENIED")
        || upper.contains("ACCESS DENIED")
        || upper.contains("PERMISSION DENIED")
    {
        return "this catalog user's role lacks access to the data (s3:GetObject and s3:ListBucket on its location, glue:GetTable on the table); check_bucket_access shows what they can do".into();
    }
    if upper.contains("SYNTAX_ERROR") || upper.contains("MISMATCHED INPUT") {
        return match line_and_column(reason) {
            Some((line, column)) => format!(
                "fix the SQL at line {line}, column {column}; athena_query_validate checks a query without running it"
            ),
            None => "fix the SQL; athena_query_validate checks a query without running it".into(),
        };
    }
    "check the query; athena_query_validate checks it without running it".into()
}

impl fmt::Display for AthenaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (action, target) = (self.action, &self.target);
        match &self.kind {
            AthenaErrorKind::AccessDenied(message) => write!(
                f,
                "access denied: this catalog user's credentials do not allow {action} ({message}); a catalog admin can grant it to the user's role"
            ),
            AthenaErrorKind::CredentialsRefused(code) => write!(
                f,
                "Athena refused this catalog user's temporary credentials for {action} ({code}); log in to the catalog again and retry with a fresh token"
            ),
            AthenaErrorKind::InvalidRequest(message) => {
                write!(f, "Athena refused {action} on {target}: {message}")
            }
            AthenaErrorKind::Throttled => write!(
                f,
                "Athena is throttling {action} (TooManyRequestsException); wait a few seconds and retry"
            ),
            AthenaErrorKind::Timeout(secs) => write!(
                f,
                "Athena did not answer {action} within {secs} s; try again later"
            ),
            AthenaErrorKind::Unreachable(why) => {
                write!(f, "could not reach Athena for {action}: {why}")
            }
            AthenaErrorKind::Service {
                status,
                code,
                message,
            } => write!(
                f,
                "Athena answered {action} with HTTP {status} {code}: {message}"
            ),
            AthenaErrorKind::QueryFailed(reason) => write!(
                f,
                "query {target} failed: {reason}; next: {}",
                next_step(reason)
            ),
            AthenaErrorKind::QueryCancelled(reason) => write!(
                f,
                "query {target} was cancelled before it finished ({reason}); run it again if you still need it"
            ),
            AthenaErrorKind::QueryTimedOut(secs) => write!(
                f,
                "query {target} did not finish within {secs} s (ATHENA_QUERY_TIMEOUT) and was stopped so it costs nothing more; narrow it (a WHERE on partition columns, a LIMIT) and run it again"
            ),
            AthenaErrorKind::CredentialsExpired { why, stopped } => write!(
                f,
                "this catalog user's temporary AWS credentials ran out while query {target} was running, and no fresh ones could be had ({why}); {}; check that your catalog token is still valid, then run the query again",
                match stopped {
                    true => "the query was stopped so it costs nothing more",
                    false =>
                        "stopping the query failed too, so it may run on until Athena's own limit",
                }
            ),
        }
    }
}

impl std::error::Error for AthenaError {}

impl From<AthenaError> for ToolError {
    fn from(error: AthenaError) -> Self {
        ToolError::Failed(error.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failed(reason: &str) -> String {
        AthenaError::new(
            "athena:GetQueryExecution",
            "q-1",
            AthenaErrorKind::QueryFailed(reason.into()),
        )
        .to_string()
    }

    #[test]
    fn failed_queries_say_what_to_do_next() {
        let table =
            failed("TABLE_NOT_FOUND: line 1:15: Table 'awsdatacatalog.db.x' does not exist");
        assert!(table.contains("athena_tables_list"), "{table}");
        let schema = failed("SCHEMA_NOT_FOUND: line 1:15: Schema 'nope' does not exist");
        assert!(schema.contains("athena_databases_list"), "{schema}");
        let syntax = failed("SYNTAX_ERROR: line 2:7: mismatched input 'FORM'");
        assert!(syntax.contains("line 2, column 7"), "{syntax}");
        let denied = failed("PERMISSION_DENIED: Permission denied on S3 path: s3://b/k");
        assert!(denied.contains("s3:GetObject"), "{denied}");
    }

    #[test]
    fn lines_and_columns_are_read_from_reasons() {
        assert_eq!(line_and_column("SYNTAX_ERROR: line 3:12: x"), Some((3, 12)));
        assert_eq!(line_and_column("no position"), None);
    }
}
