//! The S3 object tools against the recorded catalog's S3 face: listing with folders and pages,
//! object info by version, text and binary reads with truncation, links, and every refusal (no
//! such key, bucket or version, access denied, credentials refused). Uploads:
//! `bucket_objects_put.rs`.

mod common;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use common::*;
use serde_json::json;

const ALICE_KEY: &str = "ASIAALICEEXAMPLE0001";
const BOB_KEY: &str = "ASIABOBEXAMPLE000002";
const V_PREVIOUS: &str = "9pQr0sT1uV2wX3yZ4aB5cD6eF7gH8iJ2";

/// The S3 requests the mock saw (signed ones), as (method, path, query, access key).
fn s3_requests(h: &Harness) -> Vec<(String, String, String, String)> {
    h.mock()
        .requests()
        .into_iter()
        .filter_map(|r| Some((r.method, r.path, r.query, r.access_key?)))
        .collect()
}

#[test]
fn listing_shows_folders_and_pages_through_250_keys() {
    let h = Harness::start();
    let t = token(ALICE);
    let root = ok(&h.call_tool(
        &t,
        "bucket_objects_list",
        json!({"bucket": "s3://example-data", "delimiter": "/"}),
    ));
    snapshot_settings()
        .bind(|| insta::assert_json_snapshot!("bucket_objects_list__root_folders", root));
    let raw = ok(&h.call_tool(
        &t,
        "bucket_objects_list",
        json!({"bucket": "s3://example-data/raw/", "delimiter": "/"}),
    ));
    assert_eq!(raw["folders"], json!(["raw/run42/", "raw/run43/"]));

    let mut keys = Vec::new();
    let mut token_in = String::new();
    for page in 1..=3 {
        let listed = ok(&h.call_tool(
            &t,
            "bucket_objects_list",
            json!({"bucket": "example-data", "prefix": "raw/run43/", "max_keys": 100, "continuation_token": token_in}),
        ));
        let objects = listed["objects"].as_array().unwrap();
        keys.extend(
            objects
                .iter()
                .map(|o| o["key"].as_str().unwrap().to_string()),
        );
        assert_eq!(listed["is_truncated"], page < 3, "page {page}");
        token_in = listed["next_continuation_token"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        if page == 3 {
            assert_eq!(objects.len(), 50);
            assert!(listed["next_continuation_token"].is_null());
        }
    }
    assert_eq!(keys.len(), 250);
    let mut unique = keys.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 250, "no key twice across pages");
    // The token went back verbatim (it holds `/`, `+` and `=`), and max-keys was sent.
    let lists: Vec<_> = s3_requests(&h)
        .into_iter()
        .filter(|(_, _, q, _)| q.contains("prefix=raw%2Frun43%2F"))
        .collect();
    assert_eq!(lists.len(), 3);
    assert!(
        lists
            .iter()
            .all(|(_, _, q, k)| q.contains("max-keys=100") && k == ALICE_KEY)
    );

    for (args, field) in [
        (json!({"bucket": "example-data", "max_keys": 0}), "max_keys"),
        (
            json!({"bucket": "example-data", "max_keys": 1001}),
            "max_keys",
        ),
        (
            json!({"bucket": "s3://example-data/raw/", "prefix": "results/"}),
            "prefix",
        ),
        (json!({"bucket": "Not_A_Bucket"}), "bucket"),
    ] {
        assert!(
            err(&h.call_tool(&t, "bucket_objects_list", args.clone())).contains(field),
            "{args}"
        );
    }
}

#[test]
fn info_reads_the_current_or_a_named_version() {
    let h = Harness::start();
    let t = token(ALICE);
    let current = ok(&h.call_tool(
        &t,
        "bucket_object_info",
        json!({"s3_uri": "s3://example-data/results/summary.json"}),
    ));
    assert_eq!(current["version_id"], "Lk3nB2vQe8Xr5tYw1Zp0Ma7Sd4Fg6Hj9");
    let previous = ok(&h.call_tool(
        &t,
        "bucket_object_info",
        json!({"s3_uri": format!("s3://example-data/results/summary.json?versionId={V_PREVIOUS}")}),
    ));
    assert_eq!(previous["version_id"], V_PREVIOUS);
    assert_eq!(previous["metadata"]["pipeline"], "nf-core/rnaseq 3.12.0");
    snapshot_settings()
        .bind(|| insta::assert_json_snapshot!("bucket_object_info__previous_version", previous));
    let old_text = ok(&h.call_tool(
        &t,
        "bucket_object_text",
        json!({"s3_uri": format!("s3://example-data/results/summary.json?versionId={V_PREVIOUS}")}),
    ));
    assert!(old_text["text"].as_str().unwrap().contains("\"3.12.0\""));

    let missing =
        "s3://example-data/results/summary.json?versionId=zzNoSuchVersion000000000000000000";
    for tool in ["bucket_object_info", "bucket_object_text"] {
        let message = err(&h.call_tool(&t, tool, json!({"s3_uri": missing})));
        assert!(
            message.contains("NoSuchVersion") && message.contains("zzNoSuchVersion"),
            "{message}"
        );
    }
    let no_key = err(&h.call_tool(
        &t,
        "bucket_object_info",
        json!({"s3_uri": "s3://example-data/results/missing.csv"}),
    ));
    assert!(
        no_key.contains("NoSuchKey") && no_key.contains("results/missing.csv"),
        "{no_key}"
    );
    let no_bucket = err(&h.call_tool(
        &t,
        "bucket_objects_list",
        json!({"bucket": "example-nonexistent"}),
    ));
    assert!(no_bucket.contains("NoSuchBucket"), "{no_bucket}");
    let bad = err(&h.call_tool(
        &t,
        "bucket_object_info",
        json!({"s3_uri": "s3://example-data/a.csv?partNumber=2"}),
    ));
    assert!(bad.contains("s3_uri") && bad.contains("versionId"), "{bad}");
}

#[test]
fn text_reads_are_bounded_and_decoded_in_the_asked_encoding() {
    let h = Harness::start();
    let t = token(ALICE);
    let cut = ok(&h.call_tool(
        &t,
        "bucket_object_text",
        json!({"s3_uri": "s3://example-data/results/counts.csv", "max_bytes": 120}),
    ));
    assert_eq!(
        (cut["truncated"].clone(), cut["bytes_read"].clone()),
        (json!(true), json!(120))
    );
    assert_eq!(cut["size"], 6251);
    snapshot_settings()
        .bind(|| insta::assert_json_snapshot!("bucket_object_text__counts_truncated", cut));
    let whole = ok(&h.call_tool(
        &t,
        "bucket_object_text",
        json!({"s3_uri": "s3://example-data/results/counts.csv"}),
    ));
    assert_eq!(
        (whole["truncated"].clone(), whole["bytes_read"].clone()),
        (json!(false), json!(6251))
    );
    // Only max_bytes + 1 bytes were asked of S3.
    let ranges = h
        .mock()
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("counts.csv"))
        .count();
    assert_eq!(ranges, 2);

    let notes = "s3://example-data/notes/field-notes-1998.txt";
    let refused = err(&h.call_tool(&t, "bucket_object_text", json!({"s3_uri": notes})));
    assert!(
        refused.contains("not valid utf-8")
            && refused.contains("0xC9")
            && refused.contains("latin-1"),
        "{refused}"
    );
    let latin = ok(&h.call_tool(
        &t,
        "bucket_object_text",
        json!({"s3_uri": notes, "encoding": "ISO-8859-1"}),
    ));
    assert_eq!(latin["encoding"], "latin-1");
    assert!(
        latin["text"]
            .as_str()
            .unwrap()
            .contains("prélevés le 12 août 1998 à 4 °C")
    );
    let empty = ok(&h.call_tool(
        &t,
        "bucket_object_text",
        json!({"s3_uri": "s3://example-data/incoming/.keep"}),
    ));
    assert_eq!(
        (empty["text"].clone(), empty["size"].clone()),
        (json!(""), json!(0))
    );
    let unknown = err(&h.call_tool(
        &t,
        "bucket_object_text",
        json!({"s3_uri": notes, "encoding": "ebcdic"}),
    ));
    assert!(unknown.contains("encoding"), "{unknown}");
    let too_much = err(&h.call_tool(
        &t,
        "bucket_object_text",
        json!({"s3_uri": notes, "max_bytes": 10_485_761}),
    ));
    assert!(too_much.contains("max_bytes"), "{too_much}");
}

#[test]
fn fetch_returns_binary_as_base64_and_text_when_asked() {
    let h = Harness::start();
    let t = token(ALICE);
    let png = ok(&h.call_tool(
        &t,
        "bucket_object_fetch",
        json!({"s3_uri": "s3://example-data/atlas/thumbnails/brain.png"}),
    ));
    let bytes = STANDARD.decode(png["data"].as_str().unwrap()).unwrap();
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"));
    assert_eq!(bytes.len(), png["size"].as_u64().unwrap() as usize);
    snapshot_settings()
        .bind(|| insta::assert_json_snapshot!("bucket_object_fetch__thumbnail_png", png));
    let as_text = ok(&h.call_tool(
        &t,
        "bucket_object_fetch",
        json!({"s3_uri": "s3://example-data/atlas/thumbnails/brain.png", "base64_encode": false}),
    ));
    assert_eq!(as_text["is_base64"], true, "PNG bytes are not UTF-8");
    let readme = ok(&h.call_tool(
        &t,
        "bucket_object_fetch",
        json!({"s3_uri": "s3://example-data/README.md", "base64_encode": false, "max_bytes": 13}),
    ));
    assert_eq!(
        (
            readme["data"].clone(),
            readme["is_base64"].clone(),
            readme["truncated"].clone()
        ),
        (json!("# Example Dat"), json!(false), json!(true))
    );
}

#[test]
fn links_are_presigned_with_the_callers_key_and_work_without_credentials() {
    let h = Harness::start();
    let link = ok(&h.call_tool(
        &token(ALICE),
        "bucket_object_link",
        json!({"s3_uri": "s3://example-data/README.md", "expiration": 604800}),
    ));
    let url = link["signed_url"].as_str().unwrap().to_string();
    assert!(
        url.starts_with(&format!("{}/example-data/README.md?", h.mock().url())),
        "{url}"
    );
    assert!(
        url.contains(&format!("X-Amz-Credential={ALICE_KEY}")),
        "{url}"
    );
    assert_eq!(link["expiration_seconds"], 604800);
    snapshot_settings().bind(|| {
        insta::assert_json_snapshot!("bucket_object_link__readme", link,
            { ".signed_url" => "[presigned url]", ".expires_at" => "[time]" })
    });
    // The link alone (no token, no keys) fetches the object from the recorded S3.
    let fetched = h
        .agent
        .get(&url)
        .call()
        .unwrap()
        .body_mut()
        .read_to_string()
        .unwrap();
    assert!(fetched.starts_with("# Example Data"));
    assert!(
        err(&h.call_tool(
            &token(ALICE),
            "bucket_object_link",
            json!({"s3_uri": "s3://example-data/README.md", "expiration": 604801}),
        ))
        .contains("expiration")
    );
}

#[test]
fn refusals_name_the_action_and_credential_failures_say_what_to_do() {
    let h = Harness::start();
    let denied = err(&h.call_tool(
        &token(BOB),
        "bucket_objects_list",
        json!({"bucket": "example-packages"}),
    ));
    assert!(
        denied.contains("access denied")
            && denied.contains("s3:ListBucket")
            && denied.contains("s3://example-packages/"),
        "{denied}"
    );
    let read_denied = err(&h.call_tool(
        &token(BOB),
        "bucket_object_text",
        json!({"s3_uri": "s3://example-packages/.quilt/named_packages/team/curated-rnaseq/latest"}),
    ));
    assert!(read_denied.contains("s3:GetObject"), "{read_denied}");
    let carol = err(&h.call_tool(
        &token(CAROL),
        "bucket_objects_list",
        json!({"bucket": "example-data"}),
    ));
    assert!(carol.contains("401") && carol.contains("log in"), "{carol}");
    let dave = err(&h.call_tool(
        &token(DAVE),
        "bucket_object_info",
        json!({"s3_uri": "s3://example-data/README.md"}),
    ));
    assert!(
        dave.contains("403") && dave.contains("get_credentials"),
        "{dave}"
    );
    // Neither refused caller got anywhere near S3.
    assert!(s3_requests(&h).iter().all(|(_, _, _, key)| key == BOB_KEY));
}

#[test]
fn the_recorded_s3_refuses_a_request_signed_with_another_callers_key() {
    let h = Harness::start();
    let signed = |key: &str| {
        format!(
            "AWS4-HMAC-SHA256 Credential={key}/20261124/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00"
        )
    };
    let get = |key: &str| {
        let mut response = h
            .agent
            .get(&format!(
                "{}/example-data/results/counts.csv",
                h.mock().url()
            ))
            .header("authorization", &signed(key))
            .call()
            .unwrap();
        (
            response.status().as_u16(),
            response.body_mut().read_to_string().unwrap(),
        )
    };
    let (status, body) = get(BOB_KEY);
    assert_eq!(status, 403);
    assert!(
        body.contains("<Code>AccessDenied</Code>") && body.contains(ALICE_KEY),
        "{body}"
    );
    let (status, body) = get("AKIATASKROLEEXAMPLE1");
    assert_eq!(status, 403);
    assert!(body.contains("<Code>InvalidAccessKeyId</Code>"), "{body}");
    let (status, _) = get(ALICE_KEY);
    assert_eq!(status, 200);
    let refused = h.mock().acknowledge_unmatched();
    assert_eq!(
        refused.len(),
        2,
        "both wrong keys count as unrecorded: {refused:?}"
    );
}
