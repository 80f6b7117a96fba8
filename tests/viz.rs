//! The visualization tools against the embedded catalog: charts of the dataset's tables read
//! through the tools (S3 and Quilt+ URIs, inline columns, rows and CSV), checked against the
//! ECharts option shape (series types, axis data lengths), and the errors an agent can fix.

mod common;

use std::collections::BTreeSet;

use common::*;
use serde_json::{Value, json};

/// The text of an S3 object, read with `bucket_object_text`.
fn object_text(h: &Harness, uri: &str) -> String {
    let read = call_ok(
        h,
        ALICE,
        "bucket_object_text",
        json!({"s3_uri": uri, "max_bytes": 1048576}),
    );
    read["text"].as_str().unwrap().to_string()
}

/// The first CSV object under `prefix` of `bucket`, as `bucket_objects_list` lists it.
fn first_csv(h: &Harness, bucket: &str, prefix: &str) -> String {
    let listed = call_ok(
        h,
        ALICE,
        "bucket_objects_list",
        json!({"bucket": bucket, "prefix": prefix}),
    );
    let key = listed["objects"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|o| o["key"].as_str())
        .find(|k| k.ends_with(".csv"))
        .unwrap_or_else(|| panic!("no CSV under {prefix}: {listed}"))
        .to_string();
    format!("s3://{bucket}/{key}")
}

/// The rows of CSV text as string cells, header first (the tests' own simple reader: the
/// dataset's tables have no quoted fields).
fn cells(text: &str, separator: char) -> Vec<Vec<String>> {
    text.lines()
        .filter(|l| !l.is_empty())
        .map(|l| l.split(separator).map(str::to_string).collect())
        .collect()
}

/// A column's index by name.
fn index_of(header: &[String], name: &str) -> usize {
    header.iter().position(|c| c == name).unwrap()
}

/// The first column whose every value is a number, and the first whose values are not.
fn numeric_and_category(rows: &[Vec<String>]) -> (String, String) {
    let header = &rows[0];
    let numeric = |i: usize| rows[1..].iter().all(|r| r[i].parse::<f64>().is_ok());
    let number = (0..header.len()).find(|i| numeric(*i)).unwrap();
    let category = (0..header.len()).find(|i| !numeric(*i)).unwrap();
    (header[number].clone(), header[category].clone())
}

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

/// The width and height a PNG's header states, after decoding the whole image.
fn png_size(base64_text: &str) -> (u32, u32) {
    use base64::Engine;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(base64_text)
        .unwrap();
    let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    let mut reader = decoder.read_info().unwrap();
    let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
    let frame = reader.next_frame(&mut pixels).unwrap();
    (frame.width, frame.height)
}

#[test]
fn package_structure_charts_are_pngs_sent_as_images_and_files() {
    let h = Harness::start();
    let listed = call_ok(
        &h,
        BOB,
        "packages_list",
        json!({"registry": "example-data"}),
    );
    let name = listed["packages"][0]["name"].as_str().unwrap().to_string();
    let browse = call_ok(
        &h,
        BOB,
        "package_browse",
        json!({"registry": "example-data", "package_name": name, "include_signed_urls": false}),
    );
    let result = h.call_tool(
        &token(BOB),
        "generate_package_visualizations",
        json!({"registry": "s3://example-data", "package_name": name, "metadata_template": "ml"}),
    );
    let structured = ok(&result);
    assert_eq!(structured["totals"]["files"], browse["total_entries"]);
    assert_eq!(structured["top_hash"], browse["hash"]);
    let count = structured["count"].as_u64().unwrap() as usize;
    assert_eq!(count, 3);
    let content = result["content"].as_array().unwrap();
    let images: Vec<&Value> = content.iter().filter(|c| c["type"] == "image").collect();
    assert_eq!(images.len(), count, "one image block per chart");
    assert!(result["structuredContent"].get("_images").is_none());
    for (i, image) in images.iter().enumerate() {
        assert_eq!(image["mimeType"], "image/png");
        let shown = &structured["visualizations"][i];
        let size = png_size(image["data"].as_str().unwrap());
        assert_eq!(
            size,
            (
                shown["width"].as_u64().unwrap() as u32,
                shown["height"].as_u64().unwrap() as u32
            )
        );
        let file = &structured["files"][i];
        assert_eq!(file["logical_key"], shown["logical_key"]);
        assert_eq!(file["base64"], image["data"], "the file is the image");
        assert_eq!(
            structured["summary_entries"][i]["path"],
            shown["logical_key"]
        );
    }
}

#[test]
fn an_organized_structure_from_a_listing_is_charted_and_bad_input_refused() {
    let h = Harness::start();
    let listed = call_ok(
        &h,
        BOB,
        "bucket_objects_list",
        json!({"bucket": "example-data", "prefix": "team/rnaseq-2024/"}),
    );
    let mut organized = serde_json::Map::new();
    for object in listed["objects"].as_array().unwrap() {
        let key = object["key"].as_str().unwrap();
        let relative = key.trim_start_matches("team/rnaseq-2024/");
        let folder = relative.split_once('/').map_or("root", |(f, _)| f);
        let files = organized.entry(folder.to_string()).or_insert(json!([]));
        files
            .as_array_mut()
            .unwrap()
            .push(json!({"Key": relative, "Size": object["size"]}));
    }
    let total: u64 = listed["objects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["size"].as_u64().unwrap())
        .sum();
    let result = call_ok(
        &h,
        BOB,
        "generate_package_visualizations",
        json!({"package_name": "team/rnaseq-2024", "organized_structure": organized, "folder": "charts"}),
    );
    assert_eq!(result["totals"]["bytes"], total);
    assert_eq!(
        result["totals"]["files"],
        listed["objects"].as_array().unwrap().len()
    );
    for file in result["files"].as_array().unwrap() {
        assert!(
            file["logical_key"].as_str().unwrap().starts_with("charts/"),
            "{file}"
        );
        assert!(png_size(file["base64"].as_str().unwrap()).0 > 0);
    }
    let given = call_ok(
        &h,
        BOB,
        "generate_package_visualizations",
        json!({"package_name": "a/b", "organized_structure": organized, "file_types": {"csv": 7, ".md": 2}}),
    );
    assert_eq!(
        given["totals"]["file_types"],
        json!([{"name": "csv", "files": 7, "bytes": 0}, {"name": "md", "files": 2, "bytes": 0}])
    );

    let fails = |args: Value| call_fails(&h, BOB, "generate_package_visualizations", args);
    let error = fails(json!({"package_name": "a/b"}));
    assert!(error.contains("organized_structure"), "{error}");
    let error = fails(
        json!({"package_name": "a/b", "organized_structure": organized, "file_types": {"csv": "many"}}),
    );
    assert!(error.contains("file_types.csv"), "{error}");
    let error = fails(json!({"package_name": "team/no-such-package", "registry": "example-data"}));
    assert!(error.contains("not found"), "{error}");
}

/// The logical keys of a package's latest revision, as the catalog's package view lists them.
fn package_keys(h: &Harness, bucket: &str, name: &str) -> BTreeSet<String> {
    h.mock()
        .with_model(|m| {
            m.package(bucket, name)
                .and_then(|p| p.latest())
                .map(|r| r.entries.keys().cloned().collect())
                .unwrap_or_default()
        })
        .expect("the mock serves the model")
}

#[test]
fn a_published_chart_and_its_summary_are_what_the_package_view_renders() {
    let h = Harness::start();
    let uri = first_csv(&h, "example-public", "demo/");
    let rows = cells(&object_text(&h, &uri), ',');
    let (number, category) = numeric_and_category(&rows);
    let chart = call_ok(
        &h,
        BOB,
        "create_data_visualization",
        json!({"data": uri, "plot_type": "boxplot", "x_column": category, "y_column": number}),
    );
    // Publish the files exactly as returned: written under a prefix, then packaged flat.
    let items: Vec<Value> = chart["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            json!({"key": format!("incoming/viz-test/{}", f["logical_key"].as_str().unwrap()),
                        "text": f["text"], "content_type": f["media_type"]})
        })
        .collect();
    call_ok(
        &h,
        BOB,
        "bucket_objects_put",
        json!({"bucket": "example-data", "items": items}),
    );
    let uris: Vec<String> = items
        .iter()
        .map(|i| format!("s3://example-data/{}", i["key"].as_str().unwrap()))
        .collect();
    call_ok(
        &h,
        BOB,
        "package_create",
        json!({"registry": "example-data", "package_name": "team/viz-test", "s3_uris": uris}),
    );
    let keys = package_keys(&h, "example-data", "team/viz-test");
    let summary = call_ok(
        &h,
        BOB,
        "package_file_text",
        json!({"registry": "example-data", "package_name": "team/viz-test", "path": "quilt_summarize.json"}),
    );
    let rows = quilt_mcp::mock::summarize::read_summary(
        "quilt_summarize.json",
        summary["text"].as_str().unwrap(),
        &keys,
    )
    .unwrap();
    assert_eq!(rows[0][0].logical_key, chart["summary_entry"]["path"]);
    assert_eq!(rows[0][0].render_type.as_deref(), Some("echarts"));

    // The package's own summary, from its manifest, lists the chart and the data file.
    let generated = call_ok(
        &h,
        BOB,
        "generate_quilt_summarize_json",
        json!({"registry": "example-data", "package_name": "team/viz-test"}),
    );
    let text = generated["files"][0]["text"].as_str().unwrap();
    let read =
        quilt_mcp::mock::summarize::read_summary("quilt_summarize.json", text, &keys).unwrap();
    let shown: BTreeSet<&str> = read
        .iter()
        .flatten()
        .map(|i| i.logical_key.as_str())
        .collect();
    assert!(
        shown.contains(chart["summary_entry"]["path"].as_str().unwrap()),
        "{shown:?}"
    );
    assert!(shown.iter().any(|k| k.ends_with(".csv")), "{shown:?}");
    assert!(!shown.contains("quilt_summarize.json"));
    assert_eq!(generated["totals"]["files"], keys.len());
}

#[test]
fn summary_files_for_a_dataset_package_are_accepted_by_the_package_view() {
    let h = Harness::start();
    let listed = call_ok(
        &h,
        CAROL,
        "packages_list",
        json!({"registry": "example-public"}),
    );
    for package in listed["packages"].as_array().unwrap() {
        let name = package["name"].as_str().unwrap();
        let made = call_ok(
            &h,
            CAROL,
            "create_quilt_summary_files",
            json!({"registry": "example-public", "package_name": name,
                   "source_info": {"bucket": "example-public"}, "metadata_template": "genomics"}),
        );
        let mut keys = package_keys(&h, "example-public", name);
        let files = made["files"].as_array().unwrap();
        keys.extend(
            files
                .iter()
                .map(|f| f["logical_key"].as_str().unwrap().to_string()),
        );
        let summary = files
            .iter()
            .find(|f| f["logical_key"] == "quilt_summarize.json")
            .unwrap();
        let rows = quilt_mcp::mock::summarize::read_summary(
            "quilt_summarize.json",
            summary["text"].as_str().unwrap(),
            &keys,
        )
        .unwrap_or_else(|e| panic!("{name}: {e}"));
        let pngs: Vec<&str> = files
            .iter()
            .filter(|f| f["media_type"] == "image/png")
            .map(|f| f["logical_key"].as_str().unwrap())
            .collect();
        assert_eq!(
            pngs.len(),
            made["visualization_count"].as_u64().unwrap() as usize
        );
        for (row, png) in rows.iter().zip(&pngs) {
            assert_eq!(row[0].logical_key, *png, "{name}: the charts come first");
        }
        for png in files.iter().filter(|f| f["media_type"] == "image/png") {
            assert!(png_size(png["base64"].as_str().unwrap()).0 > 0);
        }
        let readme = files
            .iter()
            .find(|f| f["logical_key"] == "README.md")
            .unwrap();
        let readme = readme["text"].as_str().unwrap();
        assert!(readme.starts_with(&format!("# {name}\n")), "{readme}");
        assert!(readme.contains("example-public"), "the source is written");
        assert_eq!(
            made["files_generated"].as_object().unwrap().len(),
            files.len()
        );
    }

    // A given README is kept as written; a hand-built structure works without a catalog read.
    let organized = json!({"data": [{"Key": "data/a.csv", "Size": 10}], "root": [{"Key": "README.md", "Size": 5}]});
    let made = call_ok(
        &h,
        CAROL,
        "create_quilt_summary_files",
        json!({"package_name": "a/b", "organized_structure": organized, "readme_content": "# Mine"}),
    );
    assert_eq!(made["files"][0]["text"], "# Mine\n");
    let error = call_fails(
        &h,
        CAROL,
        "generate_quilt_summarize_json",
        json!({"package_name": "a/b"}),
    );
    assert!(error.contains("organized_structure"), "{error}");
    let error = call_fails(
        &h,
        CAROL,
        "generate_quilt_summarize_json",
        json!({"package_name": "a/b", "registry": "example-public", "top_hash": "12"}),
    );
    assert!(error.contains("top_hash"), "{error}");
}
