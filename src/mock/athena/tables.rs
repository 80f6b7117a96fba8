//! The Athena face's world: Glue databases (`AwsDataCatalog`) whose tables read CSV/TSV objects
//! of the dataset (`tests/dataset/athena.json`), the Tabulator catalog
//! (`quilt-<stack>-tabulator`) whose databases are buckets and whose tables are the buckets'
//! Tabulator tables over their packages' files, and the workgroups.

use serde::Deserialize;

use crate::mock::model::{Model, User};

/// Glue's data catalog.
pub const GLUE_CATALOG: &str = "AwsDataCatalog";

/// `tests/dataset/athena.json`.
#[derive(Debug, Deserialize)]
pub(crate) struct AthenaFile {
    pub workgroups: Vec<WorkgroupFile>,
    pub databases: Vec<DatabaseFile>,
}

#[derive(Clone, Debug, Deserialize)]
pub(crate) struct WorkgroupFile {
    pub name: String,
    pub state: String,
    pub output_location: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct DatabaseFile {
    pub name: String,
    pub description: String,
    pub tables: Vec<GlueTableFile>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct GlueTableFile {
    pub name: String,
    pub location: String,
    pub delimiter: String,
    pub columns: Vec<(String, String)>,
}

/// The face's dataset file, parsed once.
pub(crate) fn athena_file() -> &'static AthenaFile {
    static FILE: std::sync::OnceLock<AthenaFile> = std::sync::OnceLock::new();
    FILE.get_or_init(|| {
        // Written by hand beside the other dataset files and checked by the face's tests.
        serde_json::from_str(include_str!("../../../tests/dataset/athena.json"))
            .expect("tests/dataset/athena.json is valid")
    })
}

/// One table: its columns (name, Athena type) and where its rows come from.
#[derive(Clone, Debug)]
pub(crate) struct TableDef {
    pub name: String,
    pub columns: Vec<(String, String)>,
    /// The bucket whose read permission the caller needs.
    pub bucket: String,
    pub location: String,
    pub source: Source,
}

#[derive(Clone, Debug)]
pub(crate) enum Source {
    /// One object, parsed with a header line.
    Object { key: String, delimiter: char },
    /// The files (logical keys matching) of the packages (names matching) of the bucket.
    Tabulator {
        package_name: String,
        logical_key: String,
        delimiter: char,
    },
}

/// The Tabulator catalog's name in this model.
pub(crate) fn tabulator_catalog(model: &Model) -> String {
    format!("quilt-{}-tabulator", model.stack.stack_prefix)
}

/// The data catalogs: (name, type).
pub(crate) fn catalogs(model: &Model) -> Vec<(String, &'static str)> {
    let mut catalogs = vec![(GLUE_CATALOG.to_string(), "GLUE")];
    if model.stack.tabulator {
        catalogs.push((tabulator_catalog(model), "LAMBDA"));
    }
    catalogs
}

/// The catalog named `name` (any case), as its canonical name, if there is one.
pub(crate) fn find_catalog(model: &Model, name: &str) -> Option<String> {
    catalogs(model)
        .into_iter()
        .map(|(n, _)| n)
        .find(|n| n.eq_ignore_ascii_case(name))
}

/// The databases of `catalog` the caller sees: (name, description).
pub(crate) fn databases(model: &Model, user: &User, catalog: &str) -> Vec<(String, String)> {
    if catalog == GLUE_CATALOG {
        return athena_file()
            .databases
            .iter()
            .map(|d| (d.name.clone(), d.description.clone()))
            .collect();
    }
    model
        .buckets
        .iter()
        .filter(|b| !b.tables.is_empty() && model.can_read(user, &b.name))
        .map(|b| {
            (
                b.name.clone(),
                format!("Tabulator tables of s3://{}", b.name),
            )
        })
        .collect()
}

/// The tables of `catalog`.`database` (the caller must see the database).
pub(crate) fn tables(
    model: &Model,
    user: &User,
    catalog: &str,
    database: &str,
) -> Option<Vec<TableDef>> {
    let seen = databases(model, user, catalog);
    let database = seen
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(database))?;
    if catalog == GLUE_CATALOG {
        let file = athena_file()
            .databases
            .iter()
            .find(|d| d.name == database.0)?;
        return Some(file.tables.iter().filter_map(glue_table).collect());
    }
    let bucket = model.bucket(&database.0)?;
    Some(
        bucket
            .tables
            .iter()
            .filter_map(|(name, config)| tabulator_table(&bucket.name, name, config))
            .collect(),
    )
}

fn glue_table(table: &GlueTableFile) -> Option<TableDef> {
    let rest = table.location.strip_prefix("s3://")?;
    let (bucket, key) = rest.split_once('/')?;
    Some(TableDef {
        name: table.name.clone(),
        columns: table.columns.clone(),
        bucket: bucket.to_string(),
        location: table.location.clone(),
        source: Source::Object {
            key: key.to_string(),
            delimiter: table.delimiter.chars().next().unwrap_or(','),
        },
    })
}

/// A Tabulator table from its YAML: the schema's columns (Tabulator types as Athena's), then
/// one varchar column per named group of the package and logical key patterns.
fn tabulator_table(bucket: &str, name: &str, config: &str) -> Option<TableDef> {
    let mut columns = Vec::new();
    let mut package_name = None;
    let mut logical_key = None;
    let mut delimiter = ',';
    let mut pending: Option<String> = None;
    for line in config.lines() {
        let trimmed = line.trim().trim_start_matches("- ").trim();
        let Some((field, value)) = trimmed.split_once(':') else {
            continue;
        };
        let value = unquote(value.trim());
        match field.trim() {
            "name" => pending = Some(value),
            "type" => {
                if let Some(column) = pending.take() {
                    columns.push((column, athena_type(&value).to_string()));
                }
            }
            "package_name" => package_name = Some(value),
            "logical_key" => logical_key = Some(value),
            "delimiter" => delimiter = value.chars().next().unwrap_or(','),
            _ => {}
        }
    }
    let (package_name, logical_key) = (package_name?, logical_key?);
    for pattern in [&package_name, &logical_key] {
        for group in group_names(pattern) {
            columns.push((group, "varchar".to_string()));
        }
    }
    Some(TableDef {
        name: name.to_string(),
        columns,
        bucket: bucket.to_string(),
        location: format!("s3://{bucket}/.quilt/packages"),
        source: Source::Tabulator {
            package_name,
            logical_key,
            delimiter,
        },
    })
}

fn unquote(value: &str) -> String {
    let quoted = value.len() >= 2
        && ((value.starts_with('\'') && value.ends_with('\''))
            || (value.starts_with('"') && value.ends_with('"')));
    if quoted {
        value[1..value.len() - 1].replace("''", "'")
    } else {
        value.to_string()
    }
}

/// The named groups `(?<name>…)` / `(?P<name>…)` of a pattern, in order.
pub(crate) fn group_names(pattern: &str) -> Vec<String> {
    let mut names = Vec::new();
    for start in ["(?<", "(?P<"] {
        let mut rest = pattern;
        while let Some(at) = rest.find(start) {
            rest = &rest[at + start.len()..];
            if let Some(end) = rest.find('>') {
                names.push(rest[..end].to_string());
            }
        }
    }
    names
}

/// A Tabulator (Hive) type as Athena reports it.
fn athena_type(tabulator: &str) -> &'static str {
    match tabulator.to_ascii_uppercase().as_str() {
        "BOOLEAN" => "boolean",
        "TINYINT" | "SMALLINT" | "INT" | "INTEGER" => "integer",
        "BIGINT" => "bigint",
        "FLOAT" | "DOUBLE" => "double",
        "DATE" => "date",
        "TIMESTAMP" => "timestamp",
        _ => "varchar",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tabulator_tables_take_the_schema_and_the_named_groups() {
        let model = Model::pristine().unwrap();
        let bucket = model.bucket("example-data").unwrap();
        let config = bucket.tables.get("rnaseq_samples").unwrap();
        let table = tabulator_table("example-data", "rnaseq_samples", config).unwrap();
        let names: Vec<&str> = table.columns.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "gene_id",
                "gene_name",
                "sample_id",
                "condition",
                "read_count",
                "tpm",
                "study"
            ]
        );
        assert_eq!(table.columns[4].1, "integer");
        assert!(!athena_file().databases.is_empty());
    }
}
