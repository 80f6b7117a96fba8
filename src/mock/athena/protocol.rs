//! The JSON 1.1 requests and answers of the Athena face.

use std::time::Duration;

use bytes::Bytes;
use http::request::Parts;
use http::{HeaderMap, HeaderValue, StatusCode};
use serde_json::{Value, json};

use super::engine::{self, Outcome};
use super::tables::{self, GLUE_CATALOG, athena_file};
use super::{AthenaFace, AthenaStart, DEFAULT_DELAY, Execution, NEVER_FINISHES};
use crate::mock::fault::Prepared;
use crate::mock::model::{Model, User};

/// The most rows one GetQueryResults page returns, as Athena.
const MAX_PAGE: usize = 1000;

fn reply(status: StatusCode, body: &Value) -> Prepared {
    let mut headers = HeaderMap::new();
    headers.insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/x-amz-json-1.1"),
    );
    Prepared {
        status,
        headers,
        body: Bytes::from(body.to_string()),
    }
}

fn ok(body: Value) -> Prepared {
    reply(StatusCode::OK, &body)
}

fn error(code: &str, message: &str) -> Prepared {
    reply(
        StatusCode::BAD_REQUEST,
        &json!({ "__type": code, "Message": message }),
    )
}

/// Athena's refusal of a request signed with expired temporary credentials.
pub(crate) fn expired_token() -> Prepared {
    error(
        "ExpiredTokenException",
        "The security token included in the request is expired",
    )
}

/// The action named by `X-Amz-Target: AmazonAthena.<Action>`, when the request is Athena's.
pub(crate) fn action(parts: &Parts) -> Option<String> {
    let target = parts.headers.get("x-amz-target")?.to_str().ok()?;
    target.strip_prefix("AmazonAthena.").map(str::to_string)
}

/// Answers one Athena request signed with `key`: the answer, its route and whether the face
/// supports the action.
pub(crate) fn answer(
    face: &AthenaFace,
    model: &Model,
    action: &str,
    key: Option<&str>,
    body: &Bytes,
) -> (Prepared, bool) {
    let Some(user) = key.and_then(|k| model.caller_by_access_key(k)).cloned() else {
        let message = "The security token included in the request is invalid.";
        return (error("UnrecognizedClientException", message), true);
    };
    let input: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let text = |name: &str| input.get(name).and_then(Value::as_str).unwrap_or_default();
    let answer = match action {
        "StartQueryExecution" => start(face, model, &user, key.unwrap_or_default(), &input),
        "GetQueryExecution" => get_execution(face, &user, text("QueryExecutionId")),
        "GetQueryResults" => results(face, &user, &input),
        "StopQueryExecution" => stop(face, &user, text("QueryExecutionId")),
        "ListDataCatalogs" => {
            let list: Vec<Value> = tables::catalogs(model)
                .into_iter()
                .map(|(name, kind)| json!({ "CatalogName": name, "Type": kind }))
                .collect();
            ok(json!({ "DataCatalogsSummary": list }))
        }
        "ListDatabases" => list_databases(model, &user, text("CatalogName")),
        "ListTableMetadata" => list_tables(model, &user, &input),
        "GetTableMetadata" => get_table(model, &user, &input),
        "ListWorkGroups" => {
            let list: Vec<Value> = athena_file()
                .workgroups
                .iter()
                .map(|w| json!({ "Name": w.name, "State": w.state }))
                .collect();
            ok(json!({ "WorkGroups": list }))
        }
        "GetWorkGroup" => get_workgroup(text("WorkGroup")),
        other => {
            let message = format!("the embedded catalog does not support Athena's {other}");
            return (error("UnknownOperationException", &message), false);
        }
    };
    (answer, true)
}

fn start(face: &AthenaFace, model: &Model, user: &User, key: &str, input: &Value) -> Prepared {
    let sql = input["QueryString"].as_str().unwrap_or_default();
    let context = &input["QueryExecutionContext"];
    let catalog = context["Catalog"].as_str().unwrap_or(GLUE_CATALOG);
    let database = context["Database"].as_str().unwrap_or("default");
    let workgroup = input["WorkGroup"].as_str().unwrap_or("primary");
    match athena_file()
        .workgroups
        .iter()
        .find(|w| w.name == workgroup)
    {
        None => {
            return error(
                "InvalidRequestException",
                &format!("WorkGroup {workgroup} is not found."),
            );
        }
        Some(w) if w.state != "ENABLED" => {
            return error(
                "InvalidRequestException",
                &format!("WorkGroup {workgroup} is disabled."),
            );
        }
        Some(_) => {}
    }
    if sql.trim().is_empty() {
        return error("InvalidRequestException", "QueryString must not be empty");
    }
    let token = input["ClientRequestToken"].as_str().map(str::to_string);
    let mut state = face.lock();
    if let Some(id) = token.as_ref().and_then(|t| state.tokens.get(t)) {
        return ok(json!({ "QueryExecutionId": id }));
    }
    let outcome = match sql.contains(NEVER_FINISHES) {
        true => None,
        false => Some(engine::run(model, user, sql, catalog, database)),
    };
    state.serial += 1;
    let id = format!("{:08x}-mock-4000-8000-{:012x}", state.serial, state.serial);
    let now = crate::time::unix_now() as f64;
    let started = tokio::time::Instant::now();
    state.executions.insert(
        id.clone(),
        Execution {
            owner: user.id,
            sql: sql.to_string(),
            catalog: catalog.to_string(),
            database: database.to_string(),
            workgroup: workgroup.to_string(),
            started,
            submitted_unix: now,
            outcome,
            cancelled: false,
        },
    );
    if let Some(token) = token {
        state.tokens.insert(token, id.clone());
    }
    state.starts.push(AthenaStart {
        execution_id: id.clone(),
        access_key: key.to_string(),
        sql: sql.to_string(),
        at: started.into_std(),
    });
    ok(json!({ "QueryExecutionId": id }))
}

fn not_found(id: &str) -> Prepared {
    error(
        "InvalidRequestException",
        &format!("QueryExecution {id} was not found"),
    )
}

fn get_execution(face: &AthenaFace, user: &User, id: &str) -> Prepared {
    let state = face.lock();
    let delay = state.delay.unwrap_or(DEFAULT_DELAY);
    let Some(execution) = state.executions.get(id).filter(|e| e.owner == user.id) else {
        return not_found(id);
    };
    ok(json!({ "QueryExecution": describe(id, execution, delay) }))
}

fn describe(id: &str, execution: &Execution, delay: Duration) -> Value {
    let current = execution.state(delay);
    let mut status = json!({ "State": current, "SubmissionDateTime": execution.submitted_unix });
    let mut statistics = json!({ "DataScannedInBytes": 0, "EngineExecutionTimeInMillis": 0 });
    let statement_type = match &execution.outcome {
        Some(Outcome::Rows { statement_type, .. }) => *statement_type,
        _ => "DML",
    };
    match (&execution.outcome, current) {
        (
            Some(Outcome::Rows {
                scanned, engine_ms, ..
            }),
            "SUCCEEDED",
        ) => {
            statistics = json!({
                "DataScannedInBytes": scanned,
                "EngineExecutionTimeInMillis": engine_ms,
                "TotalExecutionTimeInMillis": delay.as_millis() as i64 + engine_ms,
            });
        }
        (Some(Outcome::Failed(reason)), "FAILED") => {
            status["StateChangeReason"] = json!(reason);
            status["AthenaError"] = json!({ "ErrorCategory": 2, "ErrorType": 1000, "Retryable": false, "ErrorMessage": reason });
        }
        (_, "CANCELLED") => status["StateChangeReason"] = json!("Query was cancelled by user"),
        _ => {}
    }
    json!({
        "QueryExecutionId": id,
        "Query": execution.sql,
        "StatementType": statement_type,
        "QueryExecutionContext": { "Catalog": execution.catalog, "Database": execution.database },
        "WorkGroup": execution.workgroup,
        "Status": status,
        "Statistics": statistics,
    })
}

fn results(face: &AthenaFace, user: &User, input: &Value) -> Prepared {
    let id = input["QueryExecutionId"].as_str().unwrap_or_default();
    let state = face.lock();
    let delay = state.delay.unwrap_or(DEFAULT_DELAY);
    let Some(execution) = state.executions.get(id).filter(|e| e.owner == user.id) else {
        return not_found(id);
    };
    let current = execution.state(delay);
    let Some(Outcome::Rows {
        columns,
        rows,
        statement_type,
        ..
    }) = &execution.outcome
    else {
        let message = format!("Query has not yet finished. Current state: {current}");
        return error("InvalidRequestException", &message);
    };
    if current != "SUCCEEDED" {
        let message = format!("Query has not yet finished. Current state: {current}");
        return error("InvalidRequestException", &message);
    }
    let max = input["MaxResults"].as_u64().unwrap_or(MAX_PAGE as u64) as usize;
    if !(1..=MAX_PAGE).contains(&max) {
        return error(
            "InvalidRequestException",
            "MaxResults must be between 1 and 1000",
        );
    }
    let start: usize = match input["NextToken"].as_str() {
        None => 0,
        Some(token) => match token.strip_prefix("mock-").and_then(|n| n.parse().ok()) {
            Some(n) => n,
            None => return error("InvalidRequestException", "Invalid NextToken"),
        },
    };
    // DML results repeat the column names as their first row, as Athena's do.
    let header: Option<Vec<Option<String>>> =
        (*statement_type == "DML").then(|| columns.iter().map(|(n, _)| Some(n.clone())).collect());
    let all: Vec<&Vec<Option<String>>> = header.iter().chain(rows.iter()).collect();
    let page: Vec<Value> = all
        .iter()
        .skip(start)
        .take(max)
        .map(|row| {
            let data: Vec<Value> = row
                .iter()
                .map(|v| match v {
                    Some(text) => json!({ "VarCharValue": text }),
                    None => json!({}),
                })
                .collect();
            json!({ "Data": data })
        })
        .collect();
    let info: Vec<Value> = columns
        .iter()
        .map(|(name, kind)| json!({ "Name": name, "Label": name, "Type": kind, "Nullable": "UNKNOWN", "CaseSensitive": kind == "varchar" }))
        .collect();
    let mut body = json!({
        "UpdateCount": 0,
        "ResultSet": { "Rows": page, "ResultSetMetadata": { "ColumnInfo": info } },
    });
    if start + max < all.len() {
        body["NextToken"] = json!(format!("mock-{}", start + max));
    }
    ok(body)
}

fn stop(face: &AthenaFace, user: &User, id: &str) -> Prepared {
    let mut state = face.lock();
    let delay = state.delay.unwrap_or(DEFAULT_DELAY);
    let Some(execution) = state.executions.get_mut(id).filter(|e| e.owner == user.id) else {
        return not_found(id);
    };
    if matches!(execution.state(delay), "QUEUED" | "RUNNING") {
        execution.cancelled = true;
    }
    state.stops.push(id.to_string());
    ok(json!({}))
}

fn list_databases(model: &Model, user: &User, catalog: &str) -> Prepared {
    let Some(catalog) = tables::find_catalog(model, catalog) else {
        return error(
            "MetadataException",
            &format!("Catalog {catalog} was not found"),
        );
    };
    let list: Vec<Value> = tables::databases(model, user, &catalog)
        .into_iter()
        .map(|(name, description)| json!({ "Name": name, "Description": description }))
        .collect();
    ok(json!({ "DatabaseList": list }))
}

fn table_json(table: &tables::TableDef) -> Value {
    let columns: Vec<Value> = table
        .columns
        .iter()
        .map(|(n, t)| json!({ "Name": n, "Type": t }))
        .collect();
    json!({
        "Name": table.name,
        "TableType": "EXTERNAL_TABLE",
        "Columns": columns,
        "PartitionKeys": [],
        "Parameters": { "location": table.location, "classification": "csv" },
    })
}

fn table_defs(model: &Model, user: &User, input: &Value) -> Result<Vec<tables::TableDef>, String> {
    let catalog = input["CatalogName"].as_str().unwrap_or_default();
    let database = input["DatabaseName"].as_str().unwrap_or_default();
    let Some(catalog) = tables::find_catalog(model, catalog) else {
        return Err(format!("Catalog {catalog} was not found"));
    };
    tables::tables(model, user, &catalog, database)
        .ok_or_else(|| format!("Database {database} was not found"))
}

fn list_tables(model: &Model, user: &User, input: &Value) -> Prepared {
    let defs = match table_defs(model, user, input) {
        Ok(defs) => defs,
        Err(message) => return error("MetadataException", &message),
    };
    let filter = input["Expression"].as_str().map(regex_lite::Regex::new);
    let filter = match filter {
        Some(Err(e)) => {
            return error(
                "InvalidRequestException",
                &format!("Invalid Expression: {e}"),
            );
        }
        Some(Ok(regex)) => Some(regex),
        None => None,
    };
    let list: Vec<Value> = defs
        .iter()
        .filter(|t| filter.as_ref().is_none_or(|r| r.is_match(&t.name)))
        .map(table_json)
        .collect();
    ok(json!({ "TableMetadataList": list }))
}

fn get_table(model: &Model, user: &User, input: &Value) -> Prepared {
    let defs = match table_defs(model, user, input) {
        Ok(defs) => defs,
        Err(message) => return error("MetadataException", &message),
    };
    let name = input["TableName"].as_str().unwrap_or_default();
    match defs.iter().find(|t| t.name.eq_ignore_ascii_case(name)) {
        Some(table) => ok(json!({ "TableMetadata": table_json(table) })),
        None => error("MetadataException", &format!("Table {name} was not found")),
    }
}

fn get_workgroup(name: &str) -> Prepared {
    match athena_file().workgroups.iter().find(|w| w.name == name) {
        Some(w) => {
            let result = match &w.output_location {
                Some(location) => json!({ "OutputLocation": location }),
                None => json!({}),
            };
            ok(
                json!({ "WorkGroup": { "Name": w.name, "State": w.state, "Configuration": { "ResultConfiguration": result } } }),
            )
        }
        None => error(
            "InvalidRequestException",
            &format!("WorkGroup {name} is not found."),
        ),
    }
}
