//! `generate_quilt_summarize_json` and `create_quilt_summary_files`: the `quilt_summarize.json`
//! a catalog renders on a package page (a JSON array of files to preview, in the catalog's own
//! format, not upstream's dictionary, which the catalog cannot read), a README, and the
//! structure charts, from a package's files and metadata.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::tools::viz::data_viz::pretty;
use crate::tools::viz::package_viz::{latest, render_all, standard, viz_folder};
use crate::tools::viz::structure::{
    self, OrganizedStructure, PackageSource, Structure, Totals, extension, human_bytes,
};
use crate::tools::viz::{ColorScheme, PackageFile, SummaryEntry, folder_prefix};
use crate::tools::{Annotations, Ctx, Tool, ToolError, typed};

/// The most files a generated summary previews: a landing page, not a listing.
const MAX_ENTRIES: usize = 10;

/// Arguments of `generate_quilt_summarize_json` and `create_quilt_summary_files`; upstream's
/// names, plus a package to read instead of a hand-built structure.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SummaryArgs {
    /// The package, `namespace/name`.
    pub package_name: String,
    /// Package metadata (merged over the revision's when `registry` is given).
    #[serde(default)]
    pub package_metadata: Map<String, Value>,
    /// The files by folder, `{"data": [{"Key": "data/a.csv", "Size": 120}]}`; not needed when
    /// `registry` names the package to read.
    #[serde(default)]
    pub organized_structure: OrganizedStructure,
    /// README.md text for `create_quilt_summary_files`; when empty, one is written from the
    /// metadata and structure unless the package has a README.md (then it is kept). The catalog
    /// shows README.md by itself, so summaries do not list it.
    #[serde(default)]
    pub readme_content: String,
    /// Where the data came from, e.g. `{"bucket": "raw-data", "prefix": "run42/"}`; written
    /// into the README.
    #[serde(default)]
    pub source_info: Map<String, Value>,
    /// Chooses the chart colours: `genomics`, `ml`, `research`, `analytics`, else the default.
    #[serde(default = "standard")]
    pub metadata_template: String,
    /// The bucket holding the package (`s3://bucket` or `bucket`): read the package's files
    /// and metadata from this revision instead of `organized_structure`.
    #[serde(default)]
    pub registry: String,
    /// With `registry`: a revision's 64-digit top hash; wins over `tag`.
    #[serde(default)]
    pub top_hash: String,
    /// With `registry`: a revision tag.
    #[serde(default = "latest")]
    pub tag: String,
    /// The folder inside the package for the charts `create_quilt_summary_files` makes.
    #[serde(default = "viz_folder")]
    pub folder: String,
}

pub const GENERATE_QUILT_SUMMARIZE_JSON: Tool = Tool {
    name: "generate_quilt_summarize_json",
    title: "Write a package's quilt_summarize.json",
    description: "Write the quilt_summarize.json the Quilt catalog renders on a package page (a JSON array of files to preview: charts, images, tables, notebooks, documents), chosen from organized_structure or a revision read from the catalog (registry + package_name). Returned as `summary` and as a file ready to add to the package.",
    annotations: Annotations::READ_ONLY,
    input_schema: || schemars::schema_for!(SummaryArgs),
    output_schema: Some(|| schemars::schema_for!(QuiltSummarize)),
    call: |ctx, args| typed(ctx, args, generate_quilt_summarize_json),
};

pub const CREATE_QUILT_SUMMARY_FILES: Tool = Tool {
    name: "create_quilt_summary_files",
    title: "Make a package's summary files",
    description: "Make README.md (unless the package has one and no readme_content is given), PNG charts of the package's structure and a quilt_summarize.json showing them, from organized_structure or a revision read from the catalog (registry + package_name), as `files` ready to add to the package (logical_key plus text or base64).",
    annotations: Annotations::READ_ONLY,
    input_schema: || schemars::schema_for!(SummaryArgs),
    output_schema: Some(|| schemars::schema_for!(QuiltSummaryFiles)),
    call: |ctx, args| typed(ctx, args, create_quilt_summary_files),
};

/// The result of `generate_quilt_summarize_json`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct QuiltSummarize {
    pub package_name: String,
    /// The revision read, when read from the catalog.
    pub top_hash: Option<String>,
    /// The content of `quilt_summarize.json`.
    pub summary: Vec<SummaryEntry>,
    pub totals: Totals,
    /// `quilt_summarize.json`, ready to add to the package root.
    pub files: Vec<PackageFile>,
}

/// The result of `create_quilt_summary_files`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct QuiltSummaryFiles {
    pub package_name: String,
    pub top_hash: Option<String>,
    /// README.md, the charts and quilt_summarize.json, ready to add to the package.
    pub files: Vec<PackageFile>,
    /// Each file made, by logical key (`README.md: false` when the package's own was kept).
    pub files_generated: BTreeMap<String, bool>,
    pub visualization_count: usize,
    pub summary: Vec<SummaryEntry>,
    pub totals: Totals,
    pub next_steps: Vec<String>,
}

async fn load(ctx: &Ctx, args: &SummaryArgs) -> Result<Structure, ToolError> {
    let source = PackageSource {
        registry: &args.registry,
        package_name: &args.package_name,
        top_hash: &args.top_hash,
        tag: &args.tag,
    };
    structure::load(
        ctx,
        &source,
        &args.organized_structure,
        &args.package_metadata,
    )
    .await
}

#[tracing::instrument(skip_all, fields(package = %args.package_name))]
async fn generate_quilt_summarize_json(
    ctx: &Ctx,
    args: SummaryArgs,
) -> Result<QuiltSummarize, ToolError> {
    let structure = load(ctx, &args).await?;
    let summary = choose_entries(&structure, Vec::new());
    Ok(QuiltSummarize {
        package_name: args.package_name.trim().to_string(),
        top_hash: structure.top_hash.clone(),
        files: vec![summary_file(&summary)],
        summary,
        totals: structure.totals(),
    })
}

#[tracing::instrument(skip_all, fields(package = %args.package_name))]
async fn create_quilt_summary_files(
    ctx: &Ctx,
    args: SummaryArgs,
) -> Result<QuiltSummaryFiles, ToolError> {
    let prefix = folder_prefix("folder", &args.folder)?;
    let structure = load(ctx, &args).await?;
    let totals = structure.totals();
    let scheme = ColorScheme::for_template(&args.metadata_template);
    let rendered = render_all(&args.package_name, &totals, scheme, &prefix).await?;
    let summary = choose_entries(&structure, rendered.entries);
    // A package's own README is kept unless the caller gives the text to replace it.
    let has_readme = structure.files.iter().any(|(key, _)| key == "README.md");
    let readme = match args.readme_content.trim() {
        "" if has_readme => None,
        "" => Some(readme(&args, &structure, &totals)),
        given => Some(format!("{given}\n")),
    };
    let mut next_steps = vec![
        "Add `files` to the package (package_update inline entries, or bucket_objects_put then package_update with their S3 URIs).".to_string(),
        "Open the package in the catalog: the README and the files in quilt_summarize.json show on its page.".to_string(),
    ];
    if readme.is_none() {
        next_steps
            .push("The package's README.md was kept; pass readme_content to replace it.".into());
    }
    let mut files: Vec<PackageFile> = readme
        .map(|text| PackageFile::text("README.md".into(), "text/markdown", text))
        .into_iter()
        .collect();
    files.extend(rendered.files);
    files.push(summary_file(&summary));
    let mut files_generated: BTreeMap<String, bool> = files
        .iter()
        .map(|f| (f.logical_key.clone(), true))
        .collect();
    files_generated.entry("README.md".into()).or_insert(false);
    Ok(QuiltSummaryFiles {
        package_name: args.package_name.trim().to_string(),
        top_hash: structure.top_hash.clone(),
        files_generated,
        visualization_count: rendered.visualizations.len(),
        files,
        summary,
        totals,
        next_steps,
    })
}

/// `quilt_summarize.json` at the package root.
fn summary_file(summary: &[SummaryEntry]) -> PackageFile {
    PackageFile::text(
        "quilt_summarize.json".into(),
        "application/json",
        pretty(&summary),
    )
}

/// How much a file is worth previewing on a landing page (lower first); `None` for files the
/// catalog shows no useful preview of, and for the README and the summary itself.
fn preview_rank(key: &str) -> Option<u8> {
    let name = key.rsplit('/').next().unwrap_or(key);
    let lower = name.to_ascii_lowercase();
    if key.eq_ignore_ascii_case("README.md") || lower == "quilt_summarize.json" {
        return None;
    }
    if lower.starts_with("viz_") && lower.ends_with(".json") {
        return Some(0);
    }
    match extension(key).as_str() {
        "png" | "jpg" | "jpeg" | "gif" | "svg" | "webp" => Some(1),
        "csv" | "tsv" | "parquet" | "xlsx" | "jsonl" => Some(2),
        "ipynb" | "html" | "pdf" | "md" => Some(3),
        _ => None,
    }
}

/// The summary: the given entries first, then the package's most previewable files (charts,
/// images, tables, then documents; smaller first within a kind), up to [`MAX_ENTRIES`].
fn choose_entries(structure: &Structure, first: Vec<SummaryEntry>) -> Vec<SummaryEntry> {
    let mut candidates: Vec<(u8, u64, &str)> = structure
        .files
        .iter()
        .filter_map(|(key, size)| preview_rank(key).map(|rank| (rank, *size, key.as_str())))
        .filter(|(_, _, key)| !first.iter().any(|e| e.path == *key))
        .collect();
    candidates.sort();
    let room = MAX_ENTRIES.saturating_sub(first.len());
    let mut entries = first;
    entries.extend(
        candidates
            .into_iter()
            .take(room)
            .map(|(rank, size, key)| SummaryEntry {
                path: key.to_string(),
                title: Some(key.rsplit('/').next().unwrap_or(key).to_string()),
                description: Some(format!("`{key}`, {}", human_bytes(size))),
                types: (rank == 0).then(|| vec!["echarts".to_string()]),
            }),
    );
    entries
}

/// A README from the metadata, the source and the structure.
fn readme(args: &SummaryArgs, structure: &Structure, totals: &Totals) -> String {
    let name = args.package_name.trim();
    let mut text = format!("# {name}\n\n");
    if let Some(Value::String(description)) = structure.metadata.get("description") {
        text.push_str(&format!("{description}\n\n"));
    }
    text.push_str(&format!(
        "{} files, {}.\n\n## Contents\n\n| Folder | Files | Size |\n|---|---|---|\n",
        totals.files,
        human_bytes(totals.bytes)
    ));
    for folder in &totals.folders {
        text.push_str(&format!(
            "| `{}` | {} | {} |\n",
            folder.name,
            folder.files,
            human_bytes(folder.bytes)
        ));
    }
    text.push_str("\n| File type | Files |\n|---|---|\n");
    for kind in &totals.file_types {
        text.push_str(&format!("| {} | {} |\n", kind.name, kind.files));
    }
    if !args.source_info.is_empty() {
        text.push_str("\n## Source\n\n");
        for (key, value) in &args.source_info {
            let value = value
                .as_str()
                .map_or_else(|| value.to_string(), str::to_string);
            text.push_str(&format!("- **{key}**: {value}\n"));
        }
    }
    if !structure.metadata.is_empty() {
        text.push_str(&format!(
            "\n## Metadata\n\n```json\n{}\n```\n",
            pretty(&structure.metadata)
        ));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summaries_prefer_charts_images_and_tables_and_skip_the_readme() {
        let files = [
            ("README.md", 10),
            ("data/big.csv", 900),
            ("data/small.csv", 9),
            ("raw/a.fastq.gz", 5),
            ("viz_bar_a_b.json", 50),
            ("img/plot.png", 70),
            ("notes.md", 3),
        ];
        let structure = Structure {
            files: files.iter().map(|(k, s)| (k.to_string(), *s)).collect(),
            ..Structure::default()
        };
        let paths: Vec<String> = choose_entries(&structure, Vec::new())
            .into_iter()
            .map(|e| e.path)
            .collect();
        assert_eq!(
            paths,
            [
                "viz_bar_a_b.json",
                "img/plot.png",
                "data/small.csv",
                "data/big.csv",
                "notes.md"
            ]
        );
        let first = SummaryEntry {
            path: "img/plot.png".into(),
            title: None,
            description: None,
            types: None,
        };
        let entries = choose_entries(&structure, vec![first.clone()]);
        assert_eq!(entries[0], first);
        assert_eq!(
            entries.iter().filter(|e| e.path == "img/plot.png").count(),
            1
        );
    }
}
