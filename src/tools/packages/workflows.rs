//! Workflows on package writes: the `workflow` argument as the catalog takes it, and a refusal
//! explained with the workflows the bucket offers (read from its `.quilt/workflows/config.yml`
//! with the caller's own S3 access).

use serde_json::Value;

use crate::aws::error::S3ErrorKind;
use crate::aws::s3::ObjectLocation;
use crate::catalog::workflows::{CONFIG_KEY, WorkflowsConfig};
use crate::catalog::{CatalogError, CatalogErrorKind};
use crate::tools::buckets::objects::caller_s3;
use crate::tools::packages::revision::PackageRef;
use crate::tools::{Ctx, ToolError};

/// The config files we read to explain a refusal are small; a bigger one is not a config.
const CONFIG_MAX_BYTES: u64 = 64 * 1024;

/// The tool argument that asks for no workflow at all (quilt3's `workflow=None`, the
/// catalog's "None" choice). A bucket whose workflow is literally named `none` cannot be
/// pushed to under it from here; that is the price of a plain string argument.
const NO_WORKFLOW: &str = "none";

/// Reads the `workflow` argument with null as absent (the house rule for every optional
/// argument), so a client that sends `null` gets the bucket's default, not a decoding error.
pub(crate) fn null_as_empty<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    use serde::Deserialize;
    Ok(Option::<String>::deserialize(d)?.unwrap_or_default())
}

/// `PackagePushParams.workflow` for the tool's `workflow` argument. The registry reads null as
/// the bucket's default workflow and `""` as none; the tool's default (empty) must mean the
/// bucket's default, so "none" is spelled `none`.
pub(crate) fn workflow_param(workflow: &str) -> Value {
    match workflow.trim() {
        "" => Value::Null,
        NO_WORKFLOW => Value::String(String::new()),
        id => Value::String(id.to_string()),
    }
}

/// Whether the catalog refused a push because of its workflow: the push Lambda's
/// `WorkflowValidationError`, or an `InvalidInput` on `params.workflow`.
fn is_workflow_refusal(error: &CatalogError) -> bool {
    match &error.kind {
        CatalogErrorKind::OperationError(text) => text.starts_with("WorkflowValidationError"),
        CatalogErrorKind::InvalidInput(messages) => {
            messages.iter().any(|m| m.starts_with("params.workflow"))
        }
        _ => false,
    }
}

/// A push refusal, explained when it is about workflows; any other error passes unchanged.
pub(crate) async fn explain(
    ctx: &Ctx,
    package: &PackageRef,
    workflow: &str,
    error: ToolError,
) -> ToolError {
    let ToolError::Catalog(catalog) = &error else {
        return error;
    };
    if !is_workflow_refusal(catalog) {
        return error;
    }
    let asked = match workflow.trim() {
        "" => "no `workflow` (so the bucket's default)".to_string(),
        NO_WORKFLOW => "workflow \"none\" (no workflow)".to_string(),
        id => format!("workflow {id:?}"),
    };
    let offered = match read_config(ctx, &package.bucket).await {
        Ok(Some(config)) => describe(&config),
        Ok(None) => format!(
            "{} has no workflows config ({CONFIG_KEY}): push without `workflow`.",
            package.registry()
        ),
        Err(why) => format!("Its workflows config could not be read: {why}."),
    };
    ToolError::Failed(format!(
        "The catalog refused to push {} to {} with {asked}: {catalog}. {offered}",
        package.name,
        package.registry(),
    ))
}

/// The bucket's workflows config (none: the bucket has none), read with the caller's
/// credentials.
async fn read_config(ctx: &Ctx, bucket: &str) -> Result<Option<WorkflowsConfig>, String> {
    let s3 = caller_s3(ctx).await.map_err(|e| e.to_string())?;
    let at = ObjectLocation {
        bucket: bucket.to_string(),
        key: CONFIG_KEY.to_string(),
        version_id: None,
    };
    let read = match s3.read(&at, CONFIG_MAX_BYTES).await {
        Ok(read) => read,
        Err(e) if e.kind == S3ErrorKind::NoSuchKey => return Ok(None),
        Err(e) => return Err(e.to_string()),
    };
    if read.truncated {
        return Err(format!("{} is over {CONFIG_MAX_BYTES} bytes", at.uri()));
    }
    WorkflowsConfig::parse(&String::from_utf8_lossy(&read.bytes))
        .map(Some)
        .map_err(|e| format!("{} is not valid: {e}", at.uri()))
}

/// What a bucket's config offers, in one paragraph an agent can act on.
fn describe(config: &WorkflowsConfig) -> String {
    let workflows: Vec<String> = config
        .workflows
        .iter()
        .map(|w| {
            let mut notes = Vec::new();
            if let Some(name) = &w.name {
                notes.push(name.clone());
            }
            if w.is_message_required {
                notes.push("message required".into());
            }
            if let Some(schema) = &w.metadata_schema {
                let url = config.schemas.get(schema).map(String::as_str);
                notes.push(match url {
                    Some(url) => format!("metadata must match schema {schema:?} at {url}"),
                    None => format!("metadata schema {schema:?}"),
                });
            }
            match notes.is_empty() {
                true => format!("{:?}", w.id),
                false => format!("{:?} ({})", w.id, notes.join("; ")),
            }
        })
        .collect();
    let default = match &config.default_workflow {
        Some(id) => format!("the default is {id:?}"),
        None => "there is no default".into(),
    };
    let required = match config.is_workflow_required {
        true => "a workflow is required",
        false => "`workflow: \"none\"` pushes with no workflow",
    };
    format!(
        "The bucket offers workflows {}; {default}; {required}. Pass `workflow` with one of these ids and a message and metadata that fit it.",
        workflows.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_config_is_described_with_its_rules() {
        let config = WorkflowsConfig::parse(
            "is_workflow_required: false\nworkflows:\n  rnaseq:\n    name: RNA-seq\n    metadata_schema: m\n  notes:\n    is_message_required: true\nschemas:\n  m:\n    url: s3://b/m.json\n",
        )
        .unwrap();
        let text = describe(&config);
        assert!(
            text.contains(
                "\"rnaseq\" (RNA-seq; metadata must match schema \"m\" at s3://b/m.json)"
            ),
            "{text}"
        );
        assert!(text.contains("\"notes\" (message required)"), "{text}");
        assert!(text.contains("there is no default"), "{text}");
        assert_eq!(workflow_param(""), Value::Null);
        assert_eq!(workflow_param("none"), Value::String(String::new()));
        assert_eq!(workflow_param(" qc "), Value::String("qc".into()));
    }
}
