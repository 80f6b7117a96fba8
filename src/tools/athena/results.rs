//! A query's results as a tool shows them: typed values from the column types, the three
//! formats (`json` row objects, `csv`, `table` as Markdown), and the cut that keeps a result
//! within its budget, with the cursor that continues right after the last row shown.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Number, Value};

use crate::aws::athena::query::ResultColumn;

/// How rows are written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum OutputFormat {
    /// Row objects keyed by column name, with typed values.
    #[default]
    Json,
    /// CSV text with a header line.
    Csv,
    /// A Markdown table.
    Table,
    /// Refused (a binary file does not belong in a tool result); use csv or json.
    Parquet,
}

/// A result column: name and Athena type.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Column {
    pub name: String,
    #[serde(rename = "type")]
    pub type_name: String,
}

impl From<&ResultColumn> for Column {
    fn from(c: &ResultColumn) -> Self {
        Column {
            name: c.name.clone(),
            type_name: c.type_name.clone(),
        }
    }
}

/// One row as Athena gives it: text values, `None` for NULL.
pub type RawRow = Vec<Option<String>>;

/// The rows in the asked format: `rows` for json, `text` for csv and table.
#[derive(Clone, Debug, Default, PartialEq, Serialize, JsonSchema)]
pub struct Formatted {
    /// json: one object per row, keyed by column name, values typed by the column's type
    /// (integers, decimals and doubles as numbers, booleans, nulls; dates, timestamps and
    /// everything else as strings).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rows: Option<Vec<Map<String, Value>>>,
    /// csv or table: the rows as text, a header first.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

/// `text` as a typed JSON value for a column of Athena type `type_name`.
pub fn typed_value(type_name: &str, text: Option<&str>) -> Value {
    let Some(text) = text else {
        return Value::Null;
    };
    let base = type_name
        .split('(')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let as_string = || Value::String(text.to_string());
    match base.as_str() {
        "boolean" => match text {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            _ => as_string(),
        },
        "tinyint" | "smallint" | "integer" | "int" | "bigint" => text
            .trim()
            .parse::<i64>()
            .map(|n| Value::Number(n.into()))
            .unwrap_or_else(|_| as_string()),
        "double" | "float" | "real" | "decimal" => text
            .trim()
            .parse::<f64>()
            .ok()
            .and_then(Number::from_f64)
            .map(Value::Number)
            .unwrap_or_else(as_string),
        _ => as_string(),
    }
}

/// `rows` written in `format` (json, csv or table; parquet is refused before this).
pub fn format_rows(format: OutputFormat, columns: &[Column], rows: &[RawRow]) -> Formatted {
    match format {
        OutputFormat::Csv => Formatted {
            rows: None,
            text: Some(csv(columns, rows)),
        },
        OutputFormat::Table => Formatted {
            rows: None,
            text: Some(markdown(columns, rows)),
        },
        OutputFormat::Json | OutputFormat::Parquet => Formatted {
            rows: Some(
                rows.iter()
                    .map(|row| {
                        columns
                            .iter()
                            .zip(row)
                            .map(|(c, v)| (c.name.clone(), typed_value(&c.type_name, v.as_deref())))
                            .collect()
                    })
                    .collect(),
            ),
            text: None,
        },
    }
}

fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

fn csv(columns: &[Column], rows: &[RawRow]) -> String {
    let mut out = String::new();
    let header: Vec<String> = columns.iter().map(|c| csv_field(&c.name)).collect();
    out.push_str(&header.join(","));
    out.push('\n');
    for row in rows {
        let fields: Vec<String> = row
            .iter()
            .map(|v| v.as_deref().map(csv_field).unwrap_or_default())
            .collect();
        out.push_str(&fields.join(","));
        out.push('\n');
    }
    out
}

fn markdown_cell(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace(['\n', '\r'], " ")
}

fn markdown(columns: &[Column], rows: &[RawRow]) -> String {
    let mut out = String::new();
    let names: Vec<String> = columns.iter().map(|c| markdown_cell(&c.name)).collect();
    out.push_str(&format!("| {} |\n", names.join(" | ")));
    out.push_str(&format!("|{}\n", " --- |".repeat(columns.len())));
    for row in rows {
        let cells: Vec<String> = row
            .iter()
            .map(|v| v.as_deref().map(markdown_cell).unwrap_or_default())
            .collect();
        out.push_str(&format!("| {} |\n", cells.join(" | ")));
    }
    out
}

/// Where the next row is: the Athena page token it was read from (`None`: the first page)
/// and how many rows of that page come before it. Written as `<skip>.<token>`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Cursor {
    pub page_token: Option<String>,
    pub skip: usize,
}

impl Cursor {
    /// The text an agent passes back as `next_token`.
    pub fn encode(&self) -> String {
        format!("{}.{}", self.skip, self.page_token.as_deref().unwrap_or(""))
    }

    /// Reads a `next_token`; `None` when it is not one of ours.
    pub fn decode(text: &str) -> Option<Cursor> {
        let (skip, token) = text.trim().split_once('.')?;
        Some(Cursor {
            skip: skip.parse().ok()?,
            page_token: Some(token.to_string()).filter(|t| !t.is_empty()),
        })
    }
}

/// Estimated cost in US dollars: Athena bills $5 per TB scanned, at least 10 MB per query.
pub fn cost_estimate_usd(data_scanned_bytes: i64) -> f64 {
    const MIN_BILLED: f64 = 10.0 * 1024.0 * 1024.0;
    const DOLLARS_PER_BYTE: f64 = 5.0 / 1_099_511_627_776.0;
    let billed = (data_scanned_bytes.max(0) as f64).max(MIN_BILLED);
    // Rounded to a millionth of a dollar: the estimate is not more precise than that.
    (billed * DOLLARS_PER_BYTE * 1e6).round() / 1e6
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn columns() -> Vec<Column> {
        [
            ("name", "varchar"),
            ("n", "bigint"),
            ("x", "double"),
            ("ok", "boolean"),
        ]
        .iter()
        .map(|(n, t)| Column {
            name: n.to_string(),
            type_name: t.to_string(),
        })
        .collect()
    }

    fn rows() -> Vec<RawRow> {
        vec![
            vec![
                Some("a, \"b\"".into()),
                Some("10".into()),
                Some("1.5".into()),
                Some("true".into()),
            ],
            vec![
                Some("c|d".into()),
                None,
                Some("2".into()),
                Some("false".into()),
            ],
        ]
    }

    #[test]
    fn values_are_typed_by_their_column() {
        assert_eq!(typed_value("bigint", Some("42")), json!(42));
        assert_eq!(typed_value("decimal(10,2)", Some("3.25")), json!(3.25));
        assert_eq!(typed_value("boolean", Some("true")), json!(true));
        assert_eq!(
            typed_value("timestamp", Some("2026-01-01 00:00:00.000")),
            json!("2026-01-01 00:00:00.000")
        );
        assert_eq!(typed_value("integer", None), Value::Null);
        assert_eq!(typed_value("double", Some("NaN")), json!("NaN"));
    }

    #[test]
    fn each_format_writes_every_row() {
        let json_rows = format_rows(OutputFormat::Json, &columns(), &rows())
            .rows
            .unwrap();
        assert_eq!(
            json_rows[1],
            json!({"name": "c|d", "n": null, "x": 2.0, "ok": false})
                .as_object()
                .unwrap()
                .clone()
        );
        let csv = format_rows(OutputFormat::Csv, &columns(), &rows())
            .text
            .unwrap();
        assert_eq!(
            csv,
            "name,n,x,ok\n\"a, \"\"b\"\"\",10,1.5,true\nc|d,,2,false\n"
        );
        let table = format_rows(OutputFormat::Table, &columns(), &rows())
            .text
            .unwrap();
        assert!(
            table.starts_with("| name | n | x | ok |\n| --- | --- | --- | --- |\n"),
            "{table}"
        );
        assert!(table.contains("| c\\|d |  | 2 | false |"), "{table}");
    }

    #[test]
    fn cursors_survive_a_round_trip() {
        let cursor = Cursor {
            page_token: Some("AbC.12/=".into()),
            skip: 7,
        };
        assert_eq!(Cursor::decode(&cursor.encode()), Some(cursor));
        assert_eq!(Cursor::decode("0."), Some(Cursor::default()));
        assert_eq!(Cursor::decode("nope"), None);
    }

    #[test]
    fn the_cost_has_a_ten_megabyte_minimum() {
        assert_eq!(cost_estimate_usd(0), cost_estimate_usd(1024));
        assert!(cost_estimate_usd(1_099_511_627_776) > 4.99);
    }
}
