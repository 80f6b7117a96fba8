//! `athena_query_validate`: the same parser and gate as athena_query_execute, without running
//! anything; says what is wrong and where, and whether this server would run the statement.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::sql;
use crate::tools::{Annotations, Ctx, Tool, ToolError, typed};

/// Arguments of `athena_query_validate`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AthenaQueryValidateArgs {
    /// The SQL statement to check (not run).
    pub query: String,
}

/// The result of `athena_query_validate`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct AthenaQueryValidation {
    /// The statement parses as one statement.
    pub valid: bool,
    /// `SELECT`, `WITH`, `SHOW`, `DESCRIBE`, `EXPLAIN`, `VALUES`, or what a writing statement
    /// begins with (`INSERT INTO`, `CREATE TABLE`…).
    pub statement_kind: Option<String>,
    /// The statement only reads.
    pub read_only: Option<bool>,
    /// athena_query_execute would run it here (valid, and read-only unless writes are allowed).
    pub allowed: bool,
    /// What is wrong, or why it would not run.
    pub problem: Option<String>,
    /// Where the problem is (1-based).
    pub line: Option<u64>,
    pub column: Option<u64>,
    /// The statement with the mechanical fix applied (backticks to double quotes).
    pub fixed_query: Option<String>,
}

pub const ATHENA_QUERY_VALIDATE: Tool = Tool {
    name: "athena_query_validate",
    title: "Check an Athena SQL query",
    description: "Check one SQL statement without running it: whether it parses (and if not, what is wrong at which line and column), what kind of statement it is, and whether athena_query_execute would run it (read-only statements only unless the operator allows writes). Backtick identifiers get the double-quoted fix.",
    annotations: Annotations::LOCAL,
    input_schema: || schemars::schema_for!(AthenaQueryValidateArgs),
    output_schema: Some(|| schemars::schema_for!(AthenaQueryValidation)),
    call: |ctx, args| typed(ctx, args, athena_query_validate),
};

async fn athena_query_validate(
    ctx: &Ctx,
    args: AthenaQueryValidateArgs,
) -> Result<AthenaQueryValidation, ToolError> {
    let allow_writes = ctx.state.athena.settings().allow_writes;
    Ok(validate(&args.query, allow_writes))
}

fn validate(query: &str, allow_writes: bool) -> AthenaQueryValidation {
    match sql::check(query) {
        Ok(checked) => {
            let refusal = sql::gate(&checked, allow_writes).err();
            AthenaQueryValidation {
                valid: true,
                allowed: refusal.is_none(),
                statement_kind: Some(checked.kind),
                read_only: Some(checked.read_only),
                problem: refusal,
                line: None,
                column: None,
                fixed_query: None,
            }
        }
        Err(problem) => AthenaQueryValidation {
            valid: false,
            statement_kind: None,
            read_only: None,
            allowed: false,
            problem: Some(problem.message),
            line: problem.line,
            column: problem.column,
            fixed_query: problem.fixed_query,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_write_is_valid_but_not_allowed_by_default() {
        let insert = validate("INSERT INTO t VALUES (1)", false);
        assert!(insert.valid && !insert.allowed);
        assert_eq!(insert.read_only, Some(false));
        assert!(validate("INSERT INTO t VALUES (1)", true).allowed);
        let select = validate("SELECT 1", false);
        assert!(select.valid && select.allowed && select.problem.is_none());
    }
}
