//! The read-only gate and the checks behind `athena_query_validate`: a statement is parsed
//! with sqlparser, not searched for words. Athena runs DML on Trino and DDL on Hive; sqlparser
//! has neither dialect, and its generic dialect is the closest to Trino's DML (double-quoted
//! identifiers, `WITH`, `VALUES`, `SHOW`, `DESCRIBE`, `EXPLAIN`, set operations, window
//! functions). Backticks (Hive's identifiers) are caught before parsing, with the fix.

use sqlparser::ast::{Query, SetExpr, Statement};
use sqlparser::dialect::GenericDialect;
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::{Token, Tokenizer};

/// Athena's own limit on a query string, in bytes.
pub const MAX_QUERY_BYTES: usize = 262_144;

/// What is wrong with a statement, and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SqlProblem {
    pub message: String,
    pub line: Option<u64>,
    pub column: Option<u64>,
    /// The statement with the fix applied, when there is a mechanical one (backticks).
    pub fixed_query: Option<String>,
}

impl SqlProblem {
    fn plain(message: impl Into<String>) -> Self {
        SqlProblem {
            message: message.into(),
            line: None,
            column: None,
            fixed_query: None,
        }
    }
}

/// A statement that parsed: its kind (`SELECT`, `SHOW`, `INSERT`…) and whether it only reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checked {
    pub kind: String,
    pub read_only: bool,
}

/// Parses `sql` as one statement and classifies it.
pub fn check(sql: &str) -> Result<Checked, SqlProblem> {
    if sql.trim().is_empty() {
        return Err(SqlProblem::plain("the query is empty"));
    }
    if sql.len() > MAX_QUERY_BYTES {
        return Err(SqlProblem::plain(format!(
            "the query is {} bytes; Athena accepts at most {MAX_QUERY_BYTES}",
            sql.len()
        )));
    }
    if let Some(problem) = backticks(sql) {
        return Err(problem);
    }
    let statements = Parser::new(&GenericDialect {})
        .with_recursion_limit(64)
        .try_with_sql(sql)
        .and_then(|mut parser| parser.parse_statements())
        .map_err(parse_problem)?;
    let statement = match statements.as_slice() {
        [] => return Err(SqlProblem::plain("the query holds no statement")),
        [one] => one,
        many => {
            return Err(SqlProblem::plain(format!(
                "the query holds {} statements; Athena runs one statement per query, so send them one at a time",
                many.len()
            )));
        }
    };
    Ok(classify(statement))
}

/// Refuses `checked` unless it only reads or `allow_writes` (`ATHENA_ALLOW_WRITES`).
pub fn gate(checked: &Checked, allow_writes: bool) -> Result<(), String> {
    if checked.read_only || allow_writes {
        return Ok(());
    }
    Err(format!(
        "{} statements change data or tables, and this server runs read-only queries only (SELECT, WITH, SHOW, DESCRIBE, EXPLAIN, VALUES); the operator can allow writes with ATHENA_ALLOW_WRITES=true",
        checked.kind
    ))
}

fn classify(statement: &Statement) -> Checked {
    let read = |kind: &str| Checked {
        kind: kind.to_string(),
        read_only: true,
    };
    match statement {
        Statement::Query(query) => Checked {
            kind: query_kind(query).to_string(),
            read_only: query_reads_only(query),
        },
        Statement::ExplainTable { .. } => read("DESCRIBE"),
        Statement::Explain {
            statement, analyze, ..
        } => {
            let inner = classify(statement);
            // EXPLAIN ANALYZE runs its statement; a plain EXPLAIN only plans it.
            Checked {
                kind: "EXPLAIN".into(),
                read_only: inner.read_only || !analyze,
            }
        }
        Statement::ShowTables { .. }
        | Statement::ShowDatabases { .. }
        | Statement::ShowSchemas { .. }
        | Statement::ShowColumns { .. }
        | Statement::ShowCreate { .. }
        | Statement::ShowFunctions { .. }
        | Statement::ShowViews { .. }
        | Statement::ShowCatalogs { .. }
        | Statement::ShowVariable { .. }
        | Statement::ShowVariables { .. } => read("SHOW"),
        other => Checked {
            kind: leading_words(&other.to_string()),
            read_only: false,
        },
    }
}

/// `SELECT`, `WITH` or `VALUES`, as the statement begins.
fn query_kind(query: &Query) -> &'static str {
    if query.with.is_some() {
        return "WITH";
    }
    match query.body.as_ref() {
        SetExpr::Values(_) => "VALUES",
        _ => "SELECT",
    }
}

fn query_reads_only(query: &Query) -> bool {
    let ctes_read_only = query.with.as_ref().is_none_or(|with| {
        with.cte_tables
            .iter()
            .all(|cte| query_reads_only(&cte.query))
    });
    ctes_read_only && body_reads_only(&query.body)
}

fn body_reads_only(body: &SetExpr) -> bool {
    match body {
        // SELECT … INTO creates a table.
        SetExpr::Select(select) => select.into.is_none(),
        SetExpr::Query(query) => query_reads_only(query),
        SetExpr::SetOperation { left, right, .. } => {
            body_reads_only(left) && body_reads_only(right)
        }
        SetExpr::Values(_) | SetExpr::Table(_) => true,
        _ => false,
    }
}

/// The first two words of a statement, e.g. `CREATE TABLE`, `INSERT INTO`, `DROP TABLE`.
fn leading_words(text: &str) -> String {
    text.split_whitespace()
        .take(2)
        .collect::<Vec<_>>()
        .join(" ")
        .to_ascii_uppercase()
}

/// Backtick identifiers (Hive's, refused by Athena's DML engine), with the query fixed to
/// double quotes.
fn backticks(sql: &str) -> Option<SqlProblem> {
    let dialect = GenericDialect {};
    let tokens = Tokenizer::new(&dialect, sql)
        .with_unescape(false)
        .tokenize_with_location()
        .ok()?;
    let first = tokens.iter().find(|t| is_backticked(&t.token))?;
    let fixed: String = tokens
        .iter()
        .map(|t| match &t.token {
            Token::Word(word) if word.quote_style == Some('`') => {
                format!("\"{}\"", word.value.replace('"', "\"\""))
            }
            other => other.to_string(),
        })
        .collect();
    Some(SqlProblem {
        message: format!(
            "Athena does not accept backtick identifiers; use double quotes instead: {fixed}"
        ),
        line: Some(first.span.start.line),
        column: Some(first.span.start.column),
        fixed_query: Some(fixed),
    })
}

fn is_backticked(token: &Token) -> bool {
    matches!(token, Token::Word(word) if word.quote_style == Some('`'))
}

/// A parser error as a problem with its line and column (`… at Line: 1, Column: 8`).
fn parse_problem(error: ParserError) -> SqlProblem {
    let text = match &error {
        ParserError::TokenizerError(text) | ParserError::ParserError(text) => text.clone(),
        ParserError::RecursionLimitExceeded => {
            return SqlProblem::plain("the query nests too deeply to check; simplify it");
        }
    };
    let position = text.rfind(" at Line: ").map(|at| {
        let (message, place) = text.split_at(at);
        let mut numbers = place
            .split(|c: char| !c.is_ascii_digit())
            .filter(|s| !s.is_empty())
            .filter_map(|s| s.parse::<u64>().ok());
        (message.to_string(), numbers.next(), numbers.next())
    });
    let (message, line, column) = position.unwrap_or((text, None, None));
    let message = match (line, column) {
        (Some(line), Some(column)) => {
            format!("syntax error at line {line}, column {column}: {message}")
        }
        _ => format!("syntax error: {message}"),
    };
    SqlProblem {
        message,
        line,
        column,
        fixed_query: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(sql: &str) -> (String, bool) {
        let checked = check(sql).unwrap();
        (checked.kind, checked.read_only)
    }

    #[test]
    fn reading_statements_pass_the_gate() {
        for (sql, expected) in [
            ("SELECT * FROM \"my-table\" LIMIT 10", "SELECT"),
            ("with t as (select 1 as x) select x from t", "WITH"),
            ("VALUES (1, 'a'), (2, 'b')", "VALUES"),
            ("SHOW TABLES", "SHOW"),
            ("SHOW DATABASES", "SHOW"),
            ("DESCRIBE penguins", "DESCRIBE"),
            ("EXPLAIN SELECT 1", "EXPLAIN"),
            ("SELECT a FROM t UNION ALL SELECT b FROM u", "SELECT"),
        ] {
            assert_eq!(kind(sql), (expected.to_string(), true), "{sql}");
            assert!(gate(&check(sql).unwrap(), false).is_ok());
        }
    }

    #[test]
    fn writing_statements_are_refused_unless_allowed() {
        for sql in [
            "INSERT INTO t VALUES (1)",
            "DROP TABLE t",
            "CREATE TABLE t AS SELECT 1",
            "DELETE FROM t WHERE x = 1",
            "UPDATE t SET x = 1",
            "SELECT * INTO t2 FROM t",
            "EXPLAIN ANALYZE INSERT INTO t VALUES (1)",
        ] {
            let checked = check(sql).unwrap();
            assert!(!checked.read_only, "{sql}");
            let refusal = gate(&checked, false).unwrap_err();
            assert!(refusal.contains("ATHENA_ALLOW_WRITES"), "{refusal}");
            assert!(gate(&checked, true).is_ok());
        }
        assert!(check("EXPLAIN INSERT INTO t VALUES (1)").unwrap().read_only);
    }

    #[test]
    fn problems_say_what_and_where() {
        let two = check("SELECT 1; DROP TABLE t").unwrap_err();
        assert!(two.message.contains("2 statements"), "{}", two.message);
        let syntax = check("SELECT *\nFORM t").unwrap_err();
        assert_eq!(
            (syntax.line, syntax.column),
            (Some(2), Some(1)),
            "{syntax:?}"
        );
        assert!(syntax.message.contains("FORM"), "{syntax:?}");
        assert!(check("   ").unwrap_err().message.contains("empty"));
        let long = format!("SELECT '{}'", "x".repeat(MAX_QUERY_BYTES));
        assert!(check(&long).unwrap_err().message.contains("at most"));
    }

    #[test]
    fn backticks_get_the_double_quoted_fix() {
        let problem = check("SELECT `gene id` FROM `my-table` WHERE x = 'a`b'").unwrap_err();
        assert_eq!(
            problem.fixed_query.as_deref(),
            Some("SELECT \"gene id\" FROM \"my-table\" WHERE x = 'a`b'")
        );
        assert_eq!((problem.line, problem.column), (Some(1), Some(8)));
        assert!(problem.message.contains("double quotes"));
    }
}
