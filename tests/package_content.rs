//! `package_file_fetch` over the whole dataset: every file of every package's latest revision
//! comes back as what a client can use (text, an `image` block, an embedded `resource` blob),
//! byte for byte the S3 object the entry points at; a binary above the embedding cap comes
//! back as a download link that serves the same bytes.

mod common;
mod modern;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use common::*;
use serde_json::json;

/// Every package of every bucket the admin sees, as its Quilt+ URI (latest revision).
fn every_package(h: &Harness) -> Vec<String> {
    let buckets = call_ok(h, ALICE, "bucket_list", json!({}));
    let mut uris = Vec::new();
    for bucket in buckets["buckets"].as_array().unwrap() {
        let listed = call_ok(
            h,
            ALICE,
            "packages_list",
            json!({"registry": bucket["name"], "per_page": 100}),
        );
        for package in listed["packages"].as_array().unwrap() {
            uris.push(package["uri"].as_str().unwrap().to_string());
        }
    }
    uris
}

/// The files of a package revision: logical key, physical key.
fn files_of(h: &Harness, uri: &str) -> Vec<(String, String)> {
    let browsed = call_ok(
        h,
        ALICE,
        "package_browse",
        json!({"uri": uri, "recursive": true, "include_file_info": true,
               "include_signed_urls": false, "top": 10000}),
    );
    browsed["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "file")
        .map(|e| {
            (
                e["logical_key"].as_str().unwrap().to_string(),
                e["physical_key"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn every_package_file_comes_back_as_text_image_or_blob_equal_to_its_object() {
    let h = Harness::start();
    let packages = every_package(&h);
    assert!(packages.len() >= 10, "{packages:?}");
    let (mut texts, mut images, mut blobs) = (0, 0, 0);
    for package in &packages {
        for (path, physical_key) in files_of(&h, package) {
            let bytes = object_bytes(&h, &physical_key);
            let result = h.call_tool(
                &token(ALICE),
                "package_file_fetch",
                json!({"uri": package, "path": path}),
            );
            let fetched = ok(&result);
            let what = format!("{package} {path}");
            assert_eq!(fetched["physical_key"], physical_key.as_str(), "{what}");
            assert_eq!(fetched["size"], bytes.len(), "{what}");
            match fetched["sent"].as_str().unwrap() {
                "text" => {
                    texts += 1;
                    let whole = std::str::from_utf8(&bytes).expect(&what);
                    let text = fetched["text"].as_str().unwrap();
                    if fetched["truncated"] == true {
                        assert!(whole.starts_with(text), "{what}");
                        assert_eq!(fetched["next_offset"], text.len(), "{what}");
                    } else {
                        assert_eq!(text, whole, "{what}");
                    }
                    assert_eq!(result["content"].as_array().unwrap().len(), 1, "{what}");
                }
                "image" => {
                    images += 1;
                    let image = content_blocks(&result, "image");
                    assert_eq!(image.len(), 1, "{what}: {result}");
                    assert_eq!(image[0]["mimeType"], fetched["image"]["mime_type"]);
                    let data = STANDARD.decode(image[0]["data"].as_str().unwrap());
                    assert_eq!(data.unwrap(), bytes, "{what}");
                }
                "resource" => {
                    blobs += 1;
                    assert!(std::str::from_utf8(&bytes).is_err(), "{what} is text");
                    let resource = content_blocks(&result, "resource");
                    assert_eq!(resource.len(), 1, "{what}: {result}");
                    let embedded = &resource[0]["resource"];
                    // The blob is named by the file's Quilt+ URI, which names this file.
                    assert_eq!(embedded["uri"], fetched["uri"], "{what}");
                    assert_eq!(embedded["mimeType"], fetched["resource"]["mime_type"]);
                    let blob = STANDARD.decode(embedded["blob"].as_str().unwrap());
                    assert_eq!(blob.unwrap(), bytes, "{what}");
                    assert_eq!(fetched["resource"]["bytes"], bytes.len(), "{what}");
                }
                other => panic!("{what}: sent {other}: {fetched}"),
            }
            // The structured content never carries the bytes of a block.
            assert!(fetched.get("_images").is_none() && fetched.get("_content").is_none());
        }
    }
    // The dataset has each kind: READMEs and tables, PNGs, gzipped FASTQ.
    assert!(
        texts > 0 && images > 0 && blobs > 0,
        "{texts} {images} {blobs}"
    );
}

/// A gzipped entry of the dataset's RNA-seq package: a binary that is no image.
fn a_gzip_entry(h: &Harness) -> (String, String, String) {
    let package = every_package(h)
        .into_iter()
        .find(|uri| uri.contains("package=team/rnaseq-2024"))
        .expect("team/rnaseq-2024");
    let (path, physical_key) = files_of(h, &package)
        .into_iter()
        .find(|(path, _)| path.ends_with(".gz"))
        .expect("a .gz entry");
    (package, path, physical_key)
}

#[test]
fn a_binary_over_the_cap_comes_back_as_a_link_to_the_same_bytes() {
    let h = Harness::start();
    let (package, path, physical_key) = a_gzip_entry(&h);
    let bytes = object_bytes(&h, &physical_key);
    let result = h.call_tool(
        &token(ALICE),
        "package_file_fetch",
        json!({"uri": package, "path": path, "max_embed_bytes": bytes.len() - 1}),
    );
    let fetched = ok(&result);
    assert_eq!(fetched["sent"], "link", "{fetched}");
    assert!(fetched.get("resource").is_none() && fetched.get("text").is_none());
    let links = content_blocks(&result, "resource_link");
    assert_eq!(links.len(), 1, "{result}");
    let url = fetched["link"]["url"].as_str().unwrap();
    assert_eq!(links[0]["uri"], url);
    assert_eq!(links[0]["size"], bytes.len());
    assert_eq!(links[0]["mimeType"], "application/gzip");
    let mut downloaded = Vec::new();
    use std::io::Read;
    client()
        .get(url)
        .call()
        .unwrap()
        .into_body()
        .into_reader()
        .read_to_end(&mut downloaded)
        .unwrap();
    assert_eq!(downloaded, bytes);

    // At the cap exactly, the same file is embedded.
    let embedded = h.call_tool(
        &token(ALICE),
        "package_file_fetch",
        json!({"uri": package, "path": path, "max_embed_bytes": bytes.len()}),
    );
    assert_eq!(ok(&embedded)["sent"], "resource", "{embedded}");
}

#[test]
fn package_file_fetch_refuses_what_names_no_file() {
    let h = Harness::start();
    let (package, path, _) = a_gzip_entry(&h);
    let cases = [
        (json!({"uri": package}), "path"),
        (json!({"uri": package, "path": "raw/"}), "path"),
        (
            json!({"uri": package, "path": "no/such/file.gz"}),
            "not a file",
        ),
        (json!({"uri": package, "path": "../x"}), "`..`"),
        (
            json!({"uri": package, "path": path, "max_embed_bytes": 0}),
            "max_embed_bytes",
        ),
        (
            json!({"uri": package.replace("quilt+s3", "s3"), "path": path}),
            "quilt+s3://",
        ),
        (
            json!({"uri": format!("{package}&path=other.csv"), "path": path}),
            "differs",
        ),
    ];
    for (args, why) in cases {
        let error = call_fails(&h, ALICE, "package_file_fetch", args.clone());
        assert!(error.contains(why), "{args}: {error}");
    }
    // The text tool, asked for the same binary, points at this one.
    let binary = call_fails(
        &h,
        ALICE,
        "package_file_text",
        json!({"uri": package, "path": path}),
    );
    assert!(binary.contains("package_file_fetch"), "{binary}");
}

#[test]
fn both_protocol_eras_get_the_same_content_blocks() {
    let h = Harness::start();
    let (package, path, _) = a_gzip_entry(&h);
    let png = files_of(&h, &package)
        .into_iter()
        .map(|(path, _)| path)
        .find(|path| path.ends_with(".png"));
    // The RNA-seq package has no picture; the imaging atlas has.
    let (png_package, png) = match png {
        Some(png) => (package.clone(), png),
        None => {
            let atlas = every_package(&h)
                .into_iter()
                .find(|uri| uri.contains("package=team/imaging-atlas"))
                .expect("team/imaging-atlas");
            let png = files_of(&h, &atlas)
                .into_iter()
                .map(|(path, _)| path)
                .find(|path| path.ends_with(".png"))
                .expect("a PNG in the atlas");
            (atlas, png)
        }
    };
    for (uri, path, kind) in [(&package, &path, "resource"), (&png_package, &png, "image")] {
        let args = json!({"uri": uri, "path": path});
        let legacy = h.call_tool(&token(ALICE), "package_file_fetch", args.clone());
        let current = modern::modern_ok(
            &h,
            ALICE,
            "tools/call",
            json!({"name": "package_file_fetch", "arguments": args}),
        );
        check_output_schema("package_file_fetch", &current);
        assert_eq!(content_blocks(&legacy, kind).len(), 1, "{legacy}");
        assert_eq!(
            content_blocks(&current, kind),
            content_blocks(&legacy, kind),
            "{path}"
        );
        assert_eq!(current["structuredContent"], legacy["structuredContent"]);
    }
}
