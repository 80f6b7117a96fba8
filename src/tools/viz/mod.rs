//! The visualization toolset: charts and summaries a Quilt catalog shows on a package page,
//! made in-process. `create_data_visualization` writes an ECharts option from a table
//! (`table.rs` loads it, `echarts.rs` draws it); the summary tools write `quilt_summarize.json`
//! and a README from a package's structure (`structure.rs`); `generate_package_visualizations`
//! renders that structure as PNG charts (`render.rs`). Every tool returns its output as files
//! ready to add to a package, so one more call publishes them.

pub mod data_viz;
pub mod echarts;
pub mod package_viz;
pub mod render;
pub mod source;
pub mod structure;
pub mod summary;
pub mod table;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Tool, Toolset};

pub const TOOLSET: Toolset = Toolset::Visualization;

/// This area's rows of the tool table, in listing order.
pub const TOOLS: &[Tool] = &[
    data_viz::CREATE_DATA_VISUALIZATION,
    summary::GENERATE_QUILT_SUMMARIZE_JSON,
    summary::CREATE_QUILT_SUMMARY_FILES,
    package_viz::GENERATE_PACKAGE_VISUALIZATIONS,
];

/// Every tool's output files: the shape `package_create`/`package_update` take as inline
/// entries, defined beside them so the two cannot drift apart.
pub use crate::tools::packages::inline::PackageFile;

/// One element of `quilt_summarize.json` in its object form (the catalog's format: `path`
/// relative to the summary file, optional `title`, Markdown `description`, render `types`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SummaryEntry {
    pub path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `["echarts"]` renders a JSON file as an ECharts chart; absent means the default preview.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub types: Option<Vec<String>>,
}

/// A colour palette, by the names upstream uses for its `color_scheme`/`metadata_template`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ColorScheme {
    #[default]
    Genomics,
    Ml,
    Research,
    Analytics,
    Default,
}

impl ColorScheme {
    /// Eight colours, distinguishable side by side.
    pub fn colors(self) -> &'static [&'static str] {
        match self {
            // ColorBrewer Dark2.
            ColorScheme::Genomics => &[
                "#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d",
                "#666666",
            ],
            // Tableau 10's first eight.
            ColorScheme::Ml => &[
                "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1",
                "#ff9da7",
            ],
            // Paul Tol's muted scheme, safe for colour-blind readers.
            ColorScheme::Research => &[
                "#332288", "#88ccee", "#44aa99", "#117733", "#999933", "#ddcc77", "#cc6677",
                "#882255",
            ],
            // ECharts' own default palette.
            ColorScheme::Analytics | ColorScheme::Default => &[
                "#5470c6", "#91cc75", "#fac858", "#ee6666", "#73c0de", "#3ba272", "#fc8452",
                "#9a60b4",
            ],
        }
    }

    /// The palette a free-form template name suggests (`standard` and unknown names: default).
    pub fn for_template(name: &str) -> ColorScheme {
        match name.trim().to_ascii_lowercase().as_str() {
            "genomics" => ColorScheme::Genomics,
            "ml" => ColorScheme::Ml,
            "research" => ColorScheme::Research,
            "analytics" => ColorScheme::Analytics,
            _ => ColorScheme::Default,
        }
    }
}

/// A column name or title as a file-name part: lowercase letters, digits and `_`.
pub fn slug(text: &str) -> String {
    let mut slug = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.ends_with('_') {
            slug.push('_');
        }
    }
    let slug = slug.trim_matches('_');
    match slug.len() {
        0 => "data".to_string(),
        n if n > 40 => slug[..40].trim_end_matches('_').to_string(),
        _ => slug.to_string(),
    }
}

/// A folder for generated files as a logical-key prefix: `""` or `a/b/` (no `.` segments).
pub fn folder_prefix(field: &str, folder: &str) -> Result<String, super::ToolError> {
    let folder = folder.trim().trim_matches('/');
    if folder.is_empty() {
        return Ok(String::new());
    }
    if folder
        .split('/')
        .any(|s| s.is_empty() || s == "." || s == "..")
    {
        return Err(super::ToolError::invalid(
            field,
            "a folder inside the package, e.g. `viz` or `reports/2026`, without `.` or `..`",
        ));
    }
    Ok(format!("{folder}/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_and_folders_are_safe_names() {
        assert_eq!(slug("Body Mass (g)"), "body_mass_g");
        assert_eq!(slug("ü"), "data");
        assert_eq!(
            folder_prefix("folder", " /viz/2026/ ").unwrap(),
            "viz/2026/"
        );
        assert_eq!(folder_prefix("folder", "").unwrap(), "");
        assert!(folder_prefix("folder", "a/../b").is_err());
    }
}
