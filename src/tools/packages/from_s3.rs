//! `package_create_from_s3`: find the objects under a prefix (with include and exclude globs),
//! preview the package with `dry_run`, then create it. The listing is the bucket tools' own
//! (`CallerS3::list`, the caller's temporary credentials); the revision is made by the catalog
//! through `package_push::push`, as `package_create` makes it.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::aws::s3::{CallerS3, ListRequest};
use crate::http::encode_key_path;
use crate::tools::buckets::objects::caller_s3;
use crate::tools::budget::{TEXT_BUDGET, encoded_len, take_within};
use crate::tools::navigation::quilt_uri::bucket_arg;
use crate::tools::packages::glob::{Budget, Glob};
use crate::tools::packages::push::{NewEntry, PushOptions, Pushed, construct_entry, push};
use crate::tools::packages::revision::{MAX_FLAT_ENTRIES, PackageRef};
use crate::tools::{Annotations, Ctx, Tool, ToolError, typed};

/// Keys listed per ListObjectsV2 page while discovering.
const PAGE: i32 = 1000;
/// Packages of more objects than this need `force=true`: a guard against a too-broad prefix.
const FORCE_ABOVE: usize = 1000;
/// Entries shown in a preview at most (fewer when they would pass the result budget).
const PREVIEW_ENTRIES: usize = 100;

/// Metadata profiles: what the generated metadata describes besides the source.
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum MetadataTemplate {
    /// Source, object count, total size and file types.
    #[default]
    Standard,
    /// Standard, plus object counts per data split (top folders named train, val, test…).
    Ml,
    /// Standard, plus the tabular files (csv, tsv, parquet, json…).
    Analytics,
}

/// Arguments of `package_create_from_s3`; names and defaults as upstream unless said.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PackageCreateFromS3Args {
    /// The bucket holding the objects, e.g. `example-data` (`s3://` is accepted).
    pub source_bucket: String,
    /// The package, `namespace/name`.
    pub package_name: String,
    /// Only objects under this prefix, e.g. `results/2024/`.
    #[serde(default)]
    pub source_prefix: String,
    /// A description, kept in the package metadata and used as the revision message.
    #[serde(default)]
    pub description: String,
    /// The bucket the package is made in; the source bucket when empty.
    #[serde(default)]
    pub target_registry: String,
    /// Keep only keys matching one of these globs, matched against the key relative to
    /// `source_prefix` (`*` also crosses `/`, so `*.csv` matches at any depth); all when empty.
    #[serde(default)]
    pub include_patterns: Vec<String>,
    /// Drop keys matching one of these globs (same matching), e.g. `qc/*`.
    #[serde(default)]
    pub exclude_patterns: Vec<String>,
    /// Generated metadata: `standard`, `ml` (+ data splits) or `analytics` (+ tabular files).
    #[serde(default)]
    pub metadata_template: MetadataTemplate,
    /// Copy the objects into the target registry (true) or reference them where they are.
    #[serde(default)]
    pub copy: bool,
    /// Name entries by their key relative to `source_prefix` (true, the default) or by their
    /// full key (false).
    #[serde(default = "yes")]
    pub auto_organize: bool,
    /// Not supported (default false here): an entry must be an object in S3; write a README.md
    /// under the prefix with bucket_objects_put and it is included.
    #[serde(default)]
    pub generate_readme: bool,
    /// Has no effect: nothing is ever prompted (passing it adds a note). Preview with
    /// dry_run=true instead.
    #[serde(default)]
    #[schemars(extend("default" = true))]
    pub confirm_structure: Option<bool>,
    /// Return the preview (entries, metadata) without creating anything.
    #[serde(default)]
    pub dry_run: bool,
    /// Needed to create a package of more than 1000 objects (a guard against a too-broad prefix).
    #[serde(default)]
    pub force: bool,
    /// Metadata merged over the generated metadata (your keys win).
    #[serde(default)]
    pub metadata: Map<String, Value>,
    /// A workflow id from the target bucket's `.quilt/workflows/config.yml`, checked by the
    /// catalog (a refusal names the bucket's workflows). Empty: the bucket's default workflow;
    /// `none`: no workflow (allowed where the bucket does not require one).
    #[serde(
        default,
        deserialize_with = "crate::tools::packages::workflows::null_as_empty"
    )]
    pub workflow: String,
}

fn yes() -> bool {
    true
}

pub const PACKAGE_CREATE_FROM_S3: Tool = Tool {
    name: "package_create_from_s3",
    title: "Create a package from an S3 prefix",
    description: "Make a package revision from the objects under an S3 prefix, filtered by include/exclude globs, with generated metadata; preview first with dry_run=true. Objects are listed with the caller's own S3 access and referenced (or copied with copy=true).",
    annotations: Annotations::WRITE,
    input_schema: || schemars::schema_for!(PackageCreateFromS3Args),
    output_schema: Some(|| schemars::schema_for!(PackageFromS3)),
    call: |ctx, args| typed(ctx, args, package_create_from_s3),
};

/// An object chosen for the package.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Found {
    /// The key relative to the prefix.
    relative: String,
    key: String,
    size: u64,
}

/// Lists every object under `prefix`, keeping those the globs select. Returns what was kept and
/// how many objects were listed.
async fn discover(
    s3: &CallerS3,
    bucket: &str,
    prefix: &str,
    include: &[String],
    exclude: &[String],
) -> Result<(Vec<Found>, usize), ToolError> {
    let include = compile("include_patterns", include)?;
    let exclude = compile("exclude_patterns", exclude)?;
    let mut budget = Budget::default();
    let (mut found, mut listed, mut token) = (Vec::new(), 0usize, None::<String>);
    loop {
        let request = ListRequest {
            prefix,
            delimiter: None,
            max_keys: PAGE,
            continuation_token: token.as_deref(),
        };
        let page = s3.list(bucket, &request).await?;
        listed += page.objects.len();
        if listed > MAX_FLAT_ENTRIES as usize {
            return Err(ToolError::Failed(format!(
                "more than {MAX_FLAT_ENTRIES} objects under s3://{bucket}/{prefix}; narrow source_prefix or include_patterns"
            )));
        }
        for object in page.objects {
            let relative = object.key.strip_prefix(prefix).unwrap_or(&object.key);
            // Zero-byte "folder" markers are not files.
            if relative.is_empty() || relative.ends_with('/') {
                continue;
            }
            if selected(&include, &exclude, relative, &mut budget)? {
                found.push(Found {
                    relative: relative.to_string(),
                    key: object.key.clone(),
                    size: object.size,
                });
            }
        }
        match page.next_continuation_token.filter(|_| page.is_truncated) {
            Some(next) => token = Some(next),
            None => return Ok((found, listed)),
        }
    }
}

/// The most patterns of each kind.
const MAX_PATTERNS: usize = 100;

/// Compiles the globs of argument `name`, or says which one is refused and why.
fn compile(name: &str, patterns: &[String]) -> Result<Vec<Glob>, ToolError> {
    if patterns.len() > MAX_PATTERNS {
        let why = format!("at most {MAX_PATTERNS} patterns, not {}", patterns.len());
        return Err(ToolError::invalid(name, why));
    }
    patterns
        .iter()
        .map(|p| Glob::new(p).map_err(|why| ToolError::invalid(name, why)))
        .collect()
}

/// Whether `relative` is kept: matched by an include (or there are none) and by no exclude.
fn selected(
    include: &[Glob],
    exclude: &[Glob],
    relative: &str,
    budget: &mut Budget,
) -> Result<bool, ToolError> {
    let costly = |_| {
        ToolError::Failed(
            "include_patterns and exclude_patterns cost too much to match over this listing (many `*` over long keys); use fewer wildcards or a narrower source_prefix"
                .into(),
        )
    };
    let mut any = |globs: &[Glob]| -> Result<bool, ToolError> {
        for glob in globs {
            if glob.matches(relative, budget).map_err(costly)? {
                return Ok(true);
            }
        }
        Ok(false)
    };
    let included = include.is_empty() || any(include)?;
    Ok(included && !any(exclude)?)
}

impl Found {
    /// The entry's logical key: relative to the prefix (`auto_organize`) or the full key.
    fn logical(&self, auto_organize: bool) -> &str {
        if auto_organize {
            &self.relative
        } else {
            &self.key
        }
    }
}

/// `s3://bucket/key` with each key segment percent-encoded, as package physical keys are written.
fn physical_key(bucket: &str, key: &str) -> String {
    format!("s3://{bucket}/{}", encode_key_path(key))
}

/// The generated metadata for `found` under the template, with `extra` merged over it.
fn metadata(
    args: &PackageCreateFromS3Args,
    bucket: &str,
    prefix: &str,
    found: &[Found],
) -> Map<String, Value> {
    let mut types: BTreeMap<String, usize> = BTreeMap::new();
    for f in found {
        let name = f.relative.rsplit('/').next().unwrap_or_default();
        let ext = match name.rsplit_once('.') {
            Some((stem, ext)) if !stem.is_empty() => ext.to_ascii_lowercase(),
            _ => "(none)".into(),
        };
        *types.entry(ext).or_default() += 1;
    }
    let mut generated = json!({
        "source": format!("s3://{bucket}/{prefix}"),
        "created_with": "quilt-mcp package_create_from_s3",
        "template": args.metadata_template,
        "objects": found.len(),
        "total_bytes": found.iter().map(|f| f.size).sum::<u64>(),
        "file_types": types,
    });
    match args.metadata_template {
        MetadataTemplate::Standard => {}
        MetadataTemplate::Ml => {
            let mut splits: BTreeMap<&str, usize> = BTreeMap::new();
            for f in found {
                let top = f.relative.split('/').next().unwrap_or_default();
                let split = match top.to_ascii_lowercase().as_str() {
                    "train" | "training" => "train",
                    "val" | "valid" | "validation" | "dev" => "validation",
                    "test" | "testing" | "holdout" => "test",
                    _ => continue,
                };
                *splits.entry(split).or_default() += 1;
            }
            generated["splits"] = json!(splits);
        }
        MetadataTemplate::Analytics => {
            let tables: Vec<&str> = found
                .iter()
                .map(|f| f.logical(args.auto_organize))
                .filter(|k| {
                    let lower = k.to_ascii_lowercase();
                    [".csv", ".tsv", ".parquet", ".json", ".jsonl", ".xlsx"]
                        .iter()
                        .any(|ext| lower.ends_with(ext))
                })
                .take(50)
                .collect();
            generated["tables"] = json!(tables);
        }
    }
    let mut meta = Map::new();
    if !args.description.trim().is_empty() {
        meta.insert("description".into(), json!(args.description.trim()));
    }
    meta.insert("quilt_mcp".into(), generated);
    meta.extend(args.metadata.clone());
    meta
}

/// What the call would make: checked arguments, the selected objects and the metadata.
struct Plan {
    package: PackageRef,
    entries: Vec<(NewEntry, u64)>,
    metadata: Map<String, Value>,
    message: String,
    /// Reported by the preview and the creation alike.
    summary: Summary,
}

/// Checks the arguments, discovers the objects and builds the entries and metadata.
async fn plan(ctx: &Ctx, args: &PackageCreateFromS3Args) -> Result<Plan, ToolError> {
    let bucket = bucket_arg("source_bucket", &args.source_bucket)?;
    let registry = match args.target_registry.trim() {
        "" => bucket.as_str(),
        target => target,
    };
    let package = PackageRef::parse(&args.package_name, registry).map_err(|e| match e {
        ToolError::InvalidArgument { field, message } if field == "registry" => {
            ToolError::invalid("target_registry", message)
        }
        other => other,
    })?;
    if args.generate_readme {
        return Err(ToolError::invalid(
            "generate_readme",
            "not supported: a package entry must be an object in S3; write a README.md under the prefix with bucket_objects_put and it is included",
        ));
    }
    let prefix = args.source_prefix.trim().trim_start_matches('/');
    let s3 = caller_s3(ctx).await?;
    let (found, listed) = discover(
        &s3,
        &bucket,
        prefix,
        &args.include_patterns,
        &args.exclude_patterns,
    )
    .await?;
    if found.is_empty() {
        return Err(ToolError::Failed(format!(
            "no objects under s3://{bucket}/{prefix} match ({listed} listed); check source_prefix and the patterns (bucket_objects_list shows the keys)"
        )));
    }
    let entries = found
        .iter()
        .map(|f| {
            let entry = NewEntry {
                logical_key: f.logical(args.auto_organize).to_string(),
                physical_key: physical_key(&bucket, &f.key),
            };
            (entry, f.size)
        })
        .collect();
    let message = match args.description.trim() {
        "" => format!("Created from s3://{bucket}/{prefix} with quilt-mcp package_create_from_s3"),
        text => text.to_string(),
    };
    let notes: Vec<String> = args
        .confirm_structure
        .map(|_| {
            "confirm_structure has no effect here: nothing is prompted; preview with dry_run=true"
                .to_string()
        })
        .into_iter()
        .collect();
    let summary = Summary {
        source: format!("s3://{bucket}/{prefix}"),
        objects_listed: listed,
        objects_selected: found.len(),
        total_bytes: found.iter().map(|f| f.size).sum::<u64>(),
        notes,
    };
    Ok(Plan {
        metadata: metadata(args, &bucket, prefix, &found),
        package,
        entries,
        message,
        summary,
    })
}

/// What was found, reported by the preview and the creation alike.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Summary {
    pub source: String,
    pub objects_listed: usize,
    pub objects_selected: usize,
    pub total_bytes: u64,
    pub notes: Vec<String>,
}

/// An entry of the preview.
#[derive(Debug, Serialize, JsonSchema)]
pub struct PreviewEntry {
    pub logical_key: String,
    pub physical_key: String,
    pub size: u64,
}

/// The dry run's answer: what would be created.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Preview {
    /// `preview`.
    pub action: &'static str,
    #[serde(flatten)]
    pub summary: Summary,
    pub package_name: String,
    pub registry: String,
    pub message: String,
    /// The metadata the revision would get: free-form.
    pub metadata: Map<String, Value>,
    /// The first entries (`objects_selected` counts them all).
    pub entries_shown: usize,
    pub entries: Vec<PreviewEntry>,
    pub next_step: String,
}

/// The creation's answer.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Created {
    /// `created`.
    pub action: &'static str,
    #[serde(flatten)]
    pub pushed: Pushed,
    #[serde(flatten)]
    pub summary: Summary,
}

/// The result of `package_create_from_s3`: a preview (`dry_run`) or the new revision.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum PackageFromS3 {
    Preview(Preview),
    Created(Created),
}

/// The dry run's answer: the plan, with the first entries that fit in the result budget.
fn preview(plan: Plan) -> Preview {
    let mut preview = Preview {
        action: "preview",
        summary: plan.summary,
        package_name: plan.package.name.clone(),
        registry: plan.package.registry(),
        message: plan.message,
        metadata: plan.metadata,
        entries_shown: 0,
        entries: Vec::new(),
        next_step: "call again with dry_run=false to create this revision".into(),
    };
    let shown: Vec<PreviewEntry> = plan
        .entries
        .into_iter()
        .take(PREVIEW_ENTRIES)
        .map(|(e, size)| PreviewEntry {
            logical_key: e.logical_key,
            physical_key: e.physical_key,
            size,
        })
        .collect();
    let room = TEXT_BUDGET.saturating_sub(encoded_len(&preview) + 50);
    preview.entries = take_within(shown, room).0;
    preview.entries_shown = preview.entries.len();
    preview
}

#[tracing::instrument(skip_all, fields(source = %args.source_bucket, package = %args.package_name))]
async fn package_create_from_s3(
    ctx: &Ctx,
    args: PackageCreateFromS3Args,
) -> Result<PackageFromS3, ToolError> {
    let plan = plan(ctx, &args).await?;
    if args.dry_run {
        return Ok(PackageFromS3::Preview(preview(plan)));
    }
    let count = plan.entries.len();
    if count > FORCE_ABOVE && !args.force {
        return Err(ToolError::invalid(
            "force",
            format!(
                "{count} objects would go into the package (more than {FORCE_ABOVE}); check with dry_run=true, then pass force=true"
            ),
        ));
    }
    let construct: Vec<Value> = plan
        .entries
        .iter()
        .map(|(entry, size)| {
            let mut value = construct_entry(entry);
            value["size"] = json!(size);
            value
        })
        .collect();
    let options = PushOptions {
        metadata: Some(plan.metadata),
        message: plan.message,
        copy: args.copy,
        workflow: args.workflow.clone(),
    };
    let pushed = push(ctx, &plan.package, construct, options).await?;
    Ok(PackageFromS3::Created(Created {
        action: "created",
        pushed,
        summary: plan.summary,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn physical_keys_are_percent_encoded_per_segment() {
        assert_eq!(
            physical_key("b", "raw/run 1/a+b.csv"),
            "s3://b/raw/run%201/a%2Bb.csv"
        );
        assert_eq!(physical_key("b", "a//b"), "s3://b/a//b");
    }
}
