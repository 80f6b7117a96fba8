//! `create_data_visualization`: a chart of a table as an ECharts option the catalog renders,
//! with the data it shows and its `quilt_summarize.json`, as files ready to add to a package.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::tools::viz::echarts::{self, ChartSpec, PlotType, SeriesSummary};
use crate::tools::viz::source::{is_uri, read_table};
use crate::tools::viz::table::{DataInput, Table};
use crate::tools::viz::{ColorScheme, PackageFile, SummaryEntry, folder_prefix, slug};
use crate::tools::{Annotations, Ctx, Tool, ToolError, typed};

/// Arguments of `create_data_visualization`; names as upstream.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateDataVisualizationArgs {
    /// The table: an object of columns, a list of row objects, CSV/TSV text with a header row,
    /// or an `s3://bucket/key` or `quilt+s3://bucket#package=ns/name&path=key` URI of a .csv,
    /// .tsv or .json file (up to 10 MiB, read with your credentials).
    pub data: DataInput,
    pub plot_type: PlotType,
    /// The x-axis column: categories for boxplot and bar, numbers for scatter, either for line.
    pub x_column: String,
    /// The y-axis column; its values must be numbers (empty and NA cells are skipped).
    #[serde(default)]
    pub y_column: String,
    /// A column whose values split scatter, line and bar charts into coloured series.
    #[serde(default)]
    pub group_column: String,
    /// Chart title; made from the column names when empty.
    #[serde(default)]
    pub title: String,
    /// X-axis label; the x column's name when empty.
    #[serde(default)]
    pub xlabel: String,
    /// Y-axis label; the y column's name when empty.
    #[serde(default)]
    pub ylabel: String,
    #[serde(default)]
    pub color_scheme: ColorScheme,
    /// A label recorded in the summary entry's description (free text, e.g. `research`).
    #[serde(default = "research")]
    pub template: String,
    /// The chart format; only `echarts` (what the catalog renders from JSON) is made.
    #[serde(default = "echarts_format")]
    pub output_format: String,
    /// A folder inside the package for the three files (default: the package root).
    #[serde(default)]
    pub folder: String,
}

fn research() -> String {
    "research".into()
}

fn echarts_format() -> String {
    "echarts".into()
}

pub const CREATE_DATA_VISUALIZATION: Tool = Tool {
    name: "create_data_visualization",
    title: "Chart a table for a package",
    description: "Make a boxplot, scatter, line or bar chart of a table (columns, rows, CSV text, or an s3:// or quilt+s3:// file) as an ECharts option the Quilt catalog renders, and return it with the charted data (CSV) and a quilt_summarize.json as `files` ready to add to a package (logical_key plus text). Unknown columns, text in a numeric column and empty data are errors naming the column.",
    annotations: Annotations::READ_ONLY,
    input_schema: || schemars::schema_for!(CreateDataVisualizationArgs),
    output_schema: Some(|| schemars::schema_for!(DataVisualization)),
    call: |ctx, args| typed(ctx, args, create_data_visualization),
};

/// The result of `create_data_visualization`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct DataVisualization {
    pub plot_type: PlotType,
    pub title: String,
    pub x_column: String,
    pub y_column: String,
    pub group_column: Option<String>,
    /// Rows of the table.
    pub rows: usize,
    /// Rows charted; the others lacked x, y or the group.
    pub rows_used: usize,
    pub rows_skipped: usize,
    pub series: Vec<SeriesSummary>,
    /// The chart (ECharts option JSON), the charted data (CSV) and `quilt_summarize.json`.
    pub files: Vec<PackageFile>,
    /// The chart's element of `quilt_summarize.json`, to merge into an existing summary.
    pub summary_entry: SummaryEntry,
    pub next_step: String,
}

#[tracing::instrument(skip_all, fields(plot_type = args.plot_type.name()))]
async fn create_data_visualization(
    ctx: &Ctx,
    args: CreateDataVisualizationArgs,
) -> Result<DataVisualization, ToolError> {
    if !args.output_format.trim().eq_ignore_ascii_case("echarts") {
        return Err(ToolError::invalid(
            "output_format",
            "only `echarts` is made (the catalog renders ECharts options from JSON)",
        ));
    }
    let y = Some(args.y_column.trim())
        .filter(|y| !y.is_empty())
        .ok_or_else(|| ToolError::invalid("y_column", "every plot type needs a y_column"))?;
    let prefix = folder_prefix("folder", &args.folder)?;
    let table = load(ctx, args.data).await?;
    let group = Some(args.group_column.trim()).filter(|g| !g.is_empty());
    let x = args.x_column.trim();
    let title = default_title(&args.title, args.plot_type, x, y, group);
    let spec = ChartSpec {
        plot: args.plot_type,
        x: x.to_string(),
        y: y.to_string(),
        group: group.map(str::to_string),
        title: title.clone(),
        xlabel: or(&args.xlabel, x),
        ylabel: or(&args.ylabel, y),
        colors: args.color_scheme.colors(),
    };
    // Up to 100,000 rows: CPU work, kept off the async workers that serve other requests.
    let (chart, rows) = tokio::task::spawn_blocking(move || {
        echarts::build(&table, &spec).map(|chart| (chart, table.rows()))
    })
    .await
    .map_err(|e| ToolError::Failed(format!("the chart could not be drawn: {e}")))??;
    let plot = args.plot_type.name();
    let chart_name = format!("viz_{plot}_{}_{}.json", slug(x), slug(y));
    let data_name = format!("viz_data_{plot}_{}_{}.csv", slug(x), slug(y));
    let summary_entry = SummaryEntry {
        path: chart_name.clone(),
        title: Some(title.clone()),
        description: Some(format!(
            "{} of `{y}` by `{x}` ({} rows; data: [{data_name}]({data_name})). Template: {}.",
            capitalised(plot),
            chart.rows_used,
            args.template.trim()
        )),
        types: Some(vec!["echarts".into()]),
    };
    let summary = vec![summary_entry.clone()];
    let files = vec![
        PackageFile::text(
            format!("{prefix}{chart_name}"),
            "application/json",
            pretty(&chart.option),
        ),
        PackageFile::text(format!("{prefix}{data_name}"), "text/csv", chart.data_csv),
        PackageFile::text(
            format!("{prefix}quilt_summarize.json"),
            "application/json",
            pretty(&summary),
        ),
    ];
    Ok(DataVisualization {
        plot_type: args.plot_type,
        title,
        x_column: x.to_string(),
        y_column: y.to_string(),
        group_column: group.map(str::to_string),
        rows,
        rows_used: chart.rows_used,
        rows_skipped: chart.rows_skipped,
        series: chart.series,
        files,
        summary_entry,
        next_step: "Add `files` to a package (package_create/package_update inline entries, or bucket_objects_put then package_create with their S3 URIs); to keep an existing quilt_summarize.json, append `summary_entry` to it instead.".into(),
    })
}

/// The table the data argument holds or names.
async fn load(ctx: &Ctx, data: DataInput) -> Result<Table, ToolError> {
    match data {
        DataInput::Columns(columns) => Table::from_columns(columns),
        DataInput::Rows(rows) => Table::from_rows(&rows),
        DataInput::Text(text) if is_uri(&text) => read_table(ctx, "data", &text).await,
        DataInput::Text(text) if text.trim_start().starts_with(['[', '{']) => {
            Table::from_json_text("data", &text)
        }
        DataInput::Text(text) => Table::from_delimited("data", &text),
    }
}

fn default_title(title: &str, plot: PlotType, x: &str, y: &str, group: Option<&str>) -> String {
    if !title.trim().is_empty() {
        return title.trim().to_string();
    }
    let joined = match plot {
        PlotType::Scatter | PlotType::Line => format!("{y} vs {x}"),
        PlotType::Bar | PlotType::Boxplot => format!("{y} by {x}"),
    };
    match group {
        Some(group) => format!("{joined}, per {group}"),
        None => joined,
    }
}

fn or(text: &str, fallback: &str) -> String {
    match text.trim() {
        "" => fallback.to_string(),
        text => text.to_string(),
    }
}

fn capitalised(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// Indented JSON: the files are read by people in the catalog's file view too.
pub fn pretty(value: &impl Serialize) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default()
}
