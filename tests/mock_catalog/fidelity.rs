//! The model speaks the catalog's wire format: every GraphQL request recorded in
//! `tests/recordings/` (the wire-format fixtures) is sent to the model as is, and wherever both
//! answers hold a value, the model's has the recorded one's shape (the same fields, the same
//! JSON types, the same `__typename` arms). Values differ (the model's world is its own
//! dataset); shapes may not.

use quilt_mcp::catalog::queries::ALL;
use quilt_mcp::mock::{MockCatalog, Recordings};
use serde_json::Value;

use crate::client::*;

/// Where `model` differs in shape from `recorded`, as paths; nulls on either side match.
fn shape_differences(recorded: &Value, model: &Value, path: &str, out: &mut Vec<String>) {
    match (recorded, model) {
        (Value::Null, _) | (_, Value::Null) => {}
        (Value::Object(r), Value::Object(m)) => {
            // JSON scalars (userMeta, metadata, contentsFlatMap, config) hold free-form
            // objects: their keys are data, not shape.
            let free_form = [
                "userMeta",
                "metadata",
                "user_meta",
                "contentsFlatMap",
                "meta",
                "context",
            ]
            .iter()
            .any(|f| path.ends_with(&format!(".{f}")));
            if free_form {
                return;
            }
            if r.get("__typename") != m.get("__typename") {
                return; // another arm of the union: both are valid shapes
            }
            for (key, value) in r {
                match m.get(key) {
                    Some(other) => shape_differences(value, other, &format!("{path}.{key}"), out),
                    None => out.push(format!("{path}.{key} is missing")),
                }
            }
            // A field the model has and the recording lacks is one the operation selects
            // today but did not when it was recorded: the executor answers the selection.
        }
        (Value::Array(r), Value::Array(m)) => {
            if let (Some(first), Some(other)) = (r.first(), m.first()) {
                shape_differences(first, other, &format!("{path}[]"), out);
            }
        }
        (Value::Number(_), Value::Number(_))
        | (Value::String(_), Value::String(_))
        | (Value::Bool(_), Value::Bool(_)) => {}
        (r, m) => out.push(format!("{path}: recorded {r}, model {m}")),
    }
}

#[test]
fn the_model_answers_every_recorded_request_in_the_recorded_shape() {
    let rt = runtime();
    let model = rt.block_on(MockCatalog::start()).unwrap();
    model.set_strict(true);
    let recordings = Recordings::builtin().unwrap();
    let fixtures =
        std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/recordings")).unwrap();
    let mut compared = 0;
    let mut differences = Vec::new();
    for file in fixtures {
        let path = file.unwrap().path();
        if path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        let scenario: Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        for interaction in scenario["interactions"].as_array().unwrap() {
            let request = &interaction["request"];
            let Some(name) = request
                .pointer("/graphql/operation")
                .and_then(Value::as_str)
            else {
                continue;
            };
            let Some(operation) = ALL.iter().find(|o| o.name == name) else {
                continue;
            };
            let recorded = &interaction["response"]["body"];
            let variables = request["graphql"]["variables"].clone();
            if recorded["data"].is_null()
                || variables.is_null()
                    && name != "ListBuckets"
                    && name != "AuthStatus"
                    && name != "ListRoles"
                    && name != "ListUsers"
                    && name != "GetSSOConfig"
                    && name != "GetOpenQueryStatus"
            {
                continue; // a refusal, or a wildcard recording with no request to repeat
            }
            let who = request["user_id"].as_i64().unwrap_or(ALICE);
            if who != ALICE && who != BOB {
                continue;
            }
            let variables = (!variables.is_null()).then_some(variables);
            let (status, answer) = graphql(&model, Some(who), operation.text, variables);
            assert_eq!(status, 200, "{name}: {answer}");
            let mut found = Vec::new();
            shape_differences(&recorded["data"], &answer["data"], name, &mut found);
            if !answer["data"].is_null() {
                compared += 1;
            }
            differences.extend(found);
        }
    }
    assert!(
        differences.is_empty(),
        "the model's answers differ in shape:\n{}",
        differences.join("\n")
    );
    assert!(
        compared >= 40,
        "only {compared} recorded requests could be compared"
    );
    assert!(recordings.len() > compared);
    model.assert_all_matched();
}
