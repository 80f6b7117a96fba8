//! A small in-memory table for charts: named columns of cells, loaded from the shapes an agent
//! has at hand (a map of columns, a list of row objects, CSV/TSV text or JSON text), with the
//! checks a chart needs (the column exists, its values are numbers) as errors naming the column.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::tools::ToolError;

/// The most rows a chart reads: beyond this a browser chart is unreadable and slow.
pub const MAX_ROWS: usize = 100_000;

/// The data of `create_data_visualization`, in any of the shapes an agent may hold it.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum DataInput {
    /// Columns by name, each a list of values: `{"gene": ["BRCA1"], "expression": [42.5]}`.
    Columns(BTreeMap<String, Vec<Value>>),
    /// Rows, each an object of column values: `[{"gene": "BRCA1", "expression": 42.5}]`.
    Rows(Vec<Map<String, Value>>),
    /// CSV or TSV text with a header row, or an `s3://` / `quilt+s3://` URI of a .csv, .tsv or
    /// .json file read with the caller's credentials.
    Text(String),
}

/// One value of a table.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    Number(f64),
    Text(String),
    /// Empty, null, `NA`, `NaN` and the like: skipped where a number is needed.
    Missing,
}

impl Cell {
    /// A cell from text as CSV holds it: numbers become numbers, the usual blanks `Missing`.
    pub fn parse(text: &str) -> Cell {
        let trimmed = text.trim();
        if is_missing(trimmed) {
            return Cell::Missing;
        }
        match trimmed.parse::<f64>() {
            Ok(number) if number.is_finite() => Cell::Number(number),
            _ => Cell::Text(text.to_string()),
        }
    }

    /// A cell from a JSON value; nested values are kept as their JSON text.
    pub fn from_json(value: &Value) -> Cell {
        match value {
            Value::Null => Cell::Missing,
            Value::Number(n) => n.as_f64().map_or(Cell::Missing, Cell::Number),
            Value::String(s) => Cell::parse(s),
            Value::Bool(b) => Cell::Text(b.to_string()),
            other => Cell::Text(other.to_string()),
        }
    }

    /// The cell as a category label (numbers without a needless `.0`).
    pub fn label(&self) -> String {
        match self {
            Cell::Number(n) => format_number(*n),
            Cell::Text(t) => t.clone(),
            Cell::Missing => String::new(),
        }
    }
}

fn is_missing(text: &str) -> bool {
    matches!(
        text.to_ascii_lowercase().as_str(),
        "" | "na" | "n/a" | "nan" | "null" | "none" | "-"
    )
}

/// A number as a CSV cell or label: `3` rather than `3.0`.
pub fn format_number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

/// Named columns of equal length.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Table {
    pub columns: Vec<String>,
    /// `cells[column][row]`.
    pub cells: Vec<Vec<Cell>>,
}

impl Table {
    pub fn rows(&self) -> usize {
        self.cells.first().map_or(0, Vec::len)
    }

    /// The column named `name` (exact, else ignoring case), or an error naming the argument,
    /// the missing column and those there are.
    pub fn column(&self, field: &str, name: &str) -> Result<&[Cell], ToolError> {
        let index = self
            .columns
            .iter()
            .position(|c| c == name)
            .or_else(|| {
                self.columns
                    .iter()
                    .position(|c| c.eq_ignore_ascii_case(name.trim()))
            })
            .ok_or_else(|| {
                ToolError::invalid(
                    field,
                    format!(
                        "column {name:?} is not in the data; its columns are: {}",
                        self.columns.join(", ")
                    ),
                )
            })?;
        Ok(&self.cells[index])
    }

    /// A table from columns of values; they must all have the same length.
    pub fn from_columns(columns: BTreeMap<String, Vec<Value>>) -> Result<Table, ToolError> {
        let mut table = Table::default();
        let mut length = None;
        for (name, values) in columns {
            if *length.get_or_insert(values.len()) != values.len() {
                return Err(ToolError::invalid(
                    "data",
                    format!(
                        "column {name:?} has {} values but the columns before it have {}; every column needs one value per row",
                        values.len(),
                        length.unwrap_or_default()
                    ),
                ));
            }
            table.columns.push(name);
            table
                .cells
                .push(values.iter().map(Cell::from_json).collect());
        }
        table.checked()
    }

    /// A table from row objects; the columns are every key seen, in first-seen order, and a
    /// key a row lacks is a missing value there.
    pub fn from_rows(rows: &[Map<String, Value>]) -> Result<Table, ToolError> {
        let mut table = Table::default();
        for row in rows {
            for key in row.keys() {
                if !table.columns.contains(key) {
                    table.columns.push(key.clone());
                }
            }
        }
        table.cells = table
            .columns
            .iter()
            .map(|name| {
                rows.iter()
                    .map(|row| row.get(name).map_or(Cell::Missing, Cell::from_json))
                    .collect()
            })
            .collect();
        table.checked()
    }

    /// A table from delimited text with a header row; the delimiter is a tab when the header
    /// has more tabs than commas.
    pub fn from_delimited(field: &str, text: &str) -> Result<Table, ToolError> {
        let header = text.lines().next().unwrap_or_default();
        let tabs = header.matches('\t').count();
        let delimiter = if tabs > header.matches(',').count() {
            b'\t'
        } else {
            b','
        };
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .flexible(false)
            .from_reader(text.trim_start_matches('\u{feff}').as_bytes());
        let bad =
            |e: csv::Error| ToolError::invalid(field, format!("not readable as CSV/TSV: {e}"));
        let names: Vec<String> = reader
            .headers()
            .map_err(bad)?
            .iter()
            .map(|h| h.trim().to_string())
            .collect();
        let mut table = Table {
            cells: vec![Vec::new(); names.len()],
            columns: names,
        };
        for record in reader.records() {
            let record = record.map_err(bad)?;
            if table.rows() >= MAX_ROWS {
                return Err(too_many_rows(field));
            }
            for (column, value) in table.cells.iter_mut().zip(record.iter()) {
                column.push(Cell::parse(value));
            }
        }
        table.checked()
    }

    /// A table from JSON text: a list of row objects or an object of columns.
    pub fn from_json_text(field: &str, text: &str) -> Result<Table, ToolError> {
        let value: Value = serde_json::from_str(text)
            .map_err(|e| ToolError::invalid(field, format!("not valid JSON: {e}")))?;
        match value {
            Value::Array(items) => {
                let rows: Result<Vec<Map<String, Value>>, ToolError> = items
                    .into_iter()
                    .map(|item| match item {
                        Value::Object(row) => Ok(row),
                        _ => Err(ToolError::invalid(
                            field,
                            "a JSON list must hold one object per row",
                        )),
                    })
                    .collect();
                Table::from_rows(&rows?)
            }
            Value::Object(map) => {
                let mut columns = BTreeMap::new();
                for (name, values) in map {
                    let Value::Array(values) = values else {
                        return Err(ToolError::invalid(
                            field,
                            format!(
                                "a JSON object must map each column to a list; {name:?} is not a list"
                            ),
                        ));
                    };
                    columns.insert(name, values);
                }
                Table::from_columns(columns)
            }
            _ => Err(ToolError::invalid(
                field,
                "JSON data must be a list of row objects or an object of columns",
            )),
        }
    }

    /// Refuses a table with no columns, no rows or too many rows.
    fn checked(self) -> Result<Table, ToolError> {
        if self.columns.is_empty() || self.rows() == 0 {
            return Err(ToolError::invalid(
                "data",
                "the data is empty: give at least one row with the chart's columns",
            ));
        }
        if self.rows() > MAX_ROWS {
            return Err(too_many_rows("data"));
        }
        Ok(self)
    }
}

fn too_many_rows(field: &str) -> ToolError {
    ToolError::invalid(
        field,
        format!(
            "more than {MAX_ROWS} rows; aggregate or sample the data first (e.g. with athena_query_execute)"
        ),
    )
}

/// The numbers of a column; a cell that is text is an error naming the column, the row and the
/// value. Missing cells are `None`.
pub fn numbers(field: &str, name: &str, cells: &[Cell]) -> Result<Vec<Option<f64>>, ToolError> {
    cells
        .iter()
        .enumerate()
        .map(|(row, cell)| match cell {
            Cell::Number(n) => Ok(Some(*n)),
            Cell::Missing => Ok(None),
            Cell::Text(text) => Err(ToolError::invalid(
                field,
                format!(
                    "column {name:?} must be numeric for this chart, but row {} holds {text:?}",
                    row + 1
                ),
            )),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn delimited_text_reads_quotes_tabs_and_blanks() {
        let csv = "name,score\n\"Smith, J\",3.5\nLee,NA\n";
        let table = Table::from_delimited("data", csv).unwrap();
        assert_eq!(table.columns, ["name", "score"]);
        assert_eq!(table.cells[0][0], Cell::Text("Smith, J".into()));
        assert_eq!(table.cells[1], [Cell::Number(3.5), Cell::Missing]);
        let tsv = Table::from_delimited("data", "a\tb\n1\tx\n").unwrap();
        assert_eq!(tsv.cells[1], [Cell::Text("x".into())]);
        assert!(Table::from_delimited("data", "a,b\n").is_err(), "no rows");
        assert!(Table::from_delimited("data", "a,b\n1,2,3\n").is_err());
    }

    #[test]
    fn columns_rows_and_json_give_the_same_table() {
        let columns = Table::from_columns(
            serde_json::from_value(json!({"g": ["a", "b"], "v": [1, null]})).unwrap(),
        )
        .unwrap();
        let rows: Vec<Map<String, Value>> =
            serde_json::from_value(json!([{"g": "a", "v": 1}, {"g": "b"}])).unwrap();
        assert_eq!(Table::from_rows(&rows).unwrap(), columns);
        let text = r#"[{"g": "a", "v": 1}, {"g": "b", "v": null}]"#;
        assert_eq!(Table::from_json_text("data", text).unwrap(), columns);
        let uneven = serde_json::from_value(json!({"g": ["a"], "v": [1, 2]})).unwrap();
        assert!(Table::from_columns(uneven).is_err());
    }

    #[test]
    fn columns_are_found_and_numbers_checked_by_name() {
        let table = Table::from_delimited("data", "Gene,Value\nA,1\nB,x\n").unwrap();
        assert!(table.column("x_column", "gene").is_ok(), "case is forgiven");
        let missing = table.column("y_column", "expr").unwrap_err().to_string();
        assert!(
            missing.contains("\"expr\"") && missing.contains("Gene, Value"),
            "{missing}"
        );
        let cells = table.column("y_column", "Value").unwrap();
        let error = numbers("y_column", "Value", cells).unwrap_err().to_string();
        assert!(
            error.contains("row 2") && error.contains("\"x\""),
            "{error}"
        );
    }
}
