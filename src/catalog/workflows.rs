//! A bucket's workflows configuration, `.quilt/workflows/config.yml`, as Quilt defines it
//! (docs.quilt.bio, "Workflows"): the workflows a push may name, whether one is required, the
//! default, and the JSON Schemas package metadata must match. The registry enforces it on every
//! push; the server reads it only to explain a refusal, and the embedded catalog to enforce it.
//!
//! The reader covers the YAML these files are written in: block mappings by indentation, plain
//! or quoted scalars, `#` comments, and `|`/`>` block text (kept verbatim). Lists (`successors`
//! may use them) and flow style (`{…}`, `[…]`) are skipped, not misread: no field we use is a
//! list. A YAML library would be the only reason to add one; this subset is what Quilt's own
//! examples use.

use std::collections::BTreeMap;

/// Where a bucket keeps its workflows configuration.
pub const CONFIG_KEY: &str = ".quilt/workflows/config.yml";

/// One workflow a push may name.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Workflow {
    pub id: String,
    pub name: Option<String>,
    pub description: Option<String>,
    /// A push under it must carry a non-empty message.
    pub is_message_required: bool,
    /// The id (in `schemas`) of the JSON Schema the package metadata must match.
    pub metadata_schema: Option<String>,
}

/// The parts of `config.yml` a push is judged by.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WorkflowsConfig {
    /// Quilt's default is true: a bucket with a config but no setting requires a workflow.
    pub is_workflow_required: bool,
    pub default_workflow: Option<String>,
    /// In file order.
    pub workflows: Vec<Workflow>,
    /// Schema id → its URL (`s3://bucket/key` or `https://…`).
    pub schemas: BTreeMap<String, String>,
}

impl WorkflowsConfig {
    /// Reads a config file's text; an error says what is wrong with it.
    pub fn parse(text: &str) -> Result<Self, String> {
        let lines: Vec<(usize, &str)> = text
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
            .map(|l| (l.len() - l.trim_start().len(), l.trim()))
            .collect();
        let mut at = 0;
        let root = block(&lines, &mut at, 0);
        let mut config = WorkflowsConfig {
            is_workflow_required: true,
            ..Self::default()
        };
        for (key, value) in &root {
            match (key.as_str(), value) {
                ("is_workflow_required", Yaml::Scalar(v)) => {
                    config.is_workflow_required = boolean(key, v)?;
                }
                ("default_workflow", Yaml::Scalar(v)) => {
                    config.default_workflow = Some(v.clone()).filter(|v| !v.is_empty());
                }
                ("workflows", Yaml::Map(entries)) => {
                    for (id, fields) in entries {
                        config.workflows.push(workflow(id, fields)?);
                    }
                }
                ("schemas", Yaml::Map(entries)) => {
                    for (id, fields) in entries {
                        if let Some(url) = scalar(fields, "url") {
                            config.schemas.insert(id.clone(), url.to_string());
                        }
                    }
                }
                ("workflows" | "schemas", Yaml::Scalar(_)) => {
                    return Err(format!("`{key}` must be a mapping of ids"));
                }
                _ => {}
            }
        }
        if !root.iter().any(|(k, _)| k == "workflows") {
            return Err("it has no `workflows` section".into());
        }
        Ok(config)
    }

    /// A workflow by id.
    pub fn workflow(&self, id: &str) -> Option<&Workflow> {
        self.workflows.iter().find(|w| w.id == id)
    }

    /// The workflow ids, in file order.
    pub fn ids(&self) -> Vec<String> {
        self.workflows.iter().map(|w| w.id.clone()).collect()
    }
}

fn workflow(id: &str, fields: &Yaml) -> Result<Workflow, String> {
    let flag = |name: &str| match scalar(fields, name) {
        Some(v) => boolean(&format!("workflows.{id}.{name}"), v),
        None => Ok(false),
    };
    Ok(Workflow {
        id: id.to_string(),
        name: scalar(fields, "name").map(str::to_string),
        description: scalar(fields, "description").map(str::to_string),
        is_message_required: flag("is_message_required")?,
        metadata_schema: scalar(fields, "metadata_schema").map(str::to_string),
    })
}

fn boolean(key: &str, value: &str) -> Result<bool, String> {
    match value {
        "true" | "True" | "TRUE" => Ok(true),
        "false" | "False" | "FALSE" => Ok(false),
        _ => Err(format!("`{key}` must be true or false, not {value:?}")),
    }
}

/// A node of the YAML subset.
#[derive(Debug)]
enum Yaml {
    Scalar(String),
    Map(Vec<(String, Yaml)>),
}

fn scalar<'a>(node: &'a Yaml, key: &str) -> Option<&'a str> {
    match node {
        Yaml::Map(entries) => entries.iter().find_map(|(k, v)| match v {
            Yaml::Scalar(s) if k == key => Some(s.as_str()),
            _ => None,
        }),
        Yaml::Scalar(_) => None,
    }
}

/// The mapping whose keys sit at `indent`, starting at `lines[*at]`.
fn block(lines: &[(usize, &str)], at: &mut usize, indent: usize) -> Vec<(String, Yaml)> {
    let mut entries = Vec::new();
    while let Some(&(level, text)) = lines.get(*at) {
        if level < indent {
            break;
        }
        *at += 1;
        let key_value = text.split_once(':').filter(|_| !text.starts_with("- "));
        let Some((key, rest)) = key_value.filter(|_| level == indent) else {
            // A list item, or a line deeper than a key we kept: skip it and its children.
            skip_deeper(lines, at, level);
            continue;
        };
        let key = unquote(key.trim()).to_string();
        let rest = strip_comment(rest.trim());
        let deeper = lines.get(*at).map(|l| l.0).filter(|&l| l > indent);
        let value = match (rest, deeper) {
            ("", Some(child)) => Yaml::Map(block(lines, at, child)),
            ("|" | ">" | "|-" | ">-", Some(_)) => {
                let start = *at;
                skip_deeper(lines, at, indent);
                let text: Vec<&str> = lines[start..*at].iter().map(|l| l.1).collect();
                Yaml::Scalar(text.join("\n"))
            }
            (value, _) => {
                skip_deeper(lines, at, indent);
                Yaml::Scalar(unquote(value).to_string())
            }
        };
        entries.push((key, value));
    }
    entries
}

fn skip_deeper(lines: &[(usize, &str)], at: &mut usize, level: usize) {
    while lines.get(*at).is_some_and(|l| l.0 > level) {
        *at += 1;
    }
}

/// A plain scalar ends at ` #`; a quoted one keeps everything inside its quotes.
fn strip_comment(value: &str) -> &str {
    if value.starts_with(['"', '\'']) {
        return value;
    }
    value.split(" #").next().unwrap_or(value).trim()
}

fn unquote(value: &str) -> &str {
    let value = value.trim();
    for quote in ['"', '\''] {
        if let Some(inner) = value
            .strip_prefix(quote)
            .and_then(|v| v.strip_suffix(quote))
        {
            return inner;
        }
    }
    value
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONFIG: &str = r#"version: "1"
# which pushes are allowed
is_workflow_required: false
default_workflow: rnaseq
workflows:
  rnaseq:
    name: RNA-seq   # shown in the catalog
    description: |
      Bulk RNA-seq results
      from the pipeline
    metadata_schema: rnaseq-meta
  "notes":
    name: 'Lab notes'
    is_message_required: true
successors:
  s3://example-packages:
    title: Curated
    copy_data: true
schemas:
  rnaseq-meta:
    url: s3://example-data/.quilt/workflows/rnaseq.schema.json
"#;

    #[test]
    fn reads_workflows_schemas_and_settings() {
        let config = WorkflowsConfig::parse(CONFIG).unwrap();
        assert!(!config.is_workflow_required);
        assert_eq!(config.default_workflow.as_deref(), Some("rnaseq"));
        assert_eq!(config.ids(), ["rnaseq", "notes"]);
        let rnaseq = config.workflow("rnaseq").unwrap();
        assert_eq!(rnaseq.name.as_deref(), Some("RNA-seq"));
        assert_eq!(
            rnaseq.description.as_deref(),
            Some("Bulk RNA-seq results\nfrom the pipeline")
        );
        assert_eq!(rnaseq.metadata_schema.as_deref(), Some("rnaseq-meta"));
        assert!(!rnaseq.is_message_required);
        let notes = config.workflow("notes").unwrap();
        assert!(notes.is_message_required);
        assert_eq!(notes.name.as_deref(), Some("Lab notes"));
        assert_eq!(
            config.schemas["rnaseq-meta"],
            "s3://example-data/.quilt/workflows/rnaseq.schema.json"
        );
    }

    #[test]
    fn requires_a_workflow_by_default_and_names_bad_settings() {
        let config = WorkflowsConfig::parse("workflows:\n  a:\n    name: A\n").unwrap();
        assert!(config.is_workflow_required);
        assert_eq!(config.default_workflow, None);
        let bad = WorkflowsConfig::parse("is_workflow_required: maybe\nworkflows:\n  a: {}\n");
        assert!(bad.unwrap_err().contains("is_workflow_required"));
        assert!(WorkflowsConfig::parse("version: 1\n").is_err());
        assert!(WorkflowsConfig::parse("workflows: nope\n").is_err());
    }
}
