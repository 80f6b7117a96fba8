//! `generate_package_visualizations`: PNG charts of a package's structure (files by type, size
//! and files by folder), rendered in-process, returned as MCP image content and as files ready
//! to add to the package with their `quilt_summarize.json` entries.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::tools::viz::render::{Bars, bar_chart_png};
use crate::tools::viz::structure::{
    self, Group, OrganizedStructure, PackageSource, Totals, human_bytes,
};
use crate::tools::viz::{ColorScheme, PackageFile, SummaryEntry, folder_prefix};
use crate::tools::{Annotations, Ctx, ImageContent, Tool, ToolError, typed};

/// Chart width in pixels; the height grows with the number of bars.
const WIDTH: u32 = 800;

/// Arguments of `generate_package_visualizations`; upstream's names, plus a package to read.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GeneratePackageVisualizationsArgs {
    /// The package, `namespace/name` (chart titles; with `registry`, the package to read).
    pub package_name: String,
    /// The files by folder, `{"data": [{"Key": "data/a.csv", "Size": 120}]}`; not needed when
    /// `registry` names the package to read.
    #[serde(default)]
    pub organized_structure: OrganizedStructure,
    /// File counts by extension, e.g. `{"csv": 3}`; when given they replace the counts made
    /// from the files.
    #[serde(default)]
    pub file_types: Map<String, Value>,
    /// Chooses the colours: `genomics`, `ml`, `research`, `analytics`, anything else the default.
    #[serde(default = "standard")]
    pub metadata_template: String,
    /// Package metadata; its keys are listed in the result.
    #[serde(default)]
    pub package_metadata: Map<String, Value>,
    /// The bucket holding the package (`s3://bucket` or `bucket`): read the package's files
    /// from this revision instead of `organized_structure`.
    #[serde(default)]
    pub registry: String,
    /// With `registry`: a revision's 64-digit top hash; wins over `tag`.
    #[serde(default)]
    pub top_hash: String,
    /// With `registry`: a revision tag.
    #[serde(default = "latest")]
    pub tag: String,
    /// The folder inside the package for the images.
    #[serde(default = "viz_folder")]
    pub folder: String,
}

pub(crate) fn standard() -> String {
    "standard".into()
}

pub(crate) fn latest() -> String {
    "latest".into()
}

pub(crate) fn viz_folder() -> String {
    "viz".into()
}

pub const GENERATE_PACKAGE_VISUALIZATIONS: Tool = Tool {
    name: "generate_package_visualizations",
    title: "Chart a package's structure",
    description: "Render PNG bar charts of a package's structure (files by type, size by folder, files by folder) from organized_structure or a revision read from the catalog (registry + package_name). The images come back as MCP image content and as `files` (logical_key plus base64) ready to add to the package, with their quilt_summarize.json entries.",
    annotations: Annotations::READ_ONLY,
    input_schema: || schemars::schema_for!(GeneratePackageVisualizationsArgs),
    output_schema: Some(|| schemars::schema_for!(PackageVisualizations)),
    call: |ctx, args| typed(ctx, args, generate_package_visualizations),
};

/// One rendered chart.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Visualization {
    pub logical_key: String,
    /// `file_types`, `folder_sizes` or `folder_files`.
    pub kind: String,
    pub title: String,
    pub width: u32,
    pub height: u32,
    pub bytes: usize,
}

/// The result of `generate_package_visualizations`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct PackageVisualizations {
    pub package_name: String,
    /// The revision charted, when read from the catalog.
    pub top_hash: Option<String>,
    pub count: usize,
    pub visualizations: Vec<Visualization>,
    pub totals: Totals,
    /// The package metadata's top-level keys.
    pub metadata_keys: Vec<String>,
    /// The PNG images, ready to add to the package.
    pub files: Vec<PackageFile>,
    /// Their `quilt_summarize.json` elements (paths relative to the package root).
    pub summary_entries: Vec<SummaryEntry>,
    /// Sent as MCP image content blocks, not in the structured result.
    #[serde(rename = "_images", skip_serializing_if = "Vec::is_empty")]
    #[schemars(skip)]
    pub images: Vec<ImageContent>,
}

/// Charts rendered from a structure: the files, their entries and what they show.
pub struct Rendered {
    pub files: Vec<PackageFile>,
    pub entries: Vec<SummaryEntry>,
    pub visualizations: Vec<Visualization>,
    pub pngs: Vec<Vec<u8>>,
}

#[tracing::instrument(skip_all, fields(package = %args.package_name))]
async fn generate_package_visualizations(
    ctx: &Ctx,
    args: GeneratePackageVisualizationsArgs,
) -> Result<PackageVisualizations, ToolError> {
    let prefix = folder_prefix("folder", &args.folder)?;
    let source = PackageSource {
        registry: &args.registry,
        package_name: &args.package_name,
        top_hash: &args.top_hash,
        tag: &args.tag,
    };
    let structure = structure::load(
        ctx,
        &source,
        &args.organized_structure,
        &args.package_metadata,
    )
    .await?;
    let mut totals = structure.totals();
    if !args.file_types.is_empty() {
        totals.file_types = given_types(&args.file_types)?;
    }
    let scheme = ColorScheme::for_template(&args.metadata_template);
    let rendered = render_all(&args.package_name, &totals, scheme, &prefix).await?;
    let images = rendered
        .pngs
        .iter()
        .map(|png| ImageContent::png(png))
        .collect();
    Ok(PackageVisualizations {
        package_name: args.package_name.trim().to_string(),
        top_hash: structure.top_hash.clone(),
        count: rendered.visualizations.len(),
        visualizations: rendered.visualizations,
        totals,
        metadata_keys: structure.metadata.keys().cloned().collect(),
        files: rendered.files,
        summary_entries: rendered.entries,
        images,
    })
}

/// Upstream's `file_types` (`{"csv": 3}`) as groups; a count must be a whole number.
fn given_types(types: &Map<String, Value>) -> Result<Vec<Group>, ToolError> {
    let mut groups = types
        .iter()
        .map(|(name, count)| {
            let files = count.as_u64().ok_or_else(|| {
                ToolError::invalid(format!("file_types.{name}"), "a file count, a whole number")
            })?;
            Ok(Group {
                name: name.trim_start_matches('.').to_string(),
                files,
                bytes: 0,
            })
        })
        .collect::<Result<Vec<_>, ToolError>>()?;
    groups.sort_by(|a, b| b.files.cmp(&a.files).then(a.name.cmp(&b.name)));
    Ok(groups)
}

/// One chart to draw: owned, so drawing can run off the async workers.
struct Job {
    kind: &'static str,
    title: String,
    measure: &'static str,
    items: Vec<(String, f64)>,
    format: fn(f64) -> String,
    color: &'static str,
    description: String,
}

/// Renders the three structure charts (off the async workers: drawing is CPU work).
pub async fn render_all(
    package: &str,
    totals: &Totals,
    scheme: ColorScheme,
    prefix: &str,
) -> Result<Rendered, ToolError> {
    let colors = scheme.colors();
    let count = |v: f64| format!("{v:.0}");
    let size = |v: f64| human_bytes(v as u64);
    let items = |groups: &[Group], value: fn(&Group) -> u64| {
        groups
            .iter()
            .map(|g| (g.name.clone(), value(g) as f64))
            .collect::<Vec<_>>()
    };
    let mut by_files = totals.folders.clone();
    by_files.sort_by(|a, b| b.files.cmp(&a.files).then(a.name.cmp(&b.name)));
    let package = package.trim();
    let jobs = vec![
        Job {
            kind: "file_types",
            title: format!("Files by type: {package}"),
            measure: "files",
            items: items(&totals.file_types, |g| g.files),
            format: count,
            color: colors[0],
            description: format!(
                "{} files in {} types.",
                totals.files,
                totals.file_types.len()
            ),
        },
        Job {
            kind: "folder_sizes",
            title: format!("Size by folder: {package}"),
            measure: "bytes",
            items: items(&totals.folders, |g| g.bytes),
            format: size,
            color: colors[1 % colors.len()],
            description: format!("{} in all.", human_bytes(totals.bytes)),
        },
        Job {
            kind: "folder_files",
            title: format!("Files by folder: {package}"),
            measure: "files",
            items: items(&by_files, |g| g.files),
            format: count,
            color: colors[2 % colors.len()],
            description: format!("{} top-level folders.", totals.folders.len()),
        },
    ];
    let prefix = prefix.to_string();
    tokio::task::spawn_blocking(move || draw_jobs(jobs, &prefix))
        .await
        .map_err(|e| ToolError::Failed(format!("chart rendering stopped: {e}")))?
}

fn draw_jobs(jobs: Vec<Job>, prefix: &str) -> Result<Rendered, ToolError> {
    let mut rendered = Rendered {
        files: Vec::new(),
        entries: Vec::new(),
        visualizations: Vec::new(),
        pngs: Vec::new(),
    };
    for job in jobs {
        let height = (110 + 34 * job.items.len() as u32).clamp(300, 900);
        let png = bar_chart_png(&Bars {
            title: &job.title,
            measure: job.measure,
            items: &job.items,
            color: job.color,
            format: job.format,
            width: WIDTH,
            height,
        })?;
        let key = format!("{prefix}{}.png", job.kind);
        rendered.entries.push(SummaryEntry {
            path: key.clone(),
            title: Some(job.title.clone()),
            description: Some(job.description),
            types: None,
        });
        rendered.visualizations.push(Visualization {
            logical_key: key.clone(),
            kind: job.kind.to_string(),
            title: job.title,
            width: WIDTH,
            height,
            bytes: png.len(),
        });
        rendered
            .files
            .push(PackageFile::binary(key, "image/png", &png));
        rendered.pngs.push(png);
    }
    Ok(rendered)
}
