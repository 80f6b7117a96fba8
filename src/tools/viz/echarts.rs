//! ECharts options (the JSON the catalog renders for a `quilt_summarize.json` entry with
//! `"types": ["echarts"]`) for four plot types, with the data inlined: the catalog renders JSON
//! only, no functions, and an inlined chart keeps showing what it showed when it was made.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::tools::ToolError;
use crate::tools::viz::table::{Cell, Table, format_number, numbers};

/// The chart kinds `create_data_visualization` makes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum PlotType {
    /// The distribution of `y_column` per category of `x_column` (quartiles, whiskers at 1.5
    /// IQR, outliers as points).
    Boxplot,
    /// `y_column` against a numeric `x_column`, one colour per group.
    Scatter,
    /// `y_column` along `x_column` (numeric x is sorted; categories keep their order).
    Line,
    /// `y_column` per category of `x_column` (the mean when a category repeats).
    Bar,
}

impl PlotType {
    pub fn name(self) -> &'static str {
        match self {
            PlotType::Boxplot => "boxplot",
            PlotType::Scatter => "scatter",
            PlotType::Line => "line",
            PlotType::Bar => "bar",
        }
    }
}

/// What to draw, with the labels already defaulted.
#[derive(Debug)]
pub struct ChartSpec {
    pub plot: PlotType,
    pub x: String,
    pub y: String,
    pub group: Option<String>,
    pub title: String,
    pub xlabel: String,
    pub ylabel: String,
    pub colors: &'static [&'static str],
}

/// A drawn chart: the option, the rows it used, and those rows as CSV.
#[derive(Debug)]
pub struct Chart {
    pub option: Value,
    pub series: Vec<SeriesSummary>,
    pub rows_used: usize,
    /// Rows left out because x, y (or the group) was missing there.
    pub rows_skipped: usize,
    pub data_csv: String,
}

/// One series of a chart, as the result reports it.
#[derive(Debug, Serialize, JsonSchema)]
pub struct SeriesSummary {
    pub name: String,
    /// `bar`, `line`, `scatter` or `boxplot`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Data items in the series (bars, points or boxes).
    pub items: usize,
}

/// One row a chart uses.
struct Point {
    x: Cell,
    y: f64,
    group: String,
}

/// Draws the chart `spec` asks for from `table`.
pub fn build(table: &Table, spec: &ChartSpec) -> Result<Chart, ToolError> {
    if spec.group.is_some() && spec.plot == PlotType::Boxplot {
        return Err(ToolError::invalid(
            "group_column",
            "a boxplot groups by x_column already; group_column applies to scatter, line and bar",
        ));
    }
    let (points, skipped) = points(table, spec)?;
    if points.is_empty() {
        return Err(ToolError::invalid(
            "y_column",
            format!(
                "column {:?} has no numeric values (all {} rows are empty or NA)",
                spec.y,
                table.rows()
            ),
        ));
    }
    let numeric_x = points.iter().all(|p| matches!(p.x, Cell::Number(_)));
    let (series, x_axis) = match spec.plot {
        PlotType::Bar => categorical(&points, spec),
        PlotType::Line if !numeric_x => categorical(&points, spec),
        PlotType::Line | PlotType::Scatter => {
            if !numeric_x {
                let text = points.iter().find(|p| matches!(p.x, Cell::Text(_)));
                let value = text.map(|p| p.x.label()).unwrap_or_default();
                return Err(ToolError::invalid(
                    "x_column",
                    format!(
                        "column {:?} must be numeric for a scatter plot, but holds {value:?}; use a bar or boxplot for categories",
                        spec.x
                    ),
                ));
            }
            numeric(&points, spec)
        }
        PlotType::Boxplot => boxplot(&points, spec),
    };
    let summaries = series
        .iter()
        .map(|s| SeriesSummary {
            name: s["name"].as_str().unwrap_or_default().to_string(),
            kind: s["type"].as_str().unwrap_or_default().to_string(),
            items: s["data"].as_array().map_or(0, Vec::len),
        })
        .collect();
    let names: Vec<&Value> = series.iter().map(|s| &s["name"]).collect();
    let option = json!({
        "title": { "text": spec.title, "left": "center" },
        "tooltip": { "trigger": if spec.plot == PlotType::Bar { "axis" } else { "item" } },
        "legend": { "show": series.len() > 1, "data": names, "bottom": 0 },
        "color": spec.colors,
        "grid": { "containLabel": true, "left": 40, "right": 30, "bottom": 50 },
        "xAxis": x_axis,
        "yAxis": { "type": "value", "name": spec.ylabel, "nameLocation": "middle", "nameGap": 45, "scale": spec.plot != PlotType::Bar },
        "series": series,
    });
    Ok(Chart {
        option,
        series: summaries,
        rows_used: points.len(),
        rows_skipped: skipped,
        data_csv: data_csv(spec, &points),
    })
}

/// The rows with a number for y (and x, when the chart needs a numeric x) and a group.
fn points(table: &Table, spec: &ChartSpec) -> Result<(Vec<Point>, usize), ToolError> {
    let xs = table.column("x_column", &spec.x)?;
    let ys = numbers("y_column", &spec.y, table.column("y_column", &spec.y)?)?;
    let groups = match spec.group.as_deref() {
        Some(name) => Some(table.column("group_column", name)?),
        None => None,
    };
    if spec.plot == PlotType::Scatter {
        numbers("x_column", &spec.x, xs)?;
    }
    let mut points = Vec::with_capacity(ys.len());
    for (row, (x, y)) in xs.iter().zip(&ys).enumerate() {
        let group = groups.map(|g| g.get(row).map(Cell::label).unwrap_or_default());
        match (x, y, &group) {
            (Cell::Missing, _, _) | (_, None, _) => continue,
            (_, _, Some(g)) if g.is_empty() => continue,
            (_, Some(y), _) => points.push(Point {
                x: x.clone(),
                y: *y,
                group: group.unwrap_or_else(|| spec.y.to_string()),
            }),
        }
    }
    let skipped = table.rows() - points.len();
    Ok((points, skipped))
}

/// Distinct values in first-seen order.
fn distinct<'a>(values: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let mut seen = std::collections::HashSet::new();
    values.filter(|v| seen.insert(*v)).collect()
}

/// One series per group over the categories of x; a repeated (category, group) shows its mean.
fn categorical(points: &[Point], spec: &ChartSpec) -> (Vec<Value>, Value) {
    let labels: Vec<String> = points.iter().map(|p| p.x.label()).collect();
    let categories = distinct(labels.iter().map(String::as_str));
    let index: std::collections::HashMap<&str, usize> = categories
        .iter()
        .enumerate()
        .map(|(i, c)| (*c, i))
        .collect();
    let groups = distinct(points.iter().map(|p| p.group.as_str()));
    let series = groups
        .iter()
        .map(|group| {
            let mut sums = vec![(0.0, 0usize); categories.len()];
            for (point, label) in points.iter().zip(&labels) {
                // Every label is a category: the categories were made from these labels.
                if let (true, Some(i)) = (point.group == *group, index.get(label.as_str())) {
                    let slot = &mut sums[*i];
                    slot.0 += point.y;
                    slot.1 += 1;
                }
            }
            let data: Vec<Value> = sums
                .iter()
                .map(|(sum, n)| match n {
                    0 => Value::Null,
                    n => json!(round(sum / *n as f64)),
                })
                .collect();
            json!({ "name": group, "type": spec.plot.name(), "data": data })
        })
        .collect();
    let axis = json!({
        "type": "category", "data": categories, "name": spec.xlabel,
        "nameLocation": "middle", "nameGap": 30,
    });
    (series, axis)
}

/// One series of `[x, y]` pairs per group over a numeric x (sorted by x for a line).
fn numeric(points: &[Point], spec: &ChartSpec) -> (Vec<Value>, Value) {
    let groups = distinct(points.iter().map(|p| p.group.as_str()));
    let series = groups
        .iter()
        .map(|group| {
            let mut pairs: Vec<(f64, f64)> = points
                .iter()
                .filter(|p| p.group == *group)
                .filter_map(|p| match p.x {
                    Cell::Number(x) => Some((x, p.y)),
                    _ => None,
                })
                .collect();
            if spec.plot == PlotType::Line {
                pairs.sort_by(|a, b| a.0.total_cmp(&b.0));
            }
            let data: Vec<[f64; 2]> = pairs.iter().map(|(x, y)| [*x, *y]).collect();
            let mut series = json!({ "name": group, "type": spec.plot.name(), "data": data });
            if spec.plot == PlotType::Scatter {
                series["symbolSize"] = json!(if points.len() > 2_000 { 3 } else { 7 });
            }
            series
        })
        .collect();
    let axis = json!({
        "type": "value", "name": spec.xlabel, "nameLocation": "middle", "nameGap": 30,
        "scale": true,
    });
    (series, axis)
}

/// A box per category of x and the outliers as points on the same axis.
fn boxplot(points: &[Point], spec: &ChartSpec) -> (Vec<Value>, Value) {
    let labels: Vec<String> = points.iter().map(|p| p.x.label()).collect();
    let categories = distinct(labels.iter().map(String::as_str));
    let mut boxes = Vec::with_capacity(categories.len());
    let mut outliers = Vec::new();
    for (i, category) in categories.iter().enumerate() {
        let mut values: Vec<f64> = points
            .iter()
            .zip(&labels)
            .filter(|(_, label)| label == category)
            .map(|(p, _)| p.y)
            .collect();
        values.sort_by(f64::total_cmp);
        let (five, outside) = five_numbers(&values);
        boxes.push(five.map(round));
        outliers.extend(outside.into_iter().map(|v| json!([i, round(v)])));
    }
    let mut series = vec![json!({ "name": spec.y, "type": "boxplot", "data": boxes })];
    if !outliers.is_empty() {
        series.push(json!({ "name": "outliers", "type": "scatter", "data": outliers }));
    }
    let axis = json!({
        "type": "category", "data": categories, "name": spec.xlabel,
        "nameLocation": "middle", "nameGap": 30,
    });
    (series, axis)
}

/// `[low whisker, Q1, median, Q3, high whisker]` of sorted values (whiskers at the furthest
/// values within 1.5 IQR of the box), and the values beyond the whiskers.
pub fn five_numbers(sorted: &[f64]) -> ([f64; 5], Vec<f64>) {
    let q1 = quantile(sorted, 0.25);
    let median = quantile(sorted, 0.5);
    let q3 = quantile(sorted, 0.75);
    let reach = 1.5 * (q3 - q1);
    let inside = |v: &&f64| **v >= q1 - reach && **v <= q3 + reach;
    let low = sorted.iter().find(inside).copied().unwrap_or(q1);
    let high = sorted.iter().rev().find(inside).copied().unwrap_or(q3);
    let outside = sorted.iter().filter(|v| !inside(v)).copied().collect();
    ([low, q1, median, q3, high], outside)
}

/// The `q` quantile of sorted values, interpolated between neighbours (as numpy's default).
fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let at = q * (sorted.len() - 1) as f64;
    let (below, above) = (at.floor() as usize, at.ceil() as usize);
    sorted[below] + (sorted[above] - sorted[below]) * (at - below as f64)
}

/// Six significant decimals: enough for a chart, and no `0.30000000000000004` in the JSON.
fn round(v: f64) -> f64 {
    (v * 1e6).round() / 1e6
}

/// The rows the chart used, as CSV with the x, y (and group) columns.
fn data_csv(spec: &ChartSpec, points: &[Point]) -> String {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let mut header = vec![spec.x.as_str(), spec.y.as_str()];
    header.extend(spec.group.as_deref());
    // Writing to a Vec cannot fail: the only errors are I/O ones.
    let _ = writer.write_record(&header);
    for p in points {
        let mut record = vec![p.x.label(), format_number(p.y)];
        if spec.group.is_some() {
            record.push(p.group.clone());
        }
        let _ = writer.write_record(&record);
    }
    let bytes = writer.into_inner().unwrap_or_default();
    String::from_utf8(bytes).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(plot: PlotType, group: Option<&str>) -> ChartSpec {
        ChartSpec {
            plot,
            x: "g".into(),
            y: "v".into(),
            group: group.map(str::to_string),
            title: "t".into(),
            xlabel: "g".into(),
            ylabel: "v".into(),
            colors: &["#000"],
        }
    }

    #[test]
    fn quartiles_interpolate_and_outliers_leave_the_whiskers() {
        let (five, outside) = five_numbers(&[1.0, 2.0, 3.0, 4.0, 100.0]);
        assert_eq!(five, [1.0, 2.0, 3.0, 4.0, 4.0]);
        assert_eq!(outside, [100.0]);
        assert_eq!(five_numbers(&[5.0]).0, [5.0; 5]);
    }

    #[test]
    fn bars_average_repeats_and_groups_share_the_categories() {
        let table = Table::from_delimited("data", "g,v,k\na,1,x\na,3,x\nb,2,y\nc,NA,x\n").unwrap();
        let chart = build(&table, &spec(PlotType::Bar, Some("k"))).unwrap();
        assert_eq!(chart.option["xAxis"]["data"], json!(["a", "b"]));
        assert_eq!(chart.option["series"][0]["data"], json!([2.0, null]));
        assert_eq!(chart.option["series"][1]["data"], json!([null, 2.0]));
        assert_eq!((chart.rows_used, chart.rows_skipped), (3, 1));
        assert!(
            chart.data_csv.starts_with("g,v,k\na,1,x\n"),
            "{}",
            chart.data_csv
        );
    }

    #[test]
    fn scatter_needs_numbers_on_both_axes_and_boxplots_take_no_group() {
        let table = Table::from_delimited("data", "g,v\na,1\n").unwrap();
        let error = build(&table, &spec(PlotType::Scatter, None)).unwrap_err();
        assert!(error.to_string().contains("x_column"), "{error}");
        let error = build(&table, &spec(PlotType::Boxplot, Some("g"))).unwrap_err();
        assert!(error.to_string().contains("group_column"), "{error}");
    }
}
