//! Workflows on package writes: `package_create` and `package_update` take a `workflow`, the
//! embedded catalog judges it against the bucket's `.quilt/workflows/config.yml` as the registry
//! does, the revision records it (package_history shows it), and every refusal is explained
//! with the workflows the bucket offers. Workflow ids, schema rules and metadata come from the
//! dataset's own config and schema, read through the tools.

mod common;

use common::{ALICE, Harness, call_ok, err, token};
use serde_json::{Map, Value, json};

const CONFIG: &str = "s3://example-data/.quilt/workflows/config.yml";

/// The config's text, read through the tools.
fn config_text(h: &Harness) -> String {
    let read = call_ok(h, ALICE, "bucket_object_text", json!({ "s3_uri": CONFIG }));
    read["text"].as_str().expect("config text").to_string()
}

/// Replaces the bucket's config through the tools (as a bucket admin would).
fn set_config(h: &Harness, text: &str) {
    let put = call_ok(
        h,
        ALICE,
        "bucket_objects_put",
        json!({"bucket": "example-data", "overwrite": true,
               "items": [{"key": ".quilt/workflows/config.yml", "text": text}]}),
    );
    assert_eq!(put["uploaded"], 1, "{put}");
}

/// The first workflow with a metadata schema, and metadata built from that schema: every
/// required key, with the first `enum` value, the `const`, or a long enough string.
fn schema_workflow(h: &Harness) -> (String, String, Map<String, Value>) {
    let config = config_text(h);
    let mut workflow = None;
    let mut schema_id = None;
    for line in config.lines() {
        if line.starts_with("  ") && !line.starts_with("   ") && line.trim().ends_with(':') {
            workflow.get_or_insert(line.trim().trim_end_matches(':').to_string());
        }
        if let Some(id) = line.trim().strip_prefix("metadata_schema:") {
            schema_id = Some(id.trim().to_string());
        }
    }
    let (workflow, schema_id) = (workflow.expect("a workflow"), schema_id.expect("a schema"));
    let url = config
        .lines()
        .skip_while(|l| l.trim() != format!("{schema_id}:"))
        .find_map(|l| l.trim().strip_prefix("url:").map(|u| u.trim().to_string()))
        .expect("the schema's url");
    let read = call_ok(h, ALICE, "bucket_object_text", json!({ "s3_uri": url }));
    let schema: Value = serde_json::from_str(read["text"].as_str().unwrap()).expect("JSON");
    let mut meta = Map::new();
    for key in schema["required"].as_array().expect("required keys") {
        let key = key.as_str().unwrap();
        let rule = &schema["properties"][key];
        let value = rule["enum"]
            .get(0)
            .cloned()
            .or_else(|| rule.get("const").cloned())
            .unwrap_or_else(|| json!("a value long enough for any minimum length"));
        meta.insert(key.to_string(), value);
    }
    (workflow, schema_id, meta)
}

fn create(h: &Harness, name: &str, extra: Value) -> Value {
    let mut args = json!({"package_name": name, "registry": "example-data",
                          "s3_uris": ["s3://example-data/results/counts.csv"]});
    for (k, v) in extra.as_object().unwrap() {
        args[k] = v.clone();
    }
    h.call_tool(&token(ALICE), "package_create", args)
}

/// The workflow package_history shows for the newest revision.
fn newest_workflow(h: &Harness, name: &str, registry: &str) -> Value {
    let history = call_ok(
        h,
        ALICE,
        "package_history",
        json!({"package_name": name, "registry": registry, "limit": 1}),
    );
    history["revisions"][0]
        .get("workflow")
        .cloned()
        .unwrap_or(Value::Null)
}

#[test]
fn a_valid_workflow_is_recorded_and_read_back() {
    let h = Harness::start();
    let (workflow, _, meta) = schema_workflow(&h);
    let made = common::ok(&create(
        &h,
        "team/wf-valid",
        json!({"workflow": workflow, "metadata": meta, "message": "first"}),
    ));
    assert_eq!(made["workflow"], json!(workflow), "{made}");
    assert_eq!(
        newest_workflow(&h, "team/wf-valid", "example-data"),
        json!(workflow)
    );
    // `none` is "no workflow": allowed here (the bucket does not require one), and recorded.
    let updated = call_ok(
        &h,
        ALICE,
        "package_update",
        json!({"package_name": "team/wf-valid", "registry": "example-data", "workflow": "none",
               "s3_uris": ["s3://example-data/results/de_genes.tsv"]}),
    );
    assert_eq!(updated["workflow"], Value::Null, "{updated}");
    assert_eq!(updated["previous_hash"], made["top_hash"]);
    assert_eq!(
        newest_workflow(&h, "team/wf-valid", "example-data"),
        Value::Null
    );
}

#[test]
fn each_refusal_is_explained_with_the_buckets_workflows() {
    let h = Harness::start();
    let (workflow, schema_id, meta) = schema_workflow(&h);
    // Unknown workflow.
    let text = err(&create(
        &h,
        "team/wf-refused",
        json!({"workflow": "no-such-flow"}),
    ));
    for part in [
        "\"no-such-flow\" is not defined",
        "offers workflows",
        &format!("{workflow:?}"),
    ] {
        assert!(text.contains(part), "{part:?} in {text}");
    }
    // Metadata that misses a required key of the workflow's schema.
    let (dropped, _) = meta.iter().next().expect("a required key");
    let mut partial = meta.clone();
    partial.remove(&dropped.clone());
    let text = err(&create(
        &h,
        "team/wf-refused",
        json!({"workflow": workflow, "metadata": partial}),
    ));
    for part in [
        format!("{dropped:?} is a required property"),
        format!("schema {schema_id:?}"),
        format!("with workflow {workflow:?}"),
    ] {
        assert!(text.contains(&part), "{part:?} in {text}");
    }
    // A workflow that requires a message, pushed with an empty one.
    let config = config_text(&h);
    let with_notes = config.replace(
        "workflows:\n",
        "workflows:\n  notes:\n    name: Lab notes\n    is_message_required: true\n",
    );
    set_config(&h, &with_notes);
    let text = err(&create(
        &h,
        "team/wf-refused",
        json!({"workflow": "notes", "message": "  "}),
    ));
    for part in [
        "\"notes\" requires a commit message",
        "\"notes\" (Lab notes; message required)",
    ] {
        assert!(text.contains(part), "{part:?} in {text}");
    }
    // A bucket that requires a workflow, pushed with none.
    set_config(
        &h,
        &with_notes.replace("is_workflow_required: false", "is_workflow_required: true"),
    );
    let text = err(&create(&h, "team/wf-refused", json!({"workflow": "none"})));
    for part in [
        "requires a workflow",
        "a workflow is required",
        "workflow \"none\" (no workflow)",
    ] {
        assert!(text.contains(part), "{part:?} in {text}");
    }
    let listed = call_ok(
        &h,
        ALICE,
        "packages_list",
        json!({"registry": "example-data"}),
    );
    assert!(!listed.to_string().contains("team/wf-refused"), "{listed}");
}

#[test]
fn the_default_workflow_applies_when_none_is_named() {
    let h = Harness::start();
    let config = config_text(&h);
    set_config(
        &h,
        &config.replace(
            "workflows:\n",
            "default_workflow: notes\nworkflows:\n  notes:\n    is_message_required: true\n",
        ),
    );
    let made = common::ok(&create(
        &h,
        "team/wf-default",
        json!({"message": "weekly notes"}),
    ));
    assert_eq!(made["workflow"], "notes", "{made}");
    assert_eq!(
        newest_workflow(&h, "team/wf-default", "example-data"),
        "notes"
    );
    // The default's rules apply too: its message requirement.
    let text = err(&create(&h, "team/wf-default", json!({"message": ""})));
    assert!(
        text.contains("no `workflow` (so the bucket's default)")
            && text.contains("requires a commit message")
            && text.contains("the default is \"notes\""),
        "{text}"
    );
}

#[test]
fn a_bucket_without_a_workflows_config() {
    let h = Harness::start();
    let source = call_ok(
        &h,
        ALICE,
        "bucket_objects_list",
        json!({"bucket": "example-public", "prefix": "demo/"}),
    );
    let key = source["objects"][0]["key"]
        .as_str()
        .expect("an object")
        .to_string();
    let uri = format!("s3://example-public/{key}");
    let args = |extra: Value| {
        let mut args = json!({"package_name": "demo/wf-none", "registry": "example-public",
                              "s3_uris": [uri]});
        for (k, v) in extra.as_object().unwrap() {
            args[k] = v.clone();
        }
        args
    };
    let made = call_ok(&h, ALICE, "package_create", args(json!({})));
    assert_eq!(made["workflow"], Value::Null, "{made}");
    assert_eq!(
        newest_workflow(&h, "demo/wf-none", "example-public"),
        Value::Null
    );
    let refused = h.call_tool(
        &token(ALICE),
        "package_create",
        args(json!({"workflow": "rnaseq"})),
    );
    let text = err(&refused);
    assert!(
        text.contains("has no workflows config") && text.contains("push without `workflow`"),
        "{text}"
    );
}
