//! The package summary tools against the embedded catalog: PNG charts of package structures
//! (decoded to their stated size, sent as image content and as files), quilt_summarize.json
//! and README files, checked by the embedded catalog's model of the package view, and a chart
//! published with the package tools and read back.

mod common;
mod viz_support;

use std::collections::BTreeSet;

use common::*;
use serde_json::{Value, json};
use viz_support::*;

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
        // The package's own README is kept; one is written only where there is none.
        let had_readme = package_keys(&h, "example-public", name).contains("README.md");
        let readme = files.iter().find(|f| f["logical_key"] == "README.md");
        assert_eq!(made["files_generated"]["README.md"], !had_readme, "{name}");
        if let Some(readme) = readme {
            let readme = readme["text"].as_str().unwrap();
            assert!(readme.starts_with(&format!("# {name}\n")), "{readme}");
            assert!(readme.contains("example-public"), "the source is written");
        }
        let generated = made["files_generated"].as_object().unwrap();
        assert_eq!(
            generated.values().filter(|v| **v == true).count(),
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
    let organized = json!({"data": [{"Key": "data/a.csv", "Size": 10}]});
    let made = call_ok(
        &h,
        CAROL,
        "create_quilt_summary_files",
        json!({"package_name": "a/b", "organized_structure": organized,
               "package_metadata": {"description": "Tables of a."}}),
    );
    let readme = made["files"][0]["text"].as_str().unwrap();
    assert!(readme.starts_with("# a/b\n\nTables of a.\n"), "{readme}");
    assert_eq!(made["files_generated"]["README.md"], true);
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
