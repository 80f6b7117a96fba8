//! Images as MCP `image` content blocks: `bucket_object_fetch` of a PNG, JPEG, GIF or WebP
//! answers a block a client can decode to the object's bytes, with the metadata as
//! structured content; what only looks like an image by name stays bytes.

mod common;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use common::*;
use serde_json::json;

/// A PNG of the dataset, found through the listing rather than named.
fn some_png(h: &Harness) -> String {
    let listed = call_ok(
        h,
        ALICE,
        "bucket_objects_list",
        json!({"bucket": "s3://example-data", "prefix": "atlas/", "max_keys": 100}),
    );
    listed["objects"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["key"].as_str().unwrap().ends_with(".png"))
        .unwrap_or_else(|| panic!("no PNG under atlas/: {listed}"))["s3_uri"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn an_image_comes_back_as_an_image_block_that_decodes_to_the_object() {
    let h = Harness::start();
    let uri = some_png(&h);
    let bytes = object_bytes(&h, &uri);
    let result = h.call_tool(&token(ALICE), "bucket_object_fetch", json!({"s3_uri": uri}));
    let structured = ok(&result);
    let images = content_blocks(&result, "image");
    assert_eq!(images.len(), 1, "{result}");
    assert_eq!(images[0]["mimeType"], "image/png");
    let decoded = STANDARD
        .decode(images[0]["data"].as_str().unwrap())
        .unwrap();
    assert_eq!(decoded, bytes);
    // The metadata is structured content; the picture is not repeated in it or in the text.
    assert_eq!(structured["image"]["mime_type"], "image/png");
    assert_eq!(structured["image"]["bytes"], bytes.len());
    assert_eq!(structured["size"], bytes.len());
    assert_eq!(structured["truncated"], false);
    assert!(structured.get("data").is_none(), "{structured}");
    assert!(structured.get("_images").is_none(), "{structured}");
    let text = result_text(&result);
    assert!(
        !text.contains(images[0]["data"].as_str().unwrap()),
        "{text}"
    );
    // The output schema declares the image metadata.
    let tool = quilt_mcp::tools::find("bucket_object_fetch").unwrap();
    let described = quilt_mcp::tools::describe(tool);
    assert!(
        described["outputSchema"]["properties"]["image"].is_object(),
        "{}",
        described["outputSchema"]
    );
}

#[test]
fn an_image_larger_than_max_bytes_still_comes_whole_and_a_fake_one_stays_bytes() {
    let h = Harness::start();
    // A PNG signature and 40 KiB more: larger than the default max_bytes (16 KiB).
    let mut big = b"\x89PNG\r\n\x1a\n".to_vec();
    big.extend(std::iter::repeat_n(7u8, 40 * 1024));
    let put = call_ok(
        &h,
        ALICE,
        "bucket_objects_put",
        json!({"bucket": "s3://example-data", "items": [
            {"key": "incoming/big-image.png", "data": STANDARD.encode(&big), "content_type": "image/png"},
            {"key": "incoming/not-an-image.png", "text": "plain text under an image's name"},
        ]}),
    );
    assert_eq!(put["uploaded"], 2, "{put}");
    let result = h.call_tool(
        &token(ALICE),
        "bucket_object_fetch",
        json!({"s3_uri": "s3://example-data/incoming/big-image.png"}),
    );
    let images = content_blocks(&result, "image");
    assert_eq!(images.len(), 1, "{result}");
    assert_eq!(
        STANDARD
            .decode(images[0]["data"].as_str().unwrap())
            .unwrap(),
        big
    );
    assert_eq!(ok(&result)["bytes_read"], big.len());

    // Bytes that are no image go back as bytes, within the max_bytes asked for.
    let fake_uri = "s3://example-data/incoming/not-an-image.png";
    let whole = object_bytes(&h, fake_uri);
    let fake = h.call_tool(
        &token(ALICE),
        "bucket_object_fetch",
        json!({"s3_uri": fake_uri, "max_bytes": 5}),
    );
    assert!(content_blocks(&fake, "image").is_empty(), "{fake}");
    let fake = ok(&fake);
    assert!(fake.get("image").is_none(), "{fake}");
    assert_eq!(fake["truncated"], true);
    assert_eq!(
        STANDARD.decode(fake["data"].as_str().unwrap()).unwrap(),
        whole[..5].to_vec()
    );
}

/// A gzipped object of the dataset, found through the listing rather than named.
fn some_gzip(h: &Harness) -> (String, u64) {
    let listed = call_ok(
        h,
        ALICE,
        "bucket_objects_list",
        json!({"bucket": "s3://example-data", "prefix": "raw/run42/", "max_keys": 100}),
    );
    let object = listed["objects"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["key"].as_str().unwrap().ends_with(".gz"))
        .unwrap_or_else(|| panic!("no .gz under raw/run42/: {listed}"))
        .clone();
    (
        object["s3_uri"].as_str().unwrap().to_string(),
        object["size"].as_u64().unwrap(),
    )
}

#[test]
fn a_binary_comes_back_as_an_embedded_resource_blob_of_the_object() {
    let h = Harness::start();
    let (uri, size) = some_gzip(&h);
    let bytes = object_bytes(&h, &uri);
    assert_eq!(bytes.len() as u64, size);
    // max_bytes smaller than the object: a binary under the cap still comes whole.
    let result = h.call_tool(
        &token(ALICE),
        "bucket_object_fetch",
        json!({"s3_uri": uri, "max_bytes": 16}),
    );
    let structured = ok(&result);
    let resources = content_blocks(&result, "resource");
    assert_eq!(resources.len(), 1, "{result}");
    let embedded = &resources[0]["resource"];
    assert_eq!(embedded["uri"], uri.as_str());
    assert_eq!(embedded["mimeType"], structured["resource"]["mime_type"]);
    let blob = STANDARD.decode(embedded["blob"].as_str().unwrap()).unwrap();
    assert_eq!(blob, bytes);
    assert_eq!(structured["resource"]["bytes"], bytes.len());
    assert_eq!(
        (
            structured["truncated"].clone(),
            structured["bytes_read"].clone()
        ),
        (json!(false), json!(bytes.len()))
    );
    assert!(structured.get("data").is_none(), "{structured}");
    assert!(structured.get("_content").is_none(), "{structured}");
    assert!(content_blocks(&result, "image").is_empty(), "{result}");
    let tool = quilt_mcp::tools::find("bucket_object_fetch").unwrap();
    let schema = &quilt_mcp::tools::describe(tool)["outputSchema"];
    assert!(schema["properties"]["resource"].is_object(), "{schema}");
    assert!(schema["properties"]["link"].is_object(), "{schema}");

    // Text is no binary: it stays in `data`, with no resource block.
    let text = call_ok(
        &h,
        ALICE,
        "bucket_object_fetch",
        json!({"s3_uri": "s3://example-data/README.md", "base64_encode": false}),
    );
    assert!(
        text.get("resource").is_none() && text["data"].is_string(),
        "{text}"
    );
}

#[test]
fn a_binary_over_the_cap_keeps_its_first_bytes_and_gains_a_download_link() {
    let h = Harness::start();
    // 1 MiB and a little more of bytes that are no UTF-8 text and no image.
    let big: Vec<u8> = (0..(1024 * 1024 + 100))
        .map(|i| (i % 251) as u8 | 0x80)
        .collect();
    let put = call_ok(
        &h,
        ALICE,
        "bucket_objects_put",
        json!({"bucket": "s3://example-data", "items": [
            {"key": "incoming/big.bin", "data": STANDARD.encode(&big)},
        ]}),
    );
    assert_eq!(put["uploaded"], 1, "{put}");
    let uri = "s3://example-data/incoming/big.bin";
    let result = h.call_tool(&token(ALICE), "bucket_object_fetch", json!({"s3_uri": uri}));
    let structured = ok(&result);
    assert_eq!(structured["truncated"], true, "{structured}");
    let first = STANDARD
        .decode(structured["data"].as_str().unwrap())
        .unwrap();
    assert_eq!(first[..], big[..first.len()]);
    let url = structured["link"]["url"].as_str().unwrap();
    let links = content_blocks(&result, "resource_link");
    assert_eq!(links.len(), 1, "{result}");
    assert_eq!(links[0]["uri"], url);
    assert_eq!(links[0]["name"], "big.bin");
    use std::io::Read;
    let mut downloaded = Vec::new();
    client()
        .get(url)
        .call()
        .unwrap()
        .into_body()
        .into_reader()
        .read_to_end(&mut downloaded)
        .unwrap();
    assert_eq!(downloaded, big);
}
