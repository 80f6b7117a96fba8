//! The S3 object tools against the model catalog's S3 face: listing with folders and pages,
//! object info by version, text and binary reads with truncation, links, and every refusal (no
//! such key, bucket or version, access denied, credentials refused). Uploads:
//! `bucket_objects_put.rs`.

mod common;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use common::*;
use serde_json::{Value, json};

const ALICE_KEY: &str = "ASIAALICEEXAMPLE0001";
const BOB_KEY: &str = "ASIABOBEXAMPLE000002";

/// The S3 requests the mock saw (signed ones), as (method, path, query, access key).
fn s3_requests(h: &Harness) -> Vec<(String, String, String, String)> {
    h.mock()
        .requests()
        .into_iter()
        .filter_map(|r| Some((r.method, r.path, r.query, r.access_key?)))
        .collect()
}

/// The listing entry of `key` in `bucket` (listed under the key's folder) as `who` sees it.
fn listed(h: &Harness, who: &str, bucket: &str, key: &str) -> Value {
    let folder = key.rsplit_once('/').map_or("", |(f, _)| f);
    let prefix = if folder.is_empty() {
        String::new()
    } else {
        format!("{folder}/")
    };
    let listing = ok(&h.call_tool(
        who,
        "bucket_objects_list",
        json!({"bucket": bucket, "prefix": prefix, "delimiter": "/"}),
    ));
    listing["objects"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["key"] == key)
        .unwrap_or_else(|| panic!("s3://{bucket}/{key} is not listed: {listing}"))
        .clone()
}

/// The whole text of an object, read with `bucket_object_text`.
fn whole_text(h: &Harness, who: &str, s3_uri: &str) -> String {
    let read = ok(&h.call_tool(who, "bucket_object_text", json!({"s3_uri": s3_uri})));
    assert_eq!(read["truncated"], false, "{read}");
    read["text"].as_str().unwrap().to_string()
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
    // Pages above 100 entries are whole (up to 100 they are kept within the result budget).
    for page in 1..=2 {
        let listed = ok(&h.call_tool(
            &t,
            "bucket_objects_list",
            json!({"bucket": "example-data", "prefix": "raw/run43/", "max_keys": 125, "continuation_token": token_in}),
        ));
        let objects = listed["objects"].as_array().unwrap();
        keys.extend(
            objects
                .iter()
                .map(|o| o["key"].as_str().unwrap().to_string()),
        );
        assert_eq!(listed["is_truncated"], page < 2, "page {page}");
        token_in = listed["next_continuation_token"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        assert_eq!(objects.len(), 125);
        if page == 2 {
            assert!(listed["next_continuation_token"].is_null());
        }
    }
    assert_eq!(keys.len(), 250);
    let mut unique = keys.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 250, "no key twice across pages");
    assert!(keys.iter().all(|k| k.starts_with("raw/run43/")), "{keys:?}");
    // The token went back verbatim (it holds `/`), and max-keys was sent.
    let lists: Vec<_> = s3_requests(&h)
        .into_iter()
        .filter(|(_, _, q, _)| q.contains("prefix=raw%2Frun43%2F"))
        .collect();
    assert_eq!(lists.len(), 2);
    assert!(
        lists
            .iter()
            .all(|(_, _, q, k)| q.contains("max-keys=125") && k == ALICE_KEY)
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
    let uri = "s3://example-data/results/summary.json";
    let original = ok(&h.call_tool(&t, "bucket_object_info", json!({"s3_uri": uri})));
    let v_original = original["version_id"].as_str().unwrap().to_string();
    assert!(!v_original.is_empty(), "{original}");
    let original_text = whole_text(&h, &t, uri);
    assert_eq!(original["size"], original_text.len());

    // A new version, written with user metadata, becomes the current one.
    let updated = "{\"run\": \"run43\", \"status\": \"reprocessed\"}\n";
    let put = ok(&h.call_tool(
        &t,
        "bucket_objects_put",
        json!({"bucket": "example-data", "overwrite": true, "items": [{
            "key": "results/summary.json", "text": updated, "content_type": "application/json",
            "metadata": {"pipeline": "nf-core/rnaseq 3.14.0"}}]}),
    ));
    assert_eq!(put["uploaded"], 1, "{put}");
    let v_new = put["results"][0]["version_id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_ne!(v_new, v_original);
    let current = ok(&h.call_tool(&t, "bucket_object_info", json!({"s3_uri": uri})));
    assert_eq!(current["version_id"], v_new.as_str());
    assert_eq!(current["metadata"]["pipeline"], "nf-core/rnaseq 3.14.0");
    assert_eq!(current["size"], updated.len());
    assert_eq!(whole_text(&h, &t, uri), updated);

    // The version it replaced is still there by its id, unchanged.
    let previous_uri = format!("{uri}?versionId={v_original}");
    let previous = ok(&h.call_tool(&t, "bucket_object_info", json!({"s3_uri": previous_uri})));
    assert_eq!(previous["version_id"], v_original.as_str());
    for field in ["size", "etag", "last_modified", "metadata"] {
        assert_eq!(previous[field], original[field], "{field}");
    }
    snapshot_settings()
        .bind(|| insta::assert_json_snapshot!("bucket_object_info__previous_version", previous));
    assert_eq!(whole_text(&h, &t, &previous_uri), original_text);

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
    let size = listed(&h, &t, "example-data", "results/counts.csv")["size"].clone();
    assert!(size.as_u64().unwrap() > 120, "{size}");
    let cut = ok(&h.call_tool(
        &t,
        "bucket_object_text",
        json!({"s3_uri": "s3://example-data/results/counts.csv", "max_bytes": 120}),
    ));
    assert_eq!(
        (cut["truncated"].clone(), cut["bytes_read"].clone()),
        (json!(true), json!(120))
    );
    assert_eq!(cut["size"], size);
    snapshot_settings()
        .bind(|| insta::assert_json_snapshot!("bucket_object_text__counts_truncated", cut));
    let whole = ok(&h.call_tool(
        &t,
        "bucket_object_text",
        json!({"s3_uri": "s3://example-data/results/counts.csv"}),
    ));
    assert_eq!(
        (whole["truncated"].clone(), whole["bytes_read"].clone()),
        (json!(false), size)
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
    // The raw bytes, to know what the text reads must say about them.
    let raw = ok(&h.call_tool(
        &t,
        "bucket_object_fetch",
        json!({"s3_uri": notes, "as_content": false}),
    ));
    let bytes = STANDARD.decode(raw["data"].as_str().unwrap()).unwrap();
    let first_high = *bytes
        .iter()
        .find(|b| !b.is_ascii())
        .expect("a non-ASCII byte");
    assert!(
        std::str::from_utf8(&bytes).is_err(),
        "the notes are not UTF-8"
    );
    let refused = err(&h.call_tool(&t, "bucket_object_text", json!({"s3_uri": notes})));
    assert!(
        refused.contains("not valid utf-8")
            && refused.contains(&format!("0x{first_high:02X}"))
            && refused.contains("latin-1"),
        "{refused}"
    );
    let latin = ok(&h.call_tool(
        &t,
        "bucket_object_text",
        json!({"s3_uri": notes, "encoding": "ISO-8859-1"}),
    ));
    assert_eq!(latin["encoding"], "latin-1");
    let decoded: String = bytes.iter().map(|&b| char::from(b)).collect();
    assert_eq!(latin["text"], decoded.as_str());
    assert!(decoded.contains("café"), "{decoded}");
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
        json!({"s3_uri": "s3://example-data/atlas/thumbnails/brain.png", "as_image": false}),
    ));
    let bytes = STANDARD.decode(png["data"].as_str().unwrap()).unwrap();
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"));
    assert_eq!(bytes.len(), png["size"].as_u64().unwrap() as usize);
    snapshot_settings()
        .bind(|| insta::assert_json_snapshot!("bucket_object_fetch__thumbnail_png", png));
    let as_text = ok(&h.call_tool(
        &t,
        "bucket_object_fetch",
        json!({"s3_uri": "s3://example-data/atlas/thumbnails/brain.png", "base64_encode": false, "as_image": false}),
    ));
    assert_eq!(as_text["is_base64"], true, "PNG bytes are not UTF-8");
    let whole = whole_text(&h, &t, "s3://example-data/README.md");
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
        (json!(&whole[..13]), json!(false), json!(true))
    );
}

#[test]
fn links_are_presigned_with_the_callers_key_and_work_without_credentials() {
    let h = Harness::start();
    let t = token(ALICE);
    let readme = whole_text(&h, &t, "s3://example-data/README.md");
    // A week is asked; the link cannot outlive the caller's temporary credentials (12 hours).
    let link = ok(&h.call_tool(
        &t,
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
    let granted = link["expiration_seconds"].as_u64().unwrap();
    assert!((43_100..=43_200).contains(&granted), "{link}");
    assert_eq!(
        (
            link["requested_seconds"].clone(),
            link["limited_by_credentials"].clone()
        ),
        (json!(604800), json!(true))
    );
    assert!(url.contains(&format!("X-Amz-Expires={granted}")), "{url}");
    snapshot_settings().bind(|| {
        insta::assert_json_snapshot!("bucket_object_link__readme", link,
            { ".signed_url" => "[presigned url]", ".expires_at" => "[time]",
              ".expiration_seconds" => "[seconds]" })
    });
    // Within the credentials' lifetime, what is asked is granted.
    let hour = ok(&h.call_tool(
        &t,
        "bucket_object_link",
        json!({"s3_uri": "s3://example-data/README.md", "expiration": 3600}),
    ));
    assert_eq!(
        (
            hour["expiration_seconds"].clone(),
            hour["limited_by_credentials"].clone()
        ),
        (json!(3600), json!(false))
    );
    // The link alone (no token, no keys) fetches the object from the catalog's S3.
    let fetched = h
        .agent
        .get(&url)
        .call()
        .unwrap()
        .body_mut()
        .read_to_string()
        .unwrap();
    assert_eq!(fetched, readme);
    assert!(
        err(&h.call_tool(
            &t,
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
        json!({"s3_uri": "s3://example-packages/team/curated-rnaseq/README.md"}),
    ));
    assert!(read_denied.contains("s3:GetObject"), "{read_denied}");
    let stranger = err(&h.call_tool(
        &token(STRANGER),
        "bucket_objects_list",
        json!({"bucket": "example-data"}),
    ));
    assert!(
        stranger.contains("401") && stranger.contains("log in"),
        "{stranger}"
    );
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
    let s3 = s3_requests(&h);
    assert!(!s3.is_empty());
    assert!(s3.iter().all(|(_, _, _, key)| key == BOB_KEY), "{s3:?}");
}

#[test]
fn bobs_credentials_cannot_read_what_only_alice_may() {
    let h = Harness::start();
    let (alice, bob) = (token(ALICE), token(BOB));
    // Alice finds an object in example-packages (bob's role has no access there) and reads it.
    let listing = ok(&h.call_tool(
        &alice,
        "bucket_objects_list",
        json!({"bucket": "example-packages", "prefix": "team/curated-rnaseq/", "delimiter": "/"}),
    ));
    let object = listing["objects"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["key"].as_str().unwrap().ends_with("README.md"))
        .unwrap_or_else(|| panic!("no README listed: {listing}"))
        .clone();
    let uri = object["s3_uri"].as_str().unwrap().to_string();
    let path = format!("/example-packages/{}", object["key"].as_str().unwrap());
    let text = whole_text(&h, &alice, &uri);
    assert_eq!(text.len() as u64, object["size"].as_u64().unwrap());

    // Given the same address, bob is refused by S3, which names the action.
    let before_bob = h.mock().requests().len();
    for tool in ["bucket_object_text", "bucket_object_info"] {
        let refused = err(&h.call_tool(&bob, tool, json!({"s3_uri": uri})));
        assert!(
            refused.contains("AccessDenied")
                && refused.contains("s3:GetObject")
                && refused.contains("example-packages"),
            "{tool}: {refused}"
        );
    }
    // The server signed each call with its own caller's key.
    let seen = h.mock().requests();
    let keys = |requests: &[quilt_mcp::mock::SeenRequest]| -> Vec<String> {
        requests
            .iter()
            .filter(|r| r.path == path)
            .map(|r| r.access_key.clone().unwrap_or_default())
            .collect()
    };
    let (alices, bobs) = (keys(&seen[..before_bob]), keys(&seen[before_bob..]));
    assert!(
        !alices.is_empty() && alices.iter().all(|k| k == ALICE_KEY),
        "{alices:?}"
    );
    assert!(
        !bobs.is_empty() && bobs.iter().all(|k| k == BOB_KEY),
        "{bobs:?}"
    );

    // Signed directly: bob's key is refused, a key the registry never issued is unknown, and
    // alice's key reads the same bytes.
    let signed = |key: &str| {
        format!(
            "AWS4-HMAC-SHA256 Credential={key}/20261124/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00"
        )
    };
    let get = |key: &str| {
        let mut response = h
            .agent
            .get(&format!("{}{path}", h.mock().url()))
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
        body.contains("<Code>AccessDenied</Code>") && body.contains("s3:GetObject"),
        "{body}"
    );
    let (status, body) = get("AKIATASKROLEEXAMPLE1");
    assert_eq!(status, 403);
    assert!(body.contains("<Code>InvalidAccessKeyId</Code>"), "{body}");
    assert_eq!(get(ALICE_KEY), (200, text));
    // Refusals are answers of the catalog, not requests it does not support.
    assert!(h.mock().unmatched().is_empty());
}
