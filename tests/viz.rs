//! The visualization tools against the embedded catalog: charts of the dataset's tables read
//! through the tools (S3 and Quilt+ URIs, inline columns, rows and CSV), checked against the
//! ECharts option shape (series types, axis data lengths), and the errors an agent can fix.

mod common;
mod viz_support;

use std::collections::BTreeSet;

use common::*;
use serde_json::{Value, json};
use viz_support::*;

/// The file named `suffix` among a result's files, parsed when it is JSON.
fn file<'a>(result: &'a Value, suffix: &str) -> &'a Value {
    result["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["logical_key"].as_str().unwrap().ends_with(suffix))
        .unwrap_or_else(|| panic!("no {suffix} in {result}"))
}

fn option_of(result: &Value) -> Value {
    let chart = result["summary_entry"]["path"].as_str().unwrap();
    serde_json::from_str(file(result, chart)["text"].as_str().unwrap()).unwrap()
}

/// Checks what any ECharts option needs: each series of a known type, and on a category axis
/// one data item per category in every series.
fn check_option_shape(option: &Value, expected_types: &[&str]) {
    let series = option["series"].as_array().unwrap();
    assert!(!series.is_empty(), "{option}");
    let types: BTreeSet<&str> = series.iter().map(|s| s["type"].as_str().unwrap()).collect();
    assert!(
        types.iter().all(|t| expected_types.contains(t)),
        "{types:?} not in {expected_types:?}"
    );
    assert_eq!(option["yAxis"]["type"], "value");
    let names: Vec<&Value> = series.iter().map(|s| &s["name"]).collect();
    let legend: Vec<&Value> = option["legend"]["data"]
        .as_array()
        .unwrap()
        .iter()
        .collect();
    assert_eq!(legend, names);
    for s in series.iter().filter(|s| s["type"] == "boxplot") {
        for five in s["data"].as_array().unwrap() {
            let five: Vec<f64> = five
                .as_array()
                .unwrap()
                .iter()
                .filter_map(Value::as_f64)
                .collect();
            assert!(
                five.len() == 5 && five.windows(2).all(|w| w[0] <= w[1]),
                "{five:?}"
            );
        }
    }
    if option["xAxis"]["type"] == "category" {
        let categories = option["xAxis"]["data"].as_array().unwrap().len();
        for s in series.iter().filter(|s| s["type"] != "scatter") {
            assert_eq!(s["data"].as_array().unwrap().len(), categories, "{s}");
        }
    } else {
        assert_eq!(option["xAxis"]["type"], "value");
        for s in series {
            assert!(s["data"].as_array().unwrap().iter().all(|p| {
                p.as_array()
                    .is_some_and(|p| p.len() == 2 && p.iter().all(Value::is_number))
            }));
        }
    }
}

#[test]
fn each_plot_type_charts_a_dataset_table_read_from_s3() {
    let h = Harness::start();
    let uri = first_csv(&h, "example-public", "demo/");
    let rows = cells(&object_text(&h, &uri), ',');
    let (number, category) = numeric_and_category(&rows);
    let header = &rows[0];
    let other_number = header
        .iter()
        .enumerate()
        .find(|(i, c)| **c != number && rows[1..].iter().all(|r| r[*i].parse::<f64>().is_ok()))
        .map(|(_, c)| c.clone())
        .unwrap();
    let categories: BTreeSet<&str> = rows[1..]
        .iter()
        .map(|r| r[index_of(header, &category)].as_str())
        .collect();
    let data_rows = rows.len() - 1;

    for (plot, x, types) in [
        ("boxplot", &category, &["boxplot", "scatter"][..]),
        ("bar", &category, &["bar"][..]),
        ("scatter", &other_number, &["scatter"][..]),
        ("line", &other_number, &["line"][..]),
    ] {
        let result = call_ok(
            &h,
            BOB,
            "create_data_visualization",
            json!({"data": uri, "plot_type": plot, "x_column": x, "y_column": number}),
        );
        let option = option_of(&result);
        check_option_shape(&option, types);
        assert_eq!(result["rows"], data_rows, "{plot}");
        assert_eq!(
            result["rows_used"], data_rows,
            "{plot}: no blanks in this table"
        );
        if option["xAxis"]["type"] == "category" {
            let shown: BTreeSet<&str> = option["xAxis"]["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c.as_str().unwrap())
                .collect();
            assert_eq!(shown, categories, "{plot}");
        } else {
            let points: usize = option["series"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s["data"].as_array().unwrap().len())
                .sum();
            assert_eq!(points, data_rows, "{plot}");
        }
        if plot == "line" {
            let xs: Vec<f64> = option["series"][0]["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p[0].as_f64().unwrap())
                .collect();
            assert!(xs.windows(2).all(|w| w[0] <= w[1]), "a line runs along x");
        }
        // The data file holds the charted rows; the summary points at the chart as ECharts.
        let data = file(&result, ".csv")["text"].as_str().unwrap();
        assert_eq!(data.lines().count(), data_rows + 1, "{plot}");
        let summary: Value = serde_json::from_str(
            file(&result, "quilt_summarize.json")["text"]
                .as_str()
                .unwrap(),
        )
        .unwrap();
        assert_eq!(summary[0], result["summary_entry"]);
        assert_eq!(summary[0]["types"], json!(["echarts"]));
        let series_count = option["series"].as_array().unwrap().len();
        assert_eq!(result["series"].as_array().unwrap().len(), series_count);
    }
}

#[test]
fn a_quilt_uri_charts_a_package_file_and_skips_na_rows() {
    let h = Harness::start();
    let browse = call_ok(
        &h,
        CAROL,
        "package_browse",
        json!({"registry": "example-public", "package_name": "demo/penguins", "include_signed_urls": false}),
    );
    let key = browse["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["logical_key"].as_str())
        .find(|k| k.ends_with(".csv"))
        .unwrap()
        .to_string();
    let text = call_ok(
        &h,
        CAROL,
        "package_file_text",
        json!({"registry": "example-public", "package_name": "demo/penguins", "path": key, "max_bytes": 1048576}),
    )["text"]
        .as_str()
        .unwrap()
        .to_string();
    let rows = cells(&text, ',');
    let (number, category) = numeric_and_category(&rows[..2]);
    let y = rows[0]
        .iter()
        .enumerate()
        .rev()
        .find(|(i, _)| rows[1].get(*i).is_some_and(|v| v.parse::<f64>().is_ok()))
        .map(|(_, c)| c.clone())
        .unwrap_or(number);
    let column = index_of(&rows[0], &y);
    let blanks = rows[1..].iter().filter(|r| r[column] == "NA").count();
    assert!(blanks > 0, "the dataset's penguins have NA values");
    let group = rows[0].last().unwrap().clone();
    let uri = format!("quilt+s3://example-public#package=demo/penguins&path={key}");
    let result = call_ok(
        &h,
        CAROL,
        "create_data_visualization",
        json!({"data": uri, "plot_type": "bar", "x_column": category, "y_column": y,
               "group_column": group, "folder": "viz", "color_scheme": "research"}),
    );
    let option = option_of(&result);
    check_option_shape(&option, &["bar"]);
    let skipped = result["rows_skipped"].as_u64().unwrap() as usize;
    assert!(skipped >= blanks, "{skipped} < {blanks}");
    assert_eq!(
        result["rows_used"].as_u64().unwrap() as usize + skipped,
        rows.len() - 1
    );
    assert!(
        option["series"].as_array().unwrap().len() > 1,
        "one series per group"
    );
    assert_eq!(option["color"][0], "#332288");
    for f in result["files"].as_array().unwrap() {
        assert!(
            f["logical_key"].as_str().unwrap().starts_with("viz/"),
            "{f}"
        );
    }
}

#[test]
fn columns_rows_and_csv_text_give_the_same_chart() {
    let h = Harness::start();
    let text = object_text(
        &h,
        "s3://example-data/team/rnaseq-2024/results/de_genes.tsv",
    );
    let rows = cells(&text, '\t');
    let (x, _) = numeric_and_category(&rows);
    let y = rows[0].iter().rfind(|c| **c != x).unwrap().clone();
    let (xi, yi) = (index_of(&rows[0], &x), index_of(&rows[0], &y));
    let number = |s: &str| s.parse::<f64>().unwrap();
    let columns = json!({
        x.clone(): rows[1..].iter().map(|r| number(&r[xi])).collect::<Vec<_>>(),
        y.clone(): rows[1..].iter().map(|r| number(&r[yi])).collect::<Vec<_>>(),
    });
    let objects: Vec<Value> = rows[1..]
        .iter()
        .map(|r| json!({ x.clone(): number(&r[xi]), y.clone(): number(&r[yi]) }))
        .collect();
    let chart = |data: Value| {
        let result = call_ok(
            &h,
            BOB,
            "create_data_visualization",
            json!({"data": data, "plot_type": "scatter", "x_column": x, "y_column": y, "title": "DE"}),
        );
        option_of(&result)
    };
    let from_text = chart(json!(text));
    check_option_shape(&from_text, &["scatter"]);
    assert_eq!(
        from_text["series"][0]["data"].as_array().unwrap().len(),
        rows.len() - 1
    );
    assert_eq!(from_text["title"]["text"], "DE");
    assert_eq!(chart(columns), from_text);
    assert_eq!(chart(json!(objects)), from_text);
}

#[test]
fn bad_columns_text_values_and_empty_data_are_errors_naming_the_column() {
    let h = Harness::start();
    let uri = first_csv(&h, "example-public", "demo/");
    let rows = cells(&object_text(&h, &uri), ',');
    let (number, category) = numeric_and_category(&rows);
    let fails = |args: Value| call_fails(&h, BOB, "create_data_visualization", args);

    let error = fails(
        json!({"data": uri, "plot_type": "bar", "x_column": category, "y_column": "no_such_column"}),
    );
    assert!(
        error.contains("y_column")
            && error.contains("\"no_such_column\"")
            && error.contains(&number),
        "{error}"
    );
    let error =
        fails(json!({"data": uri, "plot_type": "bar", "x_column": "nope", "y_column": number}));
    assert!(
        error.contains("x_column") && error.contains("\"nope\""),
        "{error}"
    );
    let error =
        fails(json!({"data": uri, "plot_type": "bar", "x_column": number, "y_column": category}));
    assert!(
        error.contains(&format!("column {category:?} must be numeric")),
        "{error}"
    );
    let error = fails(
        json!({"data": uri, "plot_type": "scatter", "x_column": category, "y_column": number}),
    );
    assert!(
        error.contains("x_column") && error.contains(&format!("{category:?}")),
        "{error}"
    );
    let error = fails(
        json!({"data": uri, "plot_type": "bar", "x_column": category, "y_column": number, "group_column": "nope"}),
    );
    assert!(error.contains("group_column"), "{error}");
    let error = fails(json!({"data": uri, "plot_type": "bar", "x_column": category}));
    assert!(error.contains("y_column"), "{error}");

    let header = rows[0].join(",");
    for empty in [
        json!(header),
        json!([]),
        json!({}),
        json!(""),
        json!({"a": []}),
    ] {
        let error = fails(
            json!({"data": empty, "plot_type": "bar", "x_column": category, "y_column": number}),
        );
        assert!(error.contains("empty"), "{empty}: {error}");
    }
    let blank = json!({"g": ["a", "b"], "v": [null, "NA"]});
    let error = fails(json!({"data": blank, "plot_type": "bar", "x_column": "g", "y_column": "v"}));
    assert!(
        error.contains("\"v\"") && error.contains("no numeric values"),
        "{error}"
    );

    let error = fails(
        json!({"data": "s3://example-public/demo/README.md", "plot_type": "bar", "x_column": "a", "y_column": "b"}),
    );
    assert!(error.contains(".csv, .tsv or .json"), "{error}");
    let error = fails(
        json!({"data": "s3://example-public/demo/nothing-here.csv", "plot_type": "bar", "x_column": "a", "y_column": "b"}),
    );
    assert!(!error.is_empty());
    // Carol may not read example-data: her own credentials are used, so S3 refuses.
    let private = uri.replace("s3://example-public/", "s3://example-data/");
    let args =
        json!({"data": private, "plot_type": "bar", "x_column": category, "y_column": number});
    let error = call_fails(&h, CAROL, "create_data_visualization", args);
    assert!(
        error.to_lowercase().contains("denied") || error.contains("403"),
        "{error}"
    );
    let error = fails(
        json!({"data": {"g": "not a list"}, "plot_type": "bar", "x_column": "g", "y_column": "v"}),
    );
    assert!(error.contains("data"), "{error}");
    let error =
        fails(json!({"data": uri, "plot_type": "pie", "x_column": category, "y_column": number}));
    assert!(error.contains("plot_type"), "{error}");
    let error = fails(
        json!({"data": uri, "plot_type": "bar", "x_column": category, "y_column": number, "output_format": "vega"}),
    );
    assert!(error.contains("output_format"), "{error}");
    let error = fails(
        json!({"data": uri, "plot_type": "bar", "x_column": category, "y_column": number, "folder": "../up"}),
    );
    assert!(error.contains("folder"), "{error}");
}
