//! Runs one statement for the Athena face, for real: table names are resolved against the
//! caller's catalogs (Athena's own errors for a missing catalog, database or table, or an
//! unreadable location), rewritten to SQLite's `"database"."table"`, the tables needed are
//! loaded from the model's objects into an in-memory SQLite, and the statement runs there.
//! SQLite is not Trino, but the SELECTs an agent writes over these tables mostly agree.

use std::ops::ControlFlow;
use std::time::Instant;

use regex_lite::Regex;
use rusqlite::Connection;
use rusqlite::types::ValueRef;
use sqlparser::ast::{Ident, ObjectName, ObjectNamePart, Statement, visit_relations_mut};
use sqlparser::dialect::GenericDialect;
use sqlparser::parser::Parser;

use super::tables::{self, Source, TableDef};
use crate::mock::model::{Model, User};

/// A finished statement: columns (name, Athena type) and rows of text, or Athena's reason.
#[derive(Clone, Debug)]
pub(crate) enum Outcome {
    Rows {
        columns: Vec<(String, String)>,
        rows: Vec<Vec<Option<String>>>,
        statement_type: &'static str,
        scanned: i64,
        engine_ms: i64,
    },
    Failed(String),
}

fn failed(reason: impl Into<String>) -> Outcome {
    Outcome::Failed(reason.into())
}

/// Runs `sql` in `catalog` (and `database`, the default for unqualified names) as `user`.
pub(crate) fn run(model: &Model, user: &User, sql: &str, catalog: &str, database: &str) -> Outcome {
    let started = Instant::now();
    let Some(catalog) = tables::find_catalog(model, catalog) else {
        return failed(format!(
            "CATALOG_NOT_FOUND: line 1:1: Catalog '{}' does not exist",
            catalog.to_ascii_lowercase()
        ));
    };
    let mut statements = match Parser::parse_sql(&GenericDialect {}, sql) {
        Ok(statements) => statements,
        Err(e) => {
            let text = e.to_string();
            let (message, place) = text
                .rsplit_once(" at Line: ")
                .unwrap_or((&text, "1, Column: 1"));
            let place = place.replace(", Column: ", ":");
            let message = message.trim_start_matches("sql parser error: ");
            return failed(format!("SYNTAX_ERROR: line {place}: {message}"));
        }
    };
    let [statement] = statements.as_mut_slice() else {
        return failed("SYNTAX_ERROR: line 1:1: only one statement may be run at a time");
    };
    let statement_type = match statement {
        Statement::Query(_) => "DML",
        Statement::ShowTables { .. }
        | Statement::ShowDatabases { .. }
        | Statement::ShowSchemas { .. } => {
            return show(model, user, &catalog, database, statement);
        }
        _ => {
            return failed(
                "NOT_SUPPORTED: the embedded catalog runs SELECT, WITH, VALUES and SHOW statements only",
            );
        }
    };
    let mut needed: Vec<(String, TableDef)> = Vec::new();
    let mut problem: Option<String> = None;
    let _ = visit_relations_mut(statement, |name: &mut ObjectName| {
        match resolve(model, user, &catalog, database, name) {
            Ok(Some((db, table))) => {
                *name = ObjectName(vec![
                    ObjectNamePart::Identifier(Ident::with_quote('"', db.clone())),
                    ObjectNamePart::Identifier(Ident::with_quote('"', table.name.clone())),
                ]);
                if !needed.iter().any(|(d, t)| *d == db && t.name == table.name) {
                    needed.push((db, table));
                }
                ControlFlow::Continue(())
            }
            Ok(None) => ControlFlow::Continue(()),
            Err(reason) => {
                problem = Some(reason);
                ControlFlow::Break(())
            }
        }
    });
    if let Some(reason) = problem {
        return failed(reason);
    }
    for (_, table) in &needed {
        if !model.can_read(user, &table.bucket) {
            return failed(format!(
                "PERMISSION_DENIED: Permission denied on S3 path: {}",
                table.location
            ));
        }
    }
    match execute(model, &needed, &statement.to_string()) {
        Ok((columns, rows, scanned)) => Outcome::Rows {
            columns,
            rows,
            statement_type,
            scanned,
            engine_ms: started.elapsed().as_millis() as i64,
        },
        Err(reason) => failed(reason),
    }
}

/// A relation's (database, table) when it names one of the catalog's tables; `None` for a
/// name left alone (a WITH query's name); Athena's reason when it names nothing.
fn resolve(
    model: &Model,
    user: &User,
    catalog: &str,
    database: &str,
    name: &ObjectName,
) -> Result<Option<(String, TableDef)>, String> {
    let parts: Vec<String> = name
        .0
        .iter()
        .filter_map(|p| p.as_ident().map(|i| i.value.clone()))
        .collect();
    let (db, table, qualified) = match parts.as_slice() {
        [table] => (database.to_string(), table.clone(), false),
        [db, table] => (db.clone(), table.clone(), true),
        [cat, db, table] => {
            if !cat.eq_ignore_ascii_case(catalog) {
                return Err(format!(
                    "CATALOG_NOT_FOUND: line 1:1: Catalog '{cat}' does not exist"
                ));
            }
            (db.clone(), table.clone(), true)
        }
        _ => return Err(format!("SYNTAX_ERROR: line 1:1: bad table name {name}")),
    };
    let Some(defs) = tables::tables(model, user, catalog, &db) else {
        return match qualified {
            true => Err(format!(
                "SCHEMA_NOT_FOUND: line 1:1: Schema '{db}' does not exist"
            )),
            false => Ok(None),
        };
    };
    match defs
        .into_iter()
        .find(|t| t.name.eq_ignore_ascii_case(&table))
    {
        Some(def) => Ok(Some((db, def))),
        None if qualified => Err(format!(
            "TABLE_NOT_FOUND: line 1:1: Table '{}.{db}.{table}' does not exist",
            catalog.to_ascii_lowercase()
        )),
        None => Ok(None),
    }
}

type Rows = Vec<Vec<Option<String>>>;
/// Result columns: (name, Athena type).
type Columns = Vec<(String, String)>;

/// Loads `needed` into a fresh in-memory SQLite and runs `sql` there.
fn execute(
    model: &Model,
    needed: &[(String, TableDef)],
    sql: &str,
) -> Result<(Columns, Rows, i64), String> {
    let db = Connection::open_in_memory().map_err(|e| format!("GENERIC_INTERNAL_ERROR: {e}"))?;
    let mut scanned = 0;
    for (database, table) in needed {
        scanned += load(model, &db, database, table)
            .map_err(|e| format!("GENERIC_INTERNAL_ERROR: {e}"))?;
    }
    let mut statement = db.prepare(sql).map_err(|e| sqlite_reason(&e.to_string()))?;
    let names: Vec<String> = statement.column_names().map(|n| n.to_string()).collect();
    let declared: Vec<Option<String>> = statement
        .columns()
        .map(|c| c.decl_type().map(str::to_string))
        .collect();
    let mut inferred: Vec<Option<&'static str>> = vec![None; names.len()];
    let mut rows = Vec::new();
    let mut cursor = statement
        .query([])
        .map_err(|e| sqlite_reason(&e.to_string()))?;
    while let Some(row) = cursor.next().map_err(|e| sqlite_reason(&e.to_string()))? {
        let mut values = Vec::with_capacity(names.len());
        for (index, seen) in inferred.iter_mut().enumerate() {
            let value = row
                .get_ref(index)
                .map_err(|e| sqlite_reason(&e.to_string()))?;
            let (text, kind) = match value {
                ValueRef::Null => (None, None),
                ValueRef::Integer(n) => (Some(n.to_string()), Some("bigint")),
                ValueRef::Real(x) => (Some(format!("{x:?}")), Some("double")),
                ValueRef::Text(t) | ValueRef::Blob(t) => (
                    Some(String::from_utf8_lossy(t).into_owned()),
                    Some("varchar"),
                ),
            };
            if seen.is_none() {
                *seen = kind;
            }
            values.push(text);
        }
        rows.push(values);
    }
    let columns = names
        .into_iter()
        .zip(declared)
        .zip(inferred)
        .map(|((name, declared), inferred)| {
            (
                name,
                declared.unwrap_or_else(|| inferred.unwrap_or("varchar").to_string()),
            )
        })
        .collect();
    Ok((columns, rows, scanned))
}

/// SQLite's complaint in Athena's words.
fn sqlite_reason(message: &str) -> String {
    if let Some(table) = message.strip_prefix("no such table: ") {
        return format!("TABLE_NOT_FOUND: line 1:1: Table '{table}' does not exist");
    }
    if let Some(column) = message.strip_prefix("no such column: ") {
        return format!("COLUMN_NOT_FOUND: line 1:1: Column '{column}' cannot be resolved");
    }
    if message.contains("syntax error") {
        return format!("SYNTAX_ERROR: line 1:1: {message}");
    }
    format!("NOT_SUPPORTED: the embedded catalog's engine could not run this: {message}")
}

/// Creates `"database"."table"` with the table's Athena types (SQLite's affinities follow
/// them: bigint and integer are integers, double is real, varchar is text) and fills it.
/// Returns the bytes read.
fn load(model: &Model, db: &Connection, database: &str, table: &TableDef) -> rusqlite::Result<i64> {
    let schema = quote(database);
    let attached: bool = db
        .prepare("SELECT 1 FROM pragma_database_list WHERE name = ?1")?
        .exists([database])?;
    if !attached {
        db.execute(&format!("ATTACH DATABASE ':memory:' AS {schema}"), [])?;
    }
    let columns: Vec<String> = table
        .columns
        .iter()
        .map(|(n, t)| format!("{} {t}", quote(n)))
        .collect();
    db.execute(
        &format!(
            "CREATE TABLE {schema}.{} ({})",
            quote(&table.name),
            columns.join(", ")
        ),
        [],
    )?;
    let marks = vec!["?"; table.columns.len()].join(", ");
    let mut insert = db.prepare(&format!(
        "INSERT INTO {schema}.{} VALUES ({marks})",
        quote(&table.name)
    ))?;
    let (rows, scanned) = rows_of(model, table);
    for row in rows {
        insert.execute(rusqlite::params_from_iter(row))?;
    }
    Ok(scanned)
}

fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// The table's rows as SQLite values, and the bytes read for them.
fn rows_of(model: &Model, table: &TableDef) -> (Vec<Vec<rusqlite::types::Value>>, i64) {
    let mut out = Vec::new();
    let mut scanned = 0i64;
    match &table.source {
        Source::Object { key, delimiter } => {
            if let Some(object) = model.object(&table.bucket, key, None) {
                scanned += object.bytes.len() as i64;
                out.extend(parse(&object.bytes, *delimiter, &table.columns, &[]));
            }
        }
        Source::Tabulator {
            package_name,
            logical_key,
            delimiter,
        } => {
            let (Ok(packages), Ok(keys)) = (Regex::new(package_name), Regex::new(logical_key))
            else {
                return (out, 0);
            };
            for package in model.packages.values().filter(|p| p.bucket == table.bucket) {
                let Some(package_match) = packages.captures(&package.name) else {
                    continue;
                };
                let Some(revision) = package.latest() else {
                    continue;
                };
                for (logical, entry) in &revision.entries {
                    let Some(key_match) = keys.captures(logical) else {
                        continue;
                    };
                    let Some(object) =
                        model.object(&entry.bucket, &entry.key, entry.version_id.as_deref())
                    else {
                        continue;
                    };
                    let mut groups = Vec::new();
                    for (regex, found) in [(&packages, &package_match), (&keys, &key_match)] {
                        for name in regex.capture_names().flatten() {
                            groups.push((
                                name.to_string(),
                                found.name(name).map(|m| m.as_str().to_string()),
                            ));
                        }
                    }
                    scanned += object.bytes.len() as i64;
                    out.extend(parse(&object.bytes, *delimiter, &table.columns, &groups));
                }
            }
        }
    }
    (out, scanned)
}

/// Rows of a delimited file with a header line, matched to `columns` by name (any case);
/// `groups` fill the columns named after pattern groups. Values that do not parse as the
/// column's type (`NA`, empty) are NULL, as Athena reads them.
fn parse(
    bytes: &[u8],
    delimiter: char,
    columns: &[(String, String)],
    groups: &[(String, Option<String>)],
) -> Vec<Vec<rusqlite::types::Value>> {
    use rusqlite::types::Value;
    let text = String::from_utf8_lossy(bytes);
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let Some(header) = lines.next() else {
        return Vec::new();
    };
    let header = split(header, delimiter);
    let at: Vec<Option<usize>> = columns
        .iter()
        .map(|(name, _)| {
            header
                .iter()
                .position(|h| h.trim().eq_ignore_ascii_case(name))
        })
        .collect();
    lines
        .map(|line| {
            let fields = split(line, delimiter);
            columns
                .iter()
                .zip(&at)
                .map(|((name, type_name), index)| {
                    let raw = match index {
                        Some(i) => fields.get(*i).cloned(),
                        None => groups
                            .iter()
                            .find(|(g, _)| g == name)
                            .and_then(|(_, v)| v.clone()),
                    };
                    let Some(raw) = raw else { return Value::Null };
                    match type_name.as_str() {
                        "bigint" | "integer" => raw
                            .trim()
                            .parse()
                            .map(Value::Integer)
                            .unwrap_or(Value::Null),
                        "double" => raw.trim().parse().map(Value::Real).unwrap_or(Value::Null),
                        _ => Value::Text(raw),
                    }
                })
                .collect()
        })
        .collect()
}

/// One line's fields, with `"…"` quoting.
fn split(line: &str, delimiter: char) -> Vec<String> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            c if c == delimiter && !quoted => fields.push(std::mem::take(&mut field)),
            c => field.push(c),
        }
    }
    fields.push(field);
    fields
}

/// SHOW TABLES / SHOW DATABASES (SCHEMAS), answered from the catalog's metadata.
fn show(
    model: &Model,
    user: &User,
    catalog: &str,
    database: &str,
    statement: &Statement,
) -> Outcome {
    let (column, names): (&str, Vec<String>) = match statement {
        Statement::ShowTables { show_options, .. } => {
            let db = show_options
                .show_in
                .as_ref()
                .and_then(|s| s.parent_name.as_ref())
                .map(|n| n.to_string().trim_matches('"').to_string())
                .unwrap_or_else(|| database.to_string());
            match tables::tables(model, user, catalog, &db) {
                Some(defs) => ("tab_name", defs.into_iter().map(|t| t.name).collect()),
                None => {
                    return failed(format!(
                        "SCHEMA_NOT_FOUND: line 1:1: Schema '{db}' does not exist"
                    ));
                }
            }
        }
        _ => (
            "database_name",
            tables::databases(model, user, catalog)
                .into_iter()
                .map(|(n, _)| n)
                .collect(),
        ),
    };
    Outcome::Rows {
        columns: vec![(column.to_string(), "varchar".to_string())],
        rows: names.into_iter().map(|n| vec![Some(n)]).collect(),
        statement_type: "UTILITY",
        scanned: 0,
        engine_ms: 1,
    }
}
