//! The catalog's package view as it reads `quilt_summarize.json` (the model of its reader, for
//! tests of the files our tools make): a JSON array of rows, each a file or a list of columns;
//! a file is a path string or an object with `path` and optional `title`, `description`,
//! `expand`, `width` and `types` (one render type: `echarts`, `perspective`, `igv` or `voila`,
//! by name or as `{name, style, config}`). Paths are relative to the summary's folder and must
//! name files of the package; anything else is what the catalog shows as a broken element.
//! Unknown keys are refused too, stricter than the catalog, so a typo (`type`) fails a test.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

/// Render types the catalog knows for a summary element.
const TYPES: [&str; 4] = ["echarts", "perspective", "igv", "voila"];

/// One element the package view renders.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SummaryItem {
    /// The package file it shows (its logical key).
    pub logical_key: String,
    pub title: Option<String>,
    /// The render type, when one is named.
    pub render_type: Option<String>,
}

/// Reads the summary at `summary_key` of a package with `package_keys`, as rows of columns;
/// an error names the first element the catalog could not render.
pub fn read_summary(
    summary_key: &str,
    text: &str,
    package_keys: &BTreeSet<String>,
) -> Result<Vec<Vec<SummaryItem>>, String> {
    let value: Value =
        serde_json::from_str(text).map_err(|e| format!("{summary_key} is not JSON: {e}"))?;
    let Value::Array(rows) = value else {
        return Err(format!("{summary_key} must be a JSON array of files"));
    };
    let folder = summary_key
        .rsplit_once('/')
        .map_or("", |(folder, _)| folder);
    rows.iter()
        .enumerate()
        .map(|(i, row)| match row {
            Value::Array(columns) if !columns.is_empty() => columns
                .iter()
                .enumerate()
                .map(|(j, column)| item(column, folder, package_keys, &format!("[{i}][{j}]")))
                .collect(),
            Value::Array(_) => Err(format!("[{i}] is an empty row")),
            single => Ok(vec![item(single, folder, package_keys, &format!("[{i}]"))?]),
        })
        .collect()
}

fn item(
    value: &Value,
    folder: &str,
    keys: &BTreeSet<String>,
    at: &str,
) -> Result<SummaryItem, String> {
    let (path, title, render_type) = match value {
        Value::String(path) => (path.as_str(), None, None),
        Value::Object(object) => {
            let path = object
                .get("path")
                .and_then(Value::as_str)
                .ok_or_else(|| format!("{at} has no `path` string"))?;
            (path, checked_title(object, at)?, render_type(object, at)?)
        }
        other => return Err(format!("{at} is neither a path nor an object: {other}")),
    };
    let logical_key =
        resolve(folder, path).ok_or_else(|| format!("{at}: {path:?} leaves the package"))?;
    if !keys.contains(&logical_key) {
        return Err(format!(
            "{at}: {logical_key:?} is not a file of the package"
        ));
    }
    Ok(SummaryItem {
        logical_key,
        title,
        render_type,
    })
}

/// Checks an element's keys and their types; returns its title.
fn checked_title(object: &Map<String, Value>, at: &str) -> Result<Option<String>, String> {
    for key in object.keys() {
        if !["path", "title", "description", "expand", "width", "types"].contains(&key.as_str()) {
            return Err(format!("{at} has an unknown key `{key}`"));
        }
    }
    match (
        object.get("description"),
        object.get("expand"),
        object.get("width"),
    ) {
        (Some(d), _, _) if !d.is_string() => return Err(format!("{at}.description must be text")),
        (_, Some(e), _) if !e.is_boolean() => {
            return Err(format!("{at}.expand must be true or false"));
        }
        (_, _, Some(w)) if !(w.is_string() || w.is_number()) => {
            return Err(format!("{at}.width must be pixels (\"200px\") or a ratio"));
        }
        _ => {}
    }
    match object.get("title") {
        None => Ok(None),
        Some(Value::String(text)) => Ok(Some(text.clone())),
        Some(_) => Err(format!("{at}.title must be text")),
    }
}

/// The render type of `types`: at most one, by name or `{name, style, config}`.
fn render_type(object: &Map<String, Value>, at: &str) -> Result<Option<String>, String> {
    let Some(types) = object.get("types") else {
        return Ok(None);
    };
    let list = types
        .as_array()
        .ok_or_else(|| format!("{at}.types must be a list"))?;
    let name = match list.as_slice() {
        [] => return Ok(None),
        [Value::String(name)] => name.as_str(),
        [Value::Object(typed)] => typed
            .get("name")
            .and_then(Value::as_str)
            .ok_or_else(|| format!("{at}.types[0] has no name"))?,
        [_] => return Err(format!("{at}.types[0] must be a name or an object")),
        _ => return Err(format!("{at}.types may hold one type only")),
    };
    if !TYPES.contains(&name) {
        return Err(format!("{at}.types: unknown type {name:?}"));
    }
    Ok(Some(name.to_string()))
}

/// `path` relative to `folder`, with `.` and `..` applied; `None` above the package root.
fn resolve(folder: &str, path: &str) -> Option<String> {
    let mut parts: Vec<&str> = folder.split('/').filter(|p| !p.is_empty()).collect();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            name => parts.push(name),
        }
    }
    Some(parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_forms_are_read_and_broken_ones_refused() {
        let keys: BTreeSet<String> = ["a.json", "d/b.csv", "d/c.ipynb"].map(String::from).into();
        let text = r#"["../a.json", [{"path": "b.csv", "width": "200px"},
            {"path": "c.ipynb", "title": "Notebook", "types": [{"name": "voila", "style": {"height": "9px"}}]}]]"#;
        let rows = read_summary("d/quilt_summarize.json", text, &keys).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0][0].logical_key, "a.json");
        assert_eq!(rows[1][1].render_type.as_deref(), Some("voila"));
        for bad in [
            r#"{"path": "a.json"}"#,
            r#"["missing.json"]"#,
            r#"["../../a.json"]"#,
            r#"[{"path": "a.json", "type": ["echarts"]}]"#,
            r#"[{"path": "a.json", "types": ["echarts", "igv"]}]"#,
            r#"[{"path": "a.json", "types": ["vega"]}]"#,
            r#"[[]]"#,
        ] {
            assert!(
                read_summary("quilt_summarize.json", bad, &keys).is_err(),
                "{bad}"
            );
        }
    }
}
