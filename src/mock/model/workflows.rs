//! The registry's judgment of a push against the bucket's workflows config, as Quilt's push
//! Lambda makes it: which workflow applies, whether the message is required, and whether the
//! metadata matches the workflow's schema. Every refusal is `WorkflowValidationError`.

use serde_json::{Value, json};

use super::Model;
use super::packages::{PushError, PushParams};
use crate::catalog::workflows::{CONFIG_KEY, WorkflowsConfig};

fn refuse(message: String) -> PushError {
    PushError::Failed("WorkflowValidationError", message)
}

impl Model {
    /// The workflow a push records (`{id, config}`, `None` when the bucket has no config), or
    /// why the registry refuses it. `params.workflow`: `None` is the bucket's default, `""`
    /// none at all, anything else a workflow id.
    pub(super) fn judge_workflow(&self, params: &PushParams) -> Result<Option<Value>, PushError> {
        let bucket = &params.bucket;
        let asked = params.workflow.as_deref();
        let Some(object) = self.object(bucket, CONFIG_KEY, None) else {
            return match asked {
                Some(id) if !id.is_empty() => Err(refuse(format!(
                    "workflow {id:?} was given, but s3://{bucket} has no workflows config ({CONFIG_KEY})"
                ))),
                _ => Ok(None),
            };
        };
        let config = WorkflowsConfig::parse(&String::from_utf8_lossy(&object.bytes))
            .map_err(|e| refuse(format!("s3://{bucket}/{CONFIG_KEY} is not valid: {e}")))?;
        let chosen = match asked {
            None => config.default_workflow.clone(),
            Some("") => None,
            Some(id) => Some(id.to_string()),
        };
        let config_url = format!("s3://{bucket}/{CONFIG_KEY}");
        let Some(id) = chosen else {
            if config.is_workflow_required {
                return Err(refuse(format!(
                    "s3://{bucket} requires a workflow (is_workflow_required: true) and none was given"
                )));
            }
            return Ok(Some(json!({ "id": null, "config": config_url })));
        };
        let Some(workflow) = config.workflow(&id) else {
            return Err(refuse(format!(
                "workflow {id:?} is not defined for s3://{bucket}; known: {:?}",
                config.ids()
            )));
        };
        let message = params.message.as_deref().unwrap_or_default().trim();
        if workflow.is_message_required && message.is_empty() {
            return Err(refuse(format!(
                "workflow {id:?} requires a commit message, and none was given"
            )));
        }
        if let Some(schema_id) = &workflow.metadata_schema {
            let schema = self.schema(&config, schema_id)?;
            check_metadata(&schema, &params.user_meta)
                .map_err(|e| refuse(format!("metadata does not match workflow {id:?}: {e}")))?;
        }
        Ok(Some(json!({ "id": id, "config": config_url })))
    }

    /// A metadata schema named in the config, read from this stack's S3 (the model reads no
    /// other URLs).
    fn schema(&self, config: &WorkflowsConfig, id: &str) -> Result<Value, PushError> {
        let url = config
            .schemas
            .get(id)
            .ok_or_else(|| refuse(format!("schema {id:?} is not defined in `schemas`")))?;
        let (bucket, key) = url
            .strip_prefix("s3://")
            .and_then(|rest| rest.split_once('/'))
            .ok_or_else(|| refuse(format!("schema {id:?} at {url} cannot be read")))?;
        let object = self
            .object(bucket, key, None)
            .ok_or_else(|| refuse(format!("schema {id:?} at {url} does not exist")))?;
        serde_json::from_slice(&object.bytes)
            .map_err(|e| refuse(format!("schema {id:?} at {url} is not JSON: {e}")))
    }
}

/// The model checks what agents get wrong, not all of JSON Schema: the top-level `type`,
/// `required` keys, and each top-level property's `type`, `enum` and `const`. Nested schemas,
/// formats, patterns and lengths are the real registry's to check (the mock stays light).
fn check_metadata(schema: &Value, meta: &Value) -> Result<(), String> {
    let empty = json!({});
    let meta = if meta.is_null() { &empty } else { meta };
    if let Some(kind) = schema.get("type")
        && !type_matches(kind, meta)
    {
        return Err(format!("the metadata must be of type {kind}"));
    }
    let Some(object) = meta.as_object() else {
        return Ok(());
    };
    let required = schema.get("required").and_then(Value::as_array);
    for key in required.into_iter().flatten().filter_map(Value::as_str) {
        if !object.contains_key(key) {
            return Err(format!("{key:?} is a required property"));
        }
    }
    let properties = schema.get("properties").and_then(Value::as_object);
    for (key, rule) in properties.into_iter().flatten() {
        let Some(value) = object.get(key) else {
            continue;
        };
        if let Some(kind) = rule.get("type")
            && !type_matches(kind, value)
        {
            return Err(format!("{key:?}: {value} is not of type {kind}"));
        }
        if let Some(options) = rule.get("enum").and_then(Value::as_array)
            && !options.contains(value)
        {
            return Err(format!("{key:?}: {value} is not one of {}", json!(options)));
        }
        if let Some(constant) = rule.get("const")
            && constant != value
        {
            return Err(format!("{key:?}: {value} must be {constant}"));
        }
    }
    Ok(())
}

/// JSON Schema's `type` (a name or a list of names) against a value.
fn type_matches(kind: &Value, value: &Value) -> bool {
    let one = |name: &str| match name {
        "object" => value.is_object(),
        "array" => value.is_array(),
        "string" => value.is_string(),
        "number" => value.is_number(),
        "integer" => value.is_i64() || value.is_u64(),
        "boolean" => value.is_boolean(),
        "null" => value.is_null(),
        _ => true,
    };
    match kind {
        Value::String(name) => one(name),
        Value::Array(names) => names.iter().filter_map(Value::as_str).any(one),
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_is_checked_for_required_keys_types_and_constants() {
        let schema = json!({"type": "object", "required": ["organism"],
            "properties": {"organism": {"type": "string", "enum": ["Mus musculus"]},
                           "assay": {"const": "RNA-seq"}, "runs": {"type": "array"}}});
        let ok = json!({"organism": "Mus musculus", "assay": "RNA-seq", "runs": []});
        assert_eq!(check_metadata(&schema, &ok), Ok(()));
        let missing = check_metadata(&schema, &Value::Null).unwrap_err();
        assert!(
            missing.contains("\"organism\" is a required property"),
            "{missing}"
        );
        let typed = check_metadata(&schema, &json!({"organism": "Mus musculus", "runs": 3}));
        assert!(typed.unwrap_err().contains("\"runs\""));
        let other = check_metadata(&schema, &json!({"organism": "Homo sapiens"}));
        assert!(other.unwrap_err().contains("not one of"));
        assert!(check_metadata(&schema, &json!([1])).is_err());
    }
}
