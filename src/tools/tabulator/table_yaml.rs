//! The YAML text of a Tabulator table, built from typed arguments.
//!
//! The catalog stores each table as YAML: `schema` (columns with Athena types), `source`
//! (`quilt-packages`, a package-name regex and a logical-key regex) and `parser` (csv or
//! parquet; csv takes `delimiter` and `header`). The shape is small and fixed, so it is written
//! by hand rather than through a YAML crate: names and types are checked against closed sets and
//! written plain; every free text (regexes, delimiter) is a double-quoted scalar with YAML's
//! escapes, so no input can change the document's structure.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::tools::ToolError;

/// The column types Tabulator accepts (the Athena types it maps), upper case.
pub const ATHENA_TYPES: &[&str] = &[
    "BOOLEAN",
    "TINYINT",
    "SMALLINT",
    "INT",
    "BIGINT",
    "FLOAT",
    "DOUBLE",
    "STRING",
    "BINARY",
    "DATE",
    "TIMESTAMP",
];

/// One column of a table's schema.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Column {
    /// Column name: lower-case letters, digits and `_`, not starting with a digit.
    pub name: String,
    /// Athena type: BOOLEAN, TINYINT, SMALLINT, INT, BIGINT, FLOAT, DOUBLE, STRING, BINARY,
    /// DATE or TIMESTAMP.
    #[serde(rename = "type")]
    pub kind: String,
}

/// How the table's files are read.
// Serialize too: schemars writes a field's `default` into the schema only for a type it can encode.
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(rename_all = "lowercase")]
pub enum ParserFormat {
    /// Comma-separated (or another delimiter).
    #[default]
    Csv,
    /// Tab-separated: written as `csv` with a tab delimiter.
    Tsv,
    /// Apache Parquet.
    Parquet,
}

/// Everything a table's YAML holds, as the tool received it.
#[derive(Debug)]
pub struct TableSpec<'a> {
    pub schema: &'a [Column],
    pub package_pattern: &'a str,
    pub logical_key_pattern: &'a str,
    pub format: ParserFormat,
    pub delimiter: Option<&'a str>,
    pub header: bool,
    pub skip_rows: u32,
    pub description: Option<&'a str>,
}

/// Checks the spec field by field and writes the table's YAML.
pub fn build(spec: &TableSpec<'_>) -> Result<String, ToolError> {
    let mut yaml = String::new();
    for line in spec.description.unwrap_or_default().lines() {
        let line: String = line.chars().filter(|c| !c.is_control()).collect();
        if !line.trim().is_empty() {
            yaml.push_str(&format!("# {}\n", line.trim()));
        }
    }
    yaml.push_str("schema:\n");
    for (name, kind) in columns(spec.schema)? {
        yaml.push_str(&format!("- name: {name}\n  type: {kind}\n"));
    }
    let package = pattern("package_pattern", spec.package_pattern)?;
    let logical_key = pattern("logical_key_pattern", spec.logical_key_pattern)?;
    yaml.push_str("source:\n  type: quilt-packages\n");
    yaml.push_str(&format!("  package_name: {}\n", quoted(package)));
    yaml.push_str(&format!("  logical_key: {}\n", quoted(logical_key)));
    yaml.push_str("parser:\n");
    yaml.push_str(&parser(spec)?);
    Ok(yaml)
}

/// The columns with their types in upper case; names unique and well formed.
fn columns(schema: &[Column]) -> Result<Vec<(&str, String)>, ToolError> {
    if schema.is_empty() {
        return Err(ToolError::invalid(
            "schema",
            "must list at least one column",
        ));
    }
    let mut out: Vec<(&str, String)> = Vec::with_capacity(schema.len());
    for (i, column) in schema.iter().enumerate() {
        let name = column.name.as_str();
        let mut chars = name.chars();
        let well_formed = chars
            .next()
            .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
            && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !well_formed {
            return Err(ToolError::invalid(
                format!("schema[{i}].name"),
                format!(
                    "{name:?} is not a column name: use lower-case letters, digits and `_`, not starting with a digit"
                ),
            ));
        }
        if out.iter().any(|(seen, _)| *seen == name) {
            return Err(ToolError::invalid(
                format!("schema[{i}].name"),
                format!("the column {name:?} is listed twice"),
            ));
        }
        let kind = column.kind.trim().to_ascii_uppercase();
        if !ATHENA_TYPES.contains(&kind.as_str()) {
            return Err(ToolError::invalid(
                format!("schema[{i}].type"),
                format!(
                    "{:?} is not a Tabulator type; use one of {}",
                    column.kind,
                    ATHENA_TYPES.join(", ")
                ),
            ));
        }
        out.push((name, kind));
    }
    Ok(out)
}

fn pattern<'a>(field: &str, value: &'a str) -> Result<&'a str, ToolError> {
    if value.trim().is_empty() {
        return Err(ToolError::invalid(
            field,
            "must not be empty; give a regular expression, e.g. `^team/.*$`",
        ));
    }
    Ok(value)
}

/// The `parser:` block's lines.
fn parser(spec: &TableSpec<'_>) -> Result<String, ToolError> {
    if spec.format == ParserFormat::Parquet {
        if spec.delimiter.is_some() {
            return Err(ToolError::invalid(
                "parser_delimiter",
                "only applies to csv and tsv files",
            ));
        }
        if spec.skip_rows > 0 {
            return Err(ToolError::invalid(
                "parser_skip_rows",
                "only applies to csv and tsv files",
            ));
        }
        return Ok("  format: parquet\n".to_string());
    }
    let default = if spec.format == ParserFormat::Tsv {
        "\t"
    } else {
        ","
    };
    // Agents often spell a tab as the two characters `\t`.
    let delimiter = match spec.delimiter {
        Some("\\t") => "\t",
        Some(given) => given,
        None => default,
    };
    if delimiter.chars().count() != 1 {
        return Err(ToolError::invalid(
            "parser_delimiter",
            format!("{delimiter:?} is not one character (e.g. \",\", \";\" or \"\\t\")"),
        ));
    }
    let mut lines = format!(
        "  format: csv\n  delimiter: {}\n  header: {}\n",
        quoted(delimiter),
        spec.header
    );
    if spec.skip_rows > 0 {
        lines.push_str(&format!("  skip_rows: {}\n", spec.skip_rows));
    }
    Ok(lines)
}

/// A YAML double-quoted scalar: `\` and `"` escaped, control and line-break characters written
/// as escapes, everything else as is.
pub fn quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}') => {
                out.push_str(&format!("\\u{:04X}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn column(name: &str, kind: &str) -> Column {
        Column {
            name: name.into(),
            kind: kind.into(),
        }
    }

    fn spec(schema: &[Column]) -> TableSpec<'_> {
        TableSpec {
            schema,
            package_pattern: "^team/(?<study>[^/]+)$",
            logical_key_pattern: r"results/(?<sample_id>[^/]+)_counts\.csv$",
            format: ParserFormat::Csv,
            delimiter: None,
            header: true,
            skip_rows: 0,
            description: None,
        }
    }

    #[test]
    fn builds_the_catalogs_layout() {
        let schema = [column("sample_id", "STRING"), column("tpm", "float")];
        let yaml = build(&spec(&schema)).unwrap();
        let expected = "schema:\n- name: sample_id\n  type: STRING\n- name: tpm\n  type: FLOAT\n\
            source:\n  type: quilt-packages\n  package_name: \"^team/(?<study>[^/]+)$\"\n  \
            logical_key: \"results/(?<sample_id>[^/]+)_counts\\\\.csv$\"\n\
            parser:\n  format: csv\n  delimiter: \",\"\n  header: true\n";
        assert_eq!(yaml, expected);
    }

    #[test]
    fn tsv_parquet_skip_rows_and_description() {
        let schema = [column("a", "INT")];
        let mut tsv = spec(&schema);
        tsv.format = ParserFormat::Tsv;
        tsv.skip_rows = 2;
        tsv.description = Some("Counts\nper sample\r\n");
        let yaml = build(&tsv).unwrap();
        assert!(
            yaml.starts_with("# Counts\n# per sample\nschema:"),
            "{yaml}"
        );
        assert!(
            yaml.ends_with("  format: csv\n  delimiter: \"\\t\"\n  header: true\n  skip_rows: 2\n")
        );
        let mut parquet = spec(&schema);
        parquet.format = ParserFormat::Parquet;
        assert!(
            build(&parquet)
                .unwrap()
                .ends_with("parser:\n  format: parquet\n")
        );
        parquet.delimiter = Some(",");
        assert!(
            build(&parquet)
                .unwrap_err()
                .to_string()
                .contains("parser_delimiter")
        );
    }

    #[test]
    fn free_text_cannot_break_out_of_its_scalar() {
        assert_eq!(quoted("a\"b\\c\nd: e"), r#""a\"b\\c\nd: e""#);
        assert_eq!(quoted("\u{7}\u{2028}"), r#""\u0007\u2028""#);
        let schema = [column("a", "INT")];
        let mut hostile = spec(&schema);
        hostile.package_pattern = "x\"\nparser:\n  format: evil";
        let yaml = build(&hostile).unwrap();
        assert_eq!(yaml.matches("\nparser:").count(), 1, "{yaml}");
    }

    #[test]
    fn bad_columns_name_the_field() {
        let cases = [
            (vec![], "`schema`"),
            (vec![column("Sample", "STRING")], "`schema[0].name`"),
            (
                vec![column("a", "INT"), column("a", "INT")],
                "`schema[1].name`",
            ),
            (
                vec![column("a", "INT"), column("b", "VARCHAR")],
                "`schema[1].type`",
            ),
        ];
        for (schema, field) in cases {
            let error = build(&spec(&schema)).unwrap_err().to_string();
            assert!(error.contains(field), "{error}");
        }
        let schema = [column("a", "INT")];
        let mut wide = spec(&schema);
        wide.delimiter = Some(";;");
        assert!(
            build(&wide)
                .unwrap_err()
                .to_string()
                .contains("parser_delimiter")
        );
        wide.delimiter = Some("\\t");
        assert!(build(&wide).unwrap().contains("delimiter: \"\\t\""));
    }
}
